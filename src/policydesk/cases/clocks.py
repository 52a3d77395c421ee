"""The case's SLA clocks: started from its SLA policy, moved by its states, swept for breaches.

The arithmetic is `core.sla_clock` (pure); this module stores each clock's history (the
list of `ClockEvent`s, replayed to get its state), writes the timeline events, and keeps the
moments the queues ask about (due, warning, breached) on the clock and the case rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.errors import DomainError
from policydesk.core.sla_clock import (
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockSpec,
    ClockState,
    replay,
)
from policydesk.org.models import Branch, Staff

from .models import (
    BusinessCalendar,
    Case,
    CaseClock,
    CaseEvent,
    ClockMode,
    ClockStop,
    EventType,
    SlaPolicy,
    SlaTarget,
    StateCategory,
)


def calendar_for(branch: Branch) -> WorkingCalendar:
    """The branch's own calendar, else its region's default one, else the standard week."""
    # One query: the branch's own calendar sorts before its region's default.
    stored = (
        BusinessCalendar.objects.filter(
            Q(branch=branch)
            | Q(branch__isnull=True, is_region_default=True, region=branch.calendar_region)
        )
        .order_by(F("branch_id").asc(nulls_last=True))
        .first()
    )
    if stored is None:
        return WorkingCalendar.standard(branch.calendar_region, branch.timezone)
    return WorkingCalendar.from_dict(
        {
            "region": stored.region,
            "tz": stored.timezone,
            "periods": stored.periods,
            "extra_holidays": stored.extra_holidays,
            "extra_working_days": stored.extra_working_days,
        }
    )


def spec_for(target: SlaTarget) -> ClockSpec:
    fraction = float(target.warn_fraction)
    if target.mode == ClockMode.BUSINESS_HOURS:
        return ClockSpec.business_hours(
            dt.timedelta(minutes=target.amount), warning_fraction=fraction, code=target.code
        )
    if target.mode == ClockMode.WORKING_DAYS:
        return ClockSpec.working_days(target.amount, warning_fraction=fraction, code=target.code)
    return ClockSpec.calendar_days(target.amount, warning_fraction=fraction, code=target.code)


def _events(clock: CaseClock) -> list[ClockEvent]:
    return [ClockEvent.from_dict(item) for item in clock.state.get("events", [])]


def clock_state(clock: CaseClock, calendar: WorkingCalendar) -> ClockState:
    return replay(_events(clock), calendar)


def _append(clock: CaseClock, event: ClockEvent) -> None:
    clock.state = {"events": [*clock.state.get("events", []), event.to_dict()]}


def _denormalise(
    clock: CaseClock, state: ClockState, now: dt.datetime, calendar: WorkingCalendar
) -> None:
    status = state.status(max(now, state.last_event_at), calendar)
    clock.due_at = status.due_at
    clock.is_running = state.is_running
    clock.stopped_at = state.stopped_at
    clock.met = status.met
    # Only a running clock can reach its warning; a paused one is projected, not counted.
    clock.warn_at = status.warning_at if state.is_running else None


def refresh_case(case: Case) -> None:
    """Copy the nearest due and warning moments of the running clocks onto the case."""
    running = [c for c in case.clocks.all() if c.is_running]
    case.next_due_at = min((c.due_at for c in running if c.due_at), default=None)
    case.next_warn_at = min((c.warn_at for c in running if c.warn_at), default=None)
    case.is_breached = any(c.breached_at is not None or c.met is False for c in case.clocks.all())
    case.save(update_fields=["next_due_at", "next_warn_at", "is_breached"])
    # Escalation hook (issue 4, item 4): every clock change passes here, so the case's
    # ladder is checked at once; levels already due apply now, the next moment is kept.
    from .escalation import check_case

    check_case(case)


def _event(
    case: Case, type: str, clock: CaseClock, at: dt.datetime, by: Staff | None, **parameters: Any
) -> None:
    CaseEvent.objects.create(
        case=case,
        type=type,
        at=at,
        actor=by,
        parameters={"clock": clock.code, "clock_name": clock.name, **parameters},
    )


def _start(
    case: Case, target: SlaTarget, at: dt.datetime, by: Staff | None, calendar: WorkingCalendar
) -> CaseClock:
    clock = CaseClock(
        case=case,
        target=target,
        code=target.code,
        name=target.name,
        mode=target.mode,
        stops_on=target.stops_on,
        pause_categories=list(target.pause_categories),
        is_regulatory=target.is_regulatory,
        state={"events": []},
    )
    _append(clock, ClockEvent(ClockEventKind.START, at, spec=spec_for(target)))
    _event(case, EventType.CLOCK_STARTED, clock, at, by)
    if case.category in clock.pause_categories:
        _append(clock, ClockEvent(ClockEventKind.PAUSE, at))
        _event(case, EventType.CLOCK_PAUSED, clock, at, by, category=case.category)
    state = clock_state(clock, calendar)
    _denormalise(clock, state, at, calendar)
    clock.save()
    return clock


def _record_stop(
    case: Case,
    clock: CaseClock,
    at: dt.datetime,
    by: Staff | None,
    calendar: WorkingCalendar,
    **parameters: Any,
) -> ClockState:
    """Append a STOP to the clock's history and write the "clock stopped" timeline line
    (met, how late); return the stopped state. The caller denormalises and saves."""
    _append(clock, ClockEvent(ClockEventKind.STOP, at))
    state = clock_state(clock, calendar)
    status = state.status(at, calendar)
    _event(
        case,
        EventType.CLOCK_MET,
        clock,
        at,
        by,
        met=bool(status.met),
        late_seconds=int(status.late_by.total_seconds()) if status.late_by else 0,
        **parameters,
    )
    return state


def _record_retarget(
    case: Case,
    clock: CaseClock,
    spec: ClockSpec,
    at: dt.datetime,
    by: Staff | None,
    calendar: WorkingCalendar,
    **parameters: Any,
) -> None:
    """Append a RETARGET with `spec` (its unit becomes the clock's mode), save the clock's
    new due moments and write the "clock retargeted" timeline line with `parameters` and
    the new due moment. The caller has checked that the clock can take the spec."""
    _append(clock, ClockEvent(ClockEventKind.RETARGET, at, spec=spec))
    clock.mode = str(spec.mode)  # ClockMode is a StrEnum: its value
    _denormalise(clock, clock_state(clock, calendar), at, calendar)
    clock.save()
    _event(
        case,
        EventType.CLOCK_RETARGETED,
        clock,
        at,
        by,
        **parameters,
        due_at=clock.due_at.isoformat() if clock.due_at else None,
    )


def _starting_targets(case: Case, existing: set[str]) -> list[SlaTarget]:
    if case.sla_policy_id is None:
        return []
    return [
        target
        for target in SlaTarget.objects.filter(policy_id=case.sla_policy_id).order_by("position")
        if target.code not in existing
        and (not target.starts_in_state or target.starts_in_state == case.state.code)
    ]


def start_for_case(case: Case, *, at: dt.datetime, by: Staff | None) -> None:
    """Start the clocks of the case's SLA policy that start at opening."""
    calendar = calendar_for(case.branch)
    for target in _starting_targets(case, set()):
        if not target.starts_in_state or target.starts_in_state == case.state.code:
            _start(case, target, at, by, calendar)
    refresh_case(case)


def _stops(clock: CaseClock, category: str) -> bool:
    if clock.stops_on == ClockStop.RESOLVED:
        return category in StateCategory.finished()
    if clock.stops_on == ClockStop.CLOSED:
        return category == StateCategory.CLOSED
    # A first-response clock still open when the case is finished has nothing left to wait for.
    return category in StateCategory.finished()


def on_state_change(case: Case, *, old_category: str, at: dt.datetime, by: Staff | None) -> None:
    """Stop, pause or resume each clock for the case's new state; start the state's clocks."""
    calendar = calendar_for(case.branch)
    clocks = list(case.clocks.select_for_update().order_by("id"))
    for clock in clocks:
        state = clock_state(clock, calendar)
        if state.is_stopped:
            continue
        if _stops(clock, case.category):
            _record_stop(case, clock, at, by, calendar)
        elif case.category in clock.pause_categories and state.is_running:
            _append(clock, ClockEvent(ClockEventKind.PAUSE, at))
            _event(case, EventType.CLOCK_PAUSED, clock, at, by, category=case.category)
        elif case.category not in clock.pause_categories and state.is_paused:
            _append(clock, ClockEvent(ClockEventKind.RESUME, at))
            _event(case, EventType.CLOCK_RESUMED, clock, at, by, category=case.category)
        else:
            continue
        _denormalise(clock, clock_state(clock, calendar), at, calendar)
        clock.save()
    existing = {clock.code for clock in clocks}
    for target in _starting_targets(case, existing):
        if target.starts_in_state:
            _start(case, target, at, by, calendar)
    refresh_case(case)


def on_first_response(case: Case, *, at: dt.datetime, by: Staff | None) -> None:
    calendar = calendar_for(case.branch)
    for clock in case.clocks.select_for_update().filter(stops_on=ClockStop.FIRST_RESPONSE):
        state = clock_state(clock, calendar)
        if state.is_stopped:
            continue
        state = _record_stop(case, clock, at, by, calendar)
        _denormalise(clock, state, at, calendar)
        clock.save()
    refresh_case(case)


@transaction.atomic
def clock_extend(
    *,
    case: Case,
    code: str,
    days: int,
    minutes: int,
    reason: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> CaseClock:
    """Extend one clock with the approver's authority and a reason (e.g. a complex
    complaint: +15 days to 30, then +30 with senior approval)."""
    require(by, "cases.sla.extend")
    at = at or timezone.now()
    case = Case.objects.select_for_update(of=("self",)).select_related("branch").get(pk=case.pk)
    clock = case.clocks.select_for_update().filter(code=code).first()
    if clock is None:
        raise DomainError(_("The case has no clock %(code)s.") % {"code": code}, field="clock")
    if clock.mode == ClockMode.BUSINESS_HOURS:
        amount: dt.timedelta | int = dt.timedelta(minutes=minutes)
        if minutes <= 0:
            raise DomainError(_("Give the extension in minutes."), field="minutes")
    else:
        amount = days
        if days <= 0:
            raise DomainError(_("Give the extension in days."), field="days")
    calendar = calendar_for(case.branch)
    state = clock_state(clock, calendar)
    try:
        state.extend(amount, reason=reason, approved_by=by.pk, at=at, calendar=calendar)
    except ClockError as error:
        raise DomainError(
            error.message,
            field="reason" if "reason" in error.message else "clock",
            code="clock_extension_refused",
        ) from error
    _append(
        clock,
        ClockEvent(
            ClockEventKind.EXTEND, at, amount=amount, reason=reason.strip(), approved_by=by.pk
        ),
    )
    state = clock_state(clock, calendar)
    _denormalise(clock, state, at, calendar)
    clock.save()
    _event(
        case,
        EventType.CLOCK_EXTENDED,
        clock,
        at,
        by,
        reason=reason.strip(),
        days=days if clock.mode != ClockMode.BUSINESS_HOURS else 0,
        minutes=minutes if clock.mode == ClockMode.BUSINESS_HOURS else 0,
        due_at=clock.due_at.isoformat() if clock.due_at else None,
    )
    refresh_case(case)
    audit_record(
        action="cases.clock.extend",
        actor=by,
        target=case,
        after={"clock": code, "days": days, "minutes": minutes, "reason": reason},
    )
    return clock


@transaction.atomic
def case_change_sla(
    *, case: Case, policy: SlaPolicy, by: Staff, reason: str = "", at: dt.datetime | None = None
) -> Case:
    """Put the case on another SLA policy: clocks of the same code keep what they counted
    (retargeted), new targets start, clocks the new policy lacks stop where they are."""
    require(by, "cases.sla.extend")
    if not policy.is_active:
        raise DomainError(_("Choose an active SLA policy."), field="policy")
    if policy.pk == case.sla_policy_id:
        raise DomainError(_("The case is on this SLA policy already."), field="policy")
    if not reason.strip():
        raise DomainError(_("Say why the SLA policy changes."), field="reason")
    at = at or timezone.now()
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("branch", "state")
        .get(pk=case.pk)
    )
    calendar = calendar_for(case.branch)
    targets = {t.code: t for t in policy.targets.all()}
    for clock in case.clocks.select_for_update():
        state = clock_state(clock, calendar)
        if state.is_stopped:
            continue
        target = targets.get(clock.code)
        if target is None:
            _append(clock, ClockEvent(ClockEventKind.STOP, at))
        else:
            try:
                state.retarget(spec_for(target), at, calendar)
            except ClockError as error:
                raise DomainError(error.message, field="policy") from error
            _append(clock, ClockEvent(ClockEventKind.RETARGET, at, spec=spec_for(target)))
            clock.target = target
            clock.name = target.name
            clock.pause_categories = list(target.pause_categories)
        _event(case, EventType.CLOCK_RETARGETED, clock, at, by, policy=policy.code)
        _denormalise(clock, clock_state(clock, calendar), at, calendar)
        clock.save()
    before = case.sla_policy_id
    case.sla_policy = policy
    case.save(update_fields=["sla_policy"])
    existing = set(case.clocks.values_list("code", flat=True))
    for target in _starting_targets(case, existing):
        if not target.starts_in_state:
            _start(case, target, at, by, calendar)
    refresh_case(case)
    audit_record(
        action="cases.sla.change",
        actor=by,
        target=case,
        before={"sla_policy": before},
        after={"sla_policy": policy.pk, "reason": reason.strip()[:500]},
    )
    return case


@dataclass(frozen=True)
class ClockView:
    """What a page or the API shows of a clock at an instant."""

    due_at: dt.datetime | None
    remaining_seconds: int | None
    warning: bool
    breached: bool
    late_by_seconds: int | None
    paused: bool
    extensions: int
    remaining_text: str
    late_text: str


def duration_text(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


def clock_status(
    clock: CaseClock, now: dt.datetime | None = None, calendar: WorkingCalendar | None = None
) -> ClockView:
    now = now or timezone.now()
    calendar = calendar or calendar_for(clock.case.branch)
    state = clock_state(clock, calendar)
    status = state.status(max(now, state.last_event_at), calendar)
    remaining = status.time_left.total_seconds()
    late = status.late_by.total_seconds() if status.late_by else None
    return ClockView(
        due_at=status.due_at,
        remaining_seconds=int(remaining),
        warning=status.warning,
        breached=status.breached,
        late_by_seconds=int(late) if late is not None else None,
        paused=status.paused,
        extensions=len(state.extensions),
        remaining_text=duration_text(remaining) if remaining > 0 else "—",
        late_text=duration_text(late) if late else "",
    )


SWEEP_BATCH = 5000


def _record_batch(kind: str, now: dt.datetime) -> int:
    """Record one batch of due warnings (kind "warn") or breaches ("breach"); return how many.

    One locking SELECT of the due clocks, one UPDATE, one INSERT of their timeline events and,
    for breaches, one UPDATE of the cases' breached flag, whatever the batch's size. The lock
    makes a second sweep running at the same time wait and then find the rows recorded
    (PostgreSQL re-checks the WHERE on the locked row), so each clock gets its event once."""
    if kind == "breach":
        due = Q(due_at__lte=now, breached_at__isnull=True)
        moment = "due_at"
        event_type = EventType.CLOCK_BREACHED
    else:
        due = Q(warn_at__lte=now, warned_at__isnull=True)
        moment = "warn_at"
        event_type = EventType.CLOCK_WARNED
    with transaction.atomic():
        # In the partial index's order: ordered by id, PostgreSQL walked the primary key
        # through every clock to fill the LIMIT (0.5 s at 480,000 clocks, nothing due).
        clocks = list(
            CaseClock.objects.select_for_update()
            .filter(due, is_running=True)
            .order_by(moment, "id")
            .only("id", "case_id", "code", "name", "due_at")[:SWEEP_BATCH]
        )
        if not clocks:
            return 0
        ids = [clock.pk for clock in clocks]
        if kind == "breach":
            # A clock breached unwarned gets no warning afterwards, as before.
            CaseClock.objects.filter(pk__in=ids).update(
                breached_at=now,
                warned_at=Coalesce(F("warned_at"), Value(now, output_field=DateTimeField())),
            )
        else:
            CaseClock.objects.filter(pk__in=ids).update(warned_at=now)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=clock.case_id,
                    type=event_type,
                    at=now,
                    parameters={
                        "clock": clock.code,
                        "clock_name": clock.name,
                        "due_at": clock.due_at.isoformat() if clock.due_at else None,
                    },
                )
                for clock in clocks
            ]
        )
        if kind == "breach":
            # What refresh_case would set; the due and warning moments do not move at a
            # breach (the clock keeps running).
            Case.objects.filter(
                pk__in={clock.case_id for clock in clocks}, is_breached=False
            ).update(is_breached=True)
    return len(clocks)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Record warnings and breaches whose moment has passed; idempotent (each clock gets
    one warning and one breach event, however often the sweep runs).

    Set-based: a few statements per batch of 5,000 clocks, the selection read from the
    partial indexes that hold only the clocks not yet recorded (clock_due_unrecorded_idx,
    clock_warn_unrecorded_idx), so the sweep's cost follows what is due, not the number of
    open cases. The ladder levels a breach reaches are applied by
    `escalation.escalation_sweep`, which the job runs right after: the case's watch is due
    at the clock's due moment."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0}
    for kind, key in (("breach", "breached"), ("warn", "warned")):
        while True:
            done = _record_batch(kind, now)
            counts[key] += done
            if done < SWEEP_BATCH:
                break
    return counts


@transaction.atomic
def clock_retarget(
    *,
    case: Case,
    code: str,
    amount: int,
    reason: str,
    by: Staff,
    at: dt.datetime | None = None,
) -> CaseClock:
    """Give one running day clock a new target, keeping what it counted and its extensions
    (e.g. a complaint reclassified complex: the regulatory 15 days become 30). The other
    clocks and the case's SLA policy stay as they are. Refused once the clock is past due:
    a breach is not undone by a later reclassification."""
    require(by, "cases.sla.extend")
    at = at or timezone.now()
    if not reason.strip():
        raise DomainError(_("Say why the target changes."), field="reason")
    case = Case.objects.select_for_update(of=("self",)).select_related("branch").get(pk=case.pk)
    clock = case.clocks.select_for_update().filter(code=code).first()
    if clock is None:
        raise DomainError(_("The case has no clock %(code)s.") % {"code": code}, field="clock")
    if clock.mode == ClockMode.BUSINESS_HOURS or amount <= 0:
        raise DomainError(_("Give the new target in days."), field="amount")
    calendar = calendar_for(case.branch)
    state = clock_state(clock, calendar)
    if state.is_stopped:
        raise DomainError(
            _("The clock %(name)s has stopped.") % {"name": clock.name},
            field="clock",
            code="clock_stopped",
        )
    if state.status(max(at, state.last_event_at), calendar).breached:
        raise DomainError(
            _("The clock %(name)s is already past due.") % {"name": clock.name},
            field="clock",
            code="clock_past_due",
        )
    previous = state.spec
    spec = ClockSpec(
        target=amount,
        mode=previous.mode,
        warning_fraction=previous.warning_fraction,
        max_extension=previous.max_extension,
        code=previous.code,
    )
    try:
        state.retarget(spec, at, calendar)
    except ClockError as error:
        raise DomainError(error.message, field="amount") from error
    _record_retarget(case, clock, spec, at, by, calendar, reason=reason.strip(), days=amount)
    refresh_case(case)
    audit_record(
        action="cases.clock.retarget",
        actor=by,
        target=case,
        before={"clock": code, "days": previous.target},
        after={"clock": code, "days": amount, "reason": reason.strip()},
    )
    return clock


# --- System-side clock changes --------------------------------------------------------------
#
# The functions above that take `by` and check `cases.sla.extend` are a person's decisions.
# The ones below are what a process app's rule does on its own (a callback that found a
# problem puts the complaint on the callback-problem policy, a defect notice stops the
# new-business notice clock, a claim reclassified complex moves its decision clock to
# calendar days): no permission is checked here, the calling service has checked its own.
# Each must be called inside the transaction that holds the case's row lock.


def clock_stop(
    case: Case, code: str, *, at: dt.datetime, by: Staff | None, reason: str = ""
) -> bool:
    """Stop the case's running clock `code` at `at` as the engine stops its own at a
    resolution (a STOP clock event, the "clock stopped" timeline line with met and lateness,
    the case's due moments refreshed); False when there is no such clock or it has stopped."""
    calendar = calendar_for(case.branch)
    clock = case.clocks.select_for_update().filter(code=code).first()
    if clock is None:
        return False
    state = clock_state(clock, calendar)
    if state.is_stopped:
        return False
    state = _record_stop(case, clock, at, by, calendar, reason=reason)
    _denormalise(clock, state, at, calendar)
    clock.save()
    refresh_case(case)
    return True


def sla_policy_switch(
    *, case: Case, policy: SlaPolicy, at: dt.datetime, by: Staff | None
) -> list[CaseClock]:
    """Put the case on `policy` and start the targets it adds; return the clocks started.

    A target starts when the case has no clock of its code yet and it starts at opening or
    in the case's current state. Clocks already on the case are left as they are: they keep
    what they counted and their own targets (a policy that repeats a code with another
    target needs `case_change_sla`, a person's decision). Unlike `case_change_sla` no
    permission is checked and nothing is audited here: the calling service audits its own
    action."""
    case.sla_policy = policy
    case.save(update_fields=["sla_policy"])
    existing = set(case.clocks.values_list("code", flat=True))
    calendar = calendar_for(case.branch)
    started = [
        _start(case, target, at, by, calendar) for target in _starting_targets(case, existing)
    ]
    refresh_case(case)
    return started


def clock_switch_spec(
    *, case: Case, clock: CaseClock, spec: ClockSpec, at: dt.datetime, by: Staff | None
) -> CaseClock:
    """Give a running clock a new spec, unit included (e.g. 5 working days → 30 calendar
    days), keeping what it counted: a RETARGET clock event, the clock's mode and due moments,
    a "clock retargeted" timeline line, the case's due moments refreshed. The caller checks
    that the clock runs and is not past due (with its own wording); a spec the clock cannot
    take raises ClockError."""
    calendar = calendar_for(case.branch)
    clock_state(clock, calendar).retarget(spec, at, calendar)  # raises before anything is written
    _record_retarget(case, clock, spec, at, by, calendar, days=spec.target, mode=str(spec.mode))
    refresh_case(case)
    return clock

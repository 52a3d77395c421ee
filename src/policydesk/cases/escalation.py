"""Escalation: apply each case's ladder levels once their threshold is passed (升级).

Each case of a process with an active ladder has an EscalationWatch row holding the earliest
moment one of its pending levels can fire. `check_case` recomputes it (and applies the levels
already due) whenever the case's clocks change, so escalation is event-driven; the periodic
`escalation_sweep` reads only the watches whose moment has passed, in one indexed query, and
checks those cases. A level is applied at most once per case (CaseEscalation is unique per
case and level): running either of them twice changes nothing.

Moments, for a running clock (a paused or stopped clock reaches nothing):
- breach: the clock's due moment; warning: its warning moment;
- a share of the target elapsed: the arithmetic of `core.sla_clock` replayed with a warning
  fraction of (100 − percent) %, whose warning moment is when that share has elapsed;
- age over: the opening moment plus the hours (wall time, whatever the clocks do).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policydesk.core.audit import audit_record
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.sla_clock import ClockEvent, replay
from policydesk.org.models import Branch, Role, Staff

from . import assignment
from .models import (
    Case,
    CaseClock,
    CaseEscalation,
    EscalationAction,
    EscalationLevel,
    EscalationThreshold,
    EscalationWatch,
    EventType,
    Notification,
    NotifyWhom,
    Priority,
    StateCategory,
)

SWEEP_BATCH = 5000
MAX_RECIPIENTS = 50
# What the timeline says when a level's action could not be carried out.
PROBLEMS = {
    "team_missing": gettext_lazy("The team named by the level does not exist in this branch."),
    "nobody_available": gettext_lazy("Nobody is available to take the case."),
    "no_manager": gettext_lazy("No counter manager is present in the branch or its parent."),
}


@dataclass(frozen=True)
class Reached:
    """When a level's threshold is (or will be) passed, and through which clock."""

    at: dt.datetime
    clock: CaseClock | None


def percent_moment(
    clock: CaseClock, percent: int, calendar: WorkingCalendar, now: dt.datetime
) -> dt.datetime | None:
    """When `percent` % of the running clock's (extended) target has elapsed."""
    fraction = max(0.0, min(1.0, 1 - percent / 100))
    events = []
    for item in clock.state.get("events", []):
        event = ClockEvent.from_dict(item)
        if event.spec is not None:
            spec = dataclasses.replace(event.spec, warning_fraction=fraction)
            event = dataclasses.replace(event, spec=spec)
        events.append(event)
    if not events:
        return None
    state = replay(events, calendar)
    if not state.is_running:
        return None
    return state.status(max(now, state.last_event_at), calendar).warning_at


def _clock_moment(
    level: EscalationLevel, clock: CaseClock, calendar: WorkingCalendar | None, now: dt.datetime
) -> dt.datetime | None:
    if not clock.is_running:
        return None
    if level.threshold == EscalationThreshold.BREACH:
        return clock.breached_at or clock.due_at
    if level.threshold == EscalationThreshold.WARNING:
        return clock.warned_at or clock.warn_at
    if calendar is None:
        raise ValueError("a share-of-target level needs the branch's calendar")
    return percent_moment(clock, level.percent or 100, calendar, now)


def reached(
    level: EscalationLevel,
    case: Case,
    clocks: list[CaseClock],
    calendar: WorkingCalendar | None,
    now: dt.datetime,
) -> Reached | None:
    """The level's moment for this case, or None while no clock is heading there (the
    calendar is needed by share-of-target levels only)."""
    if level.threshold == EscalationThreshold.AGE_OVER:
        return Reached(case.opened_at + dt.timedelta(hours=level.age_hours or 0), None)
    best: Reached | None = None
    for clock in clocks:
        if level.clock_code and clock.code != level.clock_code:
            continue
        moment = _clock_moment(level, clock, calendar, now)
        if moment is not None and (best is None or moment < best.at):
            best = Reached(moment, clock)
    return best


def condition_text(level: EscalationLevel, clock: CaseClock | None) -> str:
    """What was passed, in the active language ("Regulatory decision: past its deadline")."""
    name = clock.name if clock is not None else ""
    if level.threshold == EscalationThreshold.AGE_OVER:
        return _("open for more than %(hours)s hours") % {"hours": level.age_hours}
    if level.threshold == EscalationThreshold.PERCENT_ELAPSED:
        return _("%(clock)s: %(percent)s%% of the target elapsed") % {
            "clock": name,
            "percent": level.percent,
        }
    if level.threshold == EscalationThreshold.WARNING:
        return _("%(clock)s: the deadline is near") % {"clock": name}
    return _("%(clock)s: past its deadline") % {"clock": name}


def reason_text(level: EscalationLevel, clock: CaseClock | None) -> str:
    return _("Level %(level)s: %(condition)s") % {
        "level": level.number,
        "condition": condition_text(level, clock),
    }


def branch_managers(branch: Branch, now: dt.datetime) -> list[Staff]:
    """Counter managers of the branch present today, else of its parent branch."""
    for candidate in (branch, branch.parent):
        if candidate is None:
            continue
        managers = list(
            assignment.available_staff(
                candidate, now, role=Role.COUNTER_MANAGER, respect_capacity=False
            ).order_by("open_cases", "id")[:MAX_RECIPIENTS]
        )
        if managers:
            return managers
    return []


def _recipients(case: Case, whom: str, now: dt.datetime) -> list[Staff]:
    if whom == NotifyWhom.NOBODY:
        return []
    if whom == NotifyWhom.ASSIGNEE and case.assignee is not None and case.assignee.is_active:
        return [case.assignee]
    if whom in (NotifyWhom.ASSIGNEE, NotifyWhom.TEAM) and case.team_id is not None:
        members = list(
            Staff.objects.filter(team_id=case.team_id, is_active=True).order_by("id")[
                :MAX_RECIPIENTS
            ]
        )
        if members:
            return members
    return branch_managers(case.branch, now)


def notify(
    case: Case, level: EscalationLevel, clock: CaseClock | None, people: list[Staff]
) -> None:
    """One unread notice per person, written in that person's interface language."""
    seen: set[int] = set()
    notices = []
    for person in people:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        with translation.override(person.preferred_language or None):
            text = _("%(number)s escalated. %(reason)s") % {
                "number": case.number,
                "reason": reason_text(level, clock),
            }
        notices.append(Notification(recipient=person, case=case, text=text[:300]))
    Notification.objects.bulk_create(notices)


def _act(
    case: Case, level: EscalationLevel, now: dt.datetime, reason: str
) -> tuple[dict[str, Any], list[Staff]]:
    """Do the level's action; return what changed and who is told besides `notify`."""
    from . import services

    outcome: dict[str, Any] = {"action": level.action}
    told: list[Staff] = []
    if level.action == EscalationAction.RAISE_PRIORITY:
        before = case.priority
        case.priority = min(case.priority + 1, Priority.URGENT)
        outcome.update(priority_before=before, priority=case.priority)
    elif level.action == EscalationAction.REASSIGN:
        team = assignment.team_in_branch(case.branch_id, level.team_code)
        if level.team_code and team is None:
            outcome["problem"] = "team_missing"
        else:
            staff = assignment.available_staff(case.branch, now, team=team, role=level.role)
            person = assignment.least_loaded(staff, exclude=case.assignee_id)
            if person is None and team is None:
                outcome["problem"] = "nobody_available"
            else:
                services.case_assign(
                    case=case, by=None, assignee=person, team=team, reason=reason, at=now
                )
                outcome.update(
                    assignee=person.pk if person else None, team=getattr(team, "pk", None)
                )
                told = [person] if person else []
    elif level.action == EscalationAction.ESCALATE_TO_MANAGER:
        managers = branch_managers(case.branch, now)
        if managers:
            services.case_assign(case=case, by=None, assignee=managers[0], reason=reason, at=now)
            outcome["assignee"] = managers[0].pk
            told = [managers[0]]
        else:
            outcome["problem"] = "no_manager"
    return outcome, told


def _apply(case: Case, level: EscalationLevel, hit: Reached, now: dt.datetime) -> CaseEscalation:
    """Apply one level. Should be called while holding a SELECT FOR UPDATE lock on the case."""
    from . import services

    clock = hit.clock
    reason = reason_text(level, clock)
    escalation = CaseEscalation.objects.create(
        case=case,
        level=level,
        number=level.number,
        at=now,
        clock_code=clock.code if clock else "",
        reason=reason[:300],
    )
    outcome, told = _act(case, level, now, reason)
    problem = PROBLEMS.get(str(outcome.get("problem", "")))
    body = f"{reason}. {problem}" if problem else reason
    case = Case.objects.select_related("assignee", "branch").get(pk=case.pk)
    if "priority" in outcome:
        case.priority = int(str(outcome["priority"]))
    case.escalation_level = max(case.escalation_level, level.number)
    case.updated_at = now
    case.save(update_fields=["priority", "escalation_level", "updated_at"])
    people = [*told, *_recipients(case, level.notify, now)]
    notify(case, level, clock, people)
    services.event_add(
        case,
        EventType.ESCALATED,
        by=None,
        at=now,
        body=body,
        level=level.number,
        threshold=level.threshold,
        clock=clock.code if clock else "",
        clock_name=clock.name if clock else "",
        reached_at=hit.at.isoformat(),
        notified=sorted({person.pk for person in people}),
        **outcome,
    )
    audit_record(
        action="cases.escalate",
        target=case,
        after={
            "level": level.number,
            "clock": clock.code if clock else "",
            "reason": reason,
            **outcome,
        },
    )
    return escalation


def _levels_of(process_id: int) -> list[EscalationLevel]:
    return list(
        EscalationLevel.objects.filter(
            ladder__process_id=process_id, ladder__is_active=True, is_active=True
        ).order_by("number", "id")
    )


@transaction.atomic
def check_case(case: Case, *, now: dt.datetime | None = None) -> list[CaseEscalation]:
    """Apply the case's levels whose threshold has passed and not applied yet; keep the
    watch's next moment. Takes the case's row lock; idempotent."""
    now = now or timezone.now()
    levels = _levels_of(case.process_id)
    watched = EscalationWatch.objects.filter(case_id=case.pk, next_check_at__isnull=False)
    if not levels and not watched.exists():
        return []  # no ladder: two reads, no lock
    return _check_locked(case.pk, levels, now)


def _check_locked(
    case_id: int, levels: list[EscalationLevel], now: dt.datetime
) -> list[CaseEscalation]:
    """check_case's work once the process's levels are known. Should be called inside a
    transaction; takes the case's row lock."""
    from . import clocks as case_clocks

    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("branch", "branch__parent", "assignee")
        .get(pk=case_id)
    )
    if case.category in StateCategory.finished():
        levels = []
    applied = set(CaseEscalation.objects.filter(case=case).values_list("level_id", flat=True))
    pending = [level for level in levels if level.pk not in applied]
    done: list[CaseEscalation] = []
    next_at: dt.datetime | None = None
    if pending:
        clocks = list(case.clocks.order_by("id"))
        # Only a share-of-target level replays a clock on the branch's calendar.
        needs_calendar = any(
            level.threshold == EscalationThreshold.PERCENT_ELAPSED for level in pending
        )
        calendar = case_clocks.calendar_for(case.branch) if needs_calendar else None
        for level in pending:
            hit = reached(level, case, clocks, calendar, now)
            if hit is None:
                continue
            if hit.at <= now:
                done.append(_apply(case, level, hit, now))
                case.refresh_from_db(fields=["assignee", "team", "priority", "escalation_level"])
            elif next_at is None or hit.at < next_at:
                next_at = hit.at
    EscalationWatch.objects.update_or_create(case=case, defaults={"next_check_at": next_at})
    return done


def sweep_candidates(now: dt.datetime) -> list[int]:
    """Ids of the cases whose ladder must be looked at now: one indexed query, whatever the
    number of open cases. Every open case of a process with active levels has a watch:
    `check_case` makes it when the case's clocks start (opening), `watches_reset` for the
    cases opened before the levels existed or while the ladder was inactive."""
    return list(
        EscalationWatch.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at", "id")
        .values_list("case_id", flat=True)[:SWEEP_BATCH]
    )


def escalation_sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Apply every level whose moment has passed; idempotent. Each case in its own
    transaction, so one case's failure does not undo the others'.

    The selection is set-based (`sweep_candidates`: the watches whose moment has passed, one
    indexed query); the candidates' processes are read in one query and each process's
    levels once, so what is left per case is its own check and, when a level applies, its
    timeline event, notices and audit record."""
    now = now or timezone.now()
    counts = {"checked": 0, "escalated": 0}
    candidates = sweep_candidates(now)
    processes = dict(Case.objects.filter(pk__in=candidates).values_list("id", "process_id"))
    levels_by_process: dict[int, list[EscalationLevel]] = {}
    for case_id in candidates:
        process_id = processes.get(case_id)
        if process_id is None:
            continue  # deleted since
        if process_id not in levels_by_process:
            levels_by_process[process_id] = _levels_of(process_id)
        counts["checked"] += 1
        with transaction.atomic():
            counts["escalated"] += len(_check_locked(case_id, levels_by_process[process_id], now))
    return counts


def watches_reset(*, process_id: int, now: dt.datetime | None = None) -> int:
    """After a ladder or level change: look at the process's open cases again soon, and give
    a watch, due at once, to those that have none (opened before the ladder had levels, or
    while it was inactive). Set-based: one UPDATE, one read of the cases without a watch and
    one INSERT per 5,000 of them."""
    now = now or timezone.now()
    reset = EscalationWatch.objects.filter(case__process_id=process_id).update(next_check_at=now)
    unwatched = list(
        Case.objects.filter(process_id=process_id, escalation_watch__isnull=True)
        .exclude(category__in=StateCategory.finished())
        .values_list("id", flat=True)
    )
    for start in range(0, len(unwatched), SWEEP_BATCH):
        EscalationWatch.objects.bulk_create(
            [
                EscalationWatch(case_id=case_id, next_check_at=now)
                for case_id in unwatched[start : start + SWEEP_BATCH]
            ],
            ignore_conflicts=True,
        )
    return reset + len(unwatched)

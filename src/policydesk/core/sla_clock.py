"""SLA clocks as pure values: a spec, a state changed by events, a status read at an instant.

A case holds several clocks side by side (first response, resolution, a regulatory deadline),
each started from a `ClockSpec`. A `ClockState` is frozen: `pause`, `resume`, `stop`, `extend`
and `retarget` return a new state; `replay(events, calendar)` rebuilds one from the case's SLA
history. `status(now, calendar)` gives due time, remaining, warning, breached and lateness.
Pure Python: no Django; error messages are English and carry a stable `code` for callers to map.

Units. A clock counts in its mode's unit:

- BUSINESS_HOURS: working time (timedelta) inside the calendar's work periods
  (`WorkingCalendar.between`); targets and extensions in whole minutes.
- WORKING_DAYS: whole working days (工作日, int); CALENDAR_DAYS: whole calendar days (自然日, int).

Day clocks (the rule, also in docs/decisions/0005-sla-day-counting.md):

1. The day the clock starts is not counted; each later countable day (a working day of the
   calendar, or any day) counts once its end — local 24:00 — passes while the clock runs.
   Without pauses the due time is `add_working_days(start, n)` / `add_calendar_days(start, n)`:
   the end of the n-th day after the day of receipt.
2. A day whose end passes while the clock is paused is not counted: each local midnight spent
   paused pushes the deadline by one countable day. Appraisal (鉴定) or mediation from Wednesday
   10:00 to Friday 15:00 excludes Wednesday and Thursday (whose ends fell inside the pause), so a
   15-calendar-day complaint deadline moves two days later; a pause that begins and ends on the
   same day moves nothing. This is how "time in appraisal or mediation is excluded" reads when
   the deadline is counted in days, and it never shortens a deadline.
3. The due moment is the end of the last counted day; a clock stopped at or before it is met.

Business-hours clocks: the due time is the earliest instant at which the remaining working time
has elapsed (`WorkingCalendar.add`); paused time adds nothing.

Common rules. Events must come in time order (ClockOrderError) and be valid for the state
(ClockTransitionError: pause while paused, anything after stop). An extension needs a reason
and an approver, respects the spec's `max_extension`, and must be approved no later than the
due moment (ClockExtensionError): afterwards the breach stands. `retarget` (an SLA change, e.g.
a complaint reclassified complex) keeps the elapsed amount and the extensions; a change of unit
re-measures the clock's run segments in the new unit (refused when extensions exist, as they
were granted in the old unit). While paused, `status` projects the due time as if the clock
resumed at `now` and sets `paused`; a stopped clock reports the due time it had when it stopped.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from policydesk.core.business_time import WorkingCalendar

ClockAmount = dt.timedelta | int
ApproverId = int | str

_ZERO = dt.timedelta(0)
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY = dt.timedelta(days=1)


class ClockMode(enum.StrEnum):
    BUSINESS_HOURS = "business_hours"  # working time inside the branch's work periods
    WORKING_DAYS = "working_days"  # whole working days (工作日)
    CALENDAR_DAYS = "calendar_days"  # whole calendar days (自然日)


class ClockError(ValueError):
    """A clock event or spec the arithmetic refuses; `code` is stable for callers to map."""

    code = "clock_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ClockOrderError(ClockError):
    """An event dated before the clock's last event (or a status asked for before it)."""

    code = "clock_event_out_of_order"


class ClockTransitionError(ClockError):
    """An event the clock's state does not allow: pause while paused, resume while running…"""

    code = "clock_invalid_transition"


class ClockExtensionError(ClockError):
    """An extension refused: no reason or approver, over the limit, or after the due time."""

    code = "clock_extension_refused"


def _is_days(mode: ClockMode) -> bool:
    return mode is not ClockMode.BUSINESS_HOURS


def _zero(mode: ClockMode) -> ClockAmount:
    return 0 if _is_days(mode) else _ZERO


def _check_amount(mode: ClockMode, amount: Any, what: str, *, allow_zero: bool = False) -> None:
    """Days as a positive int; business hours as a positive timedelta of whole minutes."""
    if _is_days(mode):
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ClockError(f"{what} of a {mode.value} clock must be a whole number of days.")
        if amount < 0 or (amount == 0 and not allow_zero):
            raise ClockError(f"{what} must be positive, got {amount}.")
        return
    if not isinstance(amount, dt.timedelta):
        raise ClockError(f"{what} of a business-hours clock must be a timedelta.")
    if amount < _ZERO or (amount == _ZERO and not allow_zero):
        raise ClockError(f"{what} must be positive, got {amount}.")
    if amount % dt.timedelta(minutes=1):
        raise ClockError(f"{what} must be whole minutes, got {amount}.")


def _add(a: ClockAmount, b: ClockAmount) -> ClockAmount:
    # Both operands are of the clock's unit; the checks above guarantee it.
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    raise ClockError("Amounts of different units cannot be added.")


def _subtract(a: ClockAmount, b: ClockAmount) -> ClockAmount:
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a - b
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    raise ClockError("Amounts of different units cannot be subtracted.")


def _is_positive(amount: ClockAmount) -> bool:
    return amount > _ZERO if isinstance(amount, dt.timedelta) else amount > 0


def _aware_utc(moment: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ClockError(f"{what} must be an aware datetime, got {moment!r}.")
    return moment.astimezone(dt.UTC)


# --- Specs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockSpec:
    """What a clock measures: a target in its mode's unit and when to warn.

    `warning_fraction` 0.2 warns once 20 % of the (extended) target or less remains.
    `max_extension` caps the total of approved extensions (None = no cap, 0 = none allowed).
    `code` names the policy the clock comes from (e.g. "complaint.decision").
    """

    target: ClockAmount
    mode: ClockMode
    warning_fraction: float = 0.2
    max_extension: ClockAmount | None = None
    code: str = ""

    def __post_init__(self) -> None:
        try:
            mode = ClockMode(self.mode)
        except ValueError:
            raise ClockError(f"Unknown clock mode {self.mode!r}.") from None
        object.__setattr__(self, "mode", mode)
        _check_amount(mode, self.target, "target")
        if self.max_extension is not None:
            _check_amount(mode, self.max_extension, "max_extension", allow_zero=True)
        fraction = self.warning_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ClockError(f"warning_fraction must be a number, got {fraction!r}.")
        if not 0 <= fraction <= 1:
            raise ClockError(f"warning_fraction must lie between 0 and 1, got {fraction}.")

    @classmethod
    def business_hours(cls, target: dt.timedelta, **options: Any) -> ClockSpec:
        return cls(target=target, mode=ClockMode.BUSINESS_HOURS, **options)

    @classmethod
    def working_days(cls, days: int, **options: Any) -> ClockSpec:
        return cls(target=days, mode=ClockMode.WORKING_DAYS, **options)

    @classmethod
    def calendar_days(cls, days: int, **options: Any) -> ClockSpec:
        return cls(target=days, mode=ClockMode.CALENDAR_DAYS, **options)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: {"code", "mode", "target_days" | "target_minutes", "warning_fraction",
        "max_extension_days" | "max_extension_minutes" (optional)}."""
        unit = "days" if _is_days(self.mode) else "minutes"
        data: dict[str, Any] = {
            "code": self.code,
            "mode": self.mode.value,
            f"target_{unit}": _amount_to_number(self.target),
            "warning_fraction": self.warning_fraction,
        }
        if self.max_extension is not None:
            data[f"max_extension_{unit}"] = _amount_to_number(self.max_extension)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClockSpec:
        if not isinstance(data, Mapping):
            raise ClockError(f"A clock spec must be a mapping, got {type(data).__name__}.")
        try:
            mode = ClockMode(str(data.get("mode")))
        except ValueError:
            raise ClockError(f"Unknown clock mode {data.get('mode')!r}.") from None
        unit = "days" if _is_days(mode) else "minutes"
        known = {"code", "mode", "warning_fraction", f"target_{unit}", f"max_extension_{unit}"}
        unknown = set(data) - known
        if unknown:
            listed = ", ".join(sorted(map(str, unknown)))
            raise ClockError(f"Unknown keys for a {mode.value} clock spec: {listed}.")
        if f"target_{unit}" not in data:
            raise ClockError(f"A {mode.value} clock spec needs 'target_{unit}'.")
        max_extension = data.get(f"max_extension_{unit}")
        return cls(
            target=_amount_from_number(mode, data[f"target_{unit}"], f"target_{unit}"),
            mode=mode,
            warning_fraction=data.get("warning_fraction", 0.2),
            max_extension=None
            if max_extension is None
            else _amount_from_number(mode, max_extension, f"max_extension_{unit}"),
            code=str(data.get("code", "")),
        )


def _amount_to_number(amount: ClockAmount) -> int:
    if isinstance(amount, dt.timedelta):
        return amount // dt.timedelta(minutes=1)
    return amount


def _amount_from_number(mode: ClockMode, value: Any, what: str) -> ClockAmount:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClockError(f"{what} must be a whole number, got {value!r}.")
    return value if _is_days(mode) else dt.timedelta(minutes=value)


# The regulatory and common clocks of DOMAIN.md §2 (China), as data the case engine seeds its
# SLA policies from. Complaints (2020 rules): calendar days; "30 if complex" is a retarget to
# COMPLAINT_DECISION_COMPLEX, "a further 30 with senior approval" an extension (capped at 30),
# time in appraisal or mediation a pause.
COMPLAINT_DECISION = ClockSpec.calendar_days(15, max_extension=30, code="complaint.decision")
COMPLAINT_DECISION_COMPLEX = ClockSpec.calendar_days(
    30, max_extension=30, code="complaint.decision_complex"
)
# The customer's window to ask for a review, counted from the decision; breached = closed.
COMPLAINT_REVIEW_REQUEST_WINDOW = ClockSpec.calendar_days(
    30, max_extension=0, code="complaint.review_request_window"
)
COMPLAINT_REVIEW_DECISION = ClockSpec.calendar_days(30, code="complaint.review_decision")

SERVICING_ACCEPTANCE = ClockSpec.working_days(2, code="servicing.acceptance")
SERVICING_CORRECTION_NOTICE = ClockSpec.working_days(5, code="servicing.correction_notice")
# From approval or full payment; medical-exam time is a pause.
SERVICING_COMPLETION = ClockSpec.working_days(5, code="servicing.completion")
NEW_BUSINESS_DEFECT_NOTICE = ClockSpec.working_days(5, code="new_business.defect_notice")
NEW_BUSINESS_ISSUE = ClockSpec.working_days(15, code="new_business.issue")
NEW_BUSINESS_DECISION_AFTER_EXAM = ClockSpec.working_days(
    15, code="new_business.decision_after_exam"
)
CALLBACK_PROBLEM_RESOLUTION = ClockSpec.working_days(15, code="callback.problem_resolution")
CLAIMS_DECISION = ClockSpec.working_days(5, code="claims.decision")
CLAIMS_DECISION_COMPLEX = ClockSpec.calendar_days(30, code="claims.decision_complex")
CLAIMS_DENIAL_NOTICE = ClockSpec.calendar_days(3, code="claims.denial_notice")
CLAIMS_PAYMENT = ClockSpec.calendar_days(10, code="claims.payment")
# Amount still undetermined: the determinable part is advance-paid by day 60.
CLAIMS_ADVANCE_PAYMENT = ClockSpec.calendar_days(60, code="claims.advance_payment")
SMALL_CLAIMS_DOCUMENT_NOTICE = ClockSpec.working_days(1, code="small_claims.document_notice")
SURRENDER_PAYMENT = ClockSpec.calendar_days(30, code="surrender.payment")
LAPSE_NOTICE = ClockSpec.working_days(10, code="lapse.notice")

STANDARD_CLOCKS: Mapping[str, ClockSpec] = types.MappingProxyType(
    {
        spec.code: spec
        for spec in (
            COMPLAINT_DECISION,
            COMPLAINT_DECISION_COMPLEX,
            COMPLAINT_REVIEW_REQUEST_WINDOW,
            COMPLAINT_REVIEW_DECISION,
            SERVICING_ACCEPTANCE,
            SERVICING_CORRECTION_NOTICE,
            SERVICING_COMPLETION,
            NEW_BUSINESS_DEFECT_NOTICE,
            NEW_BUSINESS_ISSUE,
            NEW_BUSINESS_DECISION_AFTER_EXAM,
            CALLBACK_PROBLEM_RESOLUTION,
            CLAIMS_DECISION,
            CLAIMS_DECISION_COMPLEX,
            CLAIMS_DENIAL_NOTICE,
            CLAIMS_PAYMENT,
            CLAIMS_ADVANCE_PAYMENT,
            SMALL_CLAIMS_DOCUMENT_NOTICE,
            SURRENDER_PAYMENT,
            LAPSE_NOTICE,
        )
    }
)


# --- Measuring -------------------------------------------------------------------------------


def _countable_days_from(
    mode: ClockMode, calendar: WorkingCalendar, first: dt.date
) -> Iterator[dt.date]:
    """Days that count for a day clock, from `first` (included) onwards."""
    if mode is ClockMode.CALENDAR_DAYS:
        day = first
        while True:
            yield day
            day += _DAY
    if calendar.is_working_day(first):
        yield first
    yield from calendar.working_days_after(first)


def _measure(
    mode: ClockMode,
    calendar: WorkingCalendar,
    started_on: dt.date,
    start: dt.datetime,
    end: dt.datetime,
) -> ClockAmount:
    """What a clock running over [start, end] accumulates."""
    if mode is ClockMode.BUSINESS_HOURS:
        return calendar.between(start, end)
    count = 0
    first = max(calendar.local_date(start) - _DAY, started_on + _DAY)
    for day in _countable_days_from(mode, calendar, first):
        day_end = calendar.end_of_day(day)
        if day_end > end:
            break
        if day_end > start:
            count += 1
    return count


def _locate(
    mode: ClockMode,
    calendar: WorkingCalendar,
    started_on: dt.date,
    start: dt.datetime,
    amount: ClockAmount,
) -> dt.datetime:
    """The earliest instant at which a clock running from `start` has accumulated `amount`."""
    if isinstance(amount, dt.timedelta):
        return calendar.add(start, amount)
    first = max(calendar.local_date(start) - _DAY, started_on + _DAY)
    counted = 0
    for day in _countable_days_from(mode, calendar, first):
        day_end = calendar.end_of_day(day)
        if day_end > start:
            counted += 1
            if counted >= amount:
                return day_end
    raise AssertionError("unreachable: countable days never run out")  # pragma: no cover


# --- State -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSegment:
    """A closed stretch the clock ran, with what it accumulated (frozen when it closed)."""

    start: dt.datetime
    end: dt.datetime
    elapsed: ClockAmount


@dataclass(frozen=True)
class Extension:
    amount: ClockAmount
    reason: str
    approved_by: ApproverId
    at: dt.datetime


@dataclass(frozen=True)
class ClockStatus:
    """A clock read at an instant. Amounts are in the clock's unit (timedelta or days)."""

    mode: ClockMode
    target: ClockAmount  # spec target plus extensions
    elapsed: ClockAmount
    remaining: ClockAmount  # target − elapsed; zero or negative once used up
    due_at: dt.datetime  # UTC; projected as if resumed now while paused
    due_on: dt.date | None  # the last counted local day, for day clocks
    time_left: dt.timedelta  # wall time from now (or the stop) to due_at; negative when late
    warning: bool  # not breached, not stopped, remaining ≤ warning_fraction × target
    # When the warning begins, projected like due_at (as if resumed now while paused); now
    # itself when already warning or breached; None once stopped.
    warning_at: dt.datetime | None
    breached: bool  # now (or the stop) is after due_at
    late_by: dt.timedelta | None  # wall time past due_at when breached
    met: bool | None  # stopped on time; None while not stopped
    running: bool
    paused: bool
    stopped: bool
    paused_total: dt.timedelta  # wall time spent paused, the current pause included


@dataclass(frozen=True)
class ClockState:
    """One clock of one case. Build with `ClockState.start` or `replay`; never mutate."""

    spec: ClockSpec
    started_at: dt.datetime
    last_event_at: dt.datetime
    segments: tuple[RunSegment, ...] = ()
    running_since: dt.datetime | None = None
    paused_since: dt.datetime | None = None
    paused_total: dt.timedelta = _ZERO
    extensions: tuple[Extension, ...] = ()
    stopped_at: dt.datetime | None = None

    @classmethod
    def start(cls, spec: ClockSpec, at: dt.datetime) -> ClockState:
        moment = _aware_utc(at, "at")
        return cls(spec=spec, started_at=moment, last_event_at=moment, running_since=moment)

    # --- Reading ---------------------------------------------------------------------------

    @property
    def mode(self) -> ClockMode:
        return self.spec.mode

    @property
    def is_running(self) -> bool:
        return self.running_since is not None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def accumulated(self) -> ClockAmount:
        """Elapsed over the closed run segments (the running one excluded)."""
        total = _zero(self.mode)
        for segment in self.segments:
            total = _add(total, segment.elapsed)
        return total

    @property
    def extended_by(self) -> ClockAmount:
        total = _zero(self.mode)
        for extension in self.extensions:
            total = _add(total, extension.amount)
        return total

    @property
    def target(self) -> ClockAmount:
        return _add(self.spec.target, self.extended_by)

    def status(self, now: dt.datetime, calendar: WorkingCalendar) -> ClockStatus:
        moment = self._checked(now, "now")
        reference = self.stopped_at if self.stopped_at is not None else moment
        started_on = calendar.local_date(self.started_at)
        segments = list(self.segments)
        if self.running_since is not None:
            live = _measure(self.mode, calendar, started_on, self.running_since, reference)
            segments.append(RunSegment(self.running_since, reference, live))
        elapsed = _zero(self.mode)
        for segment in segments:
            elapsed = _add(elapsed, segment.elapsed)
        target = self.target
        remaining = _subtract(target, elapsed)
        reached = self._reached_at(segments, target, calendar, started_on)
        if reached is not None:
            due_at = reached
        else:
            due_at = _locate(self.mode, calendar, started_on, reference, remaining)
        breached = reached is not None and reference > reached
        warning = not breached and not self.is_stopped and self._in_warning(remaining, target)
        warning_at: dt.datetime | None = None
        if not self.is_stopped:
            if warning or breached:
                warning_at = reference
            else:
                needed = _subtract(self._warning_elapsed(target), elapsed)
                warning_at = (
                    _locate(self.mode, calendar, started_on, reference, needed)
                    if _is_positive(needed)
                    else reference
                )
        paused_total = self.paused_total
        if self.paused_since is not None:
            paused_total += reference - self.paused_since
        return ClockStatus(
            mode=self.mode,
            target=target,
            elapsed=elapsed,
            remaining=remaining,
            due_at=due_at,
            due_on=calendar.local_date(due_at - _MICROSECOND) if _is_days(self.mode) else None,
            time_left=due_at - reference,
            warning=warning,
            warning_at=warning_at,
            breached=breached,
            late_by=reference - due_at if breached else None,
            met=(not breached) if self.is_stopped else None,
            running=self.is_running,
            paused=self.is_paused,
            stopped=self.is_stopped,
            paused_total=paused_total,
        )

    def _in_warning(self, remaining: ClockAmount, target: ClockAmount) -> bool:
        fraction = self.spec.warning_fraction
        if isinstance(remaining, dt.timedelta) and isinstance(target, dt.timedelta):
            return remaining <= target * fraction
        if isinstance(remaining, int) and isinstance(target, int):
            return remaining <= target * fraction
        raise ClockError("Amounts of different units cannot be compared.")

    def _warning_elapsed(self, target: ClockAmount) -> ClockAmount:
        """The least elapsed amount at which `_in_warning` holds."""
        fraction = self.spec.warning_fraction
        if isinstance(target, dt.timedelta):
            return target - target * fraction
        # remaining ≤ target × fraction, remaining whole: remaining ≤ floor(target × fraction)
        return target - math.floor(target * fraction)

    def _reached_at(
        self,
        segments: Iterable[RunSegment],
        target: ClockAmount,
        calendar: WorkingCalendar,
        started_on: dt.date,
    ) -> dt.datetime | None:
        """When the running total first reached `target`, or None if it has not."""
        total = _zero(self.mode)
        for segment in segments:
            after = _add(total, segment.elapsed)
            if _is_positive(segment.elapsed) and not _is_positive(_subtract(target, after)):
                needed = _subtract(target, total)
                moment = _locate(self.mode, calendar, started_on, segment.start, needed)
                return min(moment, segment.end)  # min: the calendar may have changed since
            total = after
        return None

    # --- Events ----------------------------------------------------------------------------

    def _checked(self, at: dt.datetime, what: str = "at") -> dt.datetime:
        moment = _aware_utc(at, what)
        if moment < self.last_event_at:
            raise ClockOrderError(
                f"{what} {moment.isoformat()} is before the clock's last event "
                f"{self.last_event_at.isoformat()}."
            )
        return moment

    def _refuse_if_stopped(self, action: str) -> None:
        if self.stopped_at is not None:
            raise ClockTransitionError(f"Cannot {action} a stopped clock.")

    def pause(self, at: dt.datetime, calendar: WorkingCalendar) -> ClockState:
        """Stop counting (waiting for the customer, appraisal, mediation, a medical exam)."""
        moment = self._checked(at)
        self._refuse_if_stopped("pause")
        if self.running_since is None:
            raise ClockTransitionError("Cannot pause a clock that is already paused.")
        return replace(
            self,
            segments=(*self.segments, self._close(self.running_since, moment, calendar)),
            running_since=None,
            paused_since=moment,
            last_event_at=moment,
        )

    def resume(self, at: dt.datetime) -> ClockState:
        moment = self._checked(at)
        self._refuse_if_stopped("resume")
        if self.paused_since is None:
            raise ClockTransitionError("Cannot resume a clock that is running.")
        return replace(
            self,
            running_since=moment,
            paused_since=None,
            paused_total=self.paused_total + (moment - self.paused_since),
            last_event_at=moment,
        )

    def stop(self, at: dt.datetime, calendar: WorkingCalendar) -> ClockState:
        """The target is done (met if on time); from running or paused. Final."""
        moment = self._checked(at)
        self._refuse_if_stopped("stop")
        segments = self.segments
        paused_total = self.paused_total
        if self.running_since is not None:
            segments = (*segments, self._close(self.running_since, moment, calendar))
        if self.paused_since is not None:
            paused_total += moment - self.paused_since
        return replace(
            self,
            segments=segments,
            running_since=None,
            paused_since=None,
            paused_total=paused_total,
            stopped_at=moment,
            last_event_at=moment,
        )

    def extend(
        self,
        amount: ClockAmount,
        *,
        reason: str,
        approved_by: ApproverId,
        at: dt.datetime,
        calendar: WorkingCalendar,
    ) -> ClockState:
        """Move the due time by `amount` of the clock's unit, with an approval and a reason."""
        moment = self._checked(at)
        self._refuse_if_stopped("extend")
        try:
            _check_amount(self.mode, amount, "An extension")
        except ClockError as error:
            raise ClockExtensionError(error.message) from None
        if not isinstance(reason, str) or not reason.strip():
            raise ClockExtensionError("An extension needs a reason.")
        if approved_by is None or (isinstance(approved_by, str) and not approved_by.strip()):
            raise ClockExtensionError("An extension needs the approver.")
        limit = self.spec.max_extension
        if limit is not None and _is_positive(_subtract(_add(self.extended_by, amount), limit)):
            raise ClockExtensionError(
                f"The extensions would exceed the {limit} this clock allows "
                f"({self.extended_by} already granted)."
            )
        current = self.status(moment, calendar)
        if current.breached:
            raise ClockExtensionError(
                f"The clock was due at {current.due_at.isoformat()}; an extension must be "
                "approved before the due time."
            )
        extension = Extension(
            amount=amount, reason=reason.strip(), approved_by=approved_by, at=moment
        )
        return replace(self, extensions=(*self.extensions, extension), last_event_at=moment)

    def retarget(self, spec: ClockSpec, at: dt.datetime, calendar: WorkingCalendar) -> ClockState:
        """Apply a new SLA to the clock, keeping what it accumulated (see the module docstring)."""
        moment = self._checked(at)
        self._refuse_if_stopped("retarget")
        segments = self.segments
        if spec.mode is not self.mode:
            if self.extensions:
                raise ClockTransitionError(
                    "Cannot change the unit of a clock that has extensions in the old unit."
                )
            started_on = calendar.local_date(self.started_at)
            segments = tuple(
                RunSegment(
                    segment.start,
                    segment.end,
                    _measure(spec.mode, calendar, started_on, segment.start, segment.end),
                )
                for segment in segments
            )
        return replace(self, spec=spec, segments=segments, last_event_at=moment)

    def _close(self, start: dt.datetime, end: dt.datetime, calendar: WorkingCalendar) -> RunSegment:
        started_on = calendar.local_date(self.started_at)
        return RunSegment(start, end, _measure(self.mode, calendar, started_on, start, end))

    def apply(self, event: ClockEvent, calendar: WorkingCalendar) -> ClockState:
        """The state after one more event of the clock's history."""
        kind = event.kind
        if kind is ClockEventKind.START:
            raise ClockTransitionError("The clock has already started.")
        if kind is ClockEventKind.PAUSE:
            return self.pause(event.at, calendar)
        if kind is ClockEventKind.RESUME:
            return self.resume(event.at)
        if kind is ClockEventKind.STOP:
            return self.stop(event.at, calendar)
        if kind is ClockEventKind.EXTEND:
            if event.amount is None or event.approved_by is None:
                raise ClockExtensionError("An extension event needs an amount and an approver.")
            return self.extend(
                event.amount,
                reason=event.reason,
                approved_by=event.approved_by,
                at=event.at,
                calendar=calendar,
            )
        if event.spec is None:
            raise ClockTransitionError("A retarget event needs the new spec.")
        return self.retarget(event.spec, event.at, calendar)


# --- Event log -------------------------------------------------------------------------------


class ClockEventKind(enum.StrEnum):
    START = "start"  # needs spec
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    EXTEND = "extend"  # needs amount, reason, approved_by
    RETARGET = "retarget"  # needs spec


@dataclass(frozen=True)
class ClockEvent:
    """One entry of a clock's history, as the case timeline stores it (`to_dict`)."""

    kind: ClockEventKind
    at: dt.datetime
    spec: ClockSpec | None = None
    amount: ClockAmount | None = None
    reason: str = ""
    approved_by: ApproverId | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "at": _aware_utc(self.at, "at").isoformat(),
        }
        if self.spec is not None:
            data["spec"] = self.spec.to_dict()
        if self.amount is not None:
            if isinstance(self.amount, dt.timedelta):
                data["amount_minutes"] = _amount_to_number(self.amount)
            else:
                data["amount_days"] = self.amount
        if self.reason:
            data["reason"] = self.reason
        if self.approved_by is not None:
            data["approved_by"] = self.approved_by
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClockEvent:
        try:
            kind = ClockEventKind(data["kind"])
            at = dt.datetime.fromisoformat(data["at"])
        except (KeyError, TypeError, ValueError):
            raise ClockError(f"Not a clock event: {data!r}.") from None
        amount: ClockAmount | None = None
        if "amount_minutes" in data:
            amount = _amount_from_number(ClockMode.BUSINESS_HOURS, data["amount_minutes"], "amount")
        elif "amount_days" in data:
            amount = _amount_from_number(ClockMode.WORKING_DAYS, data["amount_days"], "amount")
        spec_data = data.get("spec")
        return cls(
            kind=kind,
            at=_aware_utc(at, "at"),
            spec=None if spec_data is None else ClockSpec.from_dict(spec_data),
            amount=amount,
            reason=str(data.get("reason", "")),
            approved_by=data.get("approved_by"),
        )


def replay(events: Iterable[ClockEvent], calendar: WorkingCalendar) -> ClockState:
    """Rebuild a clock from its history; the first event must be START (with its spec)."""
    state: ClockState | None = None
    for event in events:
        if state is None:
            if event.kind is not ClockEventKind.START or event.spec is None:
                raise ClockTransitionError(
                    "A clock's history must begin with a start and its spec."
                )
            state = ClockState.start(event.spec, event.at)
        else:
            state = state.apply(event, calendar)
    if state is None:
        raise ClockTransitionError("A clock's history is empty.")
    return state

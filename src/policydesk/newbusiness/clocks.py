"""Working-day arithmetic and the clock stops the new-business rules need beyond the engine.

The engine stops a clock when the case is resolved or closed, or at the first response. The
new-business clocks end at other moments: the defect-notice clock when the notice goes out
(or the review passes clean), the no-exam issue clock when an exam is ordered (it no longer
applies), the after-exam clock at the underwriting decision. `clock_stop` records such a
stop exactly as the engine records its own (a STOP clock event, the "clock stopped" timeline
line with met/late, the case's due moments refreshed).
"""

from __future__ import annotations

import datetime as dt

from policydesk.cases import clocks as engine
from policydesk.cases.models import Case, EventType
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.sla_clock import ClockEvent, ClockEventKind
from policydesk.org.models import Staff

DEFECT_NOTICE = "defect-notice"
ISSUE_NO_EXAM = "issue-no-exam"
EXAM_DECISION = "exam-decision"


def clock_stop(
    case: Case, code: str, *, at: dt.datetime, by: Staff | None, reason: str = ""
) -> bool:
    """Stop the case's running clock `code` at `at`; False when there is none to stop.
    Call inside the transaction that holds the case's row lock."""
    calendar = engine.calendar_for(case.branch)
    clock = case.clocks.select_for_update().filter(code=code).first()
    if clock is None:
        return False
    state = engine.clock_state(clock, calendar)
    if state.is_stopped:
        return False
    engine._append(clock, ClockEvent(ClockEventKind.STOP, at))
    state = engine.clock_state(clock, calendar)
    status = state.status(at, calendar)
    engine._event(
        case,
        EventType.CLOCK_MET,
        clock,
        at,
        by,
        met=bool(status.met),
        late_seconds=int(status.late_by.total_seconds()) if status.late_by else 0,
        reason=reason,
    )
    engine._denormalise(clock, state, at, calendar)
    clock.save()
    engine.refresh_case(case)
    return True


def working_days_between(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 on the same day): the day of
    receipt does not count, as "within n working days" reads."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def working_days_before(calendar: WorkingCalendar, day: dt.date, n: int) -> dt.date:
    """The local day `n` working days before `day` (an application received on it or
    earlier has waited at least n working days by `day`)."""
    while n > 0:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day

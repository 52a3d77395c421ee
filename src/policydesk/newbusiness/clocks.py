"""Working-day arithmetic and the clock stops the new-business rules need beyond the engine.

The engine stops a clock when the case is resolved or closed, or at the first response. The
new-business clocks end at other moments: the defect-notice clock when the notice goes out
(or the review passes clean), the no-exam issue clock when an exam is ordered (it no longer
applies), the after-exam clock at the underwriting decision. Such a stop is the engine's
system-side `cases.clocks.clock_stop` (re-exported here for the services), recorded exactly
as the engine records its own (a STOP clock event, the "clock stopped" timeline line with
met/late, the case's due moments refreshed).
"""

from __future__ import annotations

import datetime as dt

from policydesk.cases.clocks import clock_stop
from policydesk.core.business_time import WorkingCalendar

DEFECT_NOTICE = "defect-notice"
ISSUE_NO_EXAM = "issue-no-exam"
EXAM_DECISION = "exam-decision"

__all__ = [
    "DEFECT_NOTICE",
    "EXAM_DECISION",
    "ISSUE_NO_EXAM",
    "clock_stop",
    "working_days_before",
    "working_days_between",
]


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

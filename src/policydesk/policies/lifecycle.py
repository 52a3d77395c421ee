"""The policy lifecycle of DOMAIN.md §3 as data: which status may follow which.

Terminal statuses (models.TERMINAL_STATUSES) have no way out. A lapsed policy (中止) can be
reinstated (复效) only within REINSTATEMENT_WINDOW_YEARS of the lapse.
"""

from __future__ import annotations

import datetime as dt

from .models import TERMINAL_STATUSES, PolicyStatus

REINSTATEMENT_WINDOW_YEARS = 2

S = PolicyStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.UNDERWRITING, S.ISSUED, S.DECLINED, S.WITHDRAWN}),
    S.UNDERWRITING: frozenset({S.ISSUED, S.DECLINED, S.WITHDRAWN}),
    # In cooling-off (犹豫期): it becomes in force, is cancelled, or a claim ends it.
    S.ISSUED: frozenset({S.IN_FORCE, S.CANCELLED_COOLING_OFF, S.CLAIM_TERMINATED}),
    S.IN_FORCE: frozenset({S.IN_GRACE, S.SURRENDERED, S.MATURED, S.CLAIM_TERMINATED}),
    # Grace period (宽限期): paid → back in force; unpaid after 60 days → lapsed.
    S.IN_GRACE: frozenset({S.IN_FORCE, S.LAPSED, S.SURRENDERED, S.CLAIM_TERMINATED}),
    # A lapsed policy keeps its surrender value; reinstatement is time-limited.
    S.LAPSED: frozenset({S.REINSTATED, S.SURRENDERED}),
    S.REINSTATED: frozenset({S.IN_FORCE, S.IN_GRACE, S.SURRENDERED, S.MATURED, S.CLAIM_TERMINATED}),
    **{status: frozenset() for status in TERMINAL_STATUSES},
}


def can_follow(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED_TRANSITIONS.get(from_status, frozenset())


def reinstatement_deadline(lapsed_on: dt.date) -> dt.date:
    """The last day a policy lapsed on `lapsed_on` may be reinstated.

    A lapse on 29 February runs to 1 March: the customer does not lose the day.
    """
    year = lapsed_on.year + REINSTATEMENT_WINDOW_YEARS
    try:
        return lapsed_on.replace(year=year)
    except ValueError:
        return dt.date(year, 3, 1)

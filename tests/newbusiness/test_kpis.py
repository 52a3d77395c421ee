"""KPIs of DOMAIN.md §4, items 5–8: issue time (mean, p90, working days), on-time issue,
stalled rate, withdrawal and refund rates by reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from policydesk.newbusiness import selectors, services

from .conftest import Desk, at_day, register, to_premium_received, to_underwriting


def _issued(desk: Desk, received_day: int, issued_day: int, number: str) -> None:
    application = to_premium_received(
        desk, register(desk, at=at_day(received_day)), at_day(received_day)
    )
    services.application_issue(
        application=application, policy_number=number, by=desk.underwriter, at=at_day(issued_day)
    )


def test_issue_time_on_time_stalled_and_exit_rates(desk: Desk) -> None:
    _issued(desk, 0, 2, "K-1")  # Tue 1 → Thu 3 Sept: 2 working days
    _issued(desk, 0, 6, "K-2")  # → Mon 7: 4 working days
    _issued(desk, 0, 27, "K-3")  # → Mon 28: 19 working days (make-up Sunday in, Mid-Autumn out)
    stalled = to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    services.application_exit(
        application=register(desk, at=at_day(1)),
        kind="withdrawn",
        reason="duplicate",
        by=desk.world.teller_a,
        at=at_day(1),
    )
    services.application_exit(
        application=register(desk, at=at_day(1)),
        kind="withdrawn",
        reason="duplicate",
        by=desk.world.teller_a,
        at=at_day(2),
    )
    kpis = selectors.newbusiness_kpis(
        desk.world.teller_a,
        since=dt.date(2026, 9, 1),
        until=dt.date(2026, 9, 30),
        now=at_day(29),
    )
    assert kpis.received == 6 and kpis.issued == 3
    assert kpis.mean_issue_working_days == Decimal("8.33")  # (2 + 4 + 19) / 3
    assert kpis.p90_issue_working_days == 19
    assert (kpis.issued_on_time, kpis.on_time_percent) == (2, Decimal("66.7"))
    # Open: three issued but not delivered, one in underwriting. Stalled: the underwriting one
    # and the two issued more than 10 working days ago (not K-3, issued on the 28th).
    assert (kpis.open_now, kpis.stalled_now) == (4, 3)
    assert stalled.pk  # the underwriting one is among the stalled
    duplicate = next(r for r in kpis.exits if r.code == "duplicate")
    assert (duplicate.kind, duplicate.count, duplicate.rate_percent) == (
        "withdrawn",
        2,
        Decimal("33.3"),
    )
    assert kpis.withdrawal_percent == Decimal("33.3") and kpis.refund_percent == Decimal("0.0")
    assert [m.month for m in kpis.by_month] == ["2026-09"]


def test_kpis_count_nothing_of_another_branch(desk: Desk) -> None:
    _issued(desk, 0, 2, "K-9")
    kpis = selectors.newbusiness_kpis(
        desk.world.manager_b, since=dt.date(2026, 9, 1), until=dt.date(2026, 9, 30)
    )
    assert (kpis.received, kpis.issued, kpis.open_now) == (0, 0, 0)
    assert kpis.mean_issue_working_days is None

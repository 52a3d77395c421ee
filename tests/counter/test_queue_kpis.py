"""Queue KPIs: mean and p90 wait (first call − issue), service time, satisfaction (ratings
4–5 ÷ ratings), unrated share per teller, by hour of day."""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from policydesk.core.errors import NotVisible, PermissionRefused
from policydesk.counter import selectors, services
from policydesk.counter.models import RatingOutcome
from policydesk.org.models import Role
from tests import factories
from tests.counter.conftest import MORNING, Hall, issue, minutes, serve_through


def _minutes(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _nearest_rank_p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 9 / 10) - 1]


@pytest.fixture
def served(hall: Hall) -> dict[str, list]:
    """Twenty tickets served one after the other by two tellers, with drawn waits, service
    times and ratings; returns what was drawn so the test computes the expected figures."""
    rng = random.Random(7)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.window_open(window=hall.window_2, by=hall.claims_teller, at=MORNING)
    drawn: dict[str, list] = {"waits": [], "services": [], "ratings": [], "tellers": []}
    clock = MORNING
    for n in range(20):
        teller = hall.servicing_teller if n % 2 else hall.claims_teller
        wait = rng.randint(1, 40)
        service = rng.randint(3, 25)
        rating = rng.choice([5, 5, 4, 3, 2, None])
        issued_at = clock
        ticket = issue(hall, hall.servicing, issued_at)
        serve_through(
            ticket,
            teller,
            called_at=issued_at + minutes(wait),
            service_minutes=service,
            rating=rating,
            rating_outcome="" if rating is not None else RatingOutcome.DECLINED,
        )
        clock = issued_at + minutes(wait + service + 2)
        drawn["waits"].append(wait * 60.0)
        drawn["services"].append(service * 60.0)
        drawn["ratings"].append(rating)
        drawn["tellers"].append(teller.pk)
    return drawn


def test_wait_service_and_satisfaction_figures(hall: Hall, served: dict[str, list]) -> None:
    kpis = selectors.counter_kpis(
        hall.world.manager_a,
        branch=hall.world.branch_a,
        period=selectors.month_period("2026-03", "2026-03"),
    )
    figures = kpis.overall
    waits, times, ratings = served["waits"], served["services"], served["ratings"]
    assert figures.tickets == 20 and figures.completed == 20
    assert figures.wait_mean == _minutes(sum(waits) / len(waits))
    assert figures.wait_p90 == _minutes(_nearest_rank_p90(waits))
    # Service = completion − service start (the start is a minute after the call).
    assert figures.service_mean == _minutes(sum(times) / len(times))
    given = [r for r in ratings if r is not None]
    expected = (Decimal(sum(r >= 4 for r in given)) * 100 / len(given)).quantize(Decimal("0.1"))
    assert figures.satisfaction == expected


def test_unrated_share_is_reported_per_teller(hall: Hall, served: dict[str, list]) -> None:
    kpis = selectors.counter_kpis(
        hall.world.manager_a,
        branch=hall.world.branch_a,
        period=selectors.month_period("2026-03", "2026-03"),
    )
    by_teller = {row.teller_id: row for row in kpis.tellers}
    for teller in (hall.servicing_teller, hall.claims_teller):
        mine = [
            r for r, t in zip(served["ratings"], served["tellers"], strict=True) if t == teller.pk
        ]
        row = by_teller[teller.pk]
        unrated = sum(r is None for r in mine)
        assert row.figures.completed == len(mine)
        assert row.figures.unrated == unrated
        assert row.figures.unrated_share == (Decimal(unrated) * 100 / len(mine)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        if unrated:
            assert row.unrated_reasons == {"declined": unrated}


def test_figures_by_hour_of_issue_follow_local_time(hall: Hall, served: dict[str, list]) -> None:
    kpis = selectors.counter_kpis(
        hall.world.manager_a,
        branch=hall.world.branch_a,
        period=selectors.month_period("2026-03", "2026-03"),
    )
    hours = dict(kpis.by_hour)
    assert min(hours) == 9  # the first ticket was issued at 09:00 Shanghai time
    assert sum(f.tickets for f in hours.values()) == 20


def test_no_show_tickets_count_in_waits_but_not_in_service(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(10))
    assert ticket is not None
    for n in range(2):
        services.ticket_recall(
            ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(11 + n)
        )
    services.ticket_no_show(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(14))
    figures = selectors.counter_kpis(
        hall.world.manager_a,
        branch=hall.world.branch_a,
        period=selectors.month_period("2026-03", "2026-03"),
    ).overall
    assert figures.no_shows == 1 and figures.wait_mean == Decimal("10.0")
    assert figures.completed == 0 and figures.service_mean is None


def test_kpis_of_another_branch_are_not_visible(hall: Hall) -> None:
    with pytest.raises(NotVisible):
        selectors.counter_kpis(
            hall.world.manager_b,
            branch=hall.world.branch_a,
            period=selectors.month_period("2026-03", "2026-03"),
        )


def test_a_role_without_counter_view_is_refused(hall: Hall) -> None:
    campaigns = factories.staff(Role.CAMPAIGN_MANAGER, hall.world.branch_a)
    with pytest.raises(PermissionRefused):
        selectors.counter_kpis(
            campaigns,
            branch=hall.world.branch_a,
            period=selectors.month_period("2026-03", "2026-03"),
        )

"""Transactions per teller and per post: new business, servicing and claims opened at the
branch, per person and post, and the branch figure per front teller and per month with the
divisors stated (the seed: 37,363 ÷ 5 front tellers = 7,472.6; ÷ 10 months = 747.26)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from policydesk.cases.models import Case, Process
from policydesk.core.errors import NotVisible, PermissionRefused
from policydesk.counter import selectors
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.org.models import Branch, Role, Staff
from tests import factories
from tests.conftest import World, signed_in
from tests.counter.conftest import SHANGHAI, Hall, ensure_process

KINDS = ("newbusiness", "servicing", "claim")
YEAR = selectors.Period(first=dt.date(2026, 1, 1), last=dt.date(2026, 10, 31))


def _cases(
    branch: Branch, by: Staff, kind: str, n: int, *, start: dt.datetime, rng: random.Random
) -> None:
    items = [
        HistoricCase(
            branch=branch,
            subject=f"{kind} {i}",
            opened_at=start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 290)),
            channel="counter",
            opened_by_id=by.pk,
        )
        for i in range(n)
    ]
    bulk_historic_cases(process_code=kind, items=items)


@pytest.fixture
def tellers(hall: Hall) -> list[Staff]:
    for kind in KINDS:
        ensure_process(kind)
    extra = [factories.staff(Role.FRONT_TELLER, hall.world.branch_a) for _ in range(2)]
    return [hall.world.teller_a, hall.servicing_teller, hall.claims_teller, *extra]


def test_per_person_per_post_and_per_front_teller_with_divisors(
    hall: Hall, tellers: list[Staff]
) -> None:
    rng = random.Random(3)
    start = dt.datetime(2026, 1, 2, 9, tzinfo=SHANGHAI)
    drawn: dict[tuple[int, str], int] = {}
    back_office = factories.staff(Role.BACK_OFFICE, hall.world.branch_a)
    for person in [*tellers, hall.world.manager_a, back_office]:
        for kind in KINDS:
            n = rng.randint(1, 12)
            drawn[(person.pk, kind)] = n
            _cases(hall.world.branch_a, person, kind, n, start=start, rng=rng)
    # Not counted: another branch, and a case opened before the period.
    _cases(hall.world.branch_b, hall.world.teller_b, "servicing", 4, start=start, rng=rng)
    bulk_historic_cases(
        process_code="claim",
        items=[
            HistoricCase(
                branch=hall.world.branch_a,
                subject="last year",
                opened_at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=SHANGHAI),
                channel="counter",
                opened_by_id=hall.world.teller_a.pk,
            )
        ],
    )
    result = selectors.productivity(hall.world.manager_a, branch=hall.world.branch_a, period=YEAR)
    total = sum(drawn.values())
    assert result.total == total
    assert result.front_tellers == 5 and result.months == 10
    assert result.per_front_teller == (Decimal(total) / 5).quantize(Decimal("0.01"))
    assert result.per_front_teller_per_month == (Decimal(total) / 50).quantize(Decimal("0.01"))
    people = {row.staff_id: row for row in result.people}
    for (staff_id, kind), n in drawn.items():
        assert people[staff_id].counts[kind] == n
    posts = {row.post: row for row in result.posts}
    assert posts[Role.COUNTER_MANAGER].total == sum(
        n for (pk, _), n in drawn.items() if pk == hall.world.manager_a.pk
    )
    assert posts[Role.FRONT_TELLER].total == sum(
        n for (pk, _), n in drawn.items() if pk in {t.pk for t in tellers}
    )
    assert ("counter_manager", "Counter manager") in result.excluded_posts
    assert ("back_office", "Back-office processor") in result.excluded_posts


def test_the_seed_branch_reads_7472_6_per_teller_and_747_26_per_month(
    hall: Hall, tellers: list[Staff]
) -> None:
    """8,164 applications + 26,491 servicing + 2,708 claims, spread over the five tellers."""
    rng = random.Random(11)
    start = dt.datetime(2026, 1, 2, 9, tzinfo=SHANGHAI)
    rows: list[Case] = []
    for kind, n in (("newbusiness", 8164), ("servicing", 26491), ("claim", 2708)):
        # One template case per kind and teller, copied: 37,363 rows in one bulk insert (the
        # timelines bulk_historic_cases adds are not what is counted here).
        process = Process.objects.select_related("current_version").get(code=kind)
        assert process.current_version is not None
        state = process.current_version.states.get(is_initial=True)
        for i in range(n):
            rows.append(
                Case(
                    number=f"{kind[:2]}-{i}",
                    process=process,
                    process_version=process.current_version,
                    state=state,
                    channel="counter",
                    branch=hall.world.branch_a,
                    subject=kind,
                    opened_at=start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 290)),
                    opened_by=tellers[i % 5],
                )
            )
    Case.objects.bulk_create(rows, batch_size=5000)
    result = selectors.productivity(hall.world.manager_a, branch=hall.world.branch_a, period=YEAR)
    assert result.totals == {"newbusiness": 8164, "servicing": 26491, "claim": 2708}
    assert result.per_front_teller == Decimal("7472.6")
    assert result.per_front_teller_per_month == Decimal("747.26")
    # The page renders the same figures, per person and post, with its divisors.
    page = signed_in(hall.world.manager_a).get(
        "/counter/productivity/?from_month=2026-01&to_month=2026-10", HTTP_ACCEPT_LANGUAGE="en"
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "<strong>7472.60</strong> = 37363 ÷ 5 front tellers" in body
    assert "<strong>747.26</strong> = 7472.60 ÷ 10 months" in body


def test_an_inactive_teller_is_not_a_divisor(hall: Hall, tellers: list[Staff]) -> None:
    Staff.objects.filter(pk=tellers[-1].pk).update(is_active=False)
    result = selectors.productivity(hall.world.manager_a, branch=hall.world.branch_a, period=YEAR)
    assert result.front_tellers == 4
    assert result.total == 0 and result.per_front_teller == Decimal("0.00")


def test_months_count_the_calendar_months_of_the_period() -> None:
    period = selectors.month_period("2026-02", "2026-04")
    assert period is not None
    assert period.months == 3 and period.last == dt.date(2026, 4, 30)
    assert selectors.month_period("2026-05", "2026-04") is None
    assert selectors.month_period("2026-13", "2026-14") is None


def test_a_teller_may_not_see_productivity(hall: Hall) -> None:
    with pytest.raises(PermissionRefused):
        selectors.productivity(hall.world.teller_a, branch=hall.world.branch_a, period=YEAR)


def test_another_branch_is_not_visible(world: World, hall: Hall) -> None:
    with pytest.raises(NotVisible):
        selectors.productivity(world.manager_b, branch=world.branch_a, period=YEAR)

"""The demo's year of servicing: exactly round(26,491 × scale) items in the operations
period, mostly received by the front tellers at the counter, surrender reasons by product
line, a few open items with running clocks, and nothing on a second call."""

from __future__ import annotations

import datetime as dt
import time

from django.db.models import Count

from policydesk.cases.models import CaseClock
from policydesk.org.models import Role
from policydesk.servicing.demo import servicing_demo
from policydesk.servicing.models import ServicingItem
from tests import factories

from .conftest import Desk

AS_OF = dt.date(2026, 12, 1)


def _branch_with_policies(desk: Desk) -> None:
    branch = desk.world.branch_a
    for number in range(2, 6):
        factories.staff(Role.FRONT_TELLER, branch, username=f"teller-extra-{number}")
    participating = factories.product(line="participating")
    for index in range(12):
        holder = factories.customer(branch)
        factories.policy(
            holder,
            product_=participating if index % 2 else None,
            application_date=dt.date(2024, 1, 5),
        )


def test_the_demo_creates_the_scaled_count_in_the_operations_period_and_nothing_twice(
    desk: Desk,
) -> None:
    _branch_with_policies(desk)
    started = time.monotonic()
    counts = servicing_demo(branch=desk.world.branch_a, seed=7, as_of=AS_OF, scale=0.02)
    assert time.monotonic() - started < 60
    expected = round(26491 * 0.02)
    assert counts["servicing_items"] == expected
    items = ServicingItem.objects.filter(case__branch=desk.world.branch_a)
    assert items.count() == expected
    assert counts["open"] > 0 and counts["historic"] == expected - counts["open"]
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    last = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert not items.exclude(received_at__gte=first, received_at__lt=last).exists()
    by_receiver = items.values("case__opened_by__role").annotate(n=Count("id"))
    tellers = sum(r["n"] for r in by_receiver if r["case__opened_by__role"] == Role.FRONT_TELLER)
    assert tellers > 0.8 * expected
    assert items.filter(case__channel="counter").count() > 0.7 * expected
    assert CaseClock.objects.filter(case__servicing_item__is_historic=False).exists()
    again = servicing_demo(branch=desk.world.branch_a, seed=7, as_of=AS_OF, scale=0.02)
    assert again == {"servicing_items": 0, "historic": 0, "open": 0}
    assert items.count() == expected


def test_historic_items_carry_their_kpi_moments_and_surrender_reasons(desk: Desk) -> None:
    _branch_with_policies(desk)
    servicing_demo(branch=desk.world.branch_a, seed=3, as_of=AS_OF, scale=0.02)
    historic = ServicingItem.objects.filter(is_historic=True)
    done = historic.filter(done_at__isnull=False)
    assert done.exists()
    assert not done.filter(duration_working_days__isnull=True).exists()
    assert not done.filter(completed_on_time__isnull=True).exists()
    surrenders = historic.filter(item_type__code="surrender", done_at__isnull=False)
    assert not surrenders.filter(surrender_reason="").exists()

"""The demo's year of new business: exactly round(count × scale) applications per source
system in the operations period, mostly received by the front tellers at the counter, with
defects, exits and their reasons, a few open applications with running clocks, and nothing
on a second call."""

from __future__ import annotations

import datetime as dt
import time

from django.db.models import Count

from policydesk.cases.models import CaseClock
from policydesk.newbusiness.demo import newbusiness_demo
from policydesk.newbusiness.models import Application, DefectNotice
from policydesk.org.models import Role
from tests import factories

from .conftest import Desk

AS_OF = dt.date(2026, 12, 1)


def _branch(desk: Desk) -> None:
    branch = desk.world.branch_a
    for number in range(2, 6):
        factories.staff(Role.FRONT_TELLER, branch, username=f"teller-extra-{number}")
    card = factories.product(
        "SC-02",
        line="accident",
        term="short",
        cooling_off_days={"CN": 15},
        payment_modes=["single"],
    )
    for index in range(30):
        holder = factories.customer(branch)
        factories.policy(
            holder,
            product_=desk.long_product if index % 3 else card,
            application_date=dt.date(2026, 3, 5),
            payment_mode="annual" if index % 3 else "single",
            agent=desk.agent,
        )


def test_the_demo_creates_the_scaled_counts_in_the_operations_period_and_nothing_twice(
    desk: Desk,
) -> None:
    _branch(desk)
    started = time.monotonic()
    counts = newbusiness_demo(branch=desk.world.branch_a, seed=11, as_of=AS_OF, scale=0.05)
    assert time.monotonic() - started < 90
    expected = {
        "long_term_core": round(4887 * 0.05),
        "short_term_card": round(2814 * 0.05),
        "short_term_group": round(463 * 0.05),
    }
    for source, count in expected.items():
        assert counts[source] == count
        assert Application.objects.filter(source_system=source).count() == count
    total = sum(expected.values())
    assert counts["applications"] == total and counts["open"] > 0
    applications = Application.objects.filter(case__branch=desk.world.branch_a)
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    last = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert not applications.exclude(received_at__gte=first, received_at__lt=last).exists()
    by_receiver = applications.values("case__opened_by__role").annotate(n=Count("id"))
    tellers = sum(r["n"] for r in by_receiver if r["case__opened_by__role"] == Role.FRONT_TELLER)
    assert tellers > 0.8 * total
    assert applications.filter(case__channel="counter").count() > 0.7 * total
    assert applications.filter(exit_kind="withdrawn").exclude(exit_reason="").exists()
    assert DefectNotice.objects.exists()
    assert applications.filter(policy__isnull=False).exists()
    assert CaseClock.objects.filter(case__application__in=applications).exists()
    again = newbusiness_demo(branch=desk.world.branch_a, seed=11, as_of=AS_OF, scale=0.05)
    assert again["applications"] == 0 and sum(again.values()) == 0
    assert applications.count() == total

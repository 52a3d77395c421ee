"""The register (filters, keyset pages, bounded counts) and the KPI panel (KPI 21)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policydesk.complaints import selectors
from policydesk.complaints.selectors import RegisterFilters
from tests.complaints.conftest import Sale, cause, days_later, decide, investigate, log
from tests.conftest import World, signed_in


def test_decided_on_time_counts_the_regulatory_clocks_met_among_those_decided(
    world: World, sale: Sale
) -> None:
    on_time = investigate(log(world, sale), world.manager_a, days_later(1))
    decide(on_time, world.manager_a, days_later(10))
    late = investigate(log(world, sale), world.manager_a, days_later(1))
    decide(late, world.manager_a, days_later(20))
    log(world, sale)  # still open: not in the divisor
    kpis = selectors.complaint_kpis(world.manager_a, now=days_later(30))
    assert (kpis.logged, kpis.decided, kpis.decided_on_time) == (3, 2, 1)
    assert kpis.on_time_rate == Decimal("50.0")
    # One live policy in branch A: 3 complaints × 10,000 ÷ 1.
    assert kpis.live_policies == 1
    assert kpis.per_10000_policies == Decimal("30000.00")
    assert {bar.code: bar.value for bar in kpis.by_root_cause} == {"mis-selling": 2, "": 1}


def test_the_register_filters_by_root_cause_channel_and_overdue(world: World, sale: Sale) -> None:
    phoned = log(world, sale, channel="phone", root_cause=cause("service-delay"))
    log(world, sale, channel="counter", root_cause=cause("privacy"))
    by_cause = selectors.complaint_register(
        world.manager_a, filters=RegisterFilters(root_cause="service-delay")
    )
    assert [c.pk for c in by_cause.page.items] == [phoned.pk]
    by_channel = selectors.complaint_register(
        world.manager_a, filters=RegisterFilters(channel="phone")
    )
    assert [c.pk for c in by_channel.page.items] == [phoned.pk]
    overdue = selectors.complaint_register(
        world.manager_a, filters=RegisterFilters(overdue=True), now=days_later(40)
    )
    assert overdue.count.value == 2


def test_the_register_pages_newest_first(world: World, sale: Sale) -> None:
    made = [log(world, sale) for _ in range(3)]
    first = selectors.complaint_register(world.manager_a, limit=2)
    assert [c.pk for c in first.page.items] == [made[2].pk, made[1].pk]
    rest = selectors.complaint_register(world.manager_a, after=first.page.next_cursor, limit=2)
    assert [c.pk for c in rest.page.items] == [made[0].pk]
    assert first.count.value == 3


def test_the_register_page_shows_the_kpis_with_their_divisor_in_bounded_queries(
    world: World, sale: Sale, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        log(world, sale)
    client = signed_in(world.manager_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.get("/complaints/")  # warm the session and permission caches
    with django_assert_max_num_queries(25):
        response = client.get("/complaints/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "10,000" in body and "live policies" in body
    assert body.count("/complaints/") >= 5


def test_the_intake_page_logs_a_complaint_and_opens_its_detail(world: World, sale: Sale) -> None:
    client = signed_in(world.teller_a)
    assert client.get("/complaints/new/").status_code == 200
    response = client.post(
        "/complaints/new/",
        {
            "channel": "counter",
            "branch": world.branch_a.pk,
            "customer_number": sale.customer.number,
            "policy_number": sale.policy.number,
            "subject": "Queue too long",
            "description": "Waited 90 minutes.",
            "root_cause": cause("other").pk,
        },
    )
    assert response.status_code == 302, response.content
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Queue too long" in detail.content.decode()

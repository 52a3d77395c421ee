"""Open contact defects counted by channel and intermediary, scoped to the viewer."""

from __future__ import annotations

import pytest

from policydesk.customers import services
from policydesk.customers.quality_report import NO_POLICY, bars_by_defect, defect_counts
from policydesk.policies.models import Intermediary
from tests import factories
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def with_prefixed_mobile(branch: object, **fields: object) -> object:
    customer = factories.customer(branch, **fields)
    services.contact_add(
        customer=customer, kind="phone", raw="059413812345678", phone_type="fixed_line", by=None
    )
    return customer


def test_a_contact_defect_counts_under_each_channel_and_intermediary_of_the_customer(
    world: World,
) -> None:
    bank = Intermediary.objects.create(code="ccb", name="建设银行", kind="bank")
    bancassurance = with_prefixed_mobile(world.branch_a)
    factories.policy(bancassurance, channel="bancassurance", intermediary=bank)
    agency = with_prefixed_mobile(world.branch_a)
    factories.policy(agency, channel="agency")
    with_prefixed_mobile(world.branch_a)  # no policy at all
    ended = with_prefixed_mobile(world.branch_a)  # only policies that have ended
    factories.policy(ended, channel="agency", status="surrendered")
    factories.policy(ended, channel="direct", status="matured")
    rows = {
        (r.channel, r.intermediary): r.customers
        for r in defect_counts(world.manager_a)
        if r.code == "area_code_prefixed_mobile"
    }
    assert rows == {("bancassurance", "建设银行"): 1, ("agency", ""): 1, (NO_POLICY, ""): 2}


def test_a_policy_without_a_reachable_number_counts_under_its_own_channel(world: World) -> None:
    holder = factories.customer(world.branch_a)
    factories.policy(holder, channel="direct")
    rows = [r for r in defect_counts(world.manager_a) if r.code == "no_reachable_number"]
    assert [(r.channel, r.customers) for r in rows] == [("direct", 1)]


def test_another_branchs_defects_are_not_counted(world: World) -> None:
    with_prefixed_mobile(world.branch_a)
    assert defect_counts(world.teller_b) == []
    assert sum(r.customers for r in defect_counts(world.teller_a)) == 1


def test_the_chart_bars_are_totals_per_defect_largest_first(world: World) -> None:
    with_prefixed_mobile(world.branch_a)
    with_prefixed_mobile(world.branch_a)
    holder = factories.customer(world.branch_a)
    factories.policy(holder, channel="direct")
    bars = bars_by_defect(defect_counts(world.head))
    assert [(bar.value, round(bar.percent)) for bar in bars] == [(2, 100), (1, 50)]


def test_the_quality_page_shows_the_counts_and_the_chart(world: World) -> None:
    with_prefixed_mobile(world.branch_a)
    client = signed_in(world.manager_a)
    client.cookies["django_language"] = "en"
    html = client.get("/customers/quality/").content.decode()
    assert "Mobile number with an area code prepended" in html
    assert "<svg" in html and 'role="img"' in html

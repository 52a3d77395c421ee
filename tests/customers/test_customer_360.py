"""The customer 360: everything about one customer on one page, masked by role, in a fixed
number of queries however many policies the customer holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from policydesk.cases import services as case_services
from policydesk.cases.models import Process
from policydesk.cases.process_services import processes_sync
from policydesk.core.models import AuditEvent
from policydesk.customers import services
from policydesk.customers.models import Customer
from policydesk.customers.selectors import customer_360, customer_get
from policydesk.customers.timeline import (
    TIMELINE_SOURCES,
    TimelineContext,
    TimelineEntry,
    on_day,
    register_source,
)
from policydesk.org.models import Role
from policydesk.policies import services as policy_services
from tests import factories
from tests.conftest import World, signed_in

ID_NUMBER = factories.resident_id(dt.date(1970, 3, 8), sequence=42)
# Queries of customer_360 for a teller (identity revealed and audited), whatever the number
# of policies: contacts, open defects, the defects of no contact (unreachable policies),
# consents, do-not-call, risk profiles, household
# members, relations, policies, parties, status changes, premiums, attempts, disbursements,
# the audit append (savepoint, chain head, insert, release), and one bounded query each for
# the timeline's cases and counter visits.
# A teller's 360 reveals the ID number, which appends an audit event; on PostgreSQL that
# append takes the chain's advisory lock, one statement more than on SQLite.
MAX_360_QUERIES = 20 + (1 if connection.vendor == "postgresql" else 0)


def rich_customer(world: World, *, policies: int = 1) -> Customer:
    """A customer of branch A with contacts, consents, risk, household and money events."""
    customer = factories.customer(
        world.branch_a,
        name="林美华",
        id_number=ID_NUMBER,
        phones=["0594-13812345678", "13900001111"],
    )
    services.consent_record(
        customer=customer,
        purpose="marketing",
        channel="sms",
        granted=True,
        source="application form",
        recorded_at=dt.datetime(2025, 1, 5, 9, tzinfo=dt.UTC),
        by=None,
    )
    services.consent_record(
        customer=customer,
        purpose="marketing",
        channel="sms",
        granted=False,
        source="phone call",
        recorded_at=dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC),
        by=None,
    )
    services.consent_record(
        customer=customer, purpose="service", channel="phone", granted=True, source="app", by=None
    )
    services.do_not_call_add(
        e164="+8613900001111",
        reason="refused a sales call",
        starts_on=dt.date(2025, 6, 1),
        ends_on=dt.date(2025, 12, 1),
        customer=customer,
        by=None,
    )
    for assessed_on, income in ((dt.date(2023, 1, 1), "80000"), (dt.date(2025, 1, 1), "120000")):
        services.risk_profile_record(
            customer=customer,
            annual_income=Decimal(income),
            dependants=2,
            liabilities=Decimal("300000"),
            risk_appetite="balanced",
            assessed_on=assessed_on,
            by=None,
        )
    spouse = factories.customer(world.branch_a, name="陈建国")
    services.household_link(customer=customer, related=spouse, kind="spouse", by=None)
    for _ in range(policies):
        add_policy_with_money(customer, insured=[spouse])
    return Customer.objects.get(pk=customer.pk)


def add_policy_with_money(holder: Customer, **extra: Any) -> Any:
    policy = factories.policy(holder, **extra)
    policy_services.mandate_set(
        policy=policy,
        bank_name="农业银行",
        account_number="6228480012345678",
        status="active",
        by=None,
    )
    premium = policy_services.premium_due_record(
        policy=policy, due_date=dt.date(2026, 3, 1), amount=Decimal("5000.00"), by=None
    )
    policy_services.collection_attempt_record(
        premium=premium,
        attempted_on=dt.date(2026, 3, 1),
        method="auto_debit",
        amount=Decimal("5000.00"),
        result="insufficient_funds",
        by=None,
    )
    policy_services.disbursement_record(
        policy=policy,
        kind="survival_benefit",
        due_date=dt.date(2026, 4, 1),
        amount=Decimal("1000.00"),
        method="bank_transfer",
        status="failed",
        failure_reason="dormant passbook",
        by=None,
    )
    return policy


def view_of(user: Any, customer: Customer) -> Any:
    return customer_360(user, customer_get(user, customer.pk))


def test_it_assembles_every_section(world: World) -> None:
    customer = rich_customer(world)

    view = view_of(world.teller_a, customer)

    phone = next(c for c in view.contacts if c.raw == "0594-13812345678")
    assert [d.code for d in phone.open_defects] == ["area_code_prefixed_mobile"]
    assert phone.open_defects[0].suggestion == "+8613812345678"
    current = {(c.purpose, c.channel): c.granted for c in view.current_consents}
    assert current == {("marketing", "sms"): False, ("service", "phone"): True}
    assert len(view.consent_history) == 3
    assert [d.e164 for d in view.do_not_call] == ["+8613900001111"]
    assert view.risk_profile.annual_income == Decimal("120000")
    assert len(view.risk_history) == 2
    assert [m.name for m in view.household_members] == ["陈建国"]
    assert [(r.kind, r.related.name) for r in view.relations] == [("spouse", "陈建国")]
    (item,) = view.policies
    assert item.roles == ["policyholder"]
    assert item.policy.mandate.account_last4 == "5678"
    assert [a.result for p in item.policy.premiums.all() for a in p.attempts.all()] == [
        "insufficient_funds"
    ]


def test_a_policy_where_the_customer_is_insured_is_listed_with_that_role(world: World) -> None:
    rich_customer(world)
    spouse = Customer.objects.get(name="陈建国")

    view = view_of(world.teller_a, spouse)

    assert [item.roles for item in view.policies] == [["insured"]]


def test_the_timeline_merges_status_changes_consents_money_and_contacts(world: World) -> None:
    customer = rich_customer(world)

    timeline = view_of(world.teller_a, customer).timeline

    kinds = {entry.kind for entry in timeline}
    assert {"policy_status", "consent", "collection", "disbursement", "contact"} <= kinds
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)


def test_a_later_app_can_add_a_timeline_source(world: World) -> None:
    customer = rich_customer(world)

    def visits(context: TimelineContext) -> list[TimelineEntry]:
        return [TimelineEntry(at=on_day(dt.date(2030, 1, 1)), kind="visit", title="Counter visit")]

    register_source(visits)
    try:
        timeline = view_of(world.teller_a, customer).timeline
    finally:
        TIMELINE_SOURCES.remove(visits)

    assert timeline[0].title == "Counter visit"


def test_a_teller_sees_the_id_number_and_each_showing_is_audited(world: World) -> None:
    customer = rich_customer(world)
    before = AuditEvent.objects.filter(action="customers.identity.reveal").count()

    first = view_of(world.teller_a, customer)
    view_of(world.teller_a, customer)

    assert first.identity.revealed
    assert first.identity.id_number == ID_NUMBER
    events = AuditEvent.objects.filter(action="customers.identity.reveal").order_by("id")
    assert events.count() == before + 2
    event = events.last()
    assert event is not None
    assert event.actor_id == world.teller_a.pk
    assert event.object_id == str(customer.pk)
    assert event.branch_id == world.branch_a.pk
    assert ID_NUMBER not in str(event.after)


@pytest.mark.parametrize("role", [Role.CALLBACK_AGENT, Role.RELATIONSHIP_MANAGER])
def test_roles_without_view_identity_see_a_masked_number_and_nothing_is_audited(
    world: World, role: str
) -> None:
    customer = rich_customer(world)
    viewer = factories.staff(role, world.branch_a)

    view = view_of(viewer, customer)

    assert not view.identity.revealed
    assert view.identity.id_number.endswith(ID_NUMBER[-4:])
    assert ID_NUMBER not in view.identity.id_number
    assert not AuditEvent.objects.filter(action="customers.identity.reveal").exists()


def count_360_queries(user: Any, customer: Customer, django_assert_max_num_queries: Any) -> int:
    customer = customer_get(user, customer.pk)  # also warms the role caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_assert_max_num_queries(MAX_360_QUERIES), CaptureQueriesContext(connection) as q:
        view = customer_360(user, customer)
        assert view.policies
    return len(q)


def test_the_360_takes_a_fixed_number_of_queries_however_many_policies(
    world: World, django_assert_max_num_queries: Any
) -> None:
    one = rich_customer(world, policies=1)
    many = factories.customer(world.branch_a, name="多保单", phones=["13700001111"])
    for _ in range(6):
        add_policy_with_money(many)
    services.consent_record(
        customer=many, purpose="service", channel="sms", granted=True, source="app", by=None
    )
    services.risk_profile_record(
        customer=many,
        annual_income=Decimal(1),
        dependants=0,
        liabilities=Decimal(0),
        risk_appetite="growth",
        assessed_on=dt.date(2025, 1, 1),
        by=None,
    )
    services.household_link(customer=many, related=one, kind="spouse", by=None)

    with_one = count_360_queries(world.teller_a, one, django_assert_max_num_queries)
    with_six = count_360_queries(world.teller_a, many, django_assert_max_num_queries)

    assert with_one == with_six, (with_one, with_six)
    assert with_one == MAX_360_QUERIES


def test_the_360_page_renders_for_a_teller(world: World) -> None:
    customer = rich_customer(world)

    response = signed_in(world.teller_a).get(f"/customers/{customer.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    for text in ("林美华", ID_NUMBER, "+8613812345678", "农业银行", "****5678", "陈建国"):
        assert text in body, text
    for anchor in (
        'id="identity"',
        'id="contacts"',
        'id="consents"',
        'id="risk"',
        'id="household"',
        'id="policies"',
        'id="timeline"',
    ):
        assert anchor in body


def test_the_360_page_masks_the_id_for_a_callback_agent(world: World) -> None:
    customer = rich_customer(world)
    agent = factories.staff(Role.CALLBACK_AGENT, world.branch_a)

    body = signed_in(agent).get(f"/customers/{customer.pk}/").content.decode()

    assert ID_NUMBER not in body
    assert ID_NUMBER[-4:] in body


def test_the_search_page_renders_and_filters_live(world: World) -> None:
    customer = rich_customer(world)
    client = signed_in(world.teller_a)

    page = client.get("/customers/")
    fragment = client.get("/customers/", {"q": "林"}, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert 'id="f-q"' in page.content.decode() and "autofocus" in page.content.decode()
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body
    assert f"/customers/{customer.pk}/" in body
    assert ID_NUMBER not in body  # search results always mask


def test_the_policy_page_renders_for_a_teller(world: World) -> None:
    customer = rich_customer(world)
    policy = customer.policies_held.get()

    response = signed_in(world.teller_a).get(f"/policies/{policy.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert policy.number in body
    assert "****5678" in body
    assert "6228480012345678" not in body


def test_the_timeline_shows_the_customers_cases(
    world: World,
) -> None:
    processes_sync()
    customer = factories.customer(world.branch_a, name="时间线客户")
    enquiry = Process.objects.get(code="enquiry")
    case = case_services.case_open(
        process=enquiry,
        channel="counter",
        branch=world.branch_a,
        subject="询问犹豫期",
        customer=customer,
        by=world.teller_a,
    )

    view = customer_360(world.teller_a, customer)

    entries = [entry for entry in view.timeline if entry.kind == "case"]
    assert [entry.url for entry in entries] == [f"/cases/{case.pk}/"]
    assert case.number in entries[0].title and "询问犹豫期" in entries[0].title

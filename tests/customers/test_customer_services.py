"""Customer services: registration, changes, households, risk profiles; all audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import AuditEvent
from policydesk.customers import services
from policydesk.customers.models import Customer, Household, Relation, RiskProfile
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World


def test_registering_a_customer_is_audited_without_the_id_number(world: World) -> None:
    number = factories.resident_id(dt.date(1962, 7, 15))
    customer = factories.customer(
        world.branch_a, name="林秀英", id_number=number, by=world.teller_a
    )
    event = AuditEvent.objects.get(action="customers.customer.create")
    assert (event.actor_id, event.object_id) == (world.teller_a.pk, str(customer.pk))
    assert event.branch_id == world.branch_a.pk
    assert event.before is None
    assert event.after["name"] == "林秀英"
    assert number not in str(event.after)
    assert number[:14] not in str(event.after)  # not even the birth-date part


def test_the_audit_shows_the_last_four_characters_of_the_id_number(world: World) -> None:
    number = factories.resident_id()
    factories.customer(world.branch_a, id_number=number, by=world.teller_a)
    event = AuditEvent.objects.get(action="customers.customer.create")
    assert number[-4:] in str(event.after)


def test_an_update_is_audited_with_before_and_after(world: World) -> None:
    customer = factories.customer(world.branch_a, occupation="farmer")
    services.customer_update(
        customer=customer,
        changes={"occupation": "teacher", "dependants": 2},
        by=world.teller_a,
    )
    customer.refresh_from_db()
    assert (customer.occupation, customer.dependants) == ("teacher", 2)
    event = AuditEvent.objects.get(action="customers.customer.update")
    assert (event.before["occupation"], event.after["occupation"]) == ("farmer", "teacher")
    assert (event.before["dependants"], event.after["dependants"]) == (0, 2)
    assert event.actor_id == world.teller_a.pk


def test_an_update_that_changes_nothing_is_not_audited(world: World) -> None:
    customer = factories.customer(world.branch_a, occupation="farmer")
    services.customer_update(customer=customer, changes={"occupation": "farmer"}, by=None)
    assert not AuditEvent.objects.filter(action="customers.customer.update").exists()


def test_a_duplicate_customer_number_is_refused(world: World) -> None:
    factories.customer(world.branch_a, number="C-1")
    with pytest.raises(DomainError) as refused:
        factories.customer(world.branch_b, number="C-1")
    assert refused.value.field == "number"
    assert Customer.objects.filter(number="C-1").count() == 1


def test_registering_with_an_unknown_field_is_refused(world: World) -> None:
    with pytest.raises(DomainError):
        factories.customer(world.branch_a, number="C-X", favourite_colour="red")
    assert not Customer.objects.filter(number="C-X").exists()


@pytest.mark.parametrize("field", ["favourite_colour", "id_number_last4", "branch", "number"])
def test_changing_an_unknown_or_protected_field_is_refused(world: World, field: str) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.customer_update(customer=customer, changes={field: "x"}, by=None)
    assert refused.value.field == field
    assert Customer.objects.get(pk=customer.pk).number == customer.number
    assert not AuditEvent.objects.filter(action="customers.customer.update").exists()


def test_a_birth_date_in_the_future_is_refused(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.customer_update(
            customer=customer, changes={"birth_date": dt.date(2999, 1, 1)}, by=None
        )
    assert refused.value.field == "birth_date"
    assert Customer.objects.get(pk=customer.pk).birth_date is None


def test_spouses_linked_share_a_household(world: World) -> None:
    husband = factories.customer(world.branch_a)
    wife = factories.customer(world.branch_a)
    relation = services.household_link(
        customer=husband, related=wife, kind="spouse", by=world.teller_a
    )
    husband.refresh_from_db()
    wife.refresh_from_db()
    assert husband.household is not None
    assert husband.household == wife.household
    assert Household.objects.count() == 1
    assert relation.kind == "spouse"
    assert AuditEvent.objects.filter(action="customers.relation.add").count() == 1


def test_a_child_joins_the_parents_household(world: World) -> None:
    mother = factories.customer(world.branch_a)
    father = factories.customer(world.branch_a)
    child = factories.customer(world.branch_a)
    services.household_link(customer=mother, related=father, kind="spouse", by=None)
    services.household_link(customer=mother, related=child, kind="child", by=None)
    households = set(
        Customer.objects.filter(pk__in=[mother.pk, father.pk, child.pk]).values_list(
            "household", flat=True
        )
    )
    assert len(households) == 1
    assert None not in households


def test_an_employer_relation_makes_no_household(world: World) -> None:
    person = factories.customer(world.branch_a)
    employer = factories.customer(
        world.branch_a,
        kind="organisation",
        id_type="business_licence",
        id_number="91350322MA2Y000001",
    )
    services.household_link(customer=person, related=employer, kind="employer", by=None)
    assert not Household.objects.exists()


def test_a_customer_cannot_be_related_to_themself(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.household_link(customer=customer, related=customer, kind="spouse", by=None)
    assert refused.value.field == "related"
    assert not Relation.objects.exists()


@pytest.mark.parametrize("role", [Role.CLAIMS_HANDLER, Role.QUALITY_INSPECTOR])
def test_a_role_without_customers_manage_cannot_register_or_change(world: World, role: str) -> None:
    staff = factories.staff(role, world.branch_a)
    with pytest.raises(PermissionRefused):
        factories.customer(world.branch_a, number="C-REFUSED", by=staff)
    existing = factories.customer(world.branch_a, occupation="farmer")
    with pytest.raises(PermissionRefused):
        services.customer_update(customer=existing, changes={"occupation": "x"}, by=staff)
    assert not Customer.objects.filter(number="C-REFUSED").exists()
    assert Customer.objects.get(pk=existing.pk).occupation == "farmer"
    assert not AuditEvent.objects.filter(actor_id=staff.pk).exists()


def test_a_new_risk_assessment_keeps_the_earlier_ones(world: World) -> None:
    customer = factories.customer(world.branch_a)
    first = services.risk_profile_record(
        customer=customer,
        annual_income=Decimal("80000.00"),
        dependants=1,
        liabilities=Decimal("200000.00"),
        risk_appetite="conservative",
        assessed_on=dt.date(2024, 3, 1),
        by=world.teller_a,
    )
    second = services.risk_profile_record(
        customer=customer,
        annual_income=Decimal("120000.00"),
        dependants=2,
        liabilities=Decimal("150000.00"),
        risk_appetite="balanced",
        assessed_on=dt.date(2026, 3, 1),
        by=world.teller_a,
    )
    assert list(customer.risk_profiles.all()) == [second, first]
    first_again = RiskProfile.objects.get(pk=first.pk)
    assert (first_again.annual_income, first_again.risk_appetite) == (
        Decimal("80000.00"),
        "conservative",
    )
    assert AuditEvent.objects.filter(action="customers.risk_profile.record").count() == 2


def test_a_negative_income_is_refused(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.risk_profile_record(
            customer=customer,
            annual_income=Decimal("-1"),
            dependants=0,
            liabilities=Decimal(0),
            risk_appetite="balanced",
            assessed_on=dt.date(2026, 3, 1),
            by=None,
        )
    assert refused.value.field == "annual_income"
    assert not RiskProfile.objects.exists()

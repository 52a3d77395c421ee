"""Policy services: products, cooling-off, parties, lifecycle, mandates and money events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import AuditEvent
from policydesk.customers.models import ContactDefect
from policydesk.org.models import Role, Staff
from policydesk.policies import services
from policydesk.policies.models import (
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Policy,
    PolicyParty,
    PolicyStatusChange,
    PremiumDue,
    Product,
)
from tests import factories
from tests.conftest import World


@pytest.fixture
def clerk(world: World) -> Staff:
    """Back office of branch A: the role that manages policies."""
    return factories.staff(Role.BACK_OFFICE, world.branch_a)


def all_cells() -> Iterator[str]:
    """Every cell of every table, binary ones decoded, as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, bytes | memoryview | bytearray):
                        yield bytes(cell).decode("latin-1")
                    elif cell is not None:
                        yield str(cell)


def _lapsed_policy(lapsed_on: dt.date) -> Policy:
    policy = factories.policy(status="in_force", application_date=dt.date(2020, 1, 1))
    services.policy_change_status(
        policy=policy, to_status="in_grace", changed_on=lapsed_on - dt.timedelta(days=60), by=None
    )
    services.policy_change_status(policy=policy, to_status="lapsed", changed_on=lapsed_on, by=None)
    return policy


# --- Products --------------------------------------------------------------------------


def test_a_product_keeps_its_cooling_off_days_per_jurisdiction(world: World, clerk: Staff) -> None:
    product = factories.product(cooling_off_days={"CN": 15, "HK": 21}, by=clerk)
    assert product.cooling_off_days == {"CN": 15, "HK": 21}
    assert AuditEvent.objects.filter(action="policies.product.create", actor_id=clerk.pk).exists()


@pytest.mark.parametrize(
    "days", [{"CN": -1}, {"CN": "15"}, {"CN": 1.5}, {"XX": 15}, {"CN": True}], ids=str
)
def test_cooling_off_days_must_be_whole_days_for_known_jurisdictions(
    world: World, days: dict[str, Any]
) -> None:
    with pytest.raises(DomainError) as refused:
        factories.product("BAD", cooling_off_days=days)
    assert refused.value.field == "cooling_off_days"
    assert not Product.objects.filter(code="BAD").exists()


def test_a_product_with_an_unknown_payment_mode_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        factories.product("BAD", payment_modes=["weekly"])
    assert refused.value.field == "payment_modes"
    assert not Product.objects.filter(code="BAD").exists()


def test_a_teller_may_not_create_products(world: World) -> None:
    with pytest.raises(PermissionRefused):
        factories.product("TELLER", by=world.teller_a)
    assert not Product.objects.filter(code="TELLER").exists()


# --- Policy creation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "expected_end"),
    [("CN", dt.date(2026, 3, 16)), ("HK", dt.date(2026, 3, 22)), ("SG", dt.date(2026, 3, 15))],
)
def test_cooling_off_ends_the_products_days_after_the_day_the_receipt_is_signed(
    world: World, jurisdiction: str, expected_end: dt.date
) -> None:
    product = factories.product(cooling_off_days={"CN": 15, "HK": 21, "SG": 14})
    policy = factories.policy(
        product_=product,
        jurisdiction=jurisdiction,
        status="issued",
        application_date=dt.date(2026, 2, 20),
        issue_date=dt.date(2026, 2, 25),
        receipt_signed_date=dt.date(2026, 3, 1),
    )
    assert policy.cooling_off_end == expected_end


def test_a_policy_in_a_jurisdiction_the_product_has_no_cooling_off_for_is_refused(
    world: World,
) -> None:
    product = factories.product(cooling_off_days={"CN": 15})
    with pytest.raises(DomainError) as refused:
        factories.policy(product_=product, jurisdiction="SG", number="PL-SG")
    assert refused.value.field == "jurisdiction"
    assert not Policy.objects.filter(number="PL-SG").exists()


def test_a_policy_records_its_parties_first_status_and_audit_event(
    world: World, clerk: Staff
) -> None:
    holder = factories.customer(world.branch_a, phones=["13812345678"])
    child = factories.customer(world.branch_a)
    spouse = factories.customer(world.branch_a)
    policy = factories.policy(
        holder,
        insured=[child],
        beneficiaries=[(spouse, Decimal("60")), (holder, Decimal("40"))],
        status="issued",
        by=clerk,
    )
    parties = set(
        PolicyParty.objects.filter(policy=policy).values_list("customer", "role", "share")
    )
    assert parties == {
        (child.pk, "insured", None),
        (spouse.pk, "beneficiary", Decimal("60.00")),
        (holder.pk, "beneficiary", Decimal("40.00")),
    }
    first = PolicyStatusChange.objects.get(policy=policy)
    assert (first.from_status, first.to_status, first.recorded_by_id) == ("", "issued", clerk.pk)
    event = AuditEvent.objects.get(action="policies.policy.create", object_id=str(policy.pk))
    assert event.actor_id == clerk.pk
    assert event.branch_id == world.branch_a.pk
    assert event.after["beneficiaries"] == [[spouse.pk, "60.00"], [holder.pk, "40.00"]]


@pytest.mark.parametrize("shares", [("60", "30"), ("60", "50"), ("100", "0")])
def test_beneficiaries_shares_must_add_up_to_one_hundred(
    world: World, shares: tuple[str, str]
) -> None:
    first = factories.customer(world.branch_a)
    second = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        factories.policy(
            first,
            number="PL-SHARES",
            beneficiaries=[(first, Decimal(shares[0])), (second, Decimal(shares[1]))],
        )
    assert refused.value.field == "beneficiaries"
    assert not Policy.objects.filter(number="PL-SHARES").exists()
    assert not PolicyParty.objects.exists()


def test_a_payment_mode_the_product_does_not_allow_is_refused(world: World) -> None:
    product = factories.product(payment_modes=["single", "annual"])
    with pytest.raises(DomainError) as refused:
        factories.policy(product_=product, payment_mode="monthly", number="PL-MONTHLY")
    assert refused.value.field == "payment_mode"
    assert not Policy.objects.filter(number="PL-MONTHLY").exists()


def test_money_given_as_float_is_refused(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        factories.policy(premium=1234.56, number="PL-FLOAT")
    assert refused.value.field == "premium"
    assert not Policy.objects.filter(number="PL-FLOAT").exists()


def test_a_clerk_cannot_make_a_policy_for_a_customer_of_a_branch_they_cannot_see(
    world: World, clerk: Staff
) -> None:
    holder = factories.customer(world.branch_a)
    stranger = factories.customer(world.branch_b)
    with pytest.raises(DomainError) as refused:
        factories.policy(holder, insured=[stranger], number="PL-B", by=clerk)
    assert refused.value.field == "insured"
    assert not Policy.objects.filter(number="PL-B").exists()


def test_a_duplicate_policy_number_is_refused(world: World) -> None:
    factories.policy(number="PL-1")
    with pytest.raises(DomainError) as refused:
        factories.policy(number="PL-1")
    assert refused.value.field == "number"
    assert Policy.objects.filter(number="PL-1").count() == 1


def test_a_policy_whose_holder_has_no_phone_is_flagged_unreachable_at_once(world: World) -> None:
    policy = factories.policy(factories.customer(world.branch_a))
    assert ContactDefect.objects.filter(
        policy=policy, code="no_reachable_number", resolved_at__isnull=True
    ).exists()


# --- Lifecycle -------------------------------------------------------------------------


def test_every_status_change_is_recorded_in_order(world: World, clerk: Staff) -> None:
    policy = factories.policy(
        factories.customer(world.branch_a),
        status="applied",
        application_date=dt.date(2026, 1, 5),
        issue_date=None,
    )
    steps = [
        ("underwriting", dt.date(2026, 1, 6)),
        ("issued", dt.date(2026, 1, 12)),
        ("in_force", dt.date(2026, 2, 1)),
        ("in_grace", dt.date(2027, 2, 1)),
        ("in_force", dt.date(2027, 2, 20)),
    ]
    for status, on in steps:
        services.policy_change_status(
            policy=policy, to_status=status, changed_on=on, reason="step", by=clerk
        )
    history = list(
        PolicyStatusChange.objects.filter(policy=policy).values_list(
            "from_status", "to_status", "changed_on"
        )
    )
    assert history == [
        ("", "applied", dt.date(2026, 1, 5)),
        ("applied", "underwriting", dt.date(2026, 1, 6)),
        ("underwriting", "issued", dt.date(2026, 1, 12)),
        ("issued", "in_force", dt.date(2026, 2, 1)),
        ("in_force", "in_grace", dt.date(2027, 2, 1)),
        ("in_grace", "in_force", dt.date(2027, 2, 20)),
    ]
    policy.refresh_from_db()
    assert policy.status == "in_force"
    events = AuditEvent.objects.filter(
        action="policies.policy.change_status", object_id=str(policy.pk)
    ).order_by("id")
    assert [e.after["status"] for e in events] == [status for status, _on in steps]


@pytest.mark.parametrize(
    "terminal", ["surrendered", "matured", "claim_terminated", "cancelled_cooling_off"]
)
def test_a_terminal_status_cannot_change(world: World, terminal: str) -> None:
    policy = factories.policy(status=terminal)
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy, to_status="in_force", changed_on=dt.date(2026, 6, 1), by=None
        )
    assert refused.value.field == "to_status"
    policy.refresh_from_db()
    assert policy.status == terminal
    assert PolicyStatusChange.objects.filter(policy=policy).count() == 1


def test_a_status_the_lifecycle_does_not_allow_is_refused(world: World) -> None:
    policy = factories.policy(status="in_force")
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy, to_status="lapsed", changed_on=dt.date(2026, 6, 1), by=None
        )
    assert refused.value.field == "to_status"
    assert PolicyStatusChange.objects.filter(policy=policy).count() == 1


def test_a_lapsed_policy_is_reinstated_within_two_years(world: World) -> None:
    policy = _lapsed_policy(dt.date(2024, 5, 10))
    change = services.policy_change_status(
        policy=policy, to_status="reinstated", changed_on=dt.date(2026, 5, 10), by=None
    )
    assert (change.from_status, change.to_status) == ("lapsed", "reinstated")


def test_a_lapsed_policy_cannot_be_reinstated_after_two_years(world: World) -> None:
    policy = _lapsed_policy(dt.date(2024, 5, 10))
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy, to_status="reinstated", changed_on=dt.date(2026, 5, 11), by=None
        )
    assert refused.value.field == "changed_on"
    policy.refresh_from_db()
    assert policy.status == "lapsed"
    assert not PolicyStatusChange.objects.filter(policy=policy, to_status="reinstated").exists()


def test_a_change_dated_before_the_last_one_is_refused(world: World) -> None:
    policy = _lapsed_policy(dt.date(2024, 5, 10))
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy, to_status="reinstated", changed_on=dt.date(2024, 5, 1), by=None
        )
    assert refused.value.field == "changed_on"


def test_cancellation_in_cooling_off_after_it_ended_is_refused(world: World) -> None:
    policy = factories.policy(
        status="issued", issue_date=dt.date(2026, 2, 25), receipt_signed_date=dt.date(2026, 3, 1)
    )
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy,
            to_status="cancelled_cooling_off",
            changed_on=dt.date(2026, 3, 17),
            by=None,
        )
    assert refused.value.field == "changed_on"
    services.policy_change_status(
        policy=policy, to_status="cancelled_cooling_off", changed_on=dt.date(2026, 3, 16), by=None
    )


def test_a_terminal_policy_no_longer_needs_a_reachable_number(world: World) -> None:
    policy = factories.policy(factories.customer(world.branch_a), status="in_force")
    services.policy_change_status(
        policy=policy, to_status="surrendered", changed_on=dt.date(2026, 6, 1), by=None
    )
    defect = ContactDefect.objects.get(policy=policy, code="no_reachable_number")
    assert defect.resolved_at is not None


def test_a_teller_may_not_change_a_policys_status(world: World) -> None:
    policy = factories.policy(factories.customer(world.branch_a))
    with pytest.raises(PermissionRefused):
        services.policy_change_status(
            policy=policy, to_status="in_grace", changed_on=dt.date(2026, 6, 1), by=world.teller_a
        )
    assert PolicyStatusChange.objects.filter(policy=policy).count() == 1


# --- Mandates and money events ---------------------------------------------------------


def test_the_mandate_account_is_never_stored_in_clear(world: World, clerk: Staff) -> None:
    account = "6222020200112233445"
    policy = factories.policy(factories.customer(world.branch_a))
    mandate = services.mandate_set(
        policy=policy,
        bank_name="ICBC Xianyou",
        account_number="6222 0202 0011 2233 445",
        status="active",
        by=clerk,
    )
    assert mandate.account_last4 == "3445"
    assert all(account not in cell for cell in all_cells())
    assert all("6222 0202 0011 2233 445" not in cell for cell in all_cells())
    from policydesk.core.crypto import decrypt_text

    assert decrypt_text(BankMandate.objects.get().account_encrypted) == account
    event = AuditEvent.objects.get(action="policies.mandate.set")
    assert event.after["account_last4"] == "3445"


def test_setting_the_mandate_again_replaces_it_and_audits_the_change(world: World) -> None:
    policy = factories.policy()
    services.mandate_set(
        policy=policy, bank_name="ABC", account_number="6228480011112222", status="active", by=None
    )
    services.mandate_set(
        policy=policy,
        bank_name="ABC",
        account_number="6228480011113333",
        status="active",
        is_dormant=True,
        by=None,
    )
    assert BankMandate.objects.get(policy=policy).account_last4 == "3333"
    event = AuditEvent.objects.filter(action="policies.mandate.set").latest("id")
    assert event.before["account_last4"] == "2222"
    assert event.after["is_dormant"] is True


def test_a_malformed_account_number_is_refused(world: World) -> None:
    policy = factories.policy()
    with pytest.raises(DomainError) as refused:
        services.mandate_set(
            policy=policy, bank_name="ABC", account_number="12", status="active", by=None
        )
    assert refused.value.field == "account_number"
    assert not BankMandate.objects.exists()


def test_a_premium_due_is_idempotent_on_policy_and_due_date(world: World) -> None:
    policy = factories.policy()
    for _attempt in range(2):
        premium = services.premium_due_record(
            policy=policy, due_date=dt.date(2027, 2, 25), amount=Decimal("5000.00"), by=None
        )
    assert PremiumDue.objects.filter(policy=policy).count() == 1
    assert AuditEvent.objects.filter(action="policies.premium_due.record").count() == 1
    services.premium_due_record(
        policy=policy,
        due_date=dt.date(2027, 2, 25),
        amount=Decimal("5000.00"),
        status="paid",
        paid_on=dt.date(2027, 2, 26),
        by=None,
    )
    premium.refresh_from_db()
    assert (premium.status, premium.paid_on) == ("paid", dt.date(2027, 2, 26))
    assert AuditEvent.objects.filter(action="policies.premium_due.record").count() == 2


def test_a_collection_attempt_is_idempotent_on_premium_date_and_method(world: World) -> None:
    policy = factories.policy()
    premium = services.premium_due_record(
        policy=policy, due_date=dt.date(2027, 2, 25), amount=Decimal("5000.00"), by=None
    )
    for _attempt in range(2):
        services.collection_attempt_record(
            premium=premium,
            attempted_on=dt.date(2027, 2, 25),
            method="auto_debit",
            amount=Decimal("5000.00"),
            result="insufficient_funds",
            bank_code="51",
            by=None,
        )
    attempt = CollectionAttempt.objects.get()
    assert (attempt.result, attempt.bank_code) == ("insufficient_funds", "51")
    assert AuditEvent.objects.filter(action="policies.collection_attempt.record").count() == 1


def test_an_unknown_collection_result_is_refused(world: World) -> None:
    premium = services.premium_due_record(
        policy=factories.policy(), due_date=dt.date(2027, 2, 25), amount=Decimal("1"), by=None
    )
    with pytest.raises(DomainError) as refused:
        services.collection_attempt_record(
            premium=premium,
            attempted_on=dt.date(2027, 2, 25),
            method="auto_debit",
            amount=Decimal("1"),
            result="bounced",
            by=None,
        )
    assert refused.value.field == "result"
    assert not CollectionAttempt.objects.exists()


def test_a_disbursement_is_idempotent_on_policy_kind_and_due_date(world: World) -> None:
    policy = factories.policy()
    for _attempt in range(2):
        services.disbursement_record(
            policy=policy,
            kind="survival_benefit",
            due_date=dt.date(2028, 2, 25),
            amount=Decimal("1200.00"),
            method="bank_transfer",
            status="failed",
            failure_reason="dormant passbook",
            by=None,
        )
    assert Disbursement.objects.count() == 1
    assert AuditEvent.objects.filter(action="policies.disbursement.record").count() == 1
    services.disbursement_record(
        policy=policy,
        kind="survival_benefit",
        due_date=dt.date(2028, 2, 25),
        amount=Decimal("1200.00"),
        method="bank_transfer",
        status="paid",
        paid_on=dt.date(2028, 3, 2),
        by=None,
    )
    assert Disbursement.objects.get().status == "paid"
    assert AuditEvent.objects.filter(action="policies.disbursement.record").count() == 2


def test_a_paid_disbursement_needs_a_payment_date(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        services.disbursement_record(
            policy=factories.policy(),
            kind="maturity",
            due_date=dt.date(2036, 2, 25),
            amount=Decimal("100000.00"),
            method="bank_transfer",
            status="paid",
            by=None,
        )
    assert refused.value.field == "paid_on"
    assert not Disbursement.objects.exists()


def test_agents_and_intermediaries_are_created_and_audited(world: World, clerk: Staff) -> None:
    agent = services.agent_create(
        code="A001", name="Lin", branch=world.branch_a, phone="139 5940 1234", by=clerk
    )
    bank = services.intermediary_create(code="ICBC", name="ICBC", kind="bank", by=clerk)
    assert agent.phone_e164 == "+8613959401234"
    assert {"policies.agent.create", "policies.intermediary.create"} <= set(
        AuditEvent.objects.filter(actor_id=clerk.pk).values_list("action", flat=True)
    )
    policy = factories.policy(agent=agent, intermediary=bank, channel="bancassurance")
    assert (policy.agent, policy.intermediary) == (agent, bank)


def test_a_clerk_cannot_change_a_policy_of_a_branch_they_cannot_see(world: World) -> None:
    clerk_b = factories.staff(Role.BACK_OFFICE, world.branch_b)
    policy = factories.policy(factories.customer(world.branch_a))
    with pytest.raises(DomainError) as refused:
        services.policy_change_status(
            policy=policy, to_status="in_grace", changed_on=dt.date(2026, 6, 1), by=clerk_b
        )
    assert refused.value.field == "policy"
    policy.refresh_from_db()
    assert policy.status == "in_force"
    assert PolicyStatusChange.objects.filter(policy=policy).count() == 1

"""Changes to a policy that servicing and new business make through the registry: the signed
receipt, the payment mode, the beneficiaries and the policyholder — each checked, locked and
audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent
from policydesk.org.models import Role, Staff
from policydesk.policies import services
from policydesk.policies.models import PolicyParty
from tests import factories
from tests.conftest import World


@pytest.fixture
def clerk(world: World) -> Staff:
    return factories.staff(Role.BACK_OFFICE, world.branch_a)


def test_a_signed_receipt_starts_the_cooling_off_period(world: World, clerk: Staff) -> None:
    policy = factories.policy(
        factories.customer(world.branch_a), issue_date=dt.date(2026, 3, 1), receipt_signed_date=None
    )
    policy.receipt_signed_date = None
    policy.save(update_fields=["receipt_signed_date"])

    services.policy_receipt_sign(policy=policy, signed_on=dt.date(2026, 3, 4), by=clerk)

    policy.refresh_from_db()
    assert policy.receipt_signed_date == dt.date(2026, 3, 4)
    assert policy.cooling_off_end == dt.date(2026, 3, 19)  # 15 days from the day after
    assert AuditEvent.objects.filter(action="policies.policy.receipt_signed").exists()
    with pytest.raises(DomainError) as early:
        services.policy_receipt_sign(policy=policy, signed_on=dt.date(2026, 2, 27), by=clerk)
    assert early.value.field == "signed_on"


def test_the_payment_mode_changes_with_its_instalment_and_next_due_date(
    world: World, clerk: Staff
) -> None:
    policy = factories.policy(
        factories.customer(world.branch_a), payment_mode="monthly", premium=Decimal("100.00")
    )

    services.policy_change_payment_mode(
        policy=policy,
        mode="annual",
        premium=Decimal("1200.00"),
        next_due=dt.date(2027, 2, 25),
        by=clerk,
    )

    policy.refresh_from_db()
    assert (policy.payment_mode, policy.premium) == ("annual", Decimal("1200.00"))
    assert policy.next_due_date == dt.date(2027, 2, 25)
    audit = AuditEvent.objects.get(action="policies.policy.change_payment_mode")
    assert (audit.before or {})["payment_mode"] == "monthly"


def test_a_single_premium_has_no_mode_to_change(world: World, clerk: Staff) -> None:
    policy = factories.policy(factories.customer(world.branch_a), payment_mode="single")
    with pytest.raises(DomainError) as refused:
        services.policy_change_payment_mode(
            policy=policy, mode="annual", premium=Decimal(1), next_due=dt.date(2027, 1, 1), by=clerk
        )
    assert refused.value.field == "mode"
    policy.refresh_from_db()
    assert policy.payment_mode == "single"


def test_beneficiaries_are_replaced_only_when_their_shares_add_up(
    world: World, clerk: Staff
) -> None:
    holder = factories.customer(world.branch_a)
    child, spouse = factories.customer(world.branch_a), factories.customer(world.branch_a)
    policy = factories.policy(holder)

    services.policy_set_beneficiaries(
        policy=policy,
        beneficiaries=[(child, Decimal(60), "child"), (spouse, Decimal(40), "spouse")],
        by=clerk,
    )
    with pytest.raises(DomainError):
        services.policy_set_beneficiaries(
            policy=policy, beneficiaries=[(child, Decimal(50), "child")], by=clerk
        )

    named = PolicyParty.objects.filter(policy=policy, role="beneficiary").order_by("share")
    assert [(p.customer_id, p.share, p.relation_to_insured) for p in named] == [
        (spouse.pk, Decimal(40), "spouse"),
        (child.pk, Decimal(60), "child"),
    ]


def test_a_new_policyholder_takes_the_policy(world: World, clerk: Staff) -> None:
    old, new = factories.customer(world.branch_a), factories.customer(world.branch_a)
    policy = factories.policy(old)

    services.policy_change_policyholder(policy=policy, policyholder=new, by=clerk)

    policy.refresh_from_db()
    assert policy.policyholder == new
    with pytest.raises(DomainError):
        services.policy_change_policyholder(policy=policy, policyholder=new, by=clerk)


def test_staff_of_another_branch_cannot_change_the_policy(world: World) -> None:
    policy = factories.policy(factories.customer(world.branch_a), payment_mode="monthly")
    outsider = factories.staff(Role.BACK_OFFICE, world.branch_b)
    with pytest.raises(DomainError):
        services.policy_change_payment_mode(
            policy=policy,
            mode="annual",
            premium=Decimal(1200),
            next_due=dt.date(2027, 1, 1),
            by=outsider,
        )
    policy.refresh_from_db()
    assert policy.payment_mode == "monthly"

"""Account monitoring: a relationship manager in branch A, a customer with policies, and
helpers that write the money events the rules read (premiums, debits, payouts, lapses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from policydesk.org.models import Role, Staff
from policydesk.policies.models import (
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Policy,
    PolicyStatusChange,
    PremiumDue,
)
from tests import factories
from tests.conftest import World

AS_OF = dt.date(2026, 11, 16)  # a Monday


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Book:
    rm: Staff
    rm2: Staff
    rm_b: Staff
    customer: Any
    product: Any


@pytest.fixture
def book(world: World) -> Book:
    customer = factories.customer(world.branch_a, name="Lin Hua", segment="affluent")
    return Book(
        rm=factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_a, username="rm_a"),
        rm2=factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_a, username="rm_a2"),
        rm_b=factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_b, username="rm_b"),
        customer=customer,
        product=factories.product("LIFE-20"),
    )


def make_policy(book: Book, **extra: Any) -> Policy:
    extra.setdefault("product_", book.product)
    extra.setdefault("issue_date", dt.date(2024, 3, 1))
    extra.setdefault("application_date", dt.date(2024, 2, 20))
    return factories.policy(book.customer, **extra)  # type: ignore[no-any-return]


def premium(
    policy: Policy, due: dt.date, *, status: str = "due", first: bool = False
) -> PremiumDue:
    return PremiumDue.objects.create(
        policy=policy,
        due_date=due,
        amount=policy.premium,
        status=status,
        paid_on=due if status == "paid" else None,
        is_first_premium=first,
    )


def attempt(due: PremiumDue, day: dt.date, result: str, method: str = "auto_debit") -> None:
    CollectionAttempt.objects.create(
        premium=due, attempted_on=day, method=method, amount=due.amount, result=result
    )


def mandate(policy: Policy, status: str = "active", *, dormant: bool = False) -> BankMandate:
    return BankMandate.objects.create(
        policy=policy,
        bank_name="County Rural Bank",
        account_encrypted=b"x",
        account_last4="1234",
        status=status,
        is_dormant=dormant,
    )


def payout(
    policy: Policy,
    due: dt.date,
    *,
    kind: str = "survival_benefit",
    status: str = "scheduled",
    method: str = "bank_transfer",
) -> Disbursement:
    return Disbursement.objects.create(
        policy=policy,
        kind=kind,
        due_date=due,
        amount=Decimal("3000.00"),
        method=method,
        status=status,
    )


def lapse(policy: Policy, on: dt.date) -> None:
    PolicyStatusChange.objects.create(
        policy=policy,
        from_status="in_force",
        to_status="in_grace",
        changed_on=on - dt.timedelta(days=60),
    )
    PolicyStatusChange.objects.create(
        policy=policy, from_status="in_grace", to_status="lapsed", changed_on=on
    )
    Policy.objects.filter(pk=policy.pk).update(status="lapsed")


def browser(user: Staff) -> Any:
    """A signed-in session reading the pages in English."""
    from tests.conftest import signed_in

    client = signed_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def profiled(book: Book, on: dt.date) -> None:
    """The customer's risk profile, which a review needs."""
    from policydesk.customers.services import risk_profile_record

    risk_profile_record(
        customer=book.customer,
        annual_income=Decimal("100000.00"),
        dependants=1,
        liabilities=Decimal("0.00"),
        risk_appetite="balanced",
        assessed_on=on,
        by=None,
    )

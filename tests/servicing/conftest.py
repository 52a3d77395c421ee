"""Servicing on the case engine: the shipped process and catalogue loaded, a policyholder
with a long-term policy in force, and the staff who apply, approve and edit the catalogue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from policydesk.cases.process_services import processes_sync
from policydesk.org.models import Role, Staff
from policydesk.policies import services as policy_services
from policydesk.policies.models import Policy
from policydesk.servicing import services
from policydesk.servicing.models import ServicingItem
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Tuesday 1 September 2026, 10:00 in Xianyou: a plain working week follows.
RECEIVED_AT = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)
TODAY = RECEIVED_AT.date()


def at(days: float = 0, hour: int = 10) -> dt.datetime:
    return (RECEIVED_AT + dt.timedelta(days=days)).replace(hour=hour)


@dataclass
class Desk:
    world: World
    teller: Staff
    back_office: Staff
    head: Staff
    holder: Any
    insured: Any
    policy: Policy


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def desk(world: World) -> Desk:
    processes_sync()
    services.catalogue_sync()
    holder = factories.customer(world.branch_a, name="Lin Hua", phones=["13800138000"])
    insured = factories.customer(world.branch_a, name="Lin Xiao")
    policy = factories.policy(
        holder,
        number="PL-S-1",
        application_date=dt.date(2024, 9, 10),
        issue_date=dt.date(2024, 9, 20),
        receipt_signed_date=dt.date(2024, 9, 22),
        payment_mode="monthly",
        premium=Decimal("500.00"),
        term_years=20,
    )
    policy_services.mandate_set(
        policy=policy,
        bank_name="County Rural Bank",
        account_number="6228480012345678",
        status="active",
        by=None,
    )
    return Desk(
        world=world,
        teller=world.teller_a,
        back_office=factories.staff(Role.BACK_OFFICE, world.branch_a, username="back_a"),
        head=world.head,
        holder=holder,
        insured=insured,
        policy=policy,
    )


def all_documents(item_code: str) -> list[str]:
    return [d["code"] for d in services.item_type_by_code(item_code).documents]


def apply(
    desk: Desk, item_code: str, *, when: dt.datetime = RECEIVED_AT, **extra: Any
) -> ServicingItem:
    fields: dict[str, Any] = {
        "policy": desk.policy,
        "item_code": item_code,
        "applicant_role": "policyholder",
        "channel": "counter",
        "by": desk.teller,
        "at": when,
        "documents": all_documents(item_code),
    }
    fields.update(extra)
    return services.servicing_item_apply(**fields)


def finish(desk: Desk, item: ServicingItem, *, amount: Any = None, day: float = 1) -> ServicingItem:
    """Accept, approve (and pay when due) and complete an item, a day apart each."""
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(day))
    item = services.servicing_item_approve(
        item=item, by=desk.back_office, at=at(day + 1), amount=amount
    )
    if item.item_type.needs_payment:
        item = services.servicing_item_record_payment(
            item=item, amount=item.amount, by=desk.teller, at=at(day + 2)
        )
    return services.servicing_item_complete(item=item, by=desk.back_office, at=at(day + 3))

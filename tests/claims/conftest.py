"""Claims on the case engine: the shipped process loaded, claims staff of branch A (a handler,
a counter manager) and an investigator of the city branch above it, a medical policy, and
steps that walk a claim to a given state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from policydesk.cases.process_services import processes_sync
from policydesk.claims import services
from policydesk.claims.models import Claim
from policydesk.org.models import Role, Staff
from policydesk.policies.models import Policy
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A Tuesday (a working day, no holiday near) well before "now".
REPORTED_AT = dt.datetime(2026, 9, 1, 9, 30, tzinfo=SHANGHAI)


def later(days: int = 0, hour: int = 10, minute: int = 0) -> dt.datetime:
    return (REPORTED_AT + dt.timedelta(days=days)).replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class ClaimsWorld:
    world: World
    handler: Staff
    handler_b: Staff
    investigator: Staff
    head: Staff
    policy: Policy
    customer: Any


@pytest.fixture
def cw(world: World) -> ClaimsWorld:
    processes_sync()
    services.authority_limits_sync()
    handler = factories.staff(Role.CLAIMS_HANDLER, world.branch_a, username="claims_a")
    handler_b = factories.staff(Role.CLAIMS_HANDLER, world.branch_b, username="claims_b")
    investigator = factories.staff(Role.CLAIMS_INVESTIGATOR, world.city, username="investigator")
    customer = factories.customer(world.branch_a, name="Lin Hua")
    product = factories.product(code="MED-1", line="medical", term="short")
    policy = factories.policy(customer, number="PL-MED-1", product_=product)
    return ClaimsWorld(
        world=world,
        handler=handler,
        handler_b=handler_b,
        investigator=investigator,
        head=world.head,
        policy=policy,
        customer=customer,
    )


def report(
    cw: ClaimsWorld, *, amount: str = "1800.00", at: dt.datetime = REPORTED_AT, **extra: Any
) -> Claim:
    fields: dict[str, Any] = {
        "policy": cw.policy,
        "claimant": cw.customer,
        "claim_type": "medical",
        "event_date": dt.date(2026, 8, 28),
        "claimed_amount": Decimal(amount),
        "description": "Outpatient treatment for a sprained ankle.",
        "by": cw.handler,
        "at": at,
    }
    fields.update(extra)
    return services.claim_report(**fields)


def register(
    cw: ClaimsWorld,
    claim: Claim,
    *,
    at: dt.datetime = REPORTED_AT,
    facts_clear: bool = True,
    **extra: Any,
) -> Claim:
    services.claim_accept(claim=claim, by=cw.handler, at=at)
    return services.claim_register(
        claim=claim, facts_clear=facts_clear, by=cw.handler, at=at, **extra
    )


def calculate(
    cw: ClaimsWorld,
    claim: Claim,
    covered: str,
    *,
    at: dt.datetime = REPORTED_AT,
    deductions: Any = (),
) -> Claim:
    return services.claim_calculate(
        claim=claim,
        covered_amount=Decimal(covered),
        deductions=list(deductions),
        by=cw.handler,
        at=at,
    )


def fresh(claim: Claim) -> Claim:
    return Claim.objects.select_related("case", "case__state").get(pk=claim.pk)


def signed_in_en(staff: Staff) -> Any:
    """A signed-in browser session that asks for English pages."""
    from tests.conftest import signed_in

    client = signed_in(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client

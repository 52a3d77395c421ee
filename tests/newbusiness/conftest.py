"""New business on the case engine: the shipped process loaded, the roles' new-business
grants, products, an agent, an applicant, a back-office underwriter, and helpers that walk an
application to a given stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from policydesk.cases.models import CaseClock
from policydesk.cases.process_services import processes_sync
from policydesk.newbusiness import services
from policydesk.newbusiness.models import Application
from policydesk.org.models import Role, Staff
from policydesk.policies import services as policy_services
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Tuesday 1 September 2026, a working day well before "now".
RECEIVED_AT = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)


def at_day(days: int, hour: int = 10) -> dt.datetime:
    return (RECEIVED_AT + dt.timedelta(days=days)).replace(hour=hour)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Desk:
    world: World
    underwriter: Staff
    long_product: Any
    card_product: Any
    group_product: Any
    agent: Any
    bank: Any
    applicant: Any


@pytest.fixture
def desk(world: World) -> Desk:
    processes_sync()
    agent = policy_services.agent_create(
        code="AG-101", name="Agent Lin", branch=world.branch_a, by=None
    )
    bank = policy_services.intermediary_create(
        code="BK-11", name="County Rural Bank", kind="bank", by=None
    )
    return Desk(
        world=world,
        underwriter=factories.staff(Role.BACK_OFFICE, world.branch_a, username="underwriter_a"),
        long_product=factories.product("LT-01", name="Whole life 01"),
        card_product=factories.product(
            "SC-01",
            name="Accident card",
            line="accident",
            term="short",
            cooling_off_days={},
            payment_modes=["single"],
        ),
        group_product=factories.product(
            "GR-01",
            name="Student accident",
            line="accident",
            term="short",
            cooling_off_days={},
            payment_modes=["single"],
        ),
        agent=agent,
        bank=bank,
        applicant=factories.customer(world.branch_a, name="Chen Mei"),
    )


def register(desk: Desk, *, at: dt.datetime = RECEIVED_AT, **extra: Any) -> Application:
    fields: dict[str, Any] = {
        "branch": desk.world.branch_a,
        "source_system": "long_term_core",
        "channel": "agency",
        "product": desk.long_product,
        "applicant": desk.applicant,
        "sum_assured": Decimal("100000.00"),
        "premium": Decimal("5000.00"),
        "payment_mode": "annual",
        "payment_method": "auto_debit",
        "agent": desk.agent,
        "term_years": 20,
        "by": desk.world.teller_a,
        "at": at,
    }
    fields.update(extra)
    return services.application_register(**fields)


def to_review(desk: Desk, application: Application, at: dt.datetime) -> Application:
    for step in ("start-entry", "entry-done"):
        application = services.application_step(
            application=application, step=step, by=desk.world.teller_a, at=at
        )
    return application


def to_underwriting(desk: Desk, application: Application, at: dt.datetime) -> Application:
    application = to_review(desk, application, at)
    application = services.application_review(
        application=application, defects=[], by=desk.world.teller_a, at=at
    )
    return services.application_scan_qc(
        application=application, passed=True, by=desk.world.teller_a, at=at
    )


def to_premium_received(desk: Desk, application: Application, at: dt.datetime) -> Application:
    application = to_underwriting(desk, application, at)
    application = services.application_accept(application=application, by=desk.underwriter, at=at)
    return services.application_premium_received(
        application=application, received_on=at.date(), by=desk.world.teller_a, at=at
    )


def clock(application: Application, code: str) -> CaseClock:
    return application.case.clocks.get(code=code)


def local_due_day(clock_: CaseClock) -> dt.date:
    assert clock_.due_at is not None
    return (clock_.due_at.astimezone(SHANGHAI) - dt.timedelta(microseconds=1)).date()

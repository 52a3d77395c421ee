"""Callbacks: the shipped configuration and processes loaded, callback agents speaking
Mandarin and Puxian, a complaints handler, and new long-term policies whose numbers carry
the seed branch's defects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackTask, CallbackTrigger
from policydesk.cases.process_services import processes_sync
from policydesk.org.models import Language, Role, Skill, Staff, Team
from policydesk.policies import services as policy_services
from policydesk.policies.models import Agent, Intermediary, Policy
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Receipt signed on a Tuesday; callbacks are dialled the week after, in office hours.
SIGNED = dt.date(2026, 9, 1)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Desk:
    world: World
    mandarin: Language
    puxian: Language
    callbacks_team: Team
    complaints_team: Team
    agent: Staff  # callback agent, Mandarin only
    dialect_agent: Staff  # callback agent, Mandarin and Puxian
    handler: Staff  # complaints team
    head: Staff  # head of service of branch A's tree
    salesperson: Agent
    bank: Intermediary
    product: Any

    def sale(
        self,
        *,
        phone: str = "13812345678",
        phone_type: str = "mobile",
        channel: str = "agency",
        signed: dt.date = SIGNED,
        jurisdiction: str = "CN",
        dialect_only: bool = False,
        **extra: Any,
    ) -> Policy:
        """A new ten-year policy whose receipt was signed on `signed`."""
        from policydesk.customers import services as customer_services

        fields: dict[str, Any] = {}
        if dialect_only:
            fields = {"preferred_language": self.puxian, "dialect": self.puxian}
        holder = factories.customer(self.world.branch_a, **fields)
        if phone:
            customer_services.contact_add(
                customer=holder,
                kind="phone",
                raw=phone,
                phone_type=phone_type,
                is_primary=True,
                by=None,
            )
        return factories.policy(
            holder,
            channel=channel,
            issue_date=signed - dt.timedelta(days=3),
            receipt_signed_date=signed,
            status="issued",
            jurisdiction=jurisdiction,
            product_=extra.pop("product_", self.product),
            term_years=extra.pop("term_years", 10),
            agent=extra.pop("agent", self.salesperson if channel == "agency" else None),
            intermediary=extra.pop(
                "intermediary", self.bank if channel == "bancassurance" else None
            ),
            **extra,
        )

    def task_for(self, policy: Policy, *, at: dt.datetime | None = None) -> CallbackTask:
        services.callback_sync(now=at or local(policy.receipt_signed_date or SIGNED, 10))
        return CallbackTask.objects.get(
            policy=policy, trigger=CallbackTrigger.objects.get(code="new-policy")
        )


@pytest.fixture
def desk(world: World) -> Desk:
    processes_sync()
    services.config_sync()
    mandarin = Language.objects.create(code="mandarin", name="Mandarin")
    puxian = Language.objects.create(code="puxian", name="Puxian", is_dialect=True)
    complaints_skill = Skill.objects.create(code="complaints", name="Complaints")
    callbacks_team = factories.team(world.branch_a, code="callbacks")
    complaints_team = factories.team(world.branch_a, code="complaints")
    agent = factories.staff(
        Role.CALLBACK_AGENT,
        world.branch_a,
        username="cb-mandarin",
        team=callbacks_team,
        languages=[mandarin],
    )
    dialect_agent = factories.staff(
        Role.CALLBACK_AGENT,
        world.branch_a,
        username="cb-puxian",
        team=callbacks_team,
        languages=[mandarin, puxian],
    )
    handler = factories.staff(
        Role.COUNTER_MANAGER,
        world.branch_a,
        username="complaints-handler",
        team=complaints_team,
        skills=[complaints_skill],
    )
    salesperson = policy_services.agent_create(
        code="AG-7", name="Agent Zheng", branch=world.branch_a, by=None
    )
    bank = policy_services.intermediary_create(
        code="BANK-CCB", name="China Construction Bank", kind="bank", by=None
    )
    return Desk(
        world=world,
        mandarin=mandarin,
        puxian=puxian,
        callbacks_team=callbacks_team,
        complaints_team=complaints_team,
        agent=agent,
        dialect_agent=dialect_agent,
        handler=handler,
        head=factories.staff(Role.HEAD_OF_SERVICE, world.branch_a, username="head-a"),
        salesperson=salesperson,
        bank=bank,
        product=factories.product("LIFE10"),
    )


ALL_YES = {
    "identity": "yes",
    "signed-in-person": "yes",
    "read-terms": "yes",
    "coverage": "yes",
    "surrender-loss": "yes",
    "cooling-off": "yes",
    "instalments": "yes",
}

"""Complaints on the case engine: the shipped process loaded, a customer with a policy sold
by an agent through a bank, and steps that walk a complaint to a given state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from policydesk.cases import services as case_services
from policydesk.cases.models import CaseClock
from policydesk.cases.process_services import processes_sync
from policydesk.complaints import services
from policydesk.complaints.models import Complaint, RootCause
from policydesk.org.models import Staff
from policydesk.policies import services as policy_services
from policydesk.policies.models import Agent, Intermediary, Policy
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A Tuesday well before "now", so every step (a review request included) lies in the past.
LOGGED_AT = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)


def days_later(days: int, hour: int = 10) -> dt.datetime:
    return (LOGGED_AT + dt.timedelta(days=days)).replace(hour=hour)


@dataclass
class Sale:
    customer: Any
    policy: Policy
    agent: Agent
    intermediary: Intermediary


@pytest.fixture
def sale(world: World) -> Sale:
    processes_sync()
    agent = policy_services.agent_create(
        code="AG-001", name="Agent Lin", branch=world.branch_a, by=None
    )
    bank = policy_services.intermediary_create(
        code="BK-01", name="County Rural Bank", kind="bank", by=None
    )
    customer = factories.customer(world.branch_a, name="Chen Mei")
    policy = factories.policy(
        customer, channel="bancassurance", agent=agent, intermediary=bank, number="PL-A-1"
    )
    return Sale(customer=customer, policy=policy, agent=agent, intermediary=bank)


def cause(code: str) -> RootCause:
    return RootCause.objects.get(code=code)


def log(world: World, sale: Sale, *, at: dt.datetime = LOGGED_AT, **extra: Any) -> Complaint:
    fields: dict[str, Any] = {
        "channel": "counter",
        "branch": world.branch_a,
        "customer": sale.customer,
        "policy": sale.policy,
        "subject": "Promised 8% a year",
        "description": "The agent said the participating policy returns 8% a year.",
        "by": world.teller_a,
        "at": at,
    }
    fields.update(extra)
    return services.complaint_log(**fields)


def investigate(complaint: Complaint, by: Staff, at: dt.datetime) -> Complaint:
    case = complaint.case
    case_services.case_checklist_mark(case=case, item_code="identity", done=True, by=by, at=at)
    case_services.case_transition(case=case, transition_code="accept", by=by, at=at)
    if complaint.root_cause is None:
        services.complaint_set_root_cause(
            complaint=complaint, root_cause=cause("mis-selling"), by=by, at=at
        )
    case_services.case_transition(case=case, transition_code="investigate", by=by, at=at)
    return Complaint.objects.get(pk=complaint.pk)


def decide(
    complaint: Complaint, by: Staff, at: dt.datetime, outcome: str = "partly_upheld"
) -> Complaint:
    for item in ("evidence", "salesperson-heard"):
        case_services.case_checklist_mark(
            case=complaint.case, item_code=item, done=True, by=by, at=at
        )
    return services.complaint_decide(
        complaint=complaint, outcome=outcome, resolution="First premium refunded", by=by, at=at
    )


def notify(complaint: Complaint, by: Staff, at: dt.datetime) -> Complaint:
    return services.complaint_notify(
        complaint=complaint, channel="letter", notice_text="We partly uphold it.", by=by, at=at
    )


def regulatory_clock(complaint: Complaint) -> CaseClock:
    return complaint.case.clocks.get(code=services.REGULATORY_CLOCK)


def local_due_day(clock: CaseClock) -> dt.date:
    """The last counted day: the due moment is that day's local midnight (its end)."""
    assert clock.due_at is not None
    return (clock.due_at.astimezone(SHANGHAI) - dt.timedelta(microseconds=1)).date()

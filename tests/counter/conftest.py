"""The counter hall of branch A: service types synced, skills, two windows, tellers with
different skills, and helpers that walk a ticket through the queue at given times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from policydesk.cases import process_services
from policydesk.cases.models import Process
from policydesk.counter import selectors, services
from policydesk.counter.models import ServiceType, Ticket, Visit
from policydesk.counter.selectors import Period
from policydesk.org.models import Role, Skill, Staff, Team
from tests import factories
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MORNING = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)  # a Tuesday


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@dataclass
class Hall:
    world: World
    servicing: ServiceType
    claims: ServiceType
    new_business: ServiceType
    enquiry: ServiceType
    window_1: Team
    window_2: Team
    servicing_teller: Staff  # skills: servicing
    claims_teller: Staff  # skills: claims, servicing


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def hall(world: World) -> Hall:
    services.service_types_sync()
    skills = {
        code: Skill.objects.get_or_create(code=code, defaults={"name": code})[0]
        for code in ("new-business", "servicing", "claims", "complaints")
    }
    window_1 = factories.team(world.branch_a, code="window-1", kind="counter")
    window_2 = factories.team(world.branch_a, code="window-2", kind="counter")
    servicing_teller = factories.staff(
        Role.FRONT_TELLER, world.branch_a, username="svc_teller", skills=[skills["servicing"]]
    )
    claims_teller = factories.staff(
        Role.FRONT_TELLER,
        world.branch_a,
        username="clm_teller",
        skills=[skills["claims"], skills["servicing"]],
    )
    types = {t.code: t for t in ServiceType.objects.all()}
    return Hall(
        world=world,
        servicing=types["servicing"],
        claims=types["claims"],
        new_business=types["new-business"],
        enquiry=types["enquiry"],
        window_1=window_1,
        window_2=window_2,
        servicing_teller=servicing_teller,
        claims_teller=claims_teller,
    )


def issue(hall: Hall, service_type: ServiceType, at: dt.datetime, **extra: Any) -> Ticket:
    return services.ticket_issue(
        branch=hall.world.branch_a,
        service_type=service_type,
        by=hall.world.teller_a,
        at=at,
        **extra,
    )


def serve_through(
    ticket: Ticket,
    teller: Staff,
    *,
    called_at: dt.datetime,
    service_minutes: float,
    rating: int | None = None,
    rating_outcome: str = "",
    note: str = "",
) -> Visit:
    """Call (the ticket must be the teller's next), serve and complete it."""
    called = services.ticket_call_next(by=teller, at=called_at)
    assert called is not None and called.pk == ticket.pk
    visit = services.ticket_serve(ticket=called, by=teller, at=called_at + minutes(1))
    return services.ticket_complete(
        ticket=called,
        by=teller,
        rating=rating,
        rating_outcome=rating_outcome,
        unrated_note=note,
        at=visit.started_at + minutes(service_minutes),
    )


def march() -> Period:
    period = selectors.month_period("2026-03", "2026-03")
    assert period is not None
    return period


def ensure_process(code: str) -> Process:
    """The process with this code: the shipped one when present, else a minimal stand-in
    (the counter tests do not depend on the other apps' definitions)."""
    existing = Process.objects.filter(code=code).first()
    if existing is not None:
        return existing
    process = process_services.process_create(
        code=code, name=code, number_prefix=code[:2].upper(), by=None
    )
    draft = process_services.process_version_draft(process=process, by=None)
    process_services.process_version_save(
        version=draft,
        definition={
            "states": [
                {"code": "received", "name": "received", "category": "open", "initial": True},
                {"code": "done", "name": "done", "category": "resolved"},
            ],
            "transitions": [{"code": "finish", "name": "finish", "from": "received", "to": "done"}],
        },
        notes="test",
        by=None,
    )
    process_services.process_version_publish(version=draft, by=None)
    process.refresh_from_db()
    return process

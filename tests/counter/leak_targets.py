"""Branch-A objects of the counter for the cross-branch leak walk (tests/core)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policydesk.counter import services
from policydesk.counter.models import RatingOutcome, ServiceType
from policydesk.org.models import Role
from tests import factories


def leak_targets(
    world: Any, staff_a: Any, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    services.service_types_sync()
    window = factories.team(world.branch_a, code="leak-window", kind="counter")
    teller = factories.staff(Role.FRONT_TELLER, world.branch_a, username="leak-teller")
    servicing = ServiceType.objects.get(code="enquiry")  # needs no skill
    at = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    ticket = services.ticket_issue(
        branch=world.branch_a,
        service_type=servicing,
        customer=customer_a,
        note=f"{secret} ticket note",
        by=None,
        at=at,
    )
    services.window_open(window=window, by=teller, at=at)
    called = services.ticket_call_next(by=teller, at=at + dt.timedelta(minutes=3))
    assert called is not None
    services.ticket_serve(ticket=called, by=teller, at=at + dt.timedelta(minutes=4))
    visit = services.ticket_complete(
        ticket=called,
        by=teller,
        rating_outcome=RatingOutcome.OTHER,
        unrated_note=f"{secret} unrated",
        at=at + dt.timedelta(minutes=9),
    )
    return {
        "ticket_id": str(ticket.pk),
        "visit_id": str(visit.pk),
        "service_type_id": str(servicing.pk),
    }

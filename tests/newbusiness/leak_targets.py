"""Branch-A new-business objects for the cross-branch leak walk (tests/core)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from policydesk.newbusiness.models import Application, Requirement
from policydesk.newbusiness.services import application_register
from policydesk.policies import services as policy_services
from tests import factories


def leak_targets(
    world: Any, staff_a: Any, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    agent = policy_services.agent_create(
        code="LEAK-AG", name=f"{secret} agent", branch=world.branch_a, by=None
    )
    # Products are company-wide reference data (not branch data): no secret in them.
    product = factories.product("LEAK-LT", name="Leak-walk whole life")
    application = application_register(
        branch=world.branch_a,
        source_system="long_term_core",
        channel="agency",
        product=product,
        applicant=customer_a,
        sum_assured=Decimal("100000.00"),
        premium=Decimal("3000.00"),
        payment_mode="annual",
        payment_method="auto_debit",
        agent=agent,
        form_number="LEAK-F1",
        by=None,
    )
    Application.objects.filter(pk=application.pk).update(exit_note=f"{secret} note")
    requirement = Requirement.objects.create(
        application=application,
        kind="other",
        note=f"{secret} requirement",
        raised_at=application.received_at,
    )
    return {"application_id": str(application.pk), "requirement_id": str(requirement.pk)}

"""Branch-A objects of claims for the cross-branch leak walk (tests/core)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from policydesk.cases.process_services import processes_sync
from policydesk.claims import services
from policydesk.org.models import Role, Staff
from tests import factories


def leak_targets(
    world: Any, staff_a: Staff, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    processes_sync()
    services.authority_limits_sync()
    handler = factories.staff(Role.CLAIMS_HANDLER, world.branch_a, username="leak-claims")
    investigator = factories.staff(
        Role.CLAIMS_INVESTIGATOR, world.branch_a, username="leak-investigator"
    )
    claim = services.claim_report(
        policy=policy_a,
        claimant=customer_a,
        claim_type="medical",
        event_date=policy_a.application_date + dt.timedelta(days=1),
        claimed_amount=Decimal("1200.00"),
        description=f"{secret} claim description",
        by=handler,
    )
    services.claim_request_documents(claim=claim, documents=[f"{secret} invoice"], by=handler)
    services.claim_accept(claim=claim, by=handler)
    services.claim_register(claim=claim, facts_clear=False, by=handler)
    services.claim_investigate(
        claim=claim, investigator=investigator, reason=f"{secret} investigation", by=handler
    )
    return {"claim_id": str(claim.pk)}

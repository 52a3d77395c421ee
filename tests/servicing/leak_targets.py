"""Branch-A servicing objects for the generic cross-branch leak walk."""

from __future__ import annotations

from typing import Any

from policydesk.servicing import services


def leak_targets(
    world: Any, staff_a: Any, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    services.catalogue_sync()
    item = services.servicing_item_apply(
        policy=policy_a,
        item_code="contact-change",
        applicant_role="policyholder",
        channel="counter",
        details={"kind": "address", "value": f"{secret} 仙游县鲤城街道", "note": secret},
        documents=["application-form"],
        by=None,
    )
    return {"item_id": str(item.pk), "item_code": "contact-change"}

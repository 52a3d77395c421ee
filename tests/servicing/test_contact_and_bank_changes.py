"""Contact and bank-account changes: eligibility, the effect through the registry's
services, the endorsement with before and after, the audit."""

from __future__ import annotations

import pytest

from policydesk.core.audit import AuditEvent  # noqa: F401
from policydesk.customers.models import ContactPoint
from policydesk.policies.models import BankMandate
from policydesk.servicing import services
from policydesk.servicing.models import PolicyEndorsement

from .conftest import Desk, apply, finish


def test_a_phone_change_becomes_the_primary_contact_and_is_endorsed(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "phone", "value": "13900139000"})
    item = finish(desk, item)
    primary = ContactPoint.objects.get(customer=desk.holder, kind="phone", is_primary=True)
    assert primary.raw == "13900139000" and primary.is_valid
    endorsement = PolicyEndorsement.objects.get(item=item)
    assert endorsement.effect == "contact_change"
    assert endorsement.after["contact_id"] == primary.pk
    assert endorsement.before["primary_contact_ids"] != [primary.pk]
    assert item.case.state.code == "done"


def test_a_bank_account_change_replaces_the_mandate_and_keeps_only_the_last_four(
    desk: Desk,
) -> None:
    item = apply(
        desk,
        "bank-account-change",
        details={"bank_name": "Postal Savings Bank", "account_number": "6217 0000 1111 2222"},
    )
    assert "6217000011112222" not in str(item.details)
    assert item.details["account_last4"] == "2222"
    finish(desk, item)
    mandate = BankMandate.objects.get(policy=desk.policy)
    assert (mandate.bank_name, mandate.account_last4) == ("Postal Savings Bank", "2222")
    endorsement = PolicyEndorsement.objects.get(item=item)
    assert endorsement.before["account_last4"] == "5678"
    assert endorsement.after["account_last4"] == "2222"


def test_a_contact_the_policyholder_already_has_is_refused_and_nothing_is_written(
    desk: Desk,
) -> None:
    with pytest.raises(services.DomainError) as refused:
        apply(desk, "contact-change", details={"kind": "phone", "value": "13800138000"})
    assert refused.value.field == "details.value"
    assert not desk.policy.servicing_items.exists()

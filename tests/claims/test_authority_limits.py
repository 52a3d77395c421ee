"""Approval within the authority limits by role (核赔权限): above the limit the approval is
refused, naming the limit, and the claim is referred to a higher authority."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policydesk.claims import services
from policydesk.claims.models import AuthorityLimit, ClaimApproval
from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.org.models import Role
from tests import factories

from .conftest import ClaimsWorld, calculate, fresh, later, register, report


def test_the_limits_are_seeded_by_role(db: None) -> None:
    limits = {row.role: row.limit for row in AuthorityLimit.objects.all()}
    assert limits["claims_handler"] == Decimal("10000.00")
    assert limits["head_of_service"] == Decimal("500000.00")


def test_a_handler_approves_within_the_limit(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="2400.00"))
    calculate(cw, claim, "2400.00")
    services.claim_approve(claim=claim, by=cw.handler, at=later(0, 11))
    claim = fresh(claim)
    assert claim.case.state.code == "approved" and claim.approved_by == cw.handler
    approval = ClaimApproval.objects.get(claim=claim)
    assert (approval.outcome, approval.limit) == ("approved", Decimal("10000.00"))


def test_an_approver_above_the_limit_is_refused_and_the_claim_goes_higher(
    cw: ClaimsWorld,
) -> None:
    other = factories.staff(Role.CLAIMS_HANDLER, cw.world.branch_a, username="claims_a2")
    claim = register(
        cw, report(cw, amount="60000.00", claim_type="critical_illness"), facts_clear=False
    )
    calculate(cw, claim, "60000.00")
    with pytest.raises(services.AuthorityExceeded) as refused:
        services.claim_approve(claim=claim, by=other, at=later(0, 11))
    assert "10000.00" in refused.value.message
    assert refused.value.code == "authority_exceeded"
    assert refused.value.referred_to == cw.head
    claim = fresh(claim)
    assert claim.case.state.code == "referred" and claim.case.assignee == cw.head
    assert claim.approved_at is None
    referral = ClaimApproval.objects.get(claim=claim)
    assert (referral.outcome, referral.referred_to) == ("referred", cw.head)
    services.claim_approve(claim=claim, by=cw.head, at=later(0, 14))
    claim = fresh(claim)
    assert claim.case.state.code == "approved" and claim.approved_by == cw.head


def test_above_every_limit_nobody_is_named_and_nothing_is_approved(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="900000.00", claim_type="death"), facts_clear=False)
    calculate(cw, claim, "900000.00")
    with pytest.raises(services.AuthorityExceeded) as refused:
        services.claim_approve(claim=claim, by=cw.head, at=later(0, 11))
    assert "500000.00" in refused.value.message and "head office" in refused.value.message
    assert refused.value.referred_to is None
    claim = fresh(claim)
    assert claim.case.state.code == "calculating" and claim.approved_at is None


def test_a_decline_needs_the_limit_on_the_amount_claimed(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="40000.00", claim_type="accident"), facts_clear=False)
    with pytest.raises(DomainError) as refused:
        services.claim_decline(claim=claim, reason="Drunk driving", by=cw.handler, at=later(0, 11))
    assert "10000.00" in refused.value.message
    claim = fresh(claim)
    assert claim.decision == "" and claim.case.state.code == "registered"


def test_a_role_without_the_approve_grant_is_refused(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    calculate(cw, claim, "1800.00")
    with pytest.raises(PermissionRefused, match=r"claims\.approve"):
        services.claim_approve(claim=claim, by=cw.investigator, at=later(0, 11))
    assert not ClaimApproval.objects.exists()


def test_whoever_calculated_a_claim_above_the_small_limit_does_not_approve_it(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw, amount="6000.00"), facts_clear=False)
    calculate(cw, claim, "6000.00")
    with pytest.raises(DomainError) as refused:
        services.claim_approve(claim=claim, by=cw.handler, at=later(0, 11))
    assert refused.value.code == "four_eyes"
    assert fresh(claim).case.state.code == "calculating"

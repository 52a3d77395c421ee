"""Calculation (理算) with deductions and their reasons, the investigation by an investigator
of the branch above, and the withdrawal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policydesk.claims import services
from policydesk.claims.models import Deduction, Investigation
from policydesk.core.errors import DomainError
from policydesk.org.models import Role
from tests import factories

from .conftest import ClaimsWorld, calculate, fresh, later, register, report

Line = services.DeductionLine


def test_the_payable_amount_is_the_covered_amount_less_the_deductions(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="2600.00"))
    calculate(
        cw,
        claim,
        "2400.00",
        deductions=[Line("deductible", "100.00"), Line("co_pay", "230.00", "10 %")],
    )
    claim = fresh(claim)
    assert claim.covered_amount == Decimal("2400.00")
    assert claim.deductions_total == Decimal("330.00")
    assert claim.payable_amount == Decimal("2070.00")
    assert claim.case.state.code == "calculating"
    # A recalculation replaces the lines.
    calculate(cw, claim, "2400.00", deductions=[Line("deductible", "100.00")])
    assert list(Deduction.objects.values_list("reason", flat=True)) == ["deductible"]
    assert fresh(claim).payable_amount == Decimal("2300.00")


def test_social_insurance_is_not_deducted_unless_the_premium_was_priced_for_it(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw))
    with pytest.raises(DomainError) as refused:
        calculate(cw, claim, "1800.00", deductions=[Line("social_insurance", "600.00")])
    assert refused.value.code == "deduction_not_allowed"
    assert refused.value.field == "deductions[0].reason"
    claim = fresh(claim)
    assert claim.payable_amount is None and not Deduction.objects.exists()
    assert claim.case.state.code == "registered"


def test_social_insurance_is_deducted_when_the_premium_was_priced_for_it(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw), social_insurance_priced=True)
    calculate(cw, claim, "1800.00", deductions=[Line("social_insurance", "600.00")])
    assert fresh(claim).payable_amount == Decimal("1200.00")


def test_premium_owed_is_deducted_only_in_the_grace_period(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    with pytest.raises(DomainError, match="grace period"):
        calculate(cw, claim, "1800.00", deductions=[Line("premium_owed", "300.00")])
    cw.policy.status = "in_grace"
    cw.policy.save(update_fields=["status"])
    calculate(cw, fresh(claim), "1800.00", deductions=[Line("premium_owed", "300.00")])
    assert fresh(claim).payable_amount == Decimal("1500.00")


def test_deductions_cannot_exceed_the_covered_amount_nor_cover_exceed_the_claim(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw, amount="1000.00"))
    with pytest.raises(DomainError) as too_much_cover:
        calculate(cw, claim, "1200.00")
    assert too_much_cover.value.field == "covered_amount"
    with pytest.raises(DomainError) as too_many_deductions:
        calculate(cw, claim, "1000.00", deductions=[Line("not_covered", "1000.01")])
    assert too_many_deductions.value.field == "deductions"
    assert fresh(claim).calculated_at is None


def test_only_an_investigator_of_the_branch_or_above_may_be_given_the_investigation(
    cw: ClaimsWorld,
) -> None:
    elsewhere = factories.staff(Role.CLAIMS_INVESTIGATOR, cw.world.branch_b, username="inv-b")
    claim = register(cw, report(cw), facts_clear=False)
    with pytest.raises(DomainError) as refused:
        services.claim_investigate(
            claim=claim, investigator=elsewhere, reason="Check", by=cw.handler, at=later(0, 11)
        )
    assert refused.value.field == "investigator"
    assert not Investigation.objects.exists()
    assert fresh(claim).case.state.code == "registered"


def test_only_the_assigned_investigator_records_the_findings(cw: ClaimsWorld) -> None:
    other = factories.staff(Role.CLAIMS_INVESTIGATOR, cw.world.city, username="inv-2")
    claim = register(cw, report(cw), facts_clear=False)
    investigation = services.claim_investigate(
        claim=claim, investigator=cw.investigator, reason="Check", by=cw.handler, at=later(0, 11)
    )
    with pytest.raises(DomainError):
        services.investigation_conclude(
            investigation=investigation,
            findings="x",
            conclusion="confirmed",
            by=other,
            at=later(3),
        )
    services.investigation_conclude(
        investigation=investigation,
        findings="Hospital records match",
        conclusion="confirmed",
        by=cw.investigator,
        at=later(3),
    )
    claim = fresh(claim)
    assert claim.case.state.code == "calculating"
    assert claim.investigations.get().concluded_at == later(3)


def test_the_investigators_workload_counts_open_investigations(cw: ClaimsWorld) -> None:
    second = factories.staff(Role.CLAIMS_INVESTIGATOR, cw.world.city, username="inv-3")
    for _ in range(2):
        claim = register(cw, report(cw), facts_clear=False)
        services.claim_investigate(
            claim=claim,
            investigator=cw.investigator,
            reason="Check",
            by=cw.handler,
            at=later(0, 11),
        )
    offered = services.investigators_for(cw.world.branch_a)
    # Least loaded first: the second investigator has none open.
    assert [(s.pk, s.open_investigations) for s in offered] == [  # type: ignore[attr-defined]
        (second.pk, 0),
        (cw.investigator.pk, 2),
    ]


def test_a_withdrawn_claim_is_closed_with_its_reason(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    with pytest.raises(DomainError):
        services.claim_withdraw(claim=claim, reason=" ", by=cw.handler, at=later(0, 11))
    services.claim_withdraw(
        claim=claim, reason="Paid by another insurer", by=cw.handler, at=later(0, 11)
    )
    claim = fresh(claim)
    assert claim.case.state.code == "withdrawn" and claim.decision == "withdrawn"
    assert claim.decided_on_time is None
    assert not claim.case.clocks.filter(is_running=True).exists()

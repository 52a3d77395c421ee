"""Small-claim fast track (小额理赔快速通道): eligibility, the same-day target, the notice of
what to submit within 1 working day, and a small claim settled the same day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.claims import services
from policydesk.claims.models import Claim, ClaimPayment
from policydesk.core.errors import DomainError
from policydesk.policies.models import Disbursement

from .conftest import REPORTED_AT, SHANGHAI, ClaimsWorld, calculate, fresh, later, register, report


def test_a_small_medical_claim_with_clear_facts_goes_by_the_fast_track(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="2999.00"))
    claim = fresh(claim)
    assert claim.is_fast_track
    # Same day: the end of the report's local day.
    assert claim.fast_track_due_at == dt.datetime(2026, 9, 2, 0, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"amount": "3000.01"}, "above 3000.00 CNY"),
        ({"claim_type": "accident"}, "Only medical-expense claims"),
        ({"facts_clear": False}, "not recorded as clear"),
    ],
)
def test_a_claim_outside_any_condition_is_not_fast_tracked(
    cw: ClaimsWorld, changes: dict[str, object], why: str
) -> None:
    amount = str(changes.pop("amount", "1200.00"))
    facts_clear = bool(changes.pop("facts_clear", True))
    claim = register(cw, report(cw, amount=amount, **changes), facts_clear=facts_clear)
    claim = fresh(claim)
    assert not claim.is_fast_track and claim.fast_track_due_at is None
    assert any(why in problem for problem in services.fast_track_problems(claim))


def test_asking_for_the_fast_track_on_a_large_claim_is_refused_with_the_reason(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw, amount="8000.00"), facts_clear=False)
    with pytest.raises(DomainError) as refused:
        services.claim_fast_track(claim=claim, by=cw.handler, at=REPORTED_AT)
    assert refused.value.code == "fast_track_refused"
    assert "3000.00" in refused.value.message
    claim = fresh(claim)
    assert not claim.is_fast_track and not claim.facts_clear


def test_an_investigation_takes_the_claim_off_the_fast_track(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    assert fresh(claim).is_fast_track
    services.claim_investigate(
        claim=claim,
        investigator=cw.investigator,
        reason="Two hospitals",
        by=cw.handler,
        at=later(0, 11),
    )
    claim = fresh(claim)
    assert not claim.is_fast_track
    assert claim.case.state.code == "investigating"


def test_the_customer_is_told_what_to_submit_within_one_working_day(cw: ClaimsWorld) -> None:
    claim = report(cw)
    clock = claim.case.clocks.get(code="documents-notice")
    # Reported on Tuesday 1 September: due at the end of Wednesday 2 September.
    assert clock.due_at == dt.datetime(2026, 9, 3, 0, 0, tzinfo=SHANGHAI)
    services.claim_request_documents(
        claim=claim, documents=["医疗费用发票原件", "门诊病历"], by=cw.handler, at=later(1, 15)
    )
    clock.refresh_from_db()
    assert clock.met is True and not clock.is_running
    claim = fresh(claim)
    assert claim.documents_notice_at == later(1, 15)
    assert list(claim.documents.values_list("name", flat=True)) == ["医疗费用发票原件", "门诊病历"]
    assert claim.case.events.filter(type="commented", visibility="customer").count() == 1


def test_a_notice_after_the_working_day_misses_the_clock(cw: ClaimsWorld) -> None:
    claim = report(cw)
    services.claim_request_documents(claim=claim, documents=["发票"], by=cw.handler, at=later(2, 9))
    assert claim.case.clocks.get(code="documents-notice").met is False


def test_a_small_claim_is_paid_the_same_day(cw: ClaimsWorld) -> None:
    claim = report(cw, amount="1800.00")
    services.claim_request_documents(
        claim=claim, documents=["发票"], by=cw.handler, at=later(0, 9, 40)
    )
    services.claim_receive_documents(claim=claim, names=None, by=cw.handler, at=later(0, 10))
    register(cw, claim, at=later(0, 10, 5))
    calculate(
        cw,
        claim,
        "1800.00",
        at=later(0, 10, 20),
        deductions=[services.DeductionLine("deductible", "100.00")],
    )
    services.claim_approve(claim=claim, by=cw.handler, at=later(0, 10, 30))
    services.claim_close_paid(claim=claim, by=cw.handler, at=later(0, 10, 35))
    payment = services.claim_pay(
        claim=claim, method="bank_transfer", by=cw.handler, at=later(0, 16)
    )
    claim = fresh(claim)
    assert claim.case.state.code == "paid"
    assert claim.paid_amount == Decimal("1700.00") and payment.amount == Decimal("1700.00")
    assert claim.paid_at is not None and claim.fast_track_due_at is not None
    assert claim.paid_at < claim.fast_track_due_at  # met the same-day target
    assert claim.decided_on_time is True and claim.payment_on_time is True
    disbursement = Disbursement.objects.get(pk=payment.disbursement_id)
    assert (disbursement.kind, disbursement.method, disbursement.status) == (
        "claim",
        "bank_transfer",
        "paid",
    )
    assert disbursement.amount == Decimal("1700.00")


def test_paying_before_the_claim_is_closed_is_refused_and_writes_nothing(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    with pytest.raises(DomainError) as refused:
        services.claim_pay(claim=claim, method="cash", by=cw.handler, at=later(0, 12))
    assert refused.value.code == "claim_state"
    assert not ClaimPayment.objects.exists() and not Disbursement.objects.exists()
    assert Claim.objects.get(pk=claim.pk).paid_at is None

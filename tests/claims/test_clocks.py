"""The claim clocks: decision within 5 working days (30 days when complex), denial notice
within 3 days, payment within 10 days of the agreement, advance payment after 60 days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.cases.models import CaseClock
from policydesk.claims import services
from policydesk.claims.models import Claim, ClaimPayment
from policydesk.core.errors import DomainError

from .conftest import SHANGHAI, ClaimsWorld, calculate, fresh, later, register, report


def clock(claim: Claim, code: str) -> CaseClock:
    return CaseClock.objects.get(case_id=claim.case_id, code=code)


def midnight(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=SHANGHAI)


def test_a_simple_claim_is_decided_within_five_working_days(cw: ClaimsWorld) -> None:
    claim = report(cw)
    decision = clock(claim, "decision")
    # Tuesday 1 September + 5 working days = Tuesday 8 September, due at its end.
    assert decision.mode == "working_days"
    assert decision.due_at == midnight(2026, 9, 9)


def test_a_complex_claim_gets_thirty_days(cw: ClaimsWorld) -> None:
    claim = report(cw, amount="80000.00", claim_type="critical_illness")
    register(
        cw, claim, facts_clear=False, complexity="complex", complex_reason="Pre-existing condition?"
    )
    decision = clock(claim, "decision")
    assert decision.mode == "calendar_days"
    assert decision.due_at == midnight(2026, 10, 2)  # 30 days after 1 September
    assert fresh(claim).complexity == "complex"
    assert claim.case.events.filter(type="clock_retargeted").exists()


def test_complex_without_a_reason_is_refused_and_the_clock_stays(cw: ClaimsWorld) -> None:
    claim = report(cw)
    services.claim_accept(claim=claim, by=cw.handler, at=later())
    with pytest.raises(DomainError) as refused:
        services.claim_register(
            claim=claim, facts_clear=False, complexity="complex", by=cw.handler, at=later()
        )
    assert refused.value.field == "complex_reason"
    assert clock(claim, "decision").mode == "working_days"
    assert fresh(claim).case.state.code == "accepted"


def test_reclassifying_after_the_decision_clock_is_due_is_refused(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw), facts_clear=False)
    with pytest.raises(DomainError) as refused:
        services.claim_set_complexity(
            claim=claim, is_complex=True, reason="late", by=cw.handler, at=later(10)
        )
    assert refused.value.code == "clock_past_due"
    assert fresh(claim).complexity == "simple"


def test_a_decision_after_five_working_days_is_late(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="5000.00"), facts_clear=False)
    calculate(cw, claim, "5000.00", at=later(7))
    services.claim_approve(claim=claim, by=cw.head, at=later(8))
    services.claim_close_paid(claim=claim, by=cw.handler, at=later(8, 11))
    assert fresh(claim).decided_on_time is False
    assert clock(claim, "decision").met is False


def test_a_denial_notice_is_due_within_three_days(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw), facts_clear=False)
    services.claim_decline(
        claim=claim, reason="Treatment before the waiting period ended", by=cw.handler, at=later(2)
    )
    denial = clock(claim, "denial-notice")
    assert denial.due_at == midnight(2026, 9, 7)  # declined 3 Sep + 3 days, at its end
    services.claim_notify_denial(claim=claim, by=cw.handler, at=later(4, 16))
    claim = fresh(claim)
    assert claim.case.state.code == "denial-notified"
    assert claim.denial_notice_on_time is True
    assert claim.decision == "declined" and claim.decided_on_time is True
    notice = claim.case.events.filter(type="commented", visibility="customer").last()
    assert notice is not None and "waiting period" in notice.body


def test_a_late_denial_notice_misses_its_clock(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw), facts_clear=False)
    services.claim_decline(claim=claim, reason="Not covered", by=cw.handler, at=later(1))
    services.claim_notify_denial(claim=claim, by=cw.handler, at=later(6))
    assert fresh(claim).denial_notice_on_time is False


def test_payment_is_due_within_ten_days_of_the_agreement(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="2500.00"))
    calculate(cw, claim, "2500.00", at=later(1))
    services.claim_approve(claim=claim, by=cw.handler, at=later(1, 11))
    services.claim_close_paid(claim=claim, by=cw.handler, at=later(1, 12))
    payment = clock(claim, "payment")
    assert payment.due_at == midnight(2026, 9, 13)  # agreed 2 Sep + 10 days, at its end
    services.claim_pay(claim=claim, method="cash", by=cw.handler, at=later(13, 9))
    assert fresh(claim).payment_on_time is False
    assert clock(claim, "payment").met is False


def test_an_advance_is_refused_before_sixty_days_and_writes_nothing(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="90000.00", claim_type="disability"), facts_clear=False)
    with pytest.raises(DomainError) as refused:
        services.claim_advance_pay(
            claim=claim,
            amount="20000",
            method="bank_transfer",
            reason="Hospital bills",
            by=cw.handler,
            at=later(30),
        )
    assert refused.value.code == "advance_not_due"
    assert not ClaimPayment.objects.exists()
    assert fresh(claim).advance_paid_amount == Decimal("0.00")


def test_an_undetermined_claim_is_advance_paid_after_sixty_days_and_the_rest_later(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw, amount="9000.00", claim_type="disability"), facts_clear=False)
    assert services.advance_payment_due(claim.case.branch, claim.reported_at) == midnight(
        2026, 11, 1
    )
    services.claim_advance_pay(
        claim=claim,
        amount="4000",
        method="bank_transfer",
        reason="Hospital bills certain",
        by=cw.handler,
        at=later(60),
    )
    assert fresh(claim).advance_paid_amount == Decimal("4000.00")
    calculate(cw, claim, "9000.00", at=later(61))
    # Above ¥3,000 the calculator does not approve (four eyes): the head of service does.
    services.claim_approve(claim=claim, by=cw.head, at=later(61, 11))
    services.claim_close_paid(claim=claim, by=cw.handler, at=later(61, 12))
    final = services.claim_pay(claim=claim, method="bank_transfer", by=cw.handler, at=later(62))
    assert final.amount == Decimal("5000.00")
    claim = fresh(claim)
    assert claim.paid_amount == Decimal("9000.00")
    assert [p.is_advance for p in claim.payments.order_by("id")] == [True, False]

"""The claims pages: intake, queue, detail with its steps, the daily clean-up list, the
investigators' workload and an investigator's own list, the KPI page; scoped by branch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from policydesk.claims import services
from policydesk.claims.models import Claim
from policydesk.org.models import Role
from tests import factories

from .conftest import ClaimsWorld, calculate, fresh, register, report, signed_in_en


def test_a_handler_reports_a_claim_and_the_customer_is_told_what_to_submit(
    cw: ClaimsWorld,
) -> None:
    client = signed_in_en(cw.handler)
    page = client.get("/claims/new/")
    assert page.status_code == 200 and "医疗费用发票原件" in page.content.decode()
    answer = client.post(
        "/claims/new/",
        {
            "policy_number": cw.policy.number,
            "claimant_number": "",
            "claim_type": "medical",
            "event_date": timezone.localdate().isoformat(),
            "claimed_amount": "880.00",
            "channel": "counter",
            "description": "Fever, two outpatient visits",
            "documents": "理赔申请书\n医疗费用发票原件",
        },
    )
    claim = Claim.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/claims/{claim.pk}/"
    assert claim.documents_notice_at is not None
    assert claim.case.clocks.get(code="documents-notice").met is True
    detail = client.get(answer["Location"]).content.decode()
    assert claim.case.number in detail and "理赔申请书" in detail


def test_a_policy_of_another_branch_cannot_be_claimed_on(cw: ClaimsWorld) -> None:
    answer = signed_in_en(cw.handler_b).post(
        "/claims/new/",
        {
            "policy_number": cw.policy.number,
            "claim_type": "medical",
            "event_date": timezone.localdate().isoformat(),
            "claimed_amount": "100",
            "channel": "counter",
            "description": "x",
        },
    )
    assert answer.status_code == 200
    assert "No policy with this number" in answer.content.decode()
    assert not Claim.objects.exists()


def test_a_small_claim_goes_to_payment_through_the_detail_page(cw: ClaimsWorld) -> None:
    claim = report(cw, amount="1500.00", at=timezone.now() - dt.timedelta(minutes=30))
    client = signed_in_en(cw.handler)
    url = f"/claims/{claim.pk}/act/"
    steps: list[dict[str, Any]] = [
        {"action": "accept"},
        {"action": "register", "complexity": "simple"},
        {"action": "fast_track"},
        {
            "action": "calculate",
            "covered_amount": "1500.00",
            "deduction_reason_0": "co_pay",
            "deduction_amount_0": "150.00",
            "deduction_note_0": "10 %",
        },
        {"action": "approve"},
        {"action": "close_paid"},
        {"action": "pay", "method": "bank_transfer"},
    ]
    for step in steps:
        answer = client.post(url, step, follow=True)
        assert "Done." in answer.content.decode(), step
    claim = fresh(claim)
    assert claim.case.state.code == "paid" and claim.is_fast_track
    assert str(claim.paid_amount) == "1350.00"


def test_an_approval_above_the_limit_shows_the_limit_and_the_referral(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw, amount="25000.00", claim_type="accident"), facts_clear=False)
    services.claim_calculate(claim=claim, covered_amount="25000", deductions=[], by=cw.handler)
    # Another handler approves (who calculated does not, above the small-claim limit).
    second = signed_in_en(
        factories.staff(Role.CLAIMS_HANDLER, cw.world.branch_a, username="claims_a3")
    )
    answer = second.post(f"/claims/{claim.pk}/act/", {"action": "approve"}, follow=True)
    body = answer.content.decode()
    assert "above your authority limit of 10000.00" in body
    assert str(cw.head) in body
    assert fresh(claim).case.state.code == "referred"


def test_staff_of_another_branch_get_not_found_and_change_nothing(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    client = signed_in_en(cw.handler_b)
    assert client.get(f"/claims/{claim.pk}/").status_code == 404
    assert client.post(f"/claims/{claim.pk}/act/", {"action": "fast_track"}).status_code == 404
    queue = client.get("/claims/").content.decode()
    assert claim.case.number not in queue
    assert fresh(claim).case.state.code == "registered"


def test_the_queue_pages_with_a_bounded_number_of_queries(
    cw: ClaimsWorld, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        report(cw)
    client = signed_in_en(cw.handler)
    with django_assert_max_num_queries(16):
        answer = client.get("/claims/?open=1")
    assert answer.status_code == 200
    assert answer.content.decode().count('href="/claims/') >= 6


def test_the_clean_up_list_shows_small_claims_not_closed_per_handler(
    cw: ClaimsWorld, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    yesterday = now - dt.timedelta(days=1)
    late = register(cw, report(cw, amount="900", at=yesterday), at=yesterday)
    today = register(cw, report(cw, amount="1200", at=now), at=now)
    big = register(cw, report(cw, amount="9000", at=now), at=now)
    paid = register(cw, report(cw, amount="500", at=now), at=now)
    calculate(cw, paid, "500", at=now)
    services.claim_approve(claim=paid, by=cw.handler)
    services.claim_close_paid(claim=paid, by=cw.handler)
    services.claim_pay(claim=paid, method="cash", by=cw.handler)
    client = signed_in_en(cw.handler)
    with django_assert_max_num_queries(14):
        body = client.get("/claims/clean-up/").content.decode()
    assert late.case.number in body and today.case.number in body
    assert big.case.number not in body and paid.case.number not in body
    assert "1 past their day" in body
    result = client.get("/api/v1/claims/clean-up").json()
    numbers = [item["number"] for group in result["groups"] for item in group["items"]]
    assert sorted(numbers) == sorted([late.case.number, today.case.number])


def test_investigators_of_the_branch_above_are_offered_with_their_workload(
    cw: ClaimsWorld,
) -> None:
    first = register(cw, report(cw), facts_clear=False)
    services.claim_investigate(
        claim=first, investigator=cw.investigator, reason="Check the hospital", by=cw.handler
    )
    second = register(cw, report(cw), facts_clear=False)
    page = signed_in_en(cw.handler).get(f"/claims/{second.pk}/").content.decode()
    assert f"{cw.investigator} · {cw.world.city.name} (1)" in page
    workload = signed_in_en(cw.handler).get("/claims/investigators/").content.decode()
    assert str(cw.investigator) in workload
    mine = signed_in_en(cw.investigator).get("/claims/investigations/").content.decode()
    assert first.case.number in mine and second.case.number not in mine


def test_the_investigator_records_findings_from_the_detail_page(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw), facts_clear=False)
    services.claim_investigate(
        claim=claim, investigator=cw.investigator, reason="Two hospitals", by=cw.handler
    )
    client = signed_in_en(cw.investigator)
    answer = client.post(
        f"/claims/{claim.pk}/act/",
        {"action": "findings", "conclusion": "confirmed", "findings": "Both visits genuine"},
        follow=True,
    )
    assert "Done." in answer.content.decode()
    claim = fresh(claim)
    assert claim.case.state.code == "calculating"
    assert claim.investigations.get().conclusion == "confirmed"


def test_the_kpi_page_draws_the_rates(cw: ClaimsWorld, django_assert_max_num_queries: Any) -> None:
    earlier = timezone.now() - dt.timedelta(hours=3)
    claim = register(cw, report(cw, amount="800", at=earlier), at=earlier)
    calculate(cw, claim, "800", at=earlier)
    services.claim_approve(claim=claim, by=cw.handler)
    services.claim_close_paid(claim=claim, by=cw.handler)
    services.claim_pay(claim=claim, method="cash", by=cw.handler)
    client = signed_in_en(cw.handler)
    with django_assert_max_num_queries(14):
        body = client.get("/claims/kpis/").content.decode()
    assert "Decided on time" in body and "Investigation rate" in body
    assert 'class="chart"' in body and "100.0 %" in body

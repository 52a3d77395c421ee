"""The claims API: report (idempotent), the steps, the authority refusal, payments, the
KPIs, scoping and bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from policydesk.claims import services
from policydesk.claims.models import Claim
from policydesk.org.models import Role
from policydesk.policies.models import Disbursement
from tests import factories
from tests.conftest import signed_in

from .conftest import ClaimsWorld, calculate, register, report

JSON = "application/json"


def post(client: Any, url: str, data: dict[str, Any], **headers: str) -> Any:
    return client.post(url, data=data, content_type=JSON, **headers)


def test_a_claim_is_reported_once_per_idempotency_key(cw: ClaimsWorld) -> None:
    client = signed_in(cw.handler)
    body = {
        "policy_id": cw.policy.pk,
        "claim_type": "medical",
        "event_date": timezone.localdate().isoformat(),
        "claimed_amount": "1200.00",
        "description": "Outpatient visit",
    }
    first = post(client, "/api/v1/claims/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/claims/", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Claim.objects.count() == 1
    data = first.json()
    assert data["state"] == "reported" and data["claimant_id"] == cw.customer.pk
    assert {clock["code"] for clock in data["clocks"]} == {"documents-notice", "decision"}


def test_the_api_takes_a_small_claim_to_payment(cw: ClaimsWorld) -> None:
    claim = report(cw, amount="2000.00", at=timezone.now() - dt.timedelta(hours=1))
    client = signed_in(cw.handler)
    base = f"/api/v1/claims/{claim.pk}"
    steps = [
        ("/document-requests", {"documents": ["发票", "病历"]}),
        ("/acceptance", {}),
        ("/registration", {"facts_clear": True}),
        (
            "/calculation",
            {
                "covered_amount": "2000.00",
                "deductions": [{"reason": "not_covered", "amount": "300.00", "note": "自费药"}],
            },
        ),
        ("/approval", {}),
        ("/closure", {}),
    ]
    for path, payload in steps:
        answer = post(client, base + path, payload)
        assert answer.status_code == 200, (path, answer.content)
    assert answer.json()["state"] == "agreed" and answer.json()["is_fast_track"]
    paid = post(client, base + "/payments", {"method": "cash"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    replay = post(client, base + "/payments", {"method": "cash"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert paid.status_code == 201 and paid.json() == replay.json()
    assert paid.json()["amount"] == "1700.00"
    assert Disbursement.objects.filter(kind="claim").count() == 1
    final = client.get(base).json()
    assert final["state"] == "paid" and final["paid_amount"] == "1700.00"


def test_an_approval_above_the_limit_answers_409_with_the_higher_authority(
    cw: ClaimsWorld,
) -> None:
    claim = register(cw, report(cw, amount="30000.00", claim_type="accident"), facts_clear=False)
    calculate(cw, claim, "30000.00")
    other = factories.staff(Role.CLAIMS_HANDLER, cw.world.branch_a, username="claims_a4")
    answer = post(signed_in(other), f"/api/v1/claims/{claim.pk}/approval", {})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "authority_exceeded" and "10000.00" in error["message"]
    assert error["referred_to_id"] == cw.head.pk
    assert Claim.objects.get(pk=claim.pk).case.state.code == "referred"


def test_the_kpis_count_the_claims_of_the_period(cw: ClaimsWorld) -> None:
    start = timezone.now() - dt.timedelta(days=20)
    paid = register(cw, report(cw, amount="800", at=start), at=start)
    calculate(cw, paid, "800", at=start)
    services.claim_approve(claim=paid, by=cw.handler, at=start)
    services.claim_close_paid(claim=paid, by=cw.handler, at=start)
    services.claim_pay(claim=paid, method="cash", by=cw.handler, at=start + dt.timedelta(days=2))
    declined = register(cw, report(cw, amount="700", at=start), at=start, facts_clear=False)
    services.claim_decline(claim=declined, reason="Not covered", by=cw.handler, at=start)
    withdrawn = report(cw, at=start)
    services.claim_withdraw(claim=withdrawn, reason="Paid elsewhere", by=cw.handler, at=start)
    investigated = register(cw, report(cw, at=start), at=start, facts_clear=False)
    services.claim_investigate(
        claim=investigated, investigator=cw.investigator, reason="Check", by=cw.handler, at=start
    )
    data = signed_in(cw.handler).get("/api/v1/claims/kpis").json()
    assert data["reported"] == 4
    assert data["report_to_payment_mean_days"] == 2.0
    assert data["report_to_payment_p90_days"] == 2.0
    assert data["paid_rate_percent"] == "50.0"  # 1 paid ÷ (1 paid + 1 declined)
    assert data["withdrawn"] == 1
    assert data["decided_on_time_percent"] == "100.0"
    assert data["denial_notices_due"] == 1 and data["denial_notices_on_time"] == 0
    assert data["investigation_rate_percent"] == "33.3"  # 1 of 3 registered
    # Branch B sees none of it.
    other = signed_in(cw.handler_b).get("/api/v1/claims/kpis").json()
    assert other["reported"] == 0 and other["paid_rate_percent"] is None


def test_a_claim_of_another_branch_is_not_found_and_not_changed(cw: ClaimsWorld) -> None:
    claim = report(cw)
    client = signed_in(cw.handler_b)
    assert client.get(f"/api/v1/claims/{claim.pk}").status_code == 404
    assert post(client, f"/api/v1/claims/{claim.pk}/acceptance", {}).status_code == 404
    assert Claim.objects.get(pk=claim.pk).case.state.code == "reported"


def test_the_list_pages_with_a_bounded_number_of_queries(
    cw: ClaimsWorld, django_assert_max_num_queries: Any
) -> None:
    for _ in range(8):
        report(cw)
    client = signed_in(cw.handler)
    with django_assert_max_num_queries(12):
        first = client.get("/api/v1/claims/?limit=5").json()
    assert len(first["items"]) == 5 and first["count"] == 8
    rest = client.get(f"/api/v1/claims/?limit=5&after={first['next_cursor']}").json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None


def test_the_authority_limits_and_the_workload_are_listed(cw: ClaimsWorld) -> None:
    client = signed_in(cw.handler)
    limits = {
        row["role"]: row["limit"] for row in client.get("/api/v1/claims/authority-limits").json()
    }
    assert limits["claims_handler"] == "10000.00"
    workload = client.get("/api/v1/claims/investigators").json()
    assert [row["investigator_id"] for row in workload] == [cw.investigator.pk]

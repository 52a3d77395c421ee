"""The complaints API: create with an Idempotency-Key, list, detail, classify, escalate."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.complaints.models import Complaint
from tests.complaints.conftest import SHANGHAI, Sale
from tests.conftest import World, signed_in


def body(world: World, sale: Sale, **extra: object) -> dict[str, object]:
    return {
        "channel": "phone",
        "branch_id": world.branch_a.pk,
        "customer_id": sale.customer.pk,
        "policy_id": sale.policy.pk,
        "subject": "Auto-debit taken twice",
        "description": "The renewal premium was debited twice in October.",
        "root_cause": "premium-auto-debit",
        **extra,
    }


def test_a_retried_create_with_the_same_key_logs_one_complaint(world: World, sale: Sale) -> None:
    client = signed_in(world.teller_a)
    headers = {"Idempotency-Key": "intake-42"}
    first = client.post(
        "/api/v1/complaints", body(world, sale), content_type="application/json", headers=headers
    )
    again = client.post(
        "/api/v1/complaints", body(world, sale), content_type="application/json", headers=headers
    )
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.json() == first.json()
    assert Complaint.objects.count() == 1
    assert first.json()["root_cause"] == "premium-auto-debit"
    assert first.json()["agent_id"] == sale.agent.pk


def test_the_same_key_with_another_request_is_a_conflict(world: World, sale: Sale) -> None:
    client = signed_in(world.teller_a)
    headers = {"Idempotency-Key": "intake-43"}
    client.post(
        "/api/v1/complaints", body(world, sale), content_type="application/json", headers=headers
    )
    other = client.post(
        "/api/v1/complaints",
        body(world, sale, subject="Something else"),
        content_type="application/json",
        headers=headers,
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Complaint.objects.count() == 1


def test_a_regulator_forward_without_reference_answers_400_naming_the_field(
    world: World, sale: Sale
) -> None:
    response = signed_in(world.teller_a).post(
        "/api/v1/complaints",
        body(world, sale, channel="regulator", regulator_received_on="2026-09-01"),
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("regulator_reference_missing", "regulator_reference")


@pytest.mark.parametrize("value", ["", "not-a-channel"])
def test_an_unknown_channel_is_refused_by_the_schema(world: World, sale: Sale, value: str) -> None:
    response = signed_in(world.teller_a).post(
        "/api/v1/complaints", body(world, sale, channel=value), content_type="application/json"
    )
    assert response.status_code == 422


def test_list_detail_and_reclassification_as_complex(world: World, sale: Sale) -> None:
    teller = signed_in(world.teller_a)
    created = teller.post(
        "/api/v1/complaints", body(world, sale), content_type="application/json"
    ).json()
    manager = signed_in(world.manager_a)
    listed = manager.get("/api/v1/complaints?root_cause=premium-auto-debit").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert listed["count"] == 1
    changed = manager.patch(
        f"/api/v1/complaints/{created['id']}",
        {"is_complex": True, "reason": "Bank records needed"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["is_complex"] is True
    refused = teller.patch(
        f"/api/v1/complaints/{created['id']}",
        {"is_complex": False, "reason": "Teller"},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_an_escalation_is_recorded_once_per_key_with_its_warnings(world: World, sale: Sale) -> None:
    created = (
        signed_in(world.teller_a)
        .post("/api/v1/complaints", body(world, sale), content_type="application/json")
        .json()
    )
    manager = signed_in(world.manager_a)
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    payload = {"body": "hk_icb", "filed_on": today, "amount_claimed": "5000"}
    headers = {"Idempotency-Key": "esc-1"}
    url = f"/api/v1/complaints/{created['id']}/escalations"
    first = manager.post(url, payload, content_type="application/json", headers=headers)
    again = manager.post(url, payload, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    assert again.json() == first.json()
    assert [w["code"] for w in first.json()["warnings"]] == [
        "not_claims_dispute",
        "no_final_decision",
    ]
    detail = manager.get(f"/api/v1/complaints/{created['id']}").json()
    assert len(detail["escalations"]) == 1


def test_the_outcome_of_an_escalation_is_recorded_through_the_api(world: World, sale: Sale) -> None:
    created = (
        signed_in(world.teller_a)
        .post("/api/v1/complaints", body(world, sale), content_type="application/json")
        .json()
    )
    manager = signed_in(world.manager_a)
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    url = f"/api/v1/complaints/{created['id']}/escalations"
    escalation = manager.post(
        url, {"body": "cn_regulator", "filed_on": today}, content_type="application/json"
    ).json()
    outcome = {"outcome": "settled", "outcome_on": today, "note": "调解结案"}

    answer = manager.post(
        f"{url}/{escalation['id']}/outcome", outcome, content_type="application/json"
    )
    teller = signed_in(world.teller_a).post(
        f"{url}/{escalation['id']}/outcome", outcome, content_type="application/json"
    )

    assert answer.status_code == 200, answer.content
    assert (answer.json()["outcome"], answer.json()["outcome_on"]) == ("settled", today)
    assert teller.status_code == 403  # logging complaints is not managing them
    missing = manager.post(f"{url}/999999/outcome", outcome, content_type="application/json")
    assert missing.status_code == 404

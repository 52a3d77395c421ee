"""The servicing API: apply with an Idempotency-Key, refusals with their codes, the queue
(keyset pages, pinned queries), steps, the eligibility check, the catalogue and the KPIs."""

from __future__ import annotations

import json
from typing import Any

from policydesk.servicing.models import ServicingItem
from tests.conftest import signed_in

from .conftest import Desk, all_documents


def _post(client: Any, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def _apply_body(desk: Desk, **extra: Any) -> dict[str, Any]:
    body = {
        "policy_id": desk.policy.pk,
        "item_code": "contact-change",
        "applicant_role": "policyholder",
        "documents": all_documents("contact-change"),
        "details": {"kind": "email", "value": "lin@example.cn"},
    }
    body.update(extra)
    return body


def test_an_application_is_created_once_per_idempotency_key(desk: Desk) -> None:
    client = signed_in(desk.teller)
    first = _post(client, "/api/v1/servicing/items", _apply_body(desk), HTTP_IDEMPOTENCY_KEY="k1")
    again = _post(client, "/api/v1/servicing/items", _apply_body(desk), HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["state"] == "received" and first.json()["accept_due_at"]
    assert ServicingItem.objects.count() == 1


def test_an_ineligible_application_answers_with_the_reason_and_writes_nothing(
    desk: Desk,
) -> None:
    client = signed_in(desk.teller)
    response = _post(
        client, "/api/v1/servicing/items", _apply_body(desk, item_code="cooling-off-cancellation")
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "servicing_ineligible"
    assert desk.policy.cooling_off_end.isoformat() in response.json()["error"]["message"]
    assert not ServicingItem.objects.exists()


def test_steps_walk_an_item_to_done(desk: Desk) -> None:
    teller, back = signed_in(desk.teller), signed_in(desk.back_office)
    item_id = _post(client := teller, "/api/v1/servicing/items", _apply_body(desk)).json()["id"]
    path = f"/api/v1/servicing/items/{item_id}/steps"
    assert _post(client, path, {"step": "accept"}).json()["state"] == "review"
    refused = _post(client, path, {"step": "approve"})
    assert refused.status_code == 403
    assert _post(back, path, {"step": "approve"}).json()["state"] == "processing"
    done = _post(back, path, {"step": "complete"}).json()
    assert done["state"] == "done" and done["endorsement"]["effect"] == "contact_change"


def test_the_queue_pages_by_keyset_with_a_bounded_count(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(desk.teller)
    for index in range(3):
        _post(
            client,
            "/api/v1/servicing/items",
            _apply_body(
                desk,
                details={"kind": "email", "value": f"x{index}@example.cn"},
                item_code="contact-change" if index == 0 else "bank-account-change",
            )
            if index < 2
            else _apply_body(desk, item_code="payment-mode-change", details={"to_mode": "annual"}),
        )
    with django_assert_max_num_queries(12):
        page = client.get("/api/v1/servicing/items?limit=2").json()
    assert page["count"] >= 1 and len(page["items"]) <= 2


def test_the_eligibility_check_names_missing_documents(desk: Desk) -> None:
    client = signed_in(desk.teller)
    response = client.get(
        f"/api/v1/servicing/eligibility?policy_id={desk.policy.pk}&item_code=bank-account-change"
        "&documents=application-form"
    )
    body = response.json()
    assert body["eligible"] is True and body["complete"] is False
    assert {d["code"] for d in body["missing_documents"]} == {"id-policyholder", "bank-card"}


def test_only_the_head_of_service_edits_the_catalogue(desk: Desk) -> None:
    body = {
        "documents": [{"code": "application-form", "name": "保全申请书"}],
        "applicant_roles": ["policyholder"],
        "is_active": True,
    }
    teller = signed_in(desk.teller)
    refused = teller.patch(
        "/api/v1/servicing/catalogue/contact-change",
        json.dumps(body),
        content_type="application/json",
    )
    assert refused.status_code == 403
    head = signed_in(desk.head)
    saved = head.patch(
        "/api/v1/servicing/catalogue/contact-change",
        json.dumps(body),
        content_type="application/json",
    )
    assert saved.status_code == 200
    assert [d["code"] for d in saved.json()["documents"]] == ["application-form"]


def test_the_kpis_count_items_accepted_and_completed_on_time(desk: Desk) -> None:
    from .conftest import apply, finish

    finish(desk, apply(desk, "contact-change", details={"kind": "email", "value": "k@example.cn"}))
    client = signed_in(desk.back_office)
    body = client.get("/api/v1/servicing/kpis?since=2026-08-01&until=2026-09-30").json()
    assert body["total"]["received"] == 1
    assert body["total"]["accepted_on_time"] == 1
    assert (
        body["total"]["completed_on_time_rate_percent"] == "100.0"
        or body["total"]["completed_on_time_rate_percent"] == 100.0
    )
    assert body["total"]["mean_working_days"] is not None
    assert body["by_item"][0]["key"] == "contact-change"

"""The new-business API: register with an Idempotency-Key, list, detail, the steps, the
one-time notice refused twice, the radar, the withdrawal list and the KPIs."""

from __future__ import annotations

from typing import Any

from policydesk.newbusiness.models import Application, DefectNotice
from tests.conftest import signed_in

from .conftest import Desk, at_day, register, to_review, to_underwriting

BASE = "/api/v1/newbusiness"


def body(desk: Desk, **extra: object) -> dict[str, object]:
    return {
        "branch_id": desk.world.branch_a.pk,
        "source_system": "long_term_core",
        "channel": "agency",
        "product_code": "LT-01",
        "applicant_id": desk.applicant.pk,
        "agent_code": "AG-101",
        "sum_assured": "200000.00",
        "premium": "8800.00",
        "term_years": 20,
        "payment_mode": "annual",
        "payment_method": "auto_debit",
        **extra,
    }


def test_a_retried_register_with_the_same_key_makes_one_application(desk: Desk) -> None:
    client = signed_in(desk.world.teller_a)
    headers = {"Idempotency-Key": "nb-1"}
    first = client.post(
        f"{BASE}/applications", body(desk), content_type="application/json", headers=headers
    )
    again = client.post(
        f"{BASE}/applications", body(desk), content_type="application/json", headers=headers
    )
    assert first.status_code == 201, first.content
    assert again.json() == first.json()
    assert Application.objects.count() == 1
    data = first.json()
    assert (data["stage"], data["agent_code"], data["sum_assured"]) == (
        "received",
        "AG-101",
        "200000.00",
    )


def test_a_payment_mode_the_product_refuses_answers_400_naming_the_field(desk: Desk) -> None:
    client = signed_in(desk.world.teller_a)
    response = client.post(
        f"{BASE}/applications",
        body(desk, product_code="SC-01", source_system="short_term_card"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "payment_mode"
    assert not Application.objects.exists()


def test_the_second_defect_notice_answers_409(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    client = signed_in(desk.world.teller_a)
    url = f"{BASE}/applications/{application.pk}"
    first = client.post(
        f"{url}/review",
        {"defects": [{"code": "signature-missing", "note": ""}]},
        content_type="application/json",
    )
    assert first.status_code == 200, first.content
    assert first.json()["defect_notice"]["defects"][0]["code"] == "signature-missing"
    assert client.post(f"{url}/corrections", {}, content_type="application/json").status_code == 200
    second = client.post(
        f"{url}/review",
        {"defects": [{"code": "address-nonstandard", "note": ""}]},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "defect_notice_already_sent"
    assert DefectNotice.objects.count() == 1


def test_staff_of_another_branch_get_404_and_change_nothing(desk: Desk) -> None:
    application = register(desk)
    client = signed_in(desk.world.manager_b)
    url = f"{BASE}/applications/{application.pk}"
    assert client.get(url).status_code == 404
    response = client.post(
        f"{url}/exit", {"kind": "withdrawn", "reason": "duplicate"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Application.objects.get(pk=application.pk).exit_kind == ""


def test_the_list_pages_with_a_bounded_number_of_queries(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    for _ in range(4):
        register(desk)
    client = signed_in(desk.world.teller_a)
    with django_assert_max_num_queries(12):
        response = client.get(f"{BASE}/applications?limit=3")
    data = response.json()
    assert len(data["items"]) == 3 and data["count"] == 4 and data["next_cursor"]
    rest = client.get(f"{BASE}/applications?limit=3&after={data['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_the_radar_withdrawal_list_and_kpis_answer(desk: Desk) -> None:
    to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    client = signed_in(desk.world.teller_a)
    radar = client.get(f"{BASE}/radar").json()
    assert radar["open"] == 1 and radar["stalled"] == 1
    assert radar["items"][0]["chase_label"] == "AG-101 Agent Lin"
    assert client.get(f"{BASE}/withdrawal-list").json() == []
    kpis = client.get(f"{BASE}/kpis?since=2026-09-01&until=2026-09-30").json()
    assert kpis["received"] == 1 and kpis["stalled"] == 1 and kpis["stalled_percent"] == "100.0"
    catalogue = client.get(f"{BASE}/catalogue").json()
    assert "bank-account-missing" in [d["code"] for d in catalogue["defects"]]
    assert "premium-refused" in [r["code"] for r in catalogue["exit_reasons"]["withdrawn"]]


def test_a_one_click_reminder_through_the_api(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk, at=at_day(0)), at_day(0))
    client = signed_in(desk.world.teller_a)
    response = client.post(
        f"{BASE}/applications/{application.pk}/reminders",
        {"note": "please bring the exam form"},
        content_type="application/json",
        headers={"Idempotency-Key": "chase-1"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["agent_code"] == "AG-101"

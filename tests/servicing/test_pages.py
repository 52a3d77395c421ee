"""Pages: the apply form shows eligibility and documents before submit and applies; the
queue (pinned queries), the detail with its steps, the catalogue edit, the KPI charts."""

from __future__ import annotations

from typing import Any

from policydesk.servicing.models import ServicingItem, ServicingItemType
from tests.conftest import signed_in

from .conftest import Desk, apply, finish

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_apply_form_shows_eligibility_and_missing_documents_before_submit(
    desk: Desk,
) -> None:
    client = signed_in(desk.teller)
    page = client.get(
        "/servicing/apply/",
        {"policy": desk.policy.number, "item": "cooling-off-cancellation"},
        **EN,
    ).content.decode()
    assert "The policy does not qualify" in page
    assert "cooling-off period ended" in page
    page = client.get(
        "/servicing/apply/",
        {
            "policy": desk.policy.number,
            "item": "bank-account-change",
            "documents": "application-form",
        },
        **EN,
    ).content.decode()
    assert "The policy qualifies." in page and "missing" in page
    assert not ServicingItem.objects.exists()


def test_the_apply_form_receives_an_application(desk: Desk) -> None:
    client = signed_in(desk.teller)
    response = client.post(
        "/servicing/apply/",
        {
            "policy": desk.policy.number,
            "item": "contact-change",
            "applicant_role": "policyholder",
            "documents": ["application-form", "id-policyholder"],
            "channel": "counter",
            "contact_kind": "email",
            "contact_value": "lin@example.cn",
        },
        **EN,
    )
    item = ServicingItem.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/servicing/items/{item.pk}/")


def test_the_queue_and_detail_show_the_items_and_their_steps(
    desk: Desk, django_assert_max_num_queries: Any
) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    apply(
        desk,
        "bank-account-change",
        details={"bank_name": "B", "account_number": "6222020000003333"},
    )
    client = signed_in(desk.teller)
    with django_assert_max_num_queries(25):
        page = client.get("/servicing/", **EN).content.decode()
    assert item.case.number in page
    detail = client.get(f"/servicing/items/{item.pk}/", **EN).content.decode()
    assert "Accept" in detail and "受理时效" in detail
    response = client.post(f"/servicing/items/{item.pk}/act/", {"step": "accept"}, **EN)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.accepted_at is not None


def test_the_head_of_service_edits_an_items_documents_on_the_catalogue_page(desk: Desk) -> None:
    client = signed_in(desk.head)
    client.post(
        "/servicing/catalogue/",
        {
            "code": "contact-change",
            "documents": "application-form | 保全申请书 | Form",
            "applicant_roles": ["policyholder"],
            "is_active": "1",
        },
        **EN,
    )
    item_type = ServicingItemType.objects.get(code="contact-change")
    assert item_type.document_codes == ["application-form"] and item_type.edited_at
    teller = signed_in(desk.teller)
    teller.post("/servicing/catalogue/", {"code": "contact-change", "documents": ""}, **EN)
    assert ServicingItemType.objects.get(code="contact-change").document_codes == [
        "application-form"
    ]


def test_the_kpi_page_draws_the_on_time_charts(desk: Desk) -> None:
    finish(desk, apply(desk, "contact-change", details={"kind": "email", "value": "k@example.cn"}))
    client = signed_in(desk.back_office)
    page = client.get("/servicing/kpis/?since=2026-08-01&until=2026-09-30", **EN).content.decode()
    assert "Servicing on time, by month" in page
    assert "Accepted on time" in page and "100.0 %" in page

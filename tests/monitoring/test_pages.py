"""The pages: worklist, work item, customer log, review and its PDF, runs, model, KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from policydesk.customers.services import risk_profile_record
from policydesk.monitoring.models import (
    AccountReview,
    Communication,
    ItemStatus,
    MonitoringRun,
    WorkItem,
)
from policydesk.monitoring.services import monitoring_run_now
from tests.conftest import World

from .conftest import AS_OF, Book, attempt, browser, make_policy, mandate, premium


@pytest.fixture
def busy(book: Book) -> WorkItem:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF - dt.timedelta(days=5), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=5), "account_closed")
    for days in range(1, 6):
        other = make_policy(book)
        mandate(other)
        premium(other, AS_OF + dt.timedelta(days=days))
    monitoring_run_now(as_of=AS_OF)
    return WorkItem.objects.get(rule="bank_account_change")


def profile(book: Book) -> None:
    risk_profile_record(
        customer=book.customer,
        annual_income=Decimal("200000.00"),
        dependants=2,
        liabilities=Decimal("500000.00"),
        assets=Decimal("100000.00"),
        risk_appetite="balanced",
        assessed_on=dt.date(2026, 10, 1),
        by=None,
    )


def test_the_worklist_shows_the_items_by_priority_in_bounded_queries(
    book: Book, busy: WorkItem, django_assert_max_num_queries: Any
) -> None:
    client = browser(book.rm)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("monitoring:worklist") + "?owner=")
    assert response.status_code == 200
    table = response.content.decode().split("<tbody>")[1]
    assert "Auto-debit failed: account closed or changed" in table
    assert table.index("account closed or changed") < table.index("Premium due soon")


def test_closing_an_item_records_its_outcome(book: Book, busy: WorkItem) -> None:
    client = browser(book.rm)
    response = client.post(
        reverse("monitoring:item_act", args=[busy.pk]),
        {"action": "close", "outcome": "account_updated", "note": "new card"},
    )
    assert response.status_code == 302
    busy.refresh_from_db()
    assert (busy.status, busy.outcome, busy.closed_by_id) == ("done", "account_updated", book.rm.pk)


def test_an_item_cannot_close_without_an_outcome(book: Book, busy: WorkItem) -> None:
    client = browser(book.rm)
    client.post(reverse("monitoring:item_act", args=[busy.pk]), {"action": "close"})
    busy.refresh_from_db()
    assert busy.status == ItemStatus.OPEN and busy.outcome == ""


def test_a_contact_is_logged_on_the_customer_page(book: Book) -> None:
    client = browser(book.rm)
    url = reverse("monitoring:customer", args=[book.customer.pk])
    client.post(
        url,
        {
            "channel": "phone",
            "content": "Reminded of the premium",
            "contact_outcome": "reached",
            "next_contact_on": "2099-01-10",
        },
    )
    record = Communication.objects.get()
    assert (record.channel, record.next_contact_on) == ("phone", dt.date(2099, 1, 10))
    assert "Reminded of the premium" in client.get(url).content.decode()


def test_a_teller_may_not_log_a_contact(book: Book, world: World) -> None:
    client = browser(world.teller_a)
    response = client.post(
        reverse("monitoring:customer", args=[book.customer.pk]),
        {"channel": "phone", "content": "x", "contact_outcome": "reached"},
    )
    assert response.status_code == 403
    assert not Communication.objects.exists()


def test_the_review_form_shows_the_gaps_and_records_the_review(book: Book) -> None:
    make_policy(book, sum_assured=Decimal("1000000.00"))
    profile(book)
    client = browser(book.rm)
    url = reverse("monitoring:review_new", args=[book.customer.pk])
    page = client.get(url).content.decode()
    assert "3400000.00" in page  # life need 200,000 × 15 + 500,000 − 100,000 = 3,400,000
    response = client.post(
        url,
        {
            "elsewhere_life": "400000",
            "trigger": "periodic",
            "recommendations": "Add term life cover",
            "decision": "accepted",
            "action_new_application": "1",
            "action_new_application_note": "term life 2M",
            "record": "1",
        },
    )
    review = AccountReview.objects.get()
    assert response.status_code == 302
    life = next(line for line in review.assessment["lines"] if line["category"] == "life")
    assert (life["need"], life["gap"]) == ("3400000.00", "2000000.00")
    assert review.actions == [{"kind": "new_application", "note": "term life 2M"}]


def test_the_review_pdf_is_produced_in_both_languages(book: Book) -> None:
    from policydesk.monitoring.pdf import document_text, review_document

    profile(book)
    client = browser(book.rm)
    client.post(
        reverse("monitoring:review_new", args=[book.customer.pk]),
        {"trigger": "periodic", "recommendations": "保障缺口：寿险", "record": "1"},
    )
    review = AccountReview.objects.get()
    for language in ("zh-hans", "en"):
        url = reverse("monitoring:review_pdf", args=[review.pk]) + f"?lang={language}"
        response = client.get(url)
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and len(response.content) > 2000
        document = review_document(review, language=language)
        assert len(document.pages) >= 1
        text = document_text(document)
        assert book.customer.number in text
        assert "*" * 14 + book.customer.id_number_last4 in text  # the masked ID
        assert "保障缺口" in text


def test_the_run_button_queues_a_run_for_the_head_of_service(world: World) -> None:
    client = browser(world.head)
    response = client.post(reverse("monitoring:runs"))
    assert response.status_code == 302
    run = MonitoringRun.objects.get()
    assert run.status == "queued" and run.requested_by_id == world.head.pk
    assert "Monitoring runs" in client.get(reverse("monitoring:runs")).content.decode()


def test_a_relationship_manager_may_not_start_a_run(book: Book) -> None:
    response = browser(book.rm).post(reverse("monitoring:runs"))
    assert response.status_code == 403
    assert not MonitoringRun.objects.exists()


def test_the_model_and_kpi_pages_open(book: Book, busy: WorkItem, world: World) -> None:
    client = browser(world.head)
    assert client.get(reverse("monitoring:model")).status_code == 200
    kpis = client.get(reverse("monitoring:kpis"))
    assert kpis.status_code == 200
    assert "Renewal auto-debit success" in kpis.content.decode()
    assert client.get(reverse("monitoring:contacts")).status_code == 200

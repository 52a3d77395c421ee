"""The API: worklist, closing, communications, reviews, runs, model."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from policydesk.customers.services import risk_profile_record
from policydesk.monitoring.models import AccountReview, Communication, MonitoringRun, WorkItem
from policydesk.monitoring.services import monitoring_run_now
from tests.conftest import World, signed_in

from .conftest import AS_OF, Book, attempt, make_policy, mandate, premium

API = "/api/v1/monitoring"


@pytest.fixture
def item(book: Book) -> WorkItem:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF - dt.timedelta(days=4), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=4), "account_changed")
    for days in range(1, 8):
        other = make_policy(book)
        mandate(other)
        premium(other, AS_OF + dt.timedelta(days=days))
    monitoring_run_now(as_of=AS_OF)
    return WorkItem.objects.get(rule="bank_account_change")


def post(client: Any, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def test_the_worklist_pages_by_priority_in_bounded_queries(
    book: Book, item: WorkItem, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(book.rm)
    with django_assert_max_num_queries(12):
        first = client.get(f"{API}/work-items?limit=3").json()
    assert first["count"] == WorkItem.objects.filter(status="open").count() >= 8
    assert len(first["items"]) == 3
    assert first["items"][0]["rule"] == "grace"  # weight 9: the highest of these items
    second = client.get(f"{API}/work-items?limit=3&after={first['next_cursor']}").json()
    ids = [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]]
    assert len(set(ids)) == 6
    priorities = [i["priority"] for i in first["items"] + second["items"]]
    assert priorities == sorted(priorities, reverse=True)


def test_an_item_closes_with_an_outcome(book: Book, item: WorkItem) -> None:
    response = post(
        signed_in(book.rm),
        f"{API}/work-items/{item.pk}/close",
        {"outcome": "account_updated", "note": "card renewed"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "done"


def test_an_unknown_outcome_is_refused_and_nothing_changes(book: Book, item: WorkItem) -> None:
    response = post(signed_in(book.rm), f"{API}/work-items/{item.pk}/close", {"outcome": "x"})
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.status == "open"


def test_closing_twice_is_a_conflict(book: Book, item: WorkItem) -> None:
    client = signed_in(book.rm)
    post(client, f"{API}/work-items/{item.pk}/close", {"outcome": "paid"})
    again = post(client, f"{API}/work-items/{item.pk}/close", {"outcome": "paid"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "monitoring_item_closed"


def test_a_communication_is_logged_once_per_idempotency_key(book: Book) -> None:
    client = signed_in(book.rm)
    body = {
        "customer_id": book.customer.pk,
        "channel": "sms",
        "content": "Premium reminder sent",
        "outcome": "message_left",
        "next_contact_on": "2099-02-01",
    }
    first = post(client, f"{API}/communications", body, HTTP_IDEMPOTENCY_KEY="k1")
    second = post(client, f"{API}/communications", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Communication.objects.count() == 1
    log = client.get(f"{API}/customers/{book.customer.pk}/communications").json()
    assert [c["content"] for c in log] == ["Premium reminder sent"]


def test_a_review_without_a_risk_profile_is_refused(book: Book) -> None:
    body = {"customer_id": book.customer.pk, "trigger": "periodic", "recommendations": "x"}
    response = post(signed_in(book.rm), f"{API}/reviews", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "monitoring_no_risk_profile"
    assert not AccountReview.objects.exists()


def test_a_life_event_review_reports_the_gaps(book: Book) -> None:
    risk_profile_record(
        customer=book.customer,
        annual_income=Decimal("100000.00"),
        dependants=1,
        liabilities=Decimal("0.00"),
        risk_appetite="balanced",
        assessed_on=dt.date(2026, 9, 1),
        by=None,
    )
    body = {
        "customer_id": book.customer.pk,
        "trigger": "life_event",
        "life_event": "child_born",
        "recommendations": "Education fund",
        "declared_elsewhere": {"medical": "50000.00"},
        "actions": [{"kind": "new_application", "note": "education plan"}],
    }
    response = post(signed_in(book.rm), f"{API}/reviews", body)
    assert response.status_code == 201
    lines = {line["category"]: line for line in response.json()["lines"]}
    assert lines["life"]["need"] == "1500000.00"  # 100,000 × 15 years
    assert lines["medical"]["gap"] == "950000.00"  # 1,000,000 − 50,000 declared elsewhere


def test_a_run_is_queued_by_the_head_of_service(world: World) -> None:
    response = post(signed_in(world.head), f"{API}/runs?as_of=2026-11-16", {})
    assert response.status_code == 202
    run = MonitoringRun.objects.get()
    assert response.json()["status"] == "queued" and str(run.as_of) == "2026-11-16"
    busy = post(signed_in(world.head), f"{API}/runs", {})
    assert busy.status_code == 409 and MonitoringRun.objects.count() == 1


def test_a_relationship_manager_may_not_queue_a_run(book: Book) -> None:
    response = post(signed_in(book.rm), f"{API}/runs", {})
    assert response.status_code == 403
    assert not MonitoringRun.objects.exists()


def test_the_queued_task_executes_the_run(world: World, book: Book) -> None:
    from policydesk.monitoring.tasks import execute_monitoring_run

    premium(make_policy(book), AS_OF + dt.timedelta(days=2))
    post(signed_in(world.head), f"{API}/runs?as_of={AS_OF.isoformat()}", {})
    run = MonitoringRun.objects.get()
    assert execute_monitoring_run.call(run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.progress_percent == 100 and run.created_total >= 1


def test_branch_b_does_not_see_branch_a_items(book: Book, item: WorkItem) -> None:
    client = signed_in(book.rm_b)
    assert client.get(f"{API}/work-items/{item.pk}").status_code == 404
    assert client.get(f"{API}/work-items").json()["count"] == 0

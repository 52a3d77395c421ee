"""A life event asks for an account review (issue 7: "periodic ... and on life events")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.urls import reverse
from django.utils import timezone

from policydesk.core.models import AuditEvent
from policydesk.monitoring.models import ItemStatus, Rule, WorkItem
from policydesk.monitoring.services import (
    account_review_record,
    life_event_report,
    monitoring_run_now,
)
from tests.conftest import World, signed_in

from .conftest import Book, browser, make_policy, profiled

API = "/api/v1/monitoring"


def test_a_life_event_raises_a_review_item_owned_by_its_reporter(book: Book) -> None:
    make_policy(book)
    day = timezone.localdate() - dt.timedelta(days=3)
    item, created = life_event_report(
        customer=book.customer, event="child_born", occurred_on=day, note="a daughter", by=book.rm2
    )
    assert created
    assert (item.rule, item.reason, item.period) == (
        Rule.ACCOUNT_REVIEW,
        "life_event:child_born",
        day,
    )
    assert item.policy_id is None and item.customer_id == book.customer.pk
    assert item.owner_id == book.rm2.pk  # the reporting relationship manager of the branch
    assert item.deadline == day + dt.timedelta(days=60)
    event = AuditEvent.objects.get(action="monitoring.life_event.report")
    assert event.after["event"] == "child_born" and event.after["note"] == "a daughter"
    # A second event while the review is still open: the same item answers both.
    again, created_again = life_event_report(
        customer=book.customer, event="new_home", occurred_on=day, by=book.rm
    )
    assert again.pk == item.pk and not created_again
    assert WorkItem.objects.filter(rule=Rule.ACCOUNT_REVIEW).count() == 1


def test_the_review_closes_the_life_event_item(book: Book) -> None:
    make_policy(book)
    day = timezone.localdate() - dt.timedelta(days=1)
    item, _ = life_event_report(
        customer=book.customer, event="retirement", occurred_on=day, by=book.rm
    )
    profiled(book, day)
    account_review_record(
        customer=book.customer,
        trigger="life_event",
        life_event="retirement",
        recommendations="Annuity for the income gap.",
        by=book.rm,
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE and item.outcome == "reviewed"
    monitoring_run_now()  # the run neither reopens nor duplicates it
    assert WorkItem.objects.filter(rule=Rule.ACCOUNT_REVIEW, status=ItemStatus.OPEN).count() == 0


def test_a_life_event_far_from_today_or_unknown_is_refused(book: Book) -> None:
    import pytest

    from policydesk.core.errors import DomainError

    with pytest.raises(DomainError) as far:
        life_event_report(
            customer=book.customer,
            event="marriage",
            occurred_on=timezone.localdate() - dt.timedelta(days=400),
            by=book.rm,
        )
    assert far.value.field == "occurred_on"
    with pytest.raises(DomainError) as unknown:
        life_event_report(
            customer=book.customer, event="lottery", occurred_on=timezone.localdate(), by=book.rm
        )
    assert unknown.value.field == "event"
    assert not WorkItem.objects.exists()


def _post(client: Any, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def test_the_api_reports_a_life_event_once_per_idempotency_key(book: Book, world: World) -> None:
    make_policy(book)
    path = f"{API}/customers/{book.customer.pk}/life-events"
    body = {"event": "marriage", "occurred_on": timezone.localdate().isoformat()}
    first = _post(signed_in(book.rm), path, body, HTTP_IDEMPOTENCY_KEY="life-1")
    assert first.status_code == 201, first.content
    assert first.json()["created"] is True
    assert first.json()["review_item"]["reason"] == "life_event:marriage"
    replay = _post(signed_in(book.rm), path, body, HTTP_IDEMPOTENCY_KEY="life-1")
    assert replay.status_code == 201 and replay.json() == first.json()
    assert AuditEvent.objects.filter(action="monitoring.life_event.report").count() == 1
    assert _post(signed_in(world.teller_a), path, body).status_code == 403
    assert _post(signed_in(book.rm_b), path, body).status_code == 404  # another branch


def test_the_customer_page_reports_a_life_event(book: Book) -> None:
    make_policy(book)
    client = browser(book.rm)
    page = client.get(reverse("monitoring:customer", args=[book.customer.pk])).content.decode()
    assert "Report a life event" in page
    answer = client.post(
        reverse("monitoring:life_event", args=[book.customer.pk]),
        {"event": "new_job", "occurred_on": timezone.localdate().isoformat(), "note": ""},
    )
    item = WorkItem.objects.get(rule=Rule.ACCOUNT_REVIEW)
    assert answer.status_code == 302
    assert answer.headers["Location"] == reverse("monitoring:item", args=[item.pk])
    refused = client.post(
        reverse("monitoring:life_event", args=[book.customer.pk]), {"event": "new_job"}
    )
    assert refused.status_code == 302  # back to the customer page with the error
    assert WorkItem.objects.count() == 1

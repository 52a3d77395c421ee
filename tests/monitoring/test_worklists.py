"""Relationship-manager worklists: one manager's list, earliest due first, assignment; the
contact schedule per segment."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from policydesk.core.models import AuditEvent
from policydesk.monitoring import selectors
from policydesk.monitoring.models import WorkItem
from policydesk.monitoring.services import communication_log, monitoring_run_now
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World, signed_in

from .conftest import AS_OF, Book, browser, make_policy, premium

API = "/api/v1/monitoring"


def _terms(book: Book) -> dict[str, Any]:
    return {
        "product_": book.product,
        "issue_date": dt.date(2024, 3, 1),
        "application_date": dt.date(2024, 2, 20),
    }


@pytest.fixture
def items(book: Book) -> list[WorkItem]:
    """Premium reminders due on different days, shared round-robin between the two RMs."""
    for days in (9, 2, 5, 12, 7, 3):
        premium(make_policy(book), AS_OF + dt.timedelta(days=days))
    monitoring_run_now(as_of=AS_OF)
    return list(WorkItem.objects.filter(rule="premium_due"))


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_one_managers_worklist_by_id(book: Book, items: list[WorkItem]) -> None:
    WorkItem.objects.update(owner=book.rm2)
    WorkItem.objects.filter(pk=items[0].pk).update(owner=book.rm)
    client = signed_in(book.rm2)
    page = client.get(f"{API}/work-items", {"owner_id": book.rm.pk}).json()
    assert [i["id"] for i in page["items"]] == [items[0].pk]
    listed = browser(book.rm2).get("/monitoring/", {"owner": str(book.rm.pk)})
    assert listed.status_code == 200
    assert f'<option value="{book.rm.pk}" selected>' in listed.content.decode()


def test_earliest_due_first_pages_by_keyset(book: Book, items: list[WorkItem]) -> None:
    client = signed_in(book.rm)
    seen: list[int] = []
    after = ""
    for _ in range(10):
        page = client.get(f"{API}/work-items", {"order": "due", "limit": 4, "after": after}).json()
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        after = page["next_cursor"]
    expected = sorted(WorkItem.objects.filter(status="open"), key=lambda w: (w.due_on, w.pk))
    assert len(expected) > 4  # more than one page
    assert seen == [w.pk for w in expected]


def test_an_item_is_assigned_to_a_manager_of_its_branch(
    book: Book, items: list[WorkItem], world: World
) -> None:
    item = items[0]
    answer = _post(
        signed_in(book.rm), f"{API}/work-items/{item.pk}/assign", {"owner_id": book.rm2.pk}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["owner_id"] == book.rm2.pk
    event = AuditEvent.objects.get(action="monitoring.item.assign")
    assert event.after == {"owner": book.rm2.pk}
    # A manager of another branch is not offered, and a teller may not assign.
    refused = _post(
        signed_in(book.rm), f"{API}/work-items/{item.pk}/assign", {"owner_id": book.rm_b.pk}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "owner_id"
    teller = _post(
        signed_in(world.teller_a), f"{API}/work-items/{item.pk}/assign", {"owner_id": book.rm.pk}
    )
    assert teller.status_code == 403
    # The page's form does the same.
    page = browser(book.rm).post(
        reverse("monitoring:item_act", args=[item.pk]),
        {"action": "assign", "owner": str(book.rm.pk)},
    )
    assert page.status_code == 302
    item.refresh_from_db()
    assert item.owner_id == book.rm.pk


def test_a_manager_of_another_branch_cannot_reach_the_item(
    book: Book, items: list[WorkItem]
) -> None:
    answer = _post(
        signed_in(book.rm_b), f"{API}/work-items/{items[0].pk}/assign", {"owner_id": book.rm_b.pk}
    )
    assert answer.status_code == 404


def test_contacts_due_follow_the_agreement_then_the_segment_schedule(
    book: Book, world: World
) -> None:
    today = timezone.localdate()
    make_policy(book)  # Lin Hua (affluent: every 90 days) holds a live policy
    never = factories.customer(world.branch_a, name="Never Called", segment="affluent")
    factories.policy(never, **_terms(book))
    recent = factories.customer(world.branch_a, name="Called Lately", segment="affluent")
    factories.policy(recent, **_terms(book))
    agreed = factories.customer(world.branch_a, name="Agreed Later", segment="affluent")
    factories.policy(agreed, **_terms(book))
    factories.customer(world.branch_a, name="No Policy", segment="affluent")

    def log(customer: Any, days_ago: int, next_on: dt.date | None) -> None:
        record = communication_log(
            customer=customer,
            channel="phone",
            content="call",
            outcome="reached",
            next_contact_on=next_on,
            by=book.rm,
        )
        record.contacted_at = timezone.now() - dt.timedelta(days=days_ago)
        record.save(update_fields=["contacted_at"])

    log(book.customer, 120, None)  # 120 days > 90: the schedule has run out
    log(recent, 10, None)  # within the schedule
    log(agreed, 120, today + dt.timedelta(days=5))  # agreed a later date: not yet
    due = {row.customer.name: row for row in selectors.contacts_due(book.rm)}
    assert set(due) == {"Lin Hua", "Never Called"}
    assert due["Never Called"].why == "never" and due["Never Called"].last_contact is None
    assert due["Lin Hua"].why == "schedule"
    assert due["Lin Hua"].due_on == today - dt.timedelta(days=30)
    # The agreed date comes: it is due, as agreed.
    later = selectors.contacts_due(book.rm, as_of=today + dt.timedelta(days=5))
    assert {row.customer.name: row.why for row in later}["Agreed Later"] == "agreed"
    # Longest without contact first: never contacted, then the oldest contact.
    assert [row.customer.name for row in selectors.contacts_due(book.rm)] == [
        "Never Called",
        "Lin Hua",
    ]
    # The API lists the same; another branch's manager sees none of them.
    listed = signed_in(book.rm).get(f"{API}/contacts-due").json()
    assert [row["customer_name"] for row in listed] == ["Never Called", "Lin Hua"]
    assert signed_in(book.rm_b).get(f"{API}/contacts-due").json() == []
    assert "Never contacted" in browser(book.rm).get("/monitoring/contacts/").content.decode()


def test_the_contacts_due_cost_two_queries(
    book: Book, world: World, django_assert_num_queries: Any
) -> None:
    for n in range(5):
        customer = factories.customer(world.branch_a, name=f"C{n}", segment="affluent")
        factories.policy(customer, **_terms(book))
        communication_log(
            customer=customer,
            channel="phone",
            content="call",
            outcome="reached",
            next_contact_on=timezone.localdate(),
            by=book.rm,
        )
    user = factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_a, username="rm_count")
    selectors.contacts_due(user)  # permission lookups cached on the user
    with django_assert_num_queries(2):
        assert len(selectors.contacts_due(user)) == 5

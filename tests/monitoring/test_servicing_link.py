"""From a bank-account-change work item the relationship manager opens the servicing item
(保全) on the customer's application; the two are linked both ways, the work item shows the
servicing item's state and the next run closes it once the servicing item is done."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse

from policydesk.cases.process_services import processes_sync
from policydesk.core.models import AuditEvent
from policydesk.monitoring.models import Cleared, ItemStatus, Outcome, WorkItem
from policydesk.monitoring.services import monitoring_run_now
from policydesk.org.models import Role
from policydesk.servicing import services as servicing_services
from policydesk.servicing.models import ServicingItem
from tests import factories
from tests.conftest import World, signed_in

from .conftest import AS_OF, Book, attempt, browser, make_policy, mandate, premium, profiled

API = "/api/v1/monitoring"
DOCUMENTS = ["application-form", "id-policyholder", "bank-card"]


@pytest.fixture
def item(book: Book) -> WorkItem:
    processes_sync()
    servicing_services.catalogue_sync()
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF - dt.timedelta(days=4), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=4), "account_closed")
    monitoring_run_now(as_of=AS_OF)
    return WorkItem.objects.get(rule="bank_account_change")


def open_by_api(client: Any, item: WorkItem, **extra: Any) -> Any:
    body = {
        "bank_name": "Postal Savings Bank",
        "account_number": "6217000011112222",
        "documents": DOCUMENTS,
        **extra,
    }
    return client.post(
        f"{API}/work-items/{item.pk}/servicing-item",
        data=json.dumps(body),
        content_type="application/json",
    )


def finish(world: World, servicing: ServicingItem) -> ServicingItem:
    back_office = factories.staff(Role.BACK_OFFICE, world.branch_a, username="back_a")
    servicing = servicing_services.servicing_item_accept(item=servicing, by=world.teller_a)
    servicing = servicing_services.servicing_item_approve(item=servicing, by=back_office)
    return servicing_services.servicing_item_complete(item=servicing, by=back_office)


def test_the_nightly_run_opens_no_servicing_item_by_itself(item: WorkItem) -> None:
    assert item.servicing_item_id is None
    assert ServicingItem.objects.count() == 0


def test_the_page_opens_the_servicing_item_for_the_customer_and_policy(
    book: Book, item: WorkItem
) -> None:
    client = browser(book.rm)
    page = client.get(reverse("monitoring:item_servicing", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lin Hua" in html and item.policy.number in html and 'name="bank_name"' in html
    response = client.post(
        reverse("monitoring:item_servicing", args=[item.pk]),
        {
            "bank_name": "Postal Savings Bank",
            "account_number": "6217 0000 1111 2222",
            "applicant_role": "policyholder",
            "channel": "counter",
            "documents": DOCUMENTS,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    servicing = ServicingItem.objects.select_related("case").get()
    assert item.servicing_item_id == servicing.pk
    assert list(servicing.monitoring_work_items.all()) == [item]  # the link back
    assert servicing.policy_id == item.policy_id
    assert servicing.case.customer_id == item.customer_id
    assert servicing.item_type.code == "bank-account-change"
    assert "6217" not in json.dumps(servicing.details)  # only encrypted and the last four
    assert AuditEvent.objects.filter(action="monitoring.item.servicing_open").count() == 1
    detail = client.get(reverse("monitoring:item", args=[item.pk])).content.decode()
    assert servicing.case.number in detail and servicing.case.state.name in detail
    back = client.get(reverse("servicing:detail", args=[servicing.pk])).content.decode()
    assert reverse("monitoring:item", args=[item.pk]) in back


def test_an_htmx_post_with_a_bad_account_returns_the_form_with_the_error(
    book: Book, item: WorkItem
) -> None:
    client = browser(book.rm)
    response = client.post(
        reverse("monitoring:item_servicing", args=[item.pk]),
        {"bank_name": "Postal Savings Bank", "account_number": "12", "documents": DOCUMENTS},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="servicing-form"') and "Not a bank account number" in html
    assert ServicingItem.objects.count() == 0
    item.refresh_from_db()
    assert item.servicing_item_id is None


def test_an_htmx_post_that_succeeds_redirects_to_the_work_item(book: Book, item: WorkItem) -> None:
    response = browser(book.rm).post(
        reverse("monitoring:item_servicing", args=[item.pk]),
        {"bank_name": "Postal Savings Bank", "account_number": "6217000011112222"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("monitoring:item", args=[item.pk])
    # Documents missing: servicing waits for the one-time correction notice.
    assert ServicingItem.objects.get().case.state.code == "received-incomplete"


def test_the_api_opens_it_once_and_shows_its_state(book: Book, item: WorkItem) -> None:
    client = signed_in(book.rm)
    first = open_by_api(client, item)
    assert first.status_code == 200, first.content
    linked = first.json()["servicing_item"]
    assert linked["state"] == "received" and linked["case_number"]
    second = open_by_api(client, item)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "monitoring_servicing_linked"
    assert ServicingItem.objects.count() == 1


def test_staff_without_the_work_right_or_of_another_branch_cannot_open_it(
    world: World, book: Book, item: WorkItem
) -> None:
    assert open_by_api(signed_in(world.teller_a), item).status_code == 403
    assert open_by_api(signed_in(book.rm_b), item).status_code == 404
    page = browser(world.teller_a).get(reverse("monitoring:item_servicing", args=[item.pk]))
    assert page.status_code == 403
    assert ServicingItem.objects.count() == 0


def test_the_next_run_closes_the_work_item_once_the_servicing_item_is_done(
    world: World, book: Book, item: WorkItem
) -> None:
    open_by_api(signed_in(book.rm), item)
    servicing = ServicingItem.objects.get()
    monitoring_run_now(as_of=AS_OF)
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN  # received, not done yet
    finish(world, servicing)
    run = monitoring_run_now(as_of=AS_OF)
    item.refresh_from_db()
    assert (item.status, item.outcome, item.cleared_by) == (
        ItemStatus.DONE,
        Outcome.ACCOUNT_UPDATED,
        Cleared.ACCOUNT_CHANGED,
    )
    assert item.closed_by_run_id == run.pk and item.closed_by_id is None
    assert run.closed == {"bank_account_change": 1}
    shown = signed_in(book.rm).get(f"{API}/work-items/{item.pk}").json()
    assert shown["closed_automatically"] and shown["servicing_item"]["state"] == "done"


def test_a_withdrawn_servicing_item_can_be_replaced(book: Book, item: WorkItem) -> None:
    client = signed_in(book.rm)
    open_by_api(client, item)
    first = ServicingItem.objects.get()
    servicing_services.servicing_item_cancel(
        item=first, reason="Customer keeps the card", by=book.rm
    )
    page = browser(book.rm).get(reverse("monitoring:item", args=[item.pk])).content.decode()
    assert "a new one can be opened" in page
    again = open_by_api(client, item)
    assert again.status_code == 200
    item.refresh_from_db()
    assert item.servicing_item_id != first.pk and ServicingItem.objects.count() == 2


def test_a_review_links_the_servicing_item_it_led_to(book: Book, item: WorkItem) -> None:
    from policydesk.core.errors import DomainError
    from policydesk.monitoring.services import account_review_record

    assert open_by_api(signed_in(book.rm), item).status_code == 200
    servicing = ServicingItem.objects.get()
    profiled(book, AS_OF)
    number = servicing.case.number
    review = account_review_record(
        customer=book.customer,
        trigger="periodic",
        recommendations="Keep the new account for the renewals.",
        actions=[{"kind": "servicing_item", "note": "账户变更", "case_number": number.lower()}],
        by=book.rm,
    )
    assert review.actions == [
        {
            "kind": "servicing_item",
            "note": "账户变更",
            "case_id": servicing.case_id,
            "case_number": number,
        }
    ]
    page = browser(book.rm).get(reverse("monitoring:review", args=[review.pk])).content.decode()
    assert reverse("cases:detail", args=[servicing.case_id]) in page
    # The servicing case is not a new application, an unknown number is refused, and a note
    # names no case: each with the action's field.
    for action, field in (
        ({"kind": "new_application", "case_number": number}, "actions.0.case_number"),
        ({"kind": "servicing_item", "case_number": "NO-SUCH-1"}, "actions.0.case_number"),
        ({"kind": "note", "case_number": number}, "actions.0.case_number"),
    ):
        with pytest.raises(DomainError) as refused:
            account_review_record(
                customer=book.customer,
                trigger="periodic",
                recommendations="x",
                actions=[action],
                by=book.rm,
            )
        assert refused.value.field == field
    # Another branch's manager cannot link it: the case is not visible to them.
    with pytest.raises(DomainError) as hidden:
        account_review_record(
            customer=book.customer,
            trigger="periodic",
            recommendations="x",
            actions=[{"kind": "servicing_item", "case_number": number}],
            by=book.rm_b,
        )
    assert hidden.value.field == "actions.0.case_number"

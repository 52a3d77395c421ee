"""Work queues: views, filters, scoping, keyset pages and pinned query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from policydesk.cases import clocks, selectors, services
from policydesk.cases.models import Case, Process
from policydesk.org.models import Staff
from tests.conftest import World, signed_in

# The session (read only: its idle expiry is renewed at most once a minute) with its user, the
# user's branch and role's permission matrix in one statement (org.session_user), the verified
# second-factor device, and the page with its bounded count in one statement: the same for any
# number of cases (8 and 7 before core.statements, 5 and 4 before org.session_user). The page
# also lists the user's saved views (one query).
QUEUE_PAGE_MAX_QUERIES = 5
QUEUE_API_MAX_QUERIES = 3


def open_many(
    world: World,
    process: Process,
    count: int,
    *,
    by: Staff | None = None,
    at: dt.datetime | None = None,
) -> list[Case]:
    return [
        services.case_open(
            process=process,
            channel="phone",
            branch=world.branch_a,
            subject=f"Case {i}",
            by=by or world.teller_a,
            at=at,
        )
        for i in range(count)
    ]


def test_my_cases_lists_only_what_is_assigned_to_me(world: World, enquiry: Process) -> None:
    mine, other = open_many(world, enquiry, 2)
    services.case_assign(case=mine, assignee=world.teller_a, by=world.teller_a)
    queue = selectors.case_queue(world.teller_a, "mine")
    assert [case.pk for case in queue.page.items] == [mine.pk]
    assert other.pk not in {case.pk for case in queue.page.items}


def test_a_teller_of_another_branch_sees_none_of_them(world: World, enquiry: Process) -> None:
    open_many(world, enquiry, 3)
    for view in selectors.VIEWS:
        assert selectors.case_queue(world.teller_b, view).page.items == []
    assert selectors.case_queue(world.head, "open").count.value == 3


def test_the_breached_view_shows_cases_whose_clock_passed_its_due_time(
    world: World, enquiry: Process
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=30)
    (late,) = open_many(world, enquiry, 1, at=long_ago)
    (fresh,) = open_many(world, enquiry, 1)
    assert clocks.sweep()["breached"] >= 1
    breached = selectors.case_queue(world.teller_a, "breached")
    assert [case.pk for case in breached.page.items] == [late.pk]
    assert fresh.pk in {case.pk for case in selectors.case_queue(world.teller_a, "open").page.items}


def test_filters_narrow_the_queue(world: World, enquiry: Process, complaint: Process) -> None:
    open_many(world, enquiry, 2)
    (complaint_case,) = open_many(world, complaint, 1)
    services.case_update(case=complaint_case, by=world.teller_a, changes={"tags": ["vip"]})
    by_kind = selectors.case_queue(
        world.teller_a, "open", filters=selectors.QueueFilters(process="complaint")
    )
    assert [c.pk for c in by_kind.page.items] == [complaint_case.pk]
    by_tag = selectors.case_queue(world.teller_a, "open", filters=selectors.QueueFilters(tag="vip"))
    assert [c.pk for c in by_tag.page.items] == [complaint_case.pk]


def test_keyset_pages_cover_the_queue_once(world: World, enquiry: Process) -> None:
    cases = open_many(world, enquiry, 7)
    seen: list[int] = []
    after = None
    while True:
        page = selectors.case_queue(world.teller_a, "open", after=after, limit=3).page
        seen += [case.pk for case in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [case.pk for case in cases]


def _count(client: Client, url: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_page_runs_the_same_number_of_queries_for_3_or_20_cases(
    world: World, enquiry: Process
) -> None:
    client = signed_in(world.teller_a)
    open_many(world, enquiry, 3)
    few = _count(client, "/cases/", {"view": "open"})
    open_many(world, enquiry, 17)
    many = _count(client, "/cases/", {"view": "open"})
    assert many == few <= QUEUE_PAGE_MAX_QUERIES


def test_the_queue_api_runs_the_same_number_of_queries_for_3_or_20_cases(
    world: World, enquiry: Process
) -> None:
    client = signed_in(world.teller_a)
    open_many(world, enquiry, 3)
    few = _count(client, "/api/v1/cases", {"view": "open"})
    open_many(world, enquiry, 17)
    many = _count(client, "/api/v1/cases", {"view": "open"})
    assert many == few <= QUEUE_API_MAX_QUERIES
    body = client.get("/api/v1/cases", {"view": "open", "limit": 5}).json()
    assert len(body["items"]) == 5 and body["next_cursor"] is not None
    assert body["count"] == 20 and body["count_exceeds"] is False


def test_the_partial_queue_indexes_hold_exactly_the_unfinished_cases() -> None:
    from policydesk.cases.models import StateCategory
    from policydesk.cases.models.case import UNFINISHED

    # The queues' filter and the indexes' predicate must name the same categories, or the
    # database stops using the indexes.
    ((lookup, values),) = UNFINISHED.children
    assert UNFINISHED.negated and lookup == "category__in"
    assert sorted(values) == sorted(StateCategory.finished())


def test_the_count_comes_with_the_page_and_holds_past_the_last_page(
    world: World, enquiry: Process, django_assert_num_queries: Any
) -> None:
    cases = open_many(world, enquiry, 4)
    selectors.case_queue(world.teller_a, "open")  # permission lookups cached on the user
    with django_assert_num_queries(1):
        queue = selectors.case_queue(world.teller_a, "open", limit=3)
    assert len(queue.page.items) == 3 and queue.count.value == 4 and not queue.count.exceeds
    past = selectors.case_queue(world.teller_a, "open", after=cases[-1].pk)
    assert past.page.items == [] and past.count.value == 4
    assert selectors.case_queue(world.teller_b, "open").count.value == 0


def test_a_queue_row_reads_what_the_list_shows_without_further_queries(
    world: World, enquiry: Process, django_assert_num_queries: Any
) -> None:
    (case,) = open_many(world, enquiry, 1)
    services.case_assign(case=case, assignee=world.teller_a, by=world.teller_a)
    (row,) = selectors.case_queue(world.teller_a, "mine").page.items
    with django_assert_num_queries(0):
        assert (row.process.name, row.state.name, str(row.assignee)) == (
            enquiry.name,
            case.state.name,
            str(world.teller_a),
        )
        assert row.customer is None and row.get_priority_display()

"""A run is idempotent and incremental: running twice creates nothing new."""

from __future__ import annotations

import datetime as dt

from policydesk.monitoring.models import RunStatus, WorkItem
from policydesk.monitoring.services import monitoring_run_now

from .conftest import AS_OF, Book, attempt, lapse, make_policy, mandate, payout, premium


def _busy_book(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy)
    premium(policy, AS_OF + dt.timedelta(days=4))
    due = premium(policy, AS_OF - dt.timedelta(days=8), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=8), "account_changed")
    lapsed = make_policy(book)
    lapse(lapsed, AS_OF - dt.timedelta(days=3))
    paid_out = make_policy(book)
    mandate(paid_out, dormant=True)
    payout(paid_out, AS_OF + dt.timedelta(days=7))


def test_running_twice_creates_nothing_new(book: Book) -> None:
    _busy_book(book)
    first = monitoring_run_now(as_of=AS_OF)
    count = WorkItem.objects.count()
    second = monitoring_run_now(as_of=AS_OF)
    assert first.status == second.status == RunStatus.SUCCEEDED
    assert first.created_total == count >= 6
    assert second.created_total == 0
    assert WorkItem.objects.count() == count


def test_a_later_run_adds_only_what_is_new(book: Book) -> None:
    _busy_book(book)
    monitoring_run_now(as_of=AS_OF)
    before = set(WorkItem.objects.values_list("id", flat=True))
    new_policy = make_policy(book)
    mandate(new_policy)
    premium(new_policy, AS_OF + dt.timedelta(days=9))
    later = monitoring_run_now(as_of=AS_OF + dt.timedelta(days=1))
    added = WorkItem.objects.exclude(id__in=before)
    assert later.created_total == added.count() == 1
    assert added.get().policy_id == new_policy.pk


def test_a_closed_item_is_not_raised_again(book: Book) -> None:
    from policydesk.monitoring.services import work_item_close

    _busy_book(book)
    monitoring_run_now(as_of=AS_OF)
    item = WorkItem.objects.filter(rule="premium_due").get()
    work_item_close(item=item, outcome="reminded", by=book.rm)
    again = monitoring_run_now(as_of=AS_OF)
    assert again.created_total == 0
    assert WorkItem.objects.filter(rule="premium_due").count() == 1

"""Reads of cases, always for an acting user: queues, one case, its timeline.

Every queryset here is scoped by `scope_to_user` (the case's branch), so a page or API
operation cannot show a case of a branch the user may not see. Lists are keyset pages in
id order (oldest first, as a queue is worked) with bounded counts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.errors import NotVisible
from policydesk.core.pagination import (
    COUNT_BOUND,
    BoundedCount,
    Page,
    bounded_count,
    keyset_values_page,
)

from . import queue_rows
from .models import Case, CaseClock, CaseEvent, Process, StateCategory
from .queue_rows import QueueRow

# Queue views: the lists a processor, a team lead and a manager work from.
VIEWS: dict[str, Any] = {
    "mine": _("My cases"),
    "team": _("My team"),
    "open": _("All open"),
    "breaching": _("Breaching soon"),
    "breached": _("Breached"),
    "escalated": _("Escalated"),
    "waiting": _("Waiting"),
    "unassigned": _("Unassigned"),
    "finished": _("Resolved and closed"),
}


@dataclass(frozen=True)
class QueueFilters:
    process: str = ""
    channel: str = ""
    priority: int | None = None
    state: str = ""
    tag: str = ""
    assignee: int | None = None
    team: int | None = None
    customer: int | None = None
    number: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


@dataclass
class Queue:
    view: str
    page: Page[QueueRow]
    count: BoundedCount
    filters: QueueFilters = field(default_factory=QueueFilters)


def cases_visible(user: Any) -> QuerySet[Case]:
    require(user, "cases.view")
    return scope_to_user(Case.objects.all(), user)


def case_get(user: Any, case_id: int) -> Case:
    require(user, "cases.view")
    return get_visible(
        Case.objects.select_related(
            "process",
            "process_version",
            "state",
            "branch",
            "team",
            "assignee",
            "customer",
            "policy",
            "language",
            "sla_policy",
        ),
        user,
        pk=case_id,
    )


def _view_filter(user: Any, view: str, now: dt.datetime) -> Q:
    unfinished = ~Q(category__in=StateCategory.finished())
    if view == "mine":
        return Q(assignee=user) & unfinished
    if view == "team":
        return Q(team_id=user.team_id) & unfinished if user.team_id else Q(pk__in=[])
    if view == "breaching":
        return Q(next_warn_at__lte=now, next_due_at__gt=now, is_breached=False) & unfinished
    if view == "breached":
        return Q(is_breached=True) & unfinished
    if view == "escalated":
        return Q(escalation_level__gt=0) & unfinished
    if view == "waiting":
        return Q(category__in=StateCategory.waiting())
    if view == "unassigned":
        return Q(assignee__isnull=True) & unfinished
    if view == "finished":
        return Q(category__in=StateCategory.finished())
    return unfinished


def _apply(queryset: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    if filters.process:
        queryset = queryset.filter(process__code=filters.process)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.priority is not None:
        queryset = queryset.filter(priority=filters.priority)
    if filters.state:
        queryset = queryset.filter(state__code=filters.state)
    if filters.tag:
        if connection.vendor == "postgresql":
            queryset = queryset.filter(tags__contains=[filters.tag])
        else:
            # SQLite has no JSON containment; tags are stored as a JSON list of strings.
            queryset = queryset.filter(tags__icontains=json.dumps(filters.tag))
    if filters.assignee is not None:
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.team is not None:
        queryset = queryset.filter(team_id=filters.team)
    if filters.customer is not None:
        queryset = queryset.filter(customer_id=filters.customer)
    if filters.number:
        queryset = queryset.filter(number=filters.number.strip().upper())
    return queryset


class _BoundedCountOf(Subquery):
    """COUNT(*) over the queue's first bound + 1 ids, as a scalar subquery of the page's
    statement: it does not refer to the outer row, so the database evaluates it once
    (PostgreSQL: an InitPlan; SQLite: a non-correlated subquery), and page and count are
    one round trip."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS bounded)"
    output_field = IntegerField()


def case_queue(
    user: Any,
    view: str = "open",
    *,
    filters: QueueFilters | None = None,
    after: int | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> Queue:
    """One page of a queue view with its bounded count; the rows carry what the list shows.

    One statement: the page (keyset, id order, the columns of queue_rows.COLUMNS, read as
    values and made into QueueRow objects, not model instances) with the bounded count of
    the whole view as a column of each row. Only a page after the last one (no rows,
    `after` given) needs the count on its own."""
    view, filters, queryset = _queue_queryset(user, view, filters, now)
    counted = _BoundedCountOf(queryset.order_by().values("pk")[: COUNT_BOUND + 1])
    values = queryset.annotate(queue_count=counted).values(*queue_rows.COLUMNS, "queue_count")
    page = keyset_values_page(values, after=after, limit=limit)
    first = page.items[0]["queue_count"] if page.items else None
    rows = Page(items=[queue_rows.row_of(row) for row in page.items], next_cursor=page.next_cursor)
    return Queue(view=view, page=rows, count=_count(queryset, first, after), filters=filters)


def _queue_queryset(
    user: Any, view: str, filters: QueueFilters | None, now: dt.datetime | None
) -> tuple[str, QueueFilters, QuerySet[Case]]:
    if view not in VIEWS:
        view = "open"
    filters = filters or QueueFilters()
    now = now or timezone.now()
    return view, filters, _apply(cases_visible(user).filter(_view_filter(user, view, now)), filters)


def _count(
    queryset: QuerySet[Case], first_row_count: int | None, after: int | None
) -> BoundedCount:
    """The bounded count read from the page's first row; only a page after the last one (no
    rows, `after` given) counts on its own."""
    if first_row_count is not None:
        value = int(first_row_count)
        return BoundedCount(value=min(value, COUNT_BOUND), exceeds=value > COUNT_BOUND)
    if after is None:
        return BoundedCount(value=0, exceeds=False)
    return bounded_count(queryset)


def case_timeline(user: Any, case: Case, *, internal: bool = True) -> list[CaseEvent]:
    """The case's events, oldest first; customer-visible ones only when internal is False."""
    events = case.events.select_related("actor").order_by("id")
    if not internal:
        events = events.filter(visibility="customer")
    return list(events)


def case_clocks(case: Case) -> list[CaseClock]:
    return list(case.clocks.select_related("target").order_by("id"))


def processes_visible(user: Any) -> QuerySet[Process]:
    require(user, "cases.view")
    return Process.objects.select_related("current_version", "sla_policy").order_by("code")


def process_get(user: Any, process_id: int) -> Process:
    require(user, "cases.view")
    process = processes_visible(user).filter(pk=process_id).first()
    if process is None:
        raise NotVisible("Not found.")
    return process

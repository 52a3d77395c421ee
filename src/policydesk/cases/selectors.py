"""Reads of cases, always for an acting user: queues, one case, its timeline.

Every queryset here is scoped by `scope_to_user` (the case's branch), or for the queue
statement compiled once per shape by the same rule on the user's `visible_branch_ids`
(`scope_to_branches`), so a page or API operation cannot show a case of a branch the user
may not see. Lists are keyset pages in id order (oldest first, as a queue is worked) with
bounded counts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core import statements
from policydesk.core.access import (
    get_visible,
    require,
    scope_to_branches,
    scope_to_user,
    visible_branch_ids,
)
from policydesk.core.errors import NotVisible
from policydesk.core.pagination import (
    COUNT_BOUND,
    MAX_PAGE_SIZE,
    BoundedCount,
    Page,
    bounded_count,
)

from . import queue_rows
from .models import Case, CaseClock, CaseEvent, Process, StateCategory
from .queue_rows import QueueRow

# The page sizes the queue statement reads (at least the page asked for, plus one row).
FETCH_SIZES = (10, 25, 50, 100, MAX_PAGE_SIZE)

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


def _view_filter(view: str, inputs: statements.Values) -> Q:
    unfinished = ~Q(category__in=StateCategory.finished())
    if view == "mine":
        return Q(assignee_id=inputs["user"]) & unfinished
    if view == "team":
        team = inputs["team"]
        return Q(team_id=team) & unfinished if team is not None else Q(pk__in=[])
    if view == "breaching":
        now = inputs["now"]
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


# QueueFilters field -> lookup; its input is "filter_<field>", None when the filter is not set.
_FILTER_LOOKUPS = {
    "process": "process__code",
    "channel": "channel",
    "priority": "priority",
    "state": "state__code",
    "assignee": "assignee_id",
    "team": "team_id",
    "customer": "customer_id",
    "number": "number",
}


def _apply(queryset: QuerySet[Case], inputs: statements.Values) -> QuerySet[Case]:
    for name, lookup in _FILTER_LOOKUPS.items():
        value = inputs[f"filter_{name}"]
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    tag = inputs["filter_tag"]
    if tag is not None:
        if connection.vendor == "postgresql":
            queryset = queryset.filter(tags__contains=[tag])
        else:
            # SQLite has no JSON containment; tags are stored as a JSON list of strings.
            queryset = queryset.filter(tags__icontains=json.dumps(tag))
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
    the whole view as a column of each row, compiled once per shape (core.statements: the
    view, the page size, which filters are set, how many branches the user sees). Only a
    page after the last one (no rows, `after` given) needs the count on its own."""
    require(user, "cases.view")
    view = view if view in VIEWS else "open"
    filters = filters or QueueFilters()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    # The statement reads one of a few page sizes (its LIMIT is part of the SQL): a client's
    # every `limit` from 1 to 200 would otherwise be a shape of its own.
    fetch = next(size for size in FETCH_SIZES if size >= limit)
    inputs = _queue_inputs(user, view, filters, after, now)
    rows = statements.values_rows(
        f"cases.queue:{view}:{fetch}", inputs, partial(_queue_page, view, fetch)
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    page = Page(
        items=[queue_rows.row_of(row) for row in rows],
        next_cursor=int(rows[-1]["id"]) if has_more and rows else None,
    )
    first = rows[0]["queue_count"] if rows else None
    count = _count(view, inputs, first, after)
    return Queue(view=view, page=page, count=count, filters=filters)


def _queue_inputs(
    user: Any, view: str, filters: QueueFilters, after: int | None, now: dt.datetime | None
) -> dict[str, statements.Value]:
    """What the queue's statement depends on besides its shape: the user's branches (None:
    the whole company), the person or team of "mine" and "team", the moment of "breaching",
    the filters that are set, the keyset cursor."""
    branch_ids = visible_branch_ids(user)
    inputs: dict[str, statements.Value] = {
        "branches": None if branch_ids is None else tuple(sorted(branch_ids)),
        "user": user.pk if view == "mine" else None,
        "team": user.team_id if view == "team" else None,
        "now": (now or timezone.now()) if view == "breaching" else None,
        "after": after,
    }
    number = filters.number.strip().upper()
    for name in (*_FILTER_LOOKUPS, "tag"):
        value = number if name == "number" else getattr(filters, name)
        inputs[f"filter_{name}"] = None if value in ("", None) else value
    return inputs


def _queue_queryset(view: str, inputs: statements.Values) -> QuerySet[Case]:
    branches = inputs["branches"]
    if branches is not None and not isinstance(branches, tuple):
        raise TypeError("the queue's branches are a tuple of ids, or None for the company")
    queryset = scope_to_branches(Case.objects.all(), cast(tuple[int, ...] | None, branches))
    return _apply(queryset.filter(_view_filter(view, inputs)), inputs)


def _queue_page(view: str, limit: int, inputs: statements.Values) -> QuerySet[Any, Any]:
    queryset = _queue_queryset(view, inputs)
    counted = _BoundedCountOf(queryset.order_by().values("pk")[: COUNT_BOUND + 1])
    values = queryset.annotate(queue_count=counted).values(*queue_rows.COLUMNS, "queue_count")
    if inputs["after"] is not None:
        values = values.filter(id__gt=inputs["after"])
    return values.order_by("id")[: limit + 1]


def _count(
    view: str, inputs: statements.Values, first_row_count: int | None, after: int | None
) -> BoundedCount:
    """The bounded count read from the page's first row; only a page after the last one (no
    rows, `after` given) counts on its own."""
    if first_row_count is not None:
        value = int(first_row_count)
        return BoundedCount(value=min(value, COUNT_BOUND), exceeds=value > COUNT_BOUND)
    if after is None:
        return BoundedCount(value=0, exceeds=False)
    return bounded_count(_queue_queryset(view, inputs))


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

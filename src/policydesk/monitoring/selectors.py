"""Reads of account monitoring; every one takes the acting user and scopes by branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import BoundedCount, bounded_count
from policydesk.customers.models import Customer

from . import risk
from .models import (
    AccountReview,
    Communication,
    ItemStatus,
    LapseModel,
    MonitoringRun,
    PolicyRiskScore,
    WorkItem,
)
from .needs import segment_assumptions

PAGE_SIZE = 50


@dataclass(frozen=True)
class WorklistFilters:
    owner: str = ""  # "me", "unassigned" or "" (all)
    rule: str = ""
    status: str = ItemStatus.OPEN
    due_before: dt.date | None = None
    customer_id: int | None = None


@dataclass
class Worklist:
    items: list[WorkItem]
    next_cursor: str | None
    count: BoundedCount
    filters: WorklistFilters = field(default_factory=WorklistFilters)


def _cursor(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    priority, _, item_id = value.partition(".")
    try:
        return int(priority), int(item_id)
    except ValueError:
        return None


def work_items(user: Any) -> QuerySet[WorkItem]:
    require(user, "monitoring.view")
    return scope_to_user(WorkItem.objects.all(), user)


def worklist(
    user: Any, *, filters: WorklistFilters, after: str | None = None, limit: int = PAGE_SIZE
) -> Worklist:
    """A page of work items, highest priority first, then the earliest due; keyset on
    (priority, id) so a page costs the same deep in the list."""
    items = work_items(user)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.owner == "me":
        items = items.filter(owner=user)
    elif filters.owner == "unassigned":
        items = items.filter(owner__isnull=True)
    if filters.rule:
        items = items.filter(rule=filters.rule)
    if filters.due_before:
        items = items.filter(due_on__lte=filters.due_before)
    if filters.customer_id:
        items = items.filter(customer_id=filters.customer_id)
    count = bounded_count(items)
    position = _cursor(after)
    if position is not None:
        priority, item_id = position
        items = items.filter(Q(priority__lt=priority) | Q(priority=priority, id__gt=item_id))
    limit = max(1, min(limit, 200))
    rows = list(
        items.select_related("customer", "policy", "owner", "branch").order_by("-priority", "id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1].priority}.{rows[-1].pk}" if more and rows else None
    return Worklist(items=rows, next_cursor=cursor, count=count, filters=filters)


def work_item_get(user: Any, item_id: int) -> WorkItem:
    require(user, "monitoring.view")
    return get_visible(
        WorkItem.objects.select_related(
            "customer",
            "policy",
            "owner",
            "branch",
            "closed_by",
            "servicing_item__case__state",
        ),
        user,
        pk=item_id,
    )


def customer_get(user: Any, customer_id: int) -> Customer:
    require(user, "monitoring.view")
    return get_visible(Customer.objects.select_related("branch"), user, pk=customer_id)


def communications_of(user: Any, customer: Customer, *, limit: int = 100) -> list[Communication]:
    require(user, "monitoring.view")
    rows = scope_to_user(Communication.objects.filter(customer=customer), user)
    return list(rows.select_related("recorded_by").order_by("-contacted_at", "-id")[:limit])


def reviews_of(user: Any, customer: Customer, *, limit: int = 50) -> list[AccountReview]:
    require(user, "monitoring.view")
    rows = scope_to_user(AccountReview.objects.filter(customer=customer), user)
    return list(rows.select_related("reviewed_by").order_by("-reviewed_on", "-id")[:limit])


def review_get(user: Any, review_id: int) -> AccountReview:
    require(user, "monitoring.view")
    return get_visible(
        AccountReview.objects.select_related("customer", "branch", "reviewed_by"),
        user,
        pk=review_id,
    )


@dataclass(frozen=True)
class ContactDue:
    customer: Customer
    last_contact: Communication | None
    due_on: dt.date


def contacts_due(user: Any, *, as_of: dt.date | None = None, limit: int = 100) -> list[ContactDue]:
    """Customers whose agreed next contact date has come (the latest log entry says when)."""
    require(user, "monitoring.view")
    as_of = as_of or timezone.localdate()
    rows = (
        scope_to_user(Communication.objects.filter(next_contact_on__lte=as_of), user)
        .select_related("customer")
        .order_by("next_contact_on", "id")
    )
    seen: set[int] = set()
    due: list[ContactDue] = []
    for record in rows[: limit * 3]:
        if record.customer_id in seen:
            continue
        seen.add(record.customer_id)
        newer = Communication.objects.filter(
            customer_id=record.customer_id, contacted_at__gt=record.contacted_at
        ).exists()
        if not newer and record.next_contact_on is not None:
            due.append(ContactDue(record.customer, record, record.next_contact_on))
        if len(due) >= limit:
            break
    return due


def segment_schedule() -> list[dict[str, Any]]:
    """The contact schedule and review frequency of each segment (segments.toml)."""
    return [
        {
            "segment": name,
            "contact_every_days": a.contact_every_days,
            "review_every_months": a.review_every_months,
        }
        for name, a in segment_assumptions().items()
    ]


def runs(user: Any, *, limit: int = 20) -> list[MonitoringRun]:
    require(user, "monitoring.view")
    return list(MonitoringRun.objects.select_related("requested_by").order_by("-id")[:limit])


def run_get(user: Any, run_id: int) -> MonitoringRun:
    require(user, "monitoring.view")
    run = MonitoringRun.objects.filter(pk=run_id).first()
    if run is None:
        from policydesk.core.errors import NotVisible

        raise NotVisible("Not found.")
    return run


def current_model(user: Any) -> LapseModel | None:
    require(user, "monitoring.view")
    return LapseModel.objects.filter(is_current=True).first()


@dataclass(frozen=True)
class PolicyRisk:
    score: float | None
    model: LapseModel | None
    contributions: list[risk.Contribution]


def policy_risk(user: Any, policy_id: int) -> PolicyRisk:
    """The policy's lapse-risk score and the three features that drive it most."""
    from policydesk.policies.models import Policy

    require(user, "monitoring.view")
    policy = get_visible(Policy.objects.all(), user, pk=policy_id)
    model = LapseModel.objects.filter(is_current=True).first()
    stored = PolicyRiskScore.objects.filter(policy=policy).first()
    if model is None:
        return PolicyRisk(None, None, [])
    history = risk.policy_history(as_of=model.as_of, policy_ids=[policy.pk])
    if not history.rows:
        return PolicyRisk(stored.score if stored else None, model, [])
    return PolicyRisk(
        stored.score
        if stored
        else risk.score_row(history.rows[0], model.features, model.intercept),
        model,
        risk.explain_row(history.rows[0], model.features),
    )

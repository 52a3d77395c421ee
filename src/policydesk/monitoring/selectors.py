"""Reads of account monitoring; every one takes the acting user and scopes by branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import BoundedCount, bounded_count
from policydesk.customers.models import Customer
from policydesk.org.models import Staff

from . import risk
from .models import (
    AccountReview,
    Communication,
    ItemStatus,
    LapseModel,
    ModelTraining,
    MonitoringRun,
    PolicyRiskScore,
    WorkItem,
)
from .needs import segment_assumptions

PAGE_SIZE = 50


ORDERS = ("priority", "due")


@dataclass(frozen=True)
class WorklistFilters:
    owner: str = ""  # "me", "unassigned", "" (all) or a relationship manager's id
    rule: str = ""
    status: str = ItemStatus.OPEN
    due_before: dt.date | None = None
    customer_id: int | None = None
    order: str = "priority"  # highest priority first, or the earliest due first


@dataclass
class Worklist:
    items: list[WorkItem]
    next_cursor: str | None
    count: BoundedCount
    filters: WorklistFilters = field(default_factory=WorklistFilters)


def _cursor(value: str | None, order: str) -> tuple[Any, int] | None:
    """The keyset position of a page: (priority, id) or (due date, id)."""
    if not value:
        return None
    first, _, item_id = value.rpartition(".")
    try:
        key: Any = dt.date.fromisoformat(first) if order == "due" else int(first)
        return key, int(item_id)
    except ValueError:
        return None


def work_items(user: Any) -> QuerySet[WorkItem]:
    require(user, "monitoring.view")
    return scope_to_user(WorkItem.objects.all(), user)


def worklist(
    user: Any, *, filters: WorklistFilters, after: str | None = None, limit: int = PAGE_SIZE
) -> Worklist:
    """A page of work items, highest priority first (or the earliest due first), by owner,
    rule, status and due date; keyset on (priority, id) or (due date, id), so a page costs
    the same deep in the list."""
    items = work_items(user)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.owner == "me":
        items = items.filter(owner=user)
    elif filters.owner == "unassigned":
        items = items.filter(owner__isnull=True)
    elif filters.owner.isdigit():
        items = items.filter(owner_id=int(filters.owner))
    if filters.rule:
        items = items.filter(rule=filters.rule)
    if filters.due_before:
        items = items.filter(due_on__lte=filters.due_before)
    if filters.customer_id:
        items = items.filter(customer_id=filters.customer_id)
    count = bounded_count(items)
    by_due = filters.order == "due"
    position = _cursor(after, filters.order)
    if position is not None:
        key, item_id = position
        if by_due:
            items = items.filter(Q(due_on__gt=key) | Q(due_on=key, id__gt=item_id))
        else:
            items = items.filter(Q(priority__lt=key) | Q(priority=key, id__gt=item_id))
    limit = max(1, min(limit, 200))
    ordering = ("due_on", "id") if by_due else ("-priority", "id")
    rows = list(
        items.select_related("customer", "policy", "owner", "branch").order_by(*ordering)[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = f"{last.due_on.isoformat() if by_due else last.priority}.{last.pk}"
    return Worklist(items=rows, next_cursor=cursor, count=count, filters=filters)


def worklist_owners(user: Any) -> list[Staff]:
    """The relationship managers of the user's branches, whose worklists the user may open
    and to whom an item may be assigned (active accounts, by name)."""
    from policydesk.org.models import Role

    require(user, "monitoring.view")
    managers = Staff.objects.filter(role=Role.RELATIONSHIP_MANAGER, is_active=True)
    return list(scope_to_user(managers, user).order_by("display_name", "username", "id")[:500])


def worklist_owner(user: Any, owner_id: Any) -> Staff | None:
    """One of `worklist_owners(user)` by id (a form's or a payload's), or None."""
    return next((m for m in worklist_owners(user) if str(m.pk) == str(owner_id)), None)


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
    due_on: dt.date  # the agreed next contact, or the segment's schedule from the last one
    why: str  # "agreed" (the log's next contact date), "schedule" or "never" (no contact yet)


LIVE_STATUSES = ("in_force", "in_grace", "reinstated")


def contacts_due(user: Any, *, as_of: dt.date | None = None, limit: int = 100) -> list[ContactDue]:
    """Customers holding a live policy whom someone should contact by `as_of`: the next
    contact agreed in their latest log entry has come, or, with none agreed, their segment's
    schedule (segments.toml `contact_every_days`) has run out since the last contact, or they
    were never contacted. Longest without contact first; one statement for the page and one
    for its log entries."""
    from policydesk.policies.models import Policy

    require(user, "monitoring.view")
    as_of = as_of or timezone.localdate()
    latest = Communication.objects.filter(customer=OuterRef("pk")).order_by("-contacted_at", "-id")
    schedule = {
        name: a.contact_every_days
        for name, a in segment_assumptions().items()
        if a.contact_every_days > 0
    }
    run_out = Q(pd_last_at__isnull=True) | Q(pd_last_at__date__lt=as_of)  # no contact today
    by_schedule = Q(pk__in=[])
    for segment, days in schedule.items():
        cutoff = as_of - dt.timedelta(days=days)
        by_schedule |= Q(segment=segment) & (
            Q(pd_last_at__isnull=True) | Q(pd_last_at__date__lte=cutoff)
        )
    customers = (
        scope_to_user(Customer.objects.all(), user)
        .filter(
            Exists(Policy.objects.filter(policyholder=OuterRef("pk"), status__in=LIVE_STATUSES))
        )
        .annotate(
            pd_last_id=Subquery(latest.values("id")[:1]),
            pd_last_at=Subquery(latest.values("contacted_at")[:1]),
            pd_next_on=Subquery(latest.values("next_contact_on")[:1]),
        )
        .filter(Q(pd_next_on__lte=as_of) | (Q(pd_next_on__isnull=True) & by_schedule & run_out))
        .select_related("branch")
        .order_by(F("pd_last_at").asc(nulls_first=True), "id")[: max(1, min(limit, 500))]
    )
    rows = list(customers)
    contacts = Communication.objects.in_bulk([c.pd_last_id for c in rows if c.pd_last_id])
    due: list[ContactDue] = []
    for customer in rows:
        last = contacts.get(customer.pd_last_id) if customer.pd_last_id else None
        if customer.pd_next_on is not None:
            due.append(ContactDue(customer, last, customer.pd_next_on, "agreed"))
        elif last is None:
            due.append(ContactDue(customer, None, as_of, "never"))
        else:
            every = dt.timedelta(days=schedule[customer.segment])
            day = timezone.localdate(last.contacted_at) + every
            due.append(ContactDue(customer, last, day, "schedule"))
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


def latest_training(user: Any) -> ModelTraining | None:
    """The latest retraining asked for (its state and progress), if any."""
    require(user, "monitoring.view")
    return ModelTraining.objects.select_related("requested_by").order_by("-id").first()


def training_get(user: Any, training_id: int) -> ModelTraining:
    from policydesk.core.errors import NotVisible

    require(user, "monitoring.view")
    training = ModelTraining.objects.select_related("requested_by").filter(pk=training_id).first()
    if training is None:
        raise NotVisible("Not found.")
    return training


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

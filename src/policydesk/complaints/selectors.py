"""Reads of complaints, always for an acting user: the register, one complaint, the KPIs.

Every queryset is scoped by `scope_to_user` on the case's branch, so the register, the KPI
panel and the API cannot count or show a complaint of a branch the user may not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from policydesk.cases.models import CaseClock, StateCategory
from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import BoundedCount, Page, bounded_count, keyset_page
from policydesk.policies.models import TERMINAL_STATUSES, Policy, PolicyStatus

from .models import Complaint, ExternalEscalation, RootCause
from .services import REGULATORY_CLOCK

BRANCH = "case__branch"
LIVE_POLICY_STATUSES = sorted(set(PolicyStatus.values) - set(TERMINAL_STATUSES))
KPI_PERIOD_DAYS = 365


def complaints_visible(user: Any) -> QuerySet[Complaint]:
    require(user, "complaints.view")
    return scope_to_user(Complaint.objects.all(), user, branch_field=BRANCH)


def complaint_get(user: Any, complaint_id: int) -> Complaint:
    require(user, "complaints.view")
    return get_visible(
        Complaint.objects.select_related(
            "case",
            "case__state",
            "case__branch",
            "case__customer",
            "case__policy",
            "agent",
            "intermediary",
            "root_cause",
        ),
        user,
        branch_field=BRANCH,
        pk=complaint_id,
    )


def complaint_escalations(complaint: Complaint) -> list[ExternalEscalation]:
    return list(complaint.escalations.order_by("id"))


def root_causes(*, active_only: bool = True) -> list[RootCause]:
    causes = RootCause.objects.all()
    if active_only:
        causes = causes.filter(is_active=True)
    return list(causes.order_by("position", "id"))


@dataclass(frozen=True)
class RegisterFilters:
    root_cause: str = ""
    channel: str = ""
    outcome: str = ""
    branch: int | None = None
    overdue: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


@dataclass
class Register:
    page: Page[Complaint]
    count: BoundedCount
    filters: RegisterFilters = field(default_factory=RegisterFilters)


def _overdue(now: dt.datetime) -> Q:
    """Breached at some point, or still open past the nearest due moment."""
    unfinished = ~Q(case__category__in=StateCategory.finished())
    return Q(case__is_breached=True) | (Q(case__next_due_at__lt=now) & unfinished)


def complaint_register(
    user: Any,
    *,
    filters: RegisterFilters | None = None,
    after: int | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> Register:
    """One page of the register, newest first, with its bounded count."""
    filters = filters or RegisterFilters()
    now = now or timezone.now()
    queryset = complaints_visible(user)
    if filters.root_cause:
        queryset = queryset.filter(root_cause__code=filters.root_cause)
    if filters.channel:
        queryset = queryset.filter(case__channel=filters.channel)
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    if filters.branch is not None:
        queryset = queryset.filter(case__branch_id=filters.branch)
    if filters.overdue:
        queryset = queryset.filter(_overdue(now))
    page = keyset_page(
        queryset.select_related(
            "case", "case__state", "case__branch", "case__customer", "root_cause"
        ),
        after=after,
        limit=limit,
        newest_first=True,
    )
    return Register(page=page, count=bounded_count(queryset), filters=filters)


@dataclass(frozen=True)
class CauseBar:
    code: str
    label: str
    value: int
    percent: float  # of the largest bar, for the drawn length


@dataclass(frozen=True)
class ComplaintKpis:
    since: dt.date
    logged: int
    decided: int  # regulatory decision clock stopped (decided or withdrawn)
    decided_on_time: int
    live_policies: int  # the divisor of the complaint rate, counted now
    by_root_cause: list[CauseBar]

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.decided:
            return None
        return (Decimal(100) * self.decided_on_time / self.decided).quantize(Decimal("0.1"))

    @property
    def per_10000_policies(self) -> Decimal | None:
        if not self.live_policies:
            return None
        return (Decimal(10000) * self.logged / self.live_policies).quantize(Decimal("0.01"))


def complaint_kpis(user: Any, *, now: dt.datetime | None = None) -> ComplaintKpis:
    """DOMAIN.md §4 KPI 21 over the complaints logged in the last 365 days in the visible
    branches: decided on time = regulatory clock met ÷ regulatory clock stopped; complaints
    per 10,000 live policies (not in a terminal status) of the visible branches; counts by
    root cause. Four aggregate queries, whatever the number of complaints."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=KPI_PERIOD_DAYS)
    complaints = complaints_visible(user).filter(case__opened_at__gte=since)
    clocks = CaseClock.objects.filter(
        code=REGULATORY_CLOCK, case__complaint__in=complaints.values("pk"), met__isnull=False
    ).aggregate(decided=Count("id"), on_time=Count("id", filter=Q(met=True)))
    rows = list(
        complaints.values("root_cause__code", "root_cause__name")
        .annotate(n=Count("id"))
        .order_by("-n", "root_cause__code")
    )
    largest = max((row["n"] for row in rows), default=0) or 1
    bars = [
        CauseBar(
            code=row["root_cause__code"] or "",
            label=row["root_cause__name"] or "—",
            value=row["n"],
            percent=100 * row["n"] / largest,
        )
        for row in rows
    ]
    live = scope_to_user(Policy.objects.filter(status__in=LIVE_POLICY_STATUSES), user).count()
    return ComplaintKpis(
        since=since.date(),
        logged=sum(bar.value for bar in bars),
        decided=clocks["decided"],
        decided_on_time=clocks["on_time"],
        live_policies=live,
        by_root_cause=bars,
    )

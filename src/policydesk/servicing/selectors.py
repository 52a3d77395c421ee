"""Reads of policy servicing, always for an acting user: the queue, one item, the catalogue,
the KPIs (DOMAIN.md §4 item 10). Every queryset is scoped on the case's branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import BoundedCount, Page, bounded_count, keyset_page

from .models import PolicyEndorsement, ServicingItem, ServicingItemType
from .services import UNFINISHED_STATES

BRANCH = "case__branch"


def items_visible(user: Any) -> QuerySet[ServicingItem]:
    require(user, "servicing.view")
    return scope_to_user(ServicingItem.objects.all(), user, branch_field=BRANCH)


def item_get(user: Any, item_id: int) -> ServicingItem:
    require(user, "servicing.view")
    return get_visible(
        ServicingItem.objects.select_related(
            "case",
            "case__state",
            "case__branch",
            "case__assignee",
            "item_type",
            "policy",
            "policy__policyholder",
            "policy__product",
            "reverses",
            "reverses__case",
        ),
        user,
        branch_field=BRANCH,
        pk=item_id,
    )


def item_endorsement(item: ServicingItem) -> PolicyEndorsement | None:
    return PolicyEndorsement.objects.filter(item=item).first()


def catalogue(user: Any, *, active_only: bool = False) -> list[ServicingItemType]:
    require(user, "servicing.view")
    types = ServicingItemType.objects.all()
    if active_only:
        types = types.filter(is_active=True)
    return list(types.order_by("position", "id"))


@dataclass(frozen=True)
class QueueFilters:
    item: str = ""
    status: str = ""  # open | done | cancelled
    state: str = ""
    channel: str = ""
    policy_number: str = ""
    overdue: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


@dataclass
class Queue:
    page: Page[ServicingItem]
    count: BoundedCount
    filters: QueueFilters


def item_queue(
    user: Any,
    *,
    filters: QueueFilters | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Queue:
    """One page of items, newest first, with a bounded count."""
    filters = filters or QueueFilters()
    queryset = items_visible(user)
    if filters.item:
        queryset = queryset.filter(item_type__code=filters.item)
    if filters.status == "open":
        queryset = queryset.filter(case__state__code__in=UNFINISHED_STATES)
    elif filters.status == "done":
        queryset = queryset.filter(case__state__code="done")
    elif filters.status == "cancelled":
        queryset = queryset.filter(case__state__code__in=("cancelled", "declined"))
    if filters.state:
        queryset = queryset.filter(case__state__code=filters.state)
    if filters.channel:
        queryset = queryset.filter(case__channel=filters.channel)
    if filters.policy_number:
        queryset = queryset.filter(policy__number=filters.policy_number)
    if filters.overdue:
        queryset = queryset.filter(case__is_breached=True)
    page = keyset_page(
        queryset.select_related(
            "case", "case__state", "case__branch", "item_type", "policy", "policy__policyholder"
        ),
        after=after,
        limit=limit,
        newest_first=True,
    )
    return Queue(page=page, count=bounded_count(queryset), filters=filters)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class KpiRow:
    """One line of the panel (an item type, a month, or the total)."""

    key: str
    label: str
    received: int
    accepted_measured: int  # items whose acceptance (or correction notice) is decided
    accepted_on_time: int
    completed_measured: int
    completed_on_time: int
    done: int
    mean_working_days: Decimal | None

    @property
    def accepted_on_time_rate(self) -> Decimal | None:
        return _rate(self.accepted_on_time, self.accepted_measured)

    @property
    def completed_on_time_rate(self) -> Decimal | None:
        return _rate(self.completed_on_time, self.completed_measured)


@dataclass(frozen=True)
class ServicingKpis:
    since: dt.date
    until: dt.date
    total: KpiRow
    by_item: list[KpiRow]
    by_month: list[KpiRow]


AGGREGATES = {
    "received": Count("id"),
    "accepted_measured": Count("id", filter=Q(accepted_on_time__isnull=False)),
    "accepted_on_time": Count("id", filter=Q(accepted_on_time=True)),
    "completed_measured": Count("id", filter=Q(completed_on_time__isnull=False)),
    "completed_on_time": Count("id", filter=Q(completed_on_time=True)),
    "done": Count("id", filter=Q(done_at__isnull=False)),
    "mean": Avg("duration_working_days"),
}


def _row(key: str, label: str, values: dict[str, Any]) -> KpiRow:
    mean = values.get("mean")
    return KpiRow(
        key=key,
        label=label,
        received=values["received"],
        accepted_measured=values["accepted_measured"],
        accepted_on_time=values["accepted_on_time"],
        completed_measured=values["completed_measured"],
        completed_on_time=values["completed_on_time"],
        done=values["done"],
        mean_working_days=Decimal(str(mean)).quantize(Decimal("0.01"))
        if mean is not None
        else None,
    )


def servicing_kpis(user: Any, *, since: dt.date, until: dt.date) -> ServicingKpis:
    """DOMAIN.md §4 KPI 10 over the items received from `since` to `until` (inclusive, UTC
    dates) in the visible branches: accepted on time (complete applications accepted within
    2 working days, incomplete ones given the correction notice within 5) ÷ those decided;
    completed on time (done within 5 working days of approval or full payment) ÷ completed;
    mean working days from receipt to done. Three aggregate queries whatever the volume."""
    start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.UTC)
    end = (
        dt.datetime.combine(until, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(days=1)
        if until < dt.date.max
        else dt.datetime.max.replace(tzinfo=dt.UTC)
    )
    items = items_visible(user).filter(received_at__gte=start, received_at__lt=end)
    total = _row("total", "", items.aggregate(**AGGREGATES))
    names = {t.code: t.name for t in ServicingItemType.objects.all()}
    by_item = [
        _row(row["item_type__code"], names.get(row["item_type__code"], ""), row)
        for row in items.values("item_type__code")
        .annotate(**AGGREGATES)
        .order_by("-received", "item_type__code")
    ]
    by_month = [
        _row(row["month"].strftime("%Y-%m"), row["month"].strftime("%Y-%m"), row)
        for row in items.annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(**AGGREGATES)
        .order_by("month")
    ]
    return ServicingKpis(since=since, until=until, total=total, by_item=by_item, by_month=by_month)

"""Reads of claims, always for an acting user: the queue, one claim, the daily clean-up list,
the investigators' workload, an investigator's own investigations and the KPIs.

Every queryset is scoped by `scope_to_user` on the case's branch, so no list, count or KPI
can show a claim of a branch the user may not see.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from policydesk.cases import clocks
from policydesk.cases.models import StateCategory
from policydesk.core.access import get_visible, require, scope_to_user, visible_branch_ids
from policydesk.core.pagination import BoundedCount, Page, bounded_count, keyset_page
from policydesk.org.models import Branch, Staff

from . import services
from .models import Claim, ClaimApproval, Decision, Investigation

BRANCH = "case__branch"
KPI_PERIOD_DAYS = 365
UNFINISHED = ~Q(case__category__in=StateCategory.finished())


def claims_visible(user: Any) -> QuerySet[Claim]:
    require(user, "claims.view")
    return scope_to_user(Claim.objects.all(), user, branch_field=BRANCH)


def claim_get(user: Any, claim_id: int) -> Claim:
    require(user, "claims.view")
    return get_visible(
        Claim.objects.select_related(
            "case",
            "case__state",
            "case__branch",
            "case__assignee",
            "policy",
            "policy__product",
            "claimant",
            "insured",
            "reported_by",
            "approved_by",
            "calculated_by",
        ),
        user,
        branch_field=BRANCH,
        pk=claim_id,
    )


def claim_parts(claim: Claim) -> dict[str, list[Any]]:
    """The claim's documents, investigations, deductions, approvals and payments."""
    return {
        "documents": list(claim.documents.order_by("id")),
        "investigations": list(claim.investigations.select_related("investigator").order_by("id")),
        "deductions": list(claim.deductions.order_by("id")),
        "approvals": list(
            ClaimApproval.objects.filter(claim=claim)
            .select_related("approver", "referred_to")
            .order_by("id")
        ),
        "payments": list(claim.payments.order_by("id")),
    }


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""
    claim_type: str = ""
    fast_track: bool = False
    mine: bool = False
    overdue: bool = False
    open_only: bool = False
    advance_due: bool = False
    branch: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


@dataclass
class Queue:
    page: Page[Claim]
    count: BoundedCount
    filters: QueueFilters = field(default_factory=QueueFilters)


def _advance_due(now: dt.datetime) -> Q:
    """Undecided 60 days after the report (advance payment of the determinable part)."""
    return Q(decision="", reported_at__lt=now - dt.timedelta(days=services.ADVANCE_PAYMENT_DAYS))


def claim_queue(
    user: Any,
    *,
    filters: QueueFilters | None = None,
    after: int | None = None,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> Queue:
    """One page of claims, newest first, with its bounded count."""
    filters = filters or QueueFilters()
    now = now or timezone.now()
    queryset = claims_visible(user)
    if filters.state:
        queryset = queryset.filter(case__state__code=filters.state)
    if filters.claim_type:
        queryset = queryset.filter(claim_type=filters.claim_type)
    if filters.fast_track:
        queryset = queryset.filter(is_fast_track=True)
    if filters.mine:
        queryset = queryset.filter(Q(case__assignee=user) | Q(reported_by=user))
    if filters.open_only:
        queryset = queryset.filter(UNFINISHED)
    if filters.overdue:
        queryset = queryset.filter(
            Q(case__is_breached=True) | (Q(case__next_due_at__lt=now) & UNFINISHED)
        )
    if filters.advance_due:
        queryset = queryset.filter(_advance_due(now))
    if filters.branch is not None:
        queryset = queryset.filter(case__branch_id=filters.branch)
    page = keyset_page(
        queryset.select_related(
            "case", "case__state", "case__branch", "case__assignee", "claimant", "policy"
        ),
        after=after,
        limit=limit,
        newest_first=True,
    )
    return Queue(page=page, count=bounded_count(queryset), filters=filters)


# --- The daily clean-up list (日清日结) ------------------------------------------------------


@dataclass(frozen=True)
class CleanUpGroup:
    handler: Staff | None
    claims: list[Claim]

    @property
    def overdue(self) -> int:
        return len([claim for claim in self.claims if getattr(claim, "is_overdue", False)])


@dataclass(frozen=True)
class CleanUp:
    day: dt.date
    groups: list[CleanUpGroup]
    total: int
    truncated: bool


CLEAN_UP_LIMIT = 500


def daily_clean_up(user: Any, *, now: dt.datetime | None = None) -> CleanUp:
    """Small (fast-track) claims not yet paid or closed, today's and older ones, per handler
    (the case's assignee, else whoever took the report): what must be cleared before the
    day ends. Bounded: at most 500 claims are listed."""
    now = now or timezone.now()
    branch = getattr(user, "branch", None)
    day = (
        clocks.calendar_for(branch).local_date(now)
        if isinstance(branch, Branch)
        else timezone.localdate(now)
    )
    queryset = (
        claims_visible(user)
        .filter(is_fast_track=True, paid_at__isnull=True, decision="")
        .filter(UNFINISHED)
        .select_related("case", "case__state", "case__assignee", "claimant", "reported_by")
        .order_by("fast_track_due_at", "id")
    )
    rows = list(queryset[: CLEAN_UP_LIMIT + 1])
    truncated = len(rows) > CLEAN_UP_LIMIT
    rows = rows[:CLEAN_UP_LIMIT]
    groups: dict[int | None, list[Claim]] = {}
    people: dict[int | None, Staff | None] = {}
    for claim in rows:
        handler = claim.case.assignee or claim.reported_by
        key = handler.pk if handler else None
        claim.is_overdue = bool(  # type: ignore[attr-defined]
            claim.fast_track_due_at and claim.fast_track_due_at <= now
        )
        groups.setdefault(key, []).append(claim)
        people[key] = handler
    ordered = sorted(groups, key=lambda key: (people[key] is None, str(people[key] or "")))
    return CleanUp(
        day=day,
        groups=[CleanUpGroup(handler=people[key], claims=groups[key]) for key in ordered],
        total=len(rows),
        truncated=truncated,
    )


# --- Investigations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    investigator: Staff
    open_investigations: int
    concluded_last_30_days: int


def investigator_workload(user: Any, *, branch: Branch | None = None) -> list[Workload]:
    """Open investigations per investigator who may work the user's branch's claims (the
    branch's own and those of the branches above), with their recent output. The counts
    include only claims the user may see."""
    require(user, "claims.view")
    branch = branch or getattr(user, "branch", None)
    if not isinstance(branch, Branch):
        return []
    visible = visible_branch_ids(user)
    if visible is not None and branch.pk not in visible:
        return []
    since = timezone.now() - dt.timedelta(days=30)
    scoped = Q()
    if visible is not None:
        scoped = Q(claim_investigations__claim__case__branch__in=sorted(visible))
    people = [staff.pk for staff in services.investigators_for(branch)]
    rows = (
        Staff.objects.filter(pk__in=people)
        .annotate(
            open_n=Count(
                "claim_investigations",
                filter=Q(claim_investigations__concluded_at__isnull=True) & scoped,
            ),
            done_n=Count(
                "claim_investigations",
                filter=Q(claim_investigations__concluded_at__gte=since) & scoped,
            ),
        )
        .order_by("open_n", "id")
    )
    return [
        Workload(
            investigator=row, open_investigations=row.open_n, concluded_last_30_days=row.done_n
        )
        for row in rows
    ]


def my_investigations(
    user: Any, *, open_only: bool = True, limit: int = 200
) -> list[Investigation]:
    """The investigations given to the user, oldest first."""
    require(user, "claims.view")
    queryset = scope_to_user(
        Investigation.objects.filter(investigator=user), user, branch_field="claim__case__branch"
    )
    if open_only:
        queryset = queryset.filter(concluded_at__isnull=True)
    return list(
        queryset.select_related(
            "claim", "claim__case", "claim__case__state", "claim__claimant"
        ).order_by("requested_at", "id")[:limit]
    )


# --- KPIs (DOMAIN.md §4 items 11–15) -------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: str
    paid: int
    mean_days: float | None


@dataclass(frozen=True)
class ClaimKpis:
    since: dt.date
    until: dt.date
    reported: int
    paid: int
    mean_days_to_payment: float | None  # 11: report → payment, calendar days
    p90_days_to_payment: float | None
    decided: int
    decided_on_time: int  # 12
    declined: int
    withdrawn: int
    denial_notices: int
    denial_notices_on_time: int  # 14
    registered: int
    investigated: int  # 15
    fast_track: int
    fast_track_same_day: int
    months: list[MonthPoint]

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100) * part / whole).quantize(Decimal("0.1"))

    @property
    def decided_on_time_rate(self) -> Decimal | None:
        return self._rate(self.decided_on_time, self.decided)

    @property
    def paid_rate(self) -> Decimal | None:
        """13: closed paid ÷ closed paid or declined (withdrawn claims excluded)."""
        return self._rate(self.paid_decisions, self.paid_decisions + self.declined)

    @property
    def paid_decisions(self) -> int:
        return self.decided - self.declined

    @property
    def denial_notice_rate(self) -> Decimal | None:
        return self._rate(self.denial_notices_on_time, self.denial_notices)

    @property
    def investigation_rate(self) -> Decimal | None:
        return self._rate(self.investigated, self.registered)

    @property
    def fast_track_same_day_rate(self) -> Decimal | None:
        return self._rate(self.fast_track_same_day, self.fast_track)


def _percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def claim_kpis(
    user: Any,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ClaimKpis:
    """KPIs 11–15 over the claims reported between `since` and `until` (inclusive; the
    last 365 days by default) in the user's branches. Claims still open count in the
    denominators only once they reach the step the KPI measures. Three aggregate queries and
    one read of (reported, paid) pairs of the paid claims."""
    now = now or timezone.now()
    until = until or timezone.localdate(now)
    since = since or until - dt.timedelta(days=KPI_PERIOD_DAYS - 1)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    notice_due = now - dt.timedelta(days=3)
    claims = claims_visible(user).filter(reported_at__gte=start, reported_at__lt=end)
    totals = claims.aggregate(
        reported=Count("id"),
        decided=Count("id", filter=Q(decision__in=[Decision.PAID, Decision.DECLINED])),
        on_time=Count(
            "id", filter=Q(decision__in=[Decision.PAID, Decision.DECLINED], decided_on_time=True)
        ),
        declined=Count("id", filter=Q(decision=Decision.DECLINED)),
        withdrawn=Count("id", filter=Q(decision=Decision.WITHDRAWN)),
        # Denial notices due: sent, or not sent and the 3 days are over.
        notices=Count(
            "id",
            filter=Q(decision=Decision.DECLINED)
            & (Q(denial_notified_at__isnull=False) | Q(decided_at__lt=notice_due)),
        ),
        notices_on_time=Count("id", filter=Q(denial_notice_on_time=True)),
        registered=Count("id", filter=Q(registered_at__isnull=False)),
        fast=Count("id", filter=Q(is_fast_track=True, paid_at__isnull=False)),
    )
    investigated = claims.filter(investigations__isnull=False).values("id").distinct().count()
    pairs: list[tuple[dt.datetime, dt.datetime, bool, dt.datetime | None]] = [
        (reported, paid, fast, due)
        for reported, paid, fast, due in claims.filter(paid_at__isnull=False)
        .values_list("reported_at", "paid_at", "is_fast_track", "fast_track_due_at")
        .order_by("paid_at")
        if paid is not None
    ]
    durations = [(paid - reported).total_seconds() / 86400 for reported, paid, _f, _d in pairs]
    same_day = len([1 for _r, paid, fast, due in pairs if fast and due and paid <= due])
    months: dict[str, list[float]] = {}
    for (_reported, paid, _f, _d), days in zip(pairs, durations, strict=True):
        months.setdefault(timezone.localtime(paid).strftime("%Y-%m"), []).append(days)
    mean = sum(durations) / len(durations) if durations else None
    return ClaimKpis(
        since=since,
        until=until,
        reported=totals["reported"],
        paid=len(pairs),
        mean_days_to_payment=round(mean, 2) if mean is not None else None,
        p90_days_to_payment=(
            round(p90, 2) if (p90 := _percentile(durations, 0.9)) is not None else None
        ),
        decided=totals["decided"],
        decided_on_time=totals["on_time"],
        declined=totals["declined"],
        withdrawn=totals["withdrawn"],
        denial_notices=totals["notices"],
        denial_notices_on_time=totals["notices_on_time"],
        registered=totals["registered"],
        investigated=investigated,
        fast_track=totals["fast"],
        fast_track_same_day=same_day,
        months=[
            MonthPoint(month=month, paid=len(values), mean_days=round(sum(values) / len(values), 2))
            for month, values in sorted(months.items())
        ],
    )

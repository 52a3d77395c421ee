"""Reads of the counter hall, always for an acting user: the queue, the hall board, a
customer's visits, the queue KPIs and per-teller productivity (with its divisors)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.cases.models import Case
from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import Page, keyset_page
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Branch, Role, Staff, Team, TeamKind

from .models import (
    ACTIVE_STATUSES,
    RatingOutcome,
    ServiceType,
    Ticket,
    TicketStatus,
    Visit,
    WindowSession,
)

WAITING_LIST_LIMIT = 100
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


# --- Scoping -------------------------------------------------------------------------------


def tickets_visible(user: Any) -> QuerySet[Ticket]:
    require(user, "counter.view")
    return scope_to_user(Ticket.objects.all(), user)


def ticket_get(user: Any, ticket_id: int) -> Ticket:
    require(user, "counter.view")
    return get_visible(
        Ticket.objects.select_related("service_type", "customer", "teller", "window", "branch"),
        user,
        pk=ticket_id,
    )


def visit_get(user: Any, visit_id: int) -> Visit:
    require(user, "counter.view")
    return get_visible(
        Visit.objects.select_related("ticket", "ticket__service_type", "teller"), user, pk=visit_id
    )


def branch_for(user: Any, branch_id: int | None) -> Branch:
    """The branch asked for, or the user's own; NotVisible when it lies outside the scope."""
    wanted = branch_id or getattr(user, "branch_id", None)
    if wanted is None:
        first = scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id")
        branch = first.order_by("path").first()
        if branch is None:
            return get_visible(Branch.objects.none(), user, branch_field="id")
        return branch
    return get_visible(Branch.objects.all(), user, branch_field="id", pk=wanted)


def branches_visible(user: Any) -> list[Branch]:
    return list(
        scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id").order_by(
            "path"
        )[:200]
    )


def service_types(*, active_only: bool = True) -> list[ServiceType]:
    query = ServiceType.objects.all()
    if active_only:
        query = query.filter(is_active=True)
    return list(query.order_by("position", "code"))


def windows_of(user: Any, branch: Branch) -> list[Team]:
    return list(
        scope_to_user(
            Team.objects.filter(branch=branch, kind=TeamKind.COUNTER, is_active=True), user
        ).order_by("code")
    )


# --- The queue -----------------------------------------------------------------------------


def local_today(branch: Branch) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(branch.timezone)).date()


def waiting_list(user: Any, branch: Branch) -> list[Ticket]:
    """Today's waiting tickets of the branch in calling order (priority first)."""
    return list(
        tickets_visible(user)
        .filter(branch=branch, status=TicketStatus.WAITING)
        .select_related("service_type", "customer")
        .order_by("-is_priority", "queued_at", "id")[:WAITING_LIST_LIMIT]
    )


def current_ticket(user: Any) -> Ticket | None:
    """The ticket the teller has called or is serving, if any."""
    return (
        tickets_visible(user)
        .filter(teller=user, status__in=ACTIVE_STATUSES)
        .select_related("service_type", "customer", "visit")
        .first()
    )


def ticket_list(
    user: Any,
    *,
    branch: Branch,
    status: str = "",
    day: dt.date | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page[Ticket]:
    query = tickets_visible(user).filter(branch=branch).select_related("service_type")
    if status:
        query = query.filter(status=status)
    if day is not None:
        query = query.filter(issue_day=day)
    return keyset_page(query, after=after, limit=limit, newest_first=True)


@dataclass(frozen=True)
class BoardWindow:
    code: str
    name: str
    is_open: bool
    number: str  # the ticket now called or served there; "" when none
    status: str


@dataclass(frozen=True)
class BoardQueue:
    code: str
    name: str
    letter: str
    waiting: int


@dataclass(frozen=True)
class Board:
    branch: Branch
    windows: list[BoardWindow]
    queues: list[BoardQueue]
    waiting_total: int
    updated_at: dt.datetime


def board(user: Any, branch: Branch) -> Board:
    """The hall board: now serving per window, waiting per service. Ticket numbers only."""
    require(user, "counter.view")
    windows = windows_of(user, branch)
    open_windows = set(
        WindowSession.objects.filter(branch=branch, closed_at__isnull=True).values_list(
            "window_id", flat=True
        )
    )
    serving = {
        window_id: (number, status)
        for window_id, number, status in Ticket.objects.filter(
            branch=branch, status__in=ACTIVE_STATUSES
        )
        .order_by("called_at")
        .values_list("window_id", "number", "status")
    }
    counts = dict(
        Ticket.objects.filter(branch=branch, status=TicketStatus.WAITING)
        .values("service_type")
        .annotate(n=Count("id"))
        .values_list("service_type", "n")
    )
    types = service_types()
    queues = [
        BoardQueue(code=t.code, name=t.name, letter=t.letter, waiting=counts.get(t.pk, 0))
        for t in types
    ]
    return Board(
        branch=branch,
        windows=[
            BoardWindow(
                code=w.code,
                name=w.name,
                is_open=w.pk in open_windows,
                number=serving.get(w.pk, ("", ""))[0],
                status=serving.get(w.pk, ("", ""))[1],
            )
            for w in windows
        ],
        queues=queues,
        waiting_total=sum(counts.values()),
        updated_at=timezone.now(),
    )


# --- Visits of a customer -------------------------------------------------------------------


def customer_visits(
    user: Any, customer_id: int, *, after: int | None = None, limit: int = 20
) -> Page[Visit]:
    """A customer's visits, newest first, with the cases handled in each."""
    from policydesk.customers.models import Customer

    require(user, "counter.view")
    require(user, "customers.view")
    customer = get_visible(Customer.objects.all(), user, pk=customer_id)
    query = (
        scope_to_user(Visit.objects.filter(customer=customer), user)
        .select_related("ticket", "ticket__service_type", "teller", "window")
        .prefetch_related("cases", "cases__process")
    )
    return keyset_page(query, after=after, limit=limit, newest_first=True)


# --- Period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive

    @property
    def months(self) -> int:
        """Calendar months the period spans (the divisor of a monthly figure)."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def bounds(self, branch: Branch) -> tuple[dt.datetime, dt.datetime]:
        zone = ZoneInfo(branch.timezone)
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start, end


def default_period(today: dt.date | None = None) -> Period:
    """The operations year of the seed report (January to October), as the demo loads it."""
    first, last = operations_period(today or timezone.localdate())
    return Period(first=first, last=last)


def month_period(from_month: str, to_month: str) -> Period | None:
    """A period of whole months from "YYYY-MM" texts; None when either is malformed."""
    try:
        first = dt.date.fromisoformat(f"{from_month}-01")
        last_first = dt.date.fromisoformat(f"{to_month}-01")
    except ValueError:
        return None
    if last_first < first:
        return None
    next_month = (last_first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Period(first=first, last=next_month - dt.timedelta(days=1))


# --- KPIs ----------------------------------------------------------------------------------


def p90(values: list[float]) -> float | None:
    """The 90th percentile by the nearest-rank method."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _minutes(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 60).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """Wait = first call − issue; service = end − start; satisfaction = ratings 4–5 ÷ ratings;
    unrated share = visits completed without a rating ÷ visits completed."""

    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)
    completed: int = 0
    rated: int = 0
    satisfied: int = 0
    unrated: int = 0
    tickets: int = 0
    no_shows: int = 0

    @property
    def wait_mean(self) -> Decimal | None:
        return _minutes(mean(self.waits))

    @property
    def wait_p90(self) -> Decimal | None:
        return _minutes(p90(self.waits))

    @property
    def service_mean(self) -> Decimal | None:
        return _minutes(mean(self.services))

    @property
    def service_p90(self) -> Decimal | None:
        return _minutes(p90(self.services))

    @property
    def satisfaction(self) -> Decimal | None:
        return _percent(self.satisfied, self.rated)

    @property
    def unrated_share(self) -> Decimal | None:
        return _percent(self.unrated, self.completed)


@dataclass
class TellerFigures:
    teller_id: int
    name: str
    figures: Figures
    unrated_reasons: dict[str, int]


@dataclass
class CounterKpis:
    branch: Branch
    period: Period
    overall: Figures
    tellers: list[TellerFigures]
    by_hour: list[tuple[int, Figures]]
    by_service: list[tuple[ServiceType, Figures]]


def _add_visit(
    figures: Figures,
    started: dt.datetime,
    ended: dt.datetime | None,
    rating: int | None,
    outcome: str,
) -> None:
    if ended is None:
        return
    figures.completed += 1
    figures.services.append((ended - started).total_seconds())
    if rating is not None:
        figures.rated += 1
        figures.satisfied += rating >= 4
    elif outcome and outcome != RatingOutcome.RATED:
        figures.unrated += 1


def counter_kpis(user: Any, *, branch: Branch, period: Period) -> CounterKpis:
    """Queue KPIs of a branch over a period, overall, per teller, by hour of issue (local
    time: the after-morning-meeting burst shows there) and by service. A fixed number of
    queries whatever the period."""
    require(user, "counter.view")
    branch = get_visible(Branch.objects.all(), user, branch_field="id", pk=branch.pk)
    start, end = period.bounds(branch)
    zone = ZoneInfo(branch.timezone)
    overall = Figures()
    hours: dict[int, Figures] = defaultdict(Figures)
    by_type: dict[int, Figures] = defaultdict(Figures)
    tellers: dict[int, Figures] = defaultdict(Figures)
    reasons: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tickets = Ticket.objects.filter(branch=branch, issued_at__gte=start, issued_at__lt=end)
    for issued, first_called, status, type_id, teller_id in tickets.values_list(
        "issued_at", "first_called_at", "status", "service_type_id", "teller_id"
    ).iterator(chunk_size=5000):
        hour = issued.astimezone(zone).hour
        buckets = [overall, hours[hour], by_type[type_id]]
        if teller_id is not None:
            buckets.append(tellers[teller_id])
        for bucket in buckets:
            bucket.tickets += 1
            bucket.no_shows += status == TicketStatus.NO_SHOW
            if first_called is not None:
                bucket.waits.append((first_called - issued).total_seconds())
    visits = Visit.objects.filter(
        branch=branch, ticket__issued_at__gte=start, ticket__issued_at__lt=end
    )
    for started, ended, rating, outcome, teller_id, issued, type_id in visits.values_list(
        "started_at",
        "ended_at",
        "rating",
        "rating_outcome",
        "teller_id",
        "ticket__issued_at",
        "ticket__service_type_id",
    ).iterator(chunk_size=5000):
        hour = issued.astimezone(zone).hour
        for bucket in (overall, hours[hour], by_type[type_id], tellers[teller_id]):
            _add_visit(bucket, started, ended, rating, outcome)
        if ended is not None and rating is None and outcome:
            reasons[teller_id][outcome] += 1
    names = {
        staff.pk: str(staff)
        for staff in Staff.objects.filter(pk__in=list(tellers)).only(
            "id", "display_name", "username"
        )
    }
    types = {t.pk: t for t in ServiceType.objects.filter(pk__in=list(by_type))}
    return CounterKpis(
        branch=branch,
        period=period,
        overall=overall,
        tellers=sorted(
            (
                TellerFigures(
                    teller_id=pk,
                    name=names.get(pk, "?"),
                    figures=f,
                    unrated_reasons=dict(reasons[pk]),
                )
                for pk, f in tellers.items()
            ),
            key=lambda row: row.name,
        ),
        by_hour=sorted(hours.items()),
        by_service=sorted(
            ((types[pk], f) for pk, f in by_type.items() if pk in types),
            key=lambda row: (row[0].position, row[0].code),
        ),
    )


# --- Productivity --------------------------------------------------------------------------

PRODUCTIVITY_KINDS = ("newbusiness", "servicing", "claim")
KIND_LABELS = {
    "newbusiness": _("New business"),
    "servicing": _("Policy servicing"),
    "claim": _("Claims"),
}
FRONT_POST = Role.FRONT_TELLER
# The seed report's posts that are not "front teller" (its divisor counts only front tellers):
# counter manager, integrated processing (back office), investigator, customer service, fee
# collection. Fee collection (收费岗) has no role in PolicyDesk; cases opened by anyone not a
# front teller still count in the branch total.
EXCLUDED_POSTS = (
    Role.COUNTER_MANAGER,
    Role.BACK_OFFICE,
    Role.CLAIMS_INVESTIGATOR,
    Role.CALLBACK_AGENT,
)
EXCLUDED_POSTS_WITHOUT_ROLE = (_("Fee collection"),)


@dataclass
class PersonRow:
    staff_id: int | None
    name: str
    post: str
    post_label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Productivity:
    """Cases of new business, servicing and claims opened at the branch in the period.

    per_front_teller = total ÷ front_tellers (active staff of the branch whose post is front
    teller); per_month = per_front_teller ÷ months (calendar months in the period)."""

    branch: Branch
    period: Period
    kinds: tuple[str, ...]
    totals: dict[str, int]
    people: list[PersonRow]
    posts: list[PersonRow]
    front_tellers: int
    excluded_posts: list[tuple[str, str]]
    excluded_posts_without_role: list[str]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def months(self) -> int:
        return self.period.months

    @property
    def per_front_teller(self) -> Decimal | None:
        if not self.front_tellers:
            return None
        return (Decimal(self.total) / self.front_tellers).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )

    @property
    def per_front_teller_per_month(self) -> Decimal | None:
        if not self.front_tellers or not self.months:
            return None
        return (Decimal(self.total) / self.front_tellers / self.months).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )


def _rows(
    counts: Iterable[tuple[int | None, str, int]], staff: dict[int, Staff]
) -> tuple[list[PersonRow], list[PersonRow]]:
    labels = dict(Role.choices)
    people: dict[int | None, PersonRow] = {}
    posts: dict[str, PersonRow] = {}
    for staff_id, kind, n in counts:
        member = staff.get(staff_id) if staff_id is not None else None
        post = member.role if member is not None else ""
        if staff_id not in people:
            people[staff_id] = PersonRow(
                staff_id=staff_id,
                name=str(member) if member is not None else str(_("(not recorded)")),
                post=post,
                post_label=str(labels.get(post, _("(not recorded)"))),
                counts=defaultdict(int),
            )
        people[staff_id].counts[kind] += n
        if post not in posts:
            posts[post] = PersonRow(
                staff_id=None,
                name="",
                post=post,
                post_label=str(labels.get(post, _("(not recorded)"))),
                counts=defaultdict(int),
            )
        posts[post].counts[kind] += n
    # Plain dicts for the templates: a defaultdict would answer `counts.items` with 0 (and
    # keep the key), as Django's template lookup tries the key before the method.
    for row in (*people.values(), *posts.values()):
        row.counts = dict(row.counts)
    return (
        sorted(people.values(), key=lambda row: (row.post != FRONT_POST, row.post, row.name)),
        sorted(posts.values(), key=lambda row: (row.post != FRONT_POST, row.post)),
    )


def productivity(user: Any, *, branch: Branch, period: Period) -> Productivity:
    """Transactions by kind per person and post, and the branch figure per front teller and
    per month with its divisors stated."""
    require(user, "counter.productivity")
    branch = get_visible(Branch.objects.all(), user, branch_field="id", pk=branch.pk)
    start, end = period.bounds(branch)
    counts = list(
        Case.objects.filter(
            branch=branch,
            process__code__in=PRODUCTIVITY_KINDS,
            opened_at__gte=start,
            opened_at__lt=end,
        )
        .values("opened_by_id", "process__code")
        .annotate(n=Count("id"))
        .values_list("opened_by_id", "process__code", "n")
        .order_by()
    )
    staff_ids = {row[0] for row in counts if row[0] is not None}
    staff = {
        member.pk: member
        for member in Staff.objects.filter(pk__in=staff_ids).only(
            "id", "username", "display_name", "role"
        )
    }
    people, posts = _rows(counts, staff)
    totals = dict.fromkeys(PRODUCTIVITY_KINDS, 0)
    for _staff, kind, n in counts:
        totals[kind] += n
    front = Staff.objects.filter(branch=branch, role=FRONT_POST, is_active=True).count()
    labels = dict(Role.choices)
    return Productivity(
        branch=branch,
        period=period,
        kinds=PRODUCTIVITY_KINDS,
        totals=totals,
        people=people,
        posts=posts,
        front_tellers=front,
        excluded_posts=[(role.value, str(labels[role.value])) for role in EXCLUDED_POSTS],
        excluded_posts_without_role=[str(text) for text in EXCLUDED_POSTS_WITHOUT_ROLE],
    )

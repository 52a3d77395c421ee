"""Reads of new-business applications, always for an acting user: the register, one
application, the stalled radar, the daily withdrawal list and the KPIs (DOMAIN.md §4, 5–8).

Every queryset is scoped by `scope_to_user` on the case's branch, so no page, list or KPI
can show or count an application of a branch the user may not see.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from policydesk.cases import clocks as engine_clocks
from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.pagination import BoundedCount, Page, bounded_count, keyset_page
from policydesk.org.models import Branch

from . import catalogue
from .clocks import working_days_before, working_days_between
from .models import Application, ExitKind, InsuredListImport, Reminder, Requirement

BRANCH = "case__branch"
VIEW = "newbusiness.view"
ON_TIME_WORKING_DAYS = 15
# Finished: archived or exited. Open applications are everything else (an issued one is
# still followed until archived: delivery, receipt, callback).
OPEN = Q(exit_kind="", archived_at__isnull=True)
RADAR_LIMIT = 200


def applications_visible(user: Any) -> QuerySet[Application]:
    require(user, VIEW)
    return scope_to_user(Application.objects.all(), user, branch_field=BRANCH)


def application_get(user: Any, application_id: int) -> Application:
    require(user, VIEW)
    return get_visible(
        Application.objects.select_related(
            "case",
            "case__state",
            "case__branch",
            "case__team",
            "case__assignee",
            "product",
            "applicant",
            "insured",
            "agent",
            "intermediary",
            "policy",
            "received_by",
            "defect_notice",
        ),
        user,
        branch_field=BRANCH,
        pk=application_id,
    )


def application_requirements(application: Application) -> list[Requirement]:
    return list(application.requirements.order_by("id"))


def application_reminders(application: Application) -> list[Reminder]:
    return list(application.reminders.select_related("sent_by").order_by("-id")[:20])


def application_imports(application: Application) -> list[InsuredListImport]:
    return list(application.list_imports.order_by("-id")[:10])


# --- Register ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilters:
    source_system: str = ""
    stage: str = ""
    channel: str = ""
    exit_kind: str = ""
    agent: str = ""  # agent code
    open_only: bool = False
    branch: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


@dataclass
class Register:
    page: Page[Application]
    count: BoundedCount
    filters: RegisterFilters = field(default_factory=RegisterFilters)


def application_register(
    user: Any,
    *,
    filters: RegisterFilters | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Register:
    """One page of applications, newest first, with its bounded count."""
    filters = filters or RegisterFilters()
    queryset = applications_visible(user)
    if filters.source_system:
        queryset = queryset.filter(source_system=filters.source_system)
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.exit_kind:
        queryset = queryset.filter(exit_kind=filters.exit_kind)
    if filters.agent:
        queryset = queryset.filter(agent__code=filters.agent)
    if filters.open_only:
        queryset = queryset.filter(OPEN)
    if filters.branch is not None:
        queryset = queryset.filter(case__branch_id=filters.branch)
    page = keyset_page(
        queryset.select_related(
            "case", "case__state", "case__branch", "product", "applicant", "agent"
        ),
        after=after,
        limit=limit,
        newest_first=True,
    )
    return Register(page=page, count=bounded_count(queryset), filters=filters)


# --- Stalled radar -------------------------------------------------------------------------


def _calendars(branch_ids: set[int]) -> dict[int, WorkingCalendar]:
    return {
        branch.pk: engine_clocks.calendar_for(branch)
        for branch in Branch.objects.filter(pk__in=branch_ids)
    }


def _stalled_filter(
    calendars: dict[int, WorkingCalendar], now: dt.datetime
) -> tuple[Q, dict[tuple[int, str], dt.datetime]]:
    """Q of open applications older than their stage's threshold, and the cut-off moments:
    in a stage since before the start of the local day `working_days` working days ago."""
    condition = Q(pk__in=[])
    cutoffs: dict[tuple[int, str], dt.datetime] = {}
    for branch_id, calendar in calendars.items():
        today = calendar.local_date(now)
        for stage, threshold in catalogue.thresholds().items():
            day = working_days_before(calendar, today, threshold.working_days)
            cutoff = calendar.start_of_day(day + dt.timedelta(days=1))
            cutoffs[(branch_id, stage)] = cutoff
            condition |= Q(case__branch_id=branch_id, stage=stage, stage_entered_at__lt=cutoff)
    return condition, cutoffs


@dataclass(frozen=True)
class RadarRow:
    application: Application
    stage_name: str
    age_working_days: int
    threshold: int
    chase: str
    chase_label: str
    owner: str
    reminders: int


@dataclass(frozen=True)
class StageCount:
    stage: str
    name: str
    open: int
    stalled: int
    threshold: int


@dataclass
class Radar:
    rows: list[RadarRow]
    count: BoundedCount
    by_stage: list[StageCount]
    open_total: int
    stalled_total: int


def stage_names() -> dict[str, str]:
    from policydesk.cases.models import ProcessState

    names: dict[str, str] = {}
    for code, name, name_en in ProcessState.objects.filter(
        version__process__code="newbusiness"
    ).values_list("code", "name", "name_en"):
        names.setdefault(code, catalogue.Entry(code, name, name_en).label)
    return names


def stalled_radar(user: Any, *, now: dt.datetime | None = None, stage: str = "") -> Radar:
    """Open applications older than their stage's threshold (working days in the stage),
    oldest in the stage first, with who owns them and whom to chase; counts per stage."""
    now = now or timezone.now()
    visible = applications_visible(user).filter(OPEN)
    branch_ids = set(visible.values_list("case__branch_id", flat=True).distinct()[:500])
    calendars = _calendars(branch_ids)
    condition, _cutoffs = _stalled_filter(calendars, now)
    stalled = visible.filter(condition)
    if stage:
        stalled = stalled.filter(stage=stage)
    rows_qs = stalled.select_related(
        "case", "case__state", "case__branch", "case__team", "case__assignee", "agent", "applicant"
    ).annotate(reminder_count=Count("reminders"))
    applications = list(rows_qs.order_by("stage_entered_at", "id")[:RADAR_LIMIT])
    thresholds = catalogue.thresholds()
    names = stage_names()
    rows = []
    for application in applications:
        calendar = calendars[application.case.branch_id]
        threshold = thresholds[application.stage]
        chase = threshold.chase
        if chase == "agent" and application.agent is not None:
            chase_label = f"{application.agent.code} {application.agent.name}"
        elif chase in ("agent", "applicant"):
            chase_label = application.applicant.name
        else:
            chase_label = str(application.case.team or "—")
        rows.append(
            RadarRow(
                application=application,
                stage_name=names.get(application.stage, application.stage),
                age_working_days=working_days_between(
                    calendar,
                    calendar.local_date(application.stage_entered_at),
                    calendar.local_date(now),
                ),
                threshold=threshold.working_days,
                chase=chase,
                chase_label=chase_label,
                owner=str(application.case.assignee or application.case.team or "—"),
                reminders=getattr(application, "reminder_count", 0),
            )
        )
    open_by_stage = dict(
        visible.values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    stalled_by_stage = dict(
        visible.filter(condition)
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    order = list(thresholds)
    by_stage = [
        StageCount(
            stage=code,
            name=names.get(code, code),
            open=open_by_stage.get(code, 0),
            stalled=stalled_by_stage.get(code, 0),
            threshold=thresholds[code].working_days,
        )
        for code in order
        if open_by_stage.get(code)
    ]
    return Radar(
        rows=rows,
        count=bounded_count(stalled),
        by_stage=by_stage,
        open_total=sum(open_by_stage.values()),
        stalled_total=sum(stalled_by_stage.values()),
    )


# --- Withdrawal list -----------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawalRow:
    application: Application
    cause: str  # refused | collection_failed | waited_too_long
    suggested_reason: str
    since: dt.datetime
    waited_working_days: int


def withdrawal_list(user: Any, *, now: dt.datetime | None = None) -> list[WithdrawalRow]:
    """Today's list of applications to withdraw (撤单清单): awaiting premium, and the
    customer refused it (or collection failed the rule's number of times) at least
    `after_working_days` working days ago, or awaiting premium longer than
    `max_wait_working_days`. Oldest first; at most 500 a day."""
    now = now or timezone.now()
    rule = catalogue.withdrawal_rule()
    waiting = applications_visible(user).filter(OPEN, stage="awaiting-premium")
    branch_ids = set(waiting.values_list("case__branch_id", flat=True).distinct()[:500])
    calendars = _calendars(branch_ids)
    condition = Q(pk__in=[])
    for branch_id, calendar in calendars.items():
        today = calendar.local_date(now)
        refused_cutoff = calendar.start_of_day(
            working_days_before(calendar, today, rule.after_working_days) + dt.timedelta(days=1)
        )
        wait_cutoff = calendar.start_of_day(
            working_days_before(calendar, today, rule.max_wait_working_days) + dt.timedelta(days=1)
        )
        condition |= Q(case__branch_id=branch_id) & (
            Q(premium_refused_at__lt=refused_cutoff) | Q(stage_entered_at__lt=wait_cutoff)
        )
    rows = []
    for application in (
        waiting.filter(condition)
        .select_related("case", "case__state", "case__branch", "agent", "applicant", "product")
        .order_by("stage_entered_at", "id")[:500]
    ):
        calendar = calendars[application.case.branch_id]
        if application.premium_refused_at is not None:
            refused = application.collection_failures < rule.collection_failures
            cause = "refused" if refused else "collection_failed"
            reason = "premium-refused" if refused else "collection-failed"
            since = application.premium_refused_at
        else:
            cause, reason, since = (
                "waited_too_long",
                "premium-refused",
                application.stage_entered_at,
            )
        rows.append(
            WithdrawalRow(
                application=application,
                cause=cause,
                suggested_reason=reason,
                since=since,
                waited_working_days=working_days_between(
                    calendar, calendar.local_date(since), calendar.local_date(now)
                ),
            )
        )
    return rows


# --- KPIs (DOMAIN.md §4, items 5–8) --------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    kind: str
    code: str
    label: str
    count: int
    rate_percent: Decimal | None


@dataclass(frozen=True)
class MonthIssue:
    month: str
    issued: int
    mean_working_days: Decimal | None
    p90_working_days: int | None
    on_time_percent: Decimal | None


@dataclass
class NewBusinessKpis:
    since: dt.date
    until: dt.date
    received: int
    issued: int
    mean_issue_working_days: Decimal | None
    p90_issue_working_days: int | None
    issued_on_time: int
    open_now: int
    stalled_now: int
    exits: list[ReasonCount]
    by_month: list[MonthIssue]
    by_source: dict[str, int]

    @property
    def on_time_percent(self) -> Decimal | None:
        return _percent(self.issued_on_time, self.issued)

    @property
    def stalled_percent(self) -> Decimal | None:
        return _percent(self.stalled_now, self.open_now)

    @property
    def withdrawn(self) -> int:
        return sum(r.count for r in self.exits if r.kind == ExitKind.WITHDRAWN)

    @property
    def refunded(self) -> int:
        return sum(r.count for r in self.exits if r.kind == ExitKind.REFUNDED)

    @property
    def withdrawal_percent(self) -> Decimal | None:
        return _percent(self.withdrawn, self.received)

    @property
    def refund_percent(self) -> Decimal | None:
        return _percent(self.refunded, self.received)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


def _p90(values: list[int]) -> int | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"))


def newbusiness_kpis(
    user: Any,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> NewBusinessKpis:
    """Over the applications received from `since` to `until` (local days, inclusive;
    default the last 365 days):

    5. issue time = working days from the day of receipt to the day of issue (the day of
       receipt not counted), mean and nearest-rank p90, over the issued ones;
    6. on-time issue = issued within 15 working days ÷ issued;
    7. stalled rate = open applications now older than their stage's threshold ÷ open now
       (all open applications, whenever received);
    8. withdrawal and refund rate by reason = exits of the kind and reason ÷ received.
    """
    now = now or timezone.now()
    until = until or timezone.localdate(now)
    since = since or until - dt.timedelta(days=364)
    visible = applications_visible(user)
    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(hours=14)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC) + (
        dt.timedelta(hours=14)
    )
    # A wide UTC window first (indexed), then the exact local days per branch below.
    received = visible.filter(received_at__gte=start, received_at__lt=end)
    rows = list(
        received.values_list(
            "case__branch_id",
            "received_at",
            "issued_at",
            "exit_kind",
            "exit_reason",
            "source_system",
        )
    )
    calendars = _calendars({row[0] for row in rows})
    durations: list[int] = []
    months: dict[str, list[int]] = defaultdict(list)
    exits: dict[tuple[str, str], int] = defaultdict(int)
    by_source: dict[str, int] = defaultdict(int)
    total = 0
    for branch_id, received_at, issued_at, exit_kind, exit_reason, source in rows:
        calendar = calendars[branch_id]
        day = calendar.local_date(received_at)
        if not since <= day <= until:
            continue
        total += 1
        by_source[source] += 1
        if exit_kind:
            exits[(exit_kind, exit_reason)] += 1
        if issued_at is not None:
            days = working_days_between(calendar, day, calendar.local_date(issued_at))
            durations.append(days)
            months[day.strftime("%Y-%m")].append(days)
    open_now = applications_visible(user).filter(OPEN)
    open_branches = set(open_now.values_list("case__branch_id", flat=True).distinct()[:500])
    condition, _cutoffs = _stalled_filter(_calendars(open_branches), now)
    reasons = catalogue.exit_reasons()
    exit_rows = [
        ReasonCount(
            kind=kind,
            code=code,
            label=f"{ExitKind(kind).label} · {catalogue.reason_label(kind, code)}",
            count=count,
            rate_percent=_percent(count, total),
        )
        for (kind, code), count in sorted(
            exits.items(),
            key=lambda item: (
                list(ExitKind.values).index(item[0][0]),
                list(reasons.get(item[0][0], {})).index(item[0][1])
                if item[0][1] in reasons.get(item[0][0], {})
                else 99,
            ),
        )
    ]
    return NewBusinessKpis(
        since=since,
        until=until,
        received=total,
        issued=len(durations),
        mean_issue_working_days=_mean(durations),
        p90_issue_working_days=_p90(durations),
        issued_on_time=sum(1 for d in durations if d <= ON_TIME_WORKING_DAYS),
        open_now=open_now.count(),
        stalled_now=open_now.filter(condition).count(),
        exits=exit_rows,
        by_month=[
            MonthIssue(
                month=month,
                issued=len(values),
                mean_working_days=_mean(values),
                p90_working_days=_p90(values),
                on_time_percent=_percent(
                    sum(1 for d in values if d <= ON_TIME_WORKING_DAYS), len(values)
                ),
            )
            for month, values in sorted(months.items())
        ],
        by_source=dict(by_source),
    )

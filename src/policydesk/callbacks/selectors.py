"""Reads of callbacks, always scoped to the acting user's branches."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import can, get_visible, require, scope_to_user
from policydesk.core.pagination import BoundedCount, bounded_count
from policydesk.customers.models import ContactDefect, ContactKind, ContactPoint, DefectCode
from policydesk.policies.models import Channel

from .models import (
    OPEN_STATUSES,
    CallbackAttempt,
    CallbackTask,
    Outcome,
    TaskStatus,
    TriggerKind,
)
from .services import DIALECT_BARRIER, UNUSABLE_DEFECTS, applicable_questions

QUEUE_VIEWS = ("mine", "ready", "open", "dialect", "fallback", "finished")
PAGE_SIZE = 50


def tasks_visible(user: Any) -> QuerySet[CallbackTask]:
    require(user, "callbacks.view")
    return scope_to_user(CallbackTask.objects.all(), user)


def task_get(user: Any, task_id: int) -> CallbackTask:
    require(user, "callbacks.view")
    return get_visible(
        CallbackTask.objects.select_related(
            "branch",
            "policy__product",
            "policy__agent",
            "policy__intermediary",
            "customer__dialect",
            "customer__preferred_language",
            "trigger__retry_policy",
            "script",
            "assignee",
            "team",
            "language_needed",
            "complaint__case",
        ),
        user,
        pk=task_id,
    )


# --- Queues ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuePage:
    view: str
    items: list[CallbackTask]
    next_cursor: str | None
    count: BoundedCount


def _cursor(task: CallbackTask) -> str:
    return f"{task.due_on.isoformat()}_{task.score}_{task.pk}"


def _after(queryset: QuerySet[CallbackTask], cursor: str) -> QuerySet[CallbackTask]:
    try:
        day_text, score_text, id_text = cursor.split("_")
        day, score, pk = dt.date.fromisoformat(day_text), int(score_text), int(id_text)
    except ValueError:
        return queryset
    return queryset.filter(
        Q(due_on__gt=day) | Q(due_on=day, score__lt=score) | Q(due_on=day, score=score, pk__gt=pk)
    )


def task_queue(
    user: Any,
    *,
    view: str = "mine",
    after: str | None = None,
    limit: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> QueuePage:
    """One page of a queue, earliest due day first and, within a day, the likeliest success
    first (score), so an agent calls the tasks that can still be saved before the others."""
    now = now or timezone.now()
    view = view if view in QUEUE_VIEWS else "mine"
    tasks = tasks_visible(user)
    if view == "mine":
        tasks = tasks.filter(assignee_id=user.pk, status=TaskStatus.OPEN)
    elif view == "ready":
        tasks = tasks.filter(status=TaskStatus.OPEN).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
    elif view == "open":
        tasks = tasks.filter(status=TaskStatus.OPEN)
    elif view == "dialect":
        tasks = tasks.filter(status=TaskStatus.OPEN, language_needed__isnull=False)
    elif view == "fallback":
        tasks = tasks.filter(status__in=(TaskStatus.FALLBACK_DUE, TaskStatus.FALLBACK_SENT))
    else:
        tasks = tasks.exclude(status__in=OPEN_STATUSES)
    count = bounded_count(tasks)
    if after:
        tasks = _after(tasks, after)
    limit = max(1, min(limit, 200))
    rows = list(
        tasks.select_related(
            "policy", "customer", "trigger", "assignee", "language_needed", "branch"
        ).order_by("due_on", "-score", "pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(
        view=view, items=rows, next_cursor=_cursor(rows[-1]) if more and rows else None, count=count
    )


# --- One task -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneLine:
    contact: ContactPoint
    display: str
    defects: list[ContactDefect]
    suggestion: str  # the repaired number to type, "" when none can be derived
    usable: bool


@dataclass(frozen=True)
class TaskView:
    task: CallbackTask
    phones: list[PhoneLine]
    policy_defects: list[ContactDefect]
    questions: list[dict[str, Any]]
    attempts: list[CallbackAttempt]
    can_work: bool  # may record calls and repair numbers on this task now
    can_manage: bool
    show_numbers: bool  # roles that work callbacks see numbers in full


def _masked_phone(raw: str) -> str:
    digits = raw.strip()
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _suggestion(defect: ContactDefect) -> str:
    if defect.code == DefectCode.AREA_CODE_PREFIXED_MOBILE and defect.suggestion:
        return defect.suggestion.removeprefix("+86")
    return ""


def task_view(user: Any, task_id: int) -> TaskView:
    """The task with what the agent needs before dialling: each phone of the policyholder
    with its open defects and the suggested repair, the script and the attempts so far."""
    task = task_get(user, task_id)
    working = can(user, "callbacks.work") and can(user, "customers.manage")
    contacts = list(
        ContactPoint.objects.filter(customer_id=task.customer_id, kind=ContactKind.PHONE).order_by(
            "-is_primary", "pk"
        )
    )
    defects = list(
        ContactDefect.objects.filter(customer_id=task.customer_id, resolved_at__isnull=True)
        .filter(Q(policy_id__isnull=True) | Q(policy_id=task.policy_id))
        .order_by("pk")
    )
    by_contact: dict[int, list[ContactDefect]] = defaultdict(list)
    for defect in defects:
        if defect.contact_id is not None:
            by_contact[defect.contact_id].append(defect)
    phones = []
    for contact in contacts:
        found = by_contact.get(contact.pk, [])
        suggestion = next((s for s in map(_suggestion, found) if s), "")
        if not suggestion and any(d.code == DefectCode.MOBILE_IN_FIXED_LINE_FIELD for d in found):
            suggestion = contact.raw  # the same number, filed as a mobile
        phones.append(
            PhoneLine(
                contact=contact,
                display=contact.raw if can(user, "callbacks.work") else _masked_phone(contact.raw),
                defects=found,
                suggestion=suggestion if working else "",
                usable=contact.is_valid
                and not any(d.code in UNUSABLE_DEFECTS or d.code == "shared_number" for d in found),
            )
        )
    return TaskView(
        task=task,
        phones=phones,
        policy_defects=[d for d in defects if d.contact_id is None],
        questions=applicable_questions(task.script, task.policy),
        attempts=list(task.attempts.select_related("by", "language").order_by("at", "pk")),
        can_work=working and task.status == TaskStatus.OPEN,
        can_manage=can(user, "callbacks.manage"),
        show_numbers=can(user, "callbacks.work") or can(user, "callbacks.manage"),
    )


# --- Contact worklist ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistGroup:
    channel: str
    channel_label: str
    intermediary: str
    policies: int


@dataclass(frozen=True)
class Worklist:
    groups: list[WorklistGroup]
    items: list[CallbackTask]
    next_cursor: int | None
    count: BoundedCount


def _needs_contact(user: Any) -> QuerySet[CallbackTask]:
    unusable = ContactDefect.objects.filter(
        customer_id=OuterRef("customer_id"),
        resolved_at__isnull=True,
        code__in=sorted(UNUSABLE_DEFECTS | {DefectCode.SHARED_NUMBER}),
    ).filter(Q(policy_id__isnull=True) | Q(policy_id=OuterRef("policy_id")))
    return (
        tasks_visible(user)
        .filter(status__in=(*OPEN_STATUSES, TaskStatus.FAILED))
        .filter(Exists(unusable))
    )


def contact_worklist(
    user: Any, *, channel: str = "", intermediary: str = "", after: int | None = None
) -> Worklist:
    """Policies whose callback cannot reach the policyholder, for the sales side to collect new
    contact details: counted by channel and intermediary, and listed for one group."""
    tasks = _needs_contact(user)
    groups = [
        WorklistGroup(
            channel=row["policy__channel"],
            channel_label=str(Channel(row["policy__channel"]).label)
            if row["policy__channel"] in Channel.values
            else row["policy__channel"],
            intermediary=row["policy__intermediary__name"] or "",
            policies=row["n"],
        )
        for row in tasks.values("policy__channel", "policy__intermediary__name")
        .annotate(n=Count("policy_id", distinct=True))
        .order_by("-n", "policy__channel", "policy__intermediary__name")[:100]
    ]
    if channel:
        tasks = tasks.filter(policy__channel=channel)
    if intermediary:
        tasks = tasks.filter(policy__intermediary__name=intermediary)
    count = bounded_count(tasks)
    if after is not None:
        tasks = tasks.filter(pk__gt=after)
    rows = list(
        tasks.select_related("policy__agent", "policy__intermediary", "customer").order_by("pk")[
            : PAGE_SIZE + 1
        ]
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Worklist(
        groups=groups,
        items=rows,
        next_cursor=rows[-1].pk if more and rows else None,
        count=count,
    )


# --- KPIs -----------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Rate:
    label: str
    due: int
    succeeded: int

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.succeeded, self.due)


@dataclass(frozen=True)
class DefectLoss:
    code: str
    label: str
    affected: int
    success_with: Decimal | None  # percent of affected tasks that succeeded in cooling-off
    success_without: Decimal | None  # percent of the other tasks
    lost: int  # affected × (rate without − rate with), the successes a repair would win


@dataclass
class Kpis:
    since: dt.date
    until: dt.date
    due: int = 0
    succeeded_in_cooling_off: int = 0
    completed: int = 0
    attempts: int = 0
    invalid_attempts: int = 0
    by_channel: list[Rate] = field(default_factory=list)
    by_intermediary: list[Rate] = field(default_factory=list)
    by_agent: list[Rate] = field(default_factory=list)
    by_dialect: list[Rate] = field(default_factory=list)
    by_week: list[Rate] = field(default_factory=list)
    losses: list[DefectLoss] = field(default_factory=list)

    @property
    def success_in_cooling_off(self) -> Decimal | None:
        return _percent(self.succeeded_in_cooling_off, self.due)

    @property
    def completion(self) -> Decimal | None:
        return _percent(self.completed, self.due)

    @property
    def invalid_contact_rate(self) -> Decimal | None:
        return _percent(self.invalid_attempts, self.attempts)

    @property
    def lost_total(self) -> int:
        return sum(loss.lost for loss in self.losses)


LOSS_LABELS = {
    DefectCode.AREA_CODE_PREFIXED_MOBILE: DefectCode.AREA_CODE_PREFIXED_MOBILE.label,
    DefectCode.MOBILE_IN_FIXED_LINE_FIELD: DefectCode.MOBILE_IN_FIXED_LINE_FIELD.label,
    DefectCode.NO_REACHABLE_NUMBER: DefectCode.NO_REACHABLE_NUMBER.label,
    DIALECT_BARRIER: Outcome.DIALECT_BARRIER.label,
    DefectCode.INVALID_LENGTH: DefectCode.INVALID_LENGTH.label,
    DefectCode.SHARED_NUMBER: DefectCode.SHARED_NUMBER.label,
}


def _rates(groups: dict[str, list[int]], limit: int = 20) -> list[Rate]:
    rates = [Rate(label=label, due=v[0], succeeded=v[1]) for label, v in groups.items()]
    return sorted(rates, key=lambda r: (-r.due, r.label))[:limit]


def _week_label(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def callback_kpis(user: Any, *, since: dt.date | None = None, until: dt.date | None = None) -> Kpis:
    """The callback KPIs of DOMAIN.md §4 over new-policy tasks due in [since, until]:
    success within cooling-off = succeeded on or before the cooling-off end ÷ due; completion
    = succeeded at any time ÷ due; invalid-contact rate = attempts coded invalid ÷ attempts;
    the same success rate by channel, intermediary, agent (the task's assignee), dialect and
    week; and for each contact defect the successes it cost (see DefectLoss)."""
    until = until or timezone.localdate()
    since = since or until - dt.timedelta(days=364)
    kpis = Kpis(since=since, until=until)
    tasks = (
        tasks_visible(user)
        .filter(trigger__kind=TriggerKind.COOLING_OFF, due_on__gte=since, due_on__lte=until)
        .exclude(status=TaskStatus.CANCELLED)
    )
    rows = tasks.values_list(
        "pk",
        "due_on",
        "cooling_off_end",
        "succeeded_at",
        "defect_codes",
        "policy__channel",
        "policy__intermediary__name",
        "assignee__display_name",
        "language_needed__name",
        "branch__timezone",
    )
    channel_labels = dict(Channel.choices)
    groups: dict[str, dict[str, list[int]]] = {
        name: defaultdict(lambda: [0, 0])
        for name in ("channel", "intermediary", "agent", "dialect", "week")
    }
    flags: list[tuple[set[str], bool]] = []
    for (
        _pk,
        due_on,
        cooling_end,
        succeeded_at,
        codes,
        channel,
        intermediary,
        agent,
        language,
        tz,
    ) in rows.iterator(chunk_size=2000):
        deadline = cooling_end or due_on
        in_time = (
            succeeded_at is not None
            and succeeded_at.astimezone(zoneinfo.ZoneInfo(tz)).date() <= deadline
        )
        kpis.due += 1
        kpis.succeeded_in_cooling_off += in_time
        kpis.completed += succeeded_at is not None
        keys = {
            "channel": str(channel_labels.get(channel, channel)),
            "intermediary": intermediary or _("No intermediary"),
            "agent": agent or _("Unassigned"),
            "dialect": language or _("Mandarin"),
            "week": _week_label(due_on),
        }
        for name, key in keys.items():
            groups[name][key][0] += 1
            groups[name][key][1] += in_time
        flags.append((set(codes or []), in_time))
    attempts = CallbackAttempt.objects.filter(task__in=tasks)
    counted = attempts.aggregate(
        total=Count("pk"), invalid=Count("pk", filter=Q(outcome=Outcome.INVALID_NUMBER))
    )
    kpis.attempts, kpis.invalid_attempts = counted["total"], counted["invalid"]
    kpis.by_channel = _rates(groups["channel"])
    kpis.by_intermediary = _rates(groups["intermediary"])
    kpis.by_agent = _rates(groups["agent"])
    kpis.by_dialect = _rates(groups["dialect"])
    kpis.by_week = sorted(
        (Rate(label=k, due=v[0], succeeded=v[1]) for k, v in groups["week"].items()),
        key=lambda r: r.label,
    )
    kpis.losses = defect_losses(flags)
    return kpis


def defect_losses(flags: list[tuple[set[str], bool]]) -> list[DefectLoss]:
    """For each defect: tasks affected, success rate with and without it, and the successes
    lost = affected × (rate without − rate with), rounded — what repairing it would win if
    repaired tasks then succeeded like the others."""
    losses = []
    for code, label in LOSS_LABELS.items():
        with_defect = [ok for codes, ok in flags if code in codes]
        without = [ok for codes, ok in flags if code not in codes]
        rate_with = sum(with_defect) / len(with_defect) if with_defect else None
        rate_without = sum(without) / len(without) if without else None
        lost = 0
        if rate_with is not None and rate_without is not None:
            lost = max(0, round(len(with_defect) * (rate_without - rate_with)))
        losses.append(
            DefectLoss(
                code=str(code),
                label=str(label),
                affected=len(with_defect),
                success_with=_percent(sum(with_defect), len(with_defect)),
                success_without=_percent(sum(without), len(without)),
                lost=lost,
            )
        )
    return losses

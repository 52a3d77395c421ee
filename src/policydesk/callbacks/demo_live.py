"""The demo's live callback queue: today's tasks, made and worked through the services.

The demo year (callbacks.demo) is finished history. The policies whose receipt was signed in
the last weeks (the population's policies still in cooling-off) get their tasks from the
periodic sync, as in production, and the callback agent has already dialled some of them
this morning: a no-answer, an invalid number on a 0594-prefixed mobile, a customer who
speaks only Puxian re-queued to a dialect seat. Each through `callback_attempt_record`, so
the queue, the retry times and the audit trail are what the services make.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from policydesk.customers.models import ContactKind, ContactPoint, DefectCode
from policydesk.org.models import Branch, Staff

from .models import CallbackTask, Outcome, TaskStatus
from .services import UNUSABLE_DEFECTS, callback_attempt_record, callback_sync

LAST_CALL = dt.time(20, 30)
FIRST_WORKED = dt.time(9, 45)


def _working_moment(branch: Branch, now: dt.datetime) -> dt.datetime:
    """`now`, or the end of the last calling day when `now` is in the quiet hours or too
    early for this morning's calls."""
    zone = zoneinfo.ZoneInfo(branch.timezone)
    local = now.astimezone(zone)
    if local.time() < FIRST_WORKED:
        day = local.date() - dt.timedelta(days=1)
        return dt.datetime.combine(day, LAST_CALL, tzinfo=zone).astimezone(dt.UTC)
    if local.time() > LAST_CALL:
        return dt.datetime.combine(local.date(), LAST_CALL, tzinfo=zone).astimezone(dt.UTC)
    return now


def _outcome(task: CallbackTask, index: int) -> str | None:
    """What the morning's call on the index-th task came to (None: not dialled yet)."""
    if set(task.defect_codes) & (UNUSABLE_DEFECTS - {DefectCode.NO_REACHABLE_NUMBER}):
        return Outcome.INVALID_NUMBER  # a number on file that rings nowhere
    if task.language_needed_id is not None:
        return Outcome.DIALECT_BARRIER
    return (Outcome.NO_ANSWER, None, None)[index % 3]


def live_queue(
    *, branch: Branch, agent: Staff | None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Sync the branch's tasks as of now, then record this morning's calls on some of the
    new ones; return how many tasks the sync made and how many calls were recorded."""
    moment = _working_moment(branch, now or timezone.now())
    synced = callback_sync(now=moment - dt.timedelta(minutes=40), branch=branch)
    if agent is None:
        return {"tasks": synced["created"], "attempts": 0}
    tasks = list(
        CallbackTask.objects.filter(
            branch=branch,
            status=TaskStatus.OPEN,
            attempts_count=0,
            created_at__gte=moment - dt.timedelta(minutes=40),
        )
        .select_related("customer")
        .order_by("due_on", "pk")
    )
    phones: dict[int, str] = {}
    for customer_id, raw in (
        ContactPoint.objects.filter(
            customer_id__in={t.customer_id for t in tasks}, kind=ContactKind.PHONE
        )
        .order_by("customer_id", "-is_primary", "pk")
        .values_list("customer_id", "raw")
    ):
        phones.setdefault(customer_id, raw)
    recorded = 0
    for index, task in enumerate(tasks):
        outcome = _outcome(task, index)
        number = phones.get(task.customer_id)
        if outcome is None or number is None:
            continue
        callback_attempt_record(
            task=task,
            number_dialled=number,
            outcome=outcome,
            by=agent,
            notes="客户只听得懂莆仙话" if outcome == Outcome.DIALECT_BARRIER else "",
            at=moment - dt.timedelta(minutes=30 - index % 20),
        )
        recorded += 1
    return {"tasks": synced["created"], "attempts": recorded}

"""API of post-sale callbacks (回访): queues, one task with its contact defects and script,
attempts, contact repairs, fallback letters and visits, routing, the KPIs, the contact
worklist, retry policies and triggers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, as_json
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.customers.models import ContactPoint
from policydesk.org.models import Language, Staff

from . import selectors, services
from .models import CallbackTask, CallbackTrigger, RetryPolicy

router = Router(tags=["callbacks"])

QueueView = Literal["mine", "ready", "open", "dialect", "fallback", "finished"]
OutcomeCode = Literal[
    "success",
    "no_answer",
    "invalid_number",
    "not_policyholder",
    "dialect_barrier",
    "refused",
    "problem_found",
]
FallbackCode = Literal["letter", "visit"]
Answer = Literal["yes", "no"]
# Dates in the query as YYYY-MM-DD only (pydantic would also read "0" as 1970-01-01).
IsoDate = Annotated[
    str, Field(max_length=10, description="YYYY-MM-DD", json_schema_extra={"format": "date"})
]
ChannelCode = Literal["", "agency", "bancassurance", "broker", "direct", "group"]


class TaskSummaryOut(Schema):
    id: int
    branch_id: int
    policy_id: int
    policy_number: str
    customer_id: int
    customer_name: str
    trigger: str
    status: str
    due_on: dt.date
    cooling_off_end: dt.date | None
    assignee_id: int | None
    language_needed: str | None
    score: int = Field(description="Success likelihood in percent (see docs/callbacks.md).")
    attempts_count: int
    failed_attempts: int
    last_outcome: str
    next_attempt_at: dt.datetime | None


class CallbackDefectOut(Schema):
    code: str
    detail: str
    suggestion: str


class PhoneOut(Schema):
    contact_id: int
    number: str = Field(description="Masked unless the caller's role may work callbacks.")
    phone_field: str
    usable: bool
    defects: list[CallbackDefectOut]
    suggested_repair: str


class QuestionOut(Schema):
    code: str
    text: str
    text_en: str


class CallbackAttemptOut(Schema):
    id: int
    at: dt.datetime
    by_id: int | None
    number_dialled: str
    outcome: str
    answers: dict[str, str]
    notes: str
    language: str | None


class TaskOut(TaskSummaryOut):
    fallback_kind: str
    fallback_reference: str
    fallback_sent_at: dt.datetime | None
    fallback_returned_at: dt.datetime | None
    succeeded_at: dt.datetime | None
    complaint_id: int | None
    complaint_case_number: str | None
    defect_codes: list[str]
    phones: list[PhoneOut]
    policy_defects: list[CallbackDefectOut]
    questions: list[QuestionOut]
    attempts: list[CallbackAttemptOut]


class CallbackQueueOut(Schema):
    view: str
    items: list[TaskSummaryOut]
    next_cursor: str | None
    count: int
    count_exceeds: bool


class AttemptIn(Schema):
    number_dialled: str = Field(min_length=1, max_length=32, pattern=r"\S")
    outcome: OutcomeCode
    answers: dict[Annotated[str, Field(max_length=48)], Answer] = Field(default_factory=dict)
    notes: str = Field("", max_length=5000)
    language: str = Field(
        "", max_length=32, description="Code of the language or dialect needed (barrier)."
    )
    at: dt.datetime | None = Field(None, description="When the call was made; now if left out.")


class RepairIn(Schema):
    contact_id: Id | None = Field(None, description="The phone to correct; none adds a phone.")
    new_number: str = Field(min_length=1, max_length=32, pattern=r"\S")


class FallbackIn(Schema):
    kind: FallbackCode
    reference: str = Field(min_length=1, max_length=64, pattern=r"\S")


class FallbackReturnIn(Schema):
    receipt_signed: bool
    notes: str = Field("", max_length=2000)


class AssignmentIn(Schema):
    assignee_id: Id | None = None


class CallbackRateOut(Schema):
    label: str
    due: int
    succeeded: int
    percent: Decimal | None


class LossOut(Schema):
    code: str
    label: str
    affected: int
    success_with_percent: Decimal | None
    success_without_percent: Decimal | None
    successes_lost: int


class CallbackKpiOut(Schema):
    since: dt.date
    until: dt.date
    due: int
    succeeded_in_cooling_off: int
    success_in_cooling_off_percent: Decimal | None
    completed: int
    completion_percent: Decimal | None
    attempts: int
    invalid_attempts: int
    invalid_contact_percent: Decimal | None
    by_channel: list[CallbackRateOut]
    by_intermediary: list[CallbackRateOut]
    by_agent: list[CallbackRateOut]
    by_dialect: list[CallbackRateOut]
    by_week: list[CallbackRateOut]
    losses: list[LossOut]


class WorklistGroupOut(Schema):
    channel: str
    intermediary: str
    policies: int


class WorklistItemOut(Schema):
    task_id: int
    policy_id: int
    policy_number: str
    channel: str
    intermediary: str
    agent: str
    customer_name: str
    status: str


class CallbackWorklistOut(Schema):
    groups: list[WorklistGroupOut]
    items: list[WorklistItemOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class RetryPolicyOut(Schema):
    id: int
    code: str
    name: str
    max_attempts: int
    retry_after_hours: dict[str, int]
    fallback: str
    quiet_start: dt.time
    quiet_end: dt.time


class RetryPolicyIn(Schema):
    max_attempts: int = Field(ge=1, le=10)
    retry_after_hours: dict[OutcomeCode, Annotated[int, Field(ge=0, le=336)]]
    fallback: FallbackCode
    quiet_start: dt.time
    quiet_end: dt.time


class TriggerOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    statuses: list[str]
    due_days: int
    min_term_years: int
    retry_policy_id: int
    is_active: bool


class TriggerIn(Schema):
    is_active: bool
    due_days: int = Field(ge=0, le=365)
    retry_policy_id: Id


def summary_out(task: CallbackTask) -> dict[str, Any]:
    return {
        "id": task.pk,
        "branch_id": task.branch_id,
        "policy_id": task.policy_id,
        "policy_number": task.policy.number,
        "customer_id": task.customer_id,
        "customer_name": task.customer.name,
        "trigger": task.trigger.code,
        "status": task.status,
        "due_on": task.due_on,
        "cooling_off_end": task.cooling_off_end,
        "assignee_id": task.assignee_id,
        "language_needed": task.language_needed.code if task.language_needed else None,
        "score": task.score,
        "attempts_count": task.attempts_count,
        "failed_attempts": task.failed_attempts,
        "last_outcome": task.last_outcome,
        "next_attempt_at": task.next_attempt_at,
    }


def task_out(actor: Any, task_id: int) -> dict[str, Any]:
    view = selectors.task_view(actor, task_id)
    task = view.task
    return {
        **summary_out(task),
        "fallback_kind": task.fallback_kind,
        "fallback_reference": task.fallback_reference,
        "fallback_sent_at": task.fallback_sent_at,
        "fallback_returned_at": task.fallback_returned_at,
        "succeeded_at": task.succeeded_at,
        "complaint_id": task.complaint_id,
        "complaint_case_number": task.complaint.case.number if task.complaint else None,
        "defect_codes": task.defect_codes,
        "phones": [
            {
                "contact_id": line.contact.pk,
                "number": line.display,
                "phone_field": line.contact.phone_type,
                "usable": line.usable,
                "defects": [
                    {"code": d.code, "detail": "", "suggestion": d.suggestion} for d in line.defects
                ],
                "suggested_repair": line.suggestion,
            }
            for line in view.phones
        ],
        "policy_defects": [
            {"code": d.code, "detail": "", "suggestion": ""} for d in view.policy_defects
        ],
        "questions": [
            {"code": q["code"], "text": q["text"], "text_en": q.get("text_en", "")}
            for q in view.questions
        ],
        "attempts": [
            {
                "id": a.pk,
                "at": a.at,
                "by_id": a.by_id,
                "number_dialled": a.number_dialled
                if view.show_numbers
                else "****" + a.number_dialled[-4:],
                "outcome": a.outcome,
                "answers": a.answers,
                "notes": a.notes,
                "language": a.language.code if a.language else None,
            }
            for a in view.attempts
        ],
    }


def _task(actor: Any, callback_task_id: int) -> CallbackTask:
    return selectors.task_get(actor, callback_task_id)


@router.get(
    "/callbacks/tasks",
    response={200: CallbackQueueOut, **ERRORS},
    summary="A queue of callback tasks, earliest due and likeliest success first",
)
def task_list(
    request: HttpRequest,
    view: QueueView = "mine",
    after: Annotated[str, Field(max_length=40, pattern=r"^[0-9_-]*$")] = "",
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    page = selectors.task_queue(actor_of(request), view=view, after=after or None, limit=limit)
    return {
        "view": page.view,
        "items": [summary_out(t) for t in page.items],
        "next_cursor": page.next_cursor,
        "count": page.count.value,
        "count_exceeds": page.count.exceeds,
    }


@router.get(
    "/callbacks/tasks/{callback_task_id}",
    response={200: TaskOut, **ERRORS},
    summary="One task: contact defects with suggested repairs, the script, the attempts",
)
def task_detail(request: HttpRequest, callback_task_id: Id) -> Any:
    return task_out(actor_of(request), callback_task_id)


@router.post(
    "/callbacks/tasks/{callback_task_id}/attempts",
    response={201: TaskOut, **CREATE_ERRORS},
    summary="Record a call (Idempotency-Key): outcome, answers, notes",
)
def attempt_create(request: HttpRequest, callback_task_id: Id, payload: AttemptIn) -> Any:
    actor = actor_of(request)
    require(actor, "callbacks.work")

    def create() -> tuple[int, dict[str, Any]]:
        task = _task(actor, callback_task_id)
        language = None
        if payload.language:
            language = Language.objects.filter(code=payload.language).first()
            if language is None:
                raise DomainError("Unknown language or dialect.", field="language")
        services.callback_attempt_record(
            task=task,
            number_dialled=payload.number_dialled,
            outcome=payload.outcome,
            answers=dict(payload.answers),
            notes=payload.notes,
            language=language,
            at=payload.at,
            by=actor,
        )
        return 201, as_json(TaskOut, task_out(actor, callback_task_id))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="callback.attempt.create",
        payload={"task": callback_task_id, **payload.dict()},
        create=create,
    )
    return Status(status, body)


@router.post(
    "/callbacks/tasks/{callback_task_id}/contact-repairs",
    response={201: TaskOut, **CREATE_ERRORS},
    summary="Correct the policyholder's phone (or add one) before dialling; audited",
)
def contact_repair(request: HttpRequest, callback_task_id: Id, payload: RepairIn) -> Any:
    actor = actor_of(request)
    require(actor, "callbacks.work")

    def create() -> tuple[int, dict[str, Any]]:
        task = _task(actor, callback_task_id)
        contact = None
        if payload.contact_id is not None:
            contact = ContactPoint.objects.filter(
                pk=payload.contact_id, customer_id=task.customer_id
            ).first()
            if contact is None:
                raise DomainError("That is not a phone of this policyholder.", field="contact_id")
        services.callback_contact_repair(
            task=task, contact=contact, new_raw=payload.new_number, by=actor
        )
        return 201, as_json(TaskOut, task_out(actor, callback_task_id))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="callback.contact_repair",
        payload={"task": callback_task_id, **payload.dict()},
        create=create,
    )
    return Status(status, body)


@router.post(
    "/callbacks/tasks/{callback_task_id}/fallback",
    response={200: TaskOut, **CREATE_ERRORS},
    summary="Send the letter or make the visit whose signed receipt stands for the call",
)
def fallback_send(request: HttpRequest, callback_task_id: Id, payload: FallbackIn) -> Any:
    actor = actor_of(request)
    services.callback_fallback_send(
        task=_task(actor, callback_task_id),
        kind=payload.kind,
        reference=payload.reference,
        by=actor,
    )
    return task_out(actor, callback_task_id)


@router.post(
    "/callbacks/tasks/{callback_task_id}/fallback-return",
    response={200: TaskOut, **CREATE_ERRORS},
    summary="The receipt came back, signed or not",
)
def fallback_return(request: HttpRequest, callback_task_id: Id, payload: FallbackReturnIn) -> Any:
    actor = actor_of(request)
    services.callback_fallback_return(
        task=_task(actor, callback_task_id),
        receipt_signed=payload.receipt_signed,
        notes=payload.notes,
        by=actor,
    )
    return task_out(actor, callback_task_id)


@router.put(
    "/callbacks/tasks/{callback_task_id}/assignment",
    response={200: TaskOut, **CREATE_ERRORS},
    summary="Give the task to an agent, or back to the team queue (callbacks.manage)",
)
def task_assign(request: HttpRequest, callback_task_id: Id, payload: AssignmentIn) -> Any:
    actor = actor_of(request)
    require(actor, "callbacks.manage")
    task = _task(actor, callback_task_id)
    assignee = None
    if payload.assignee_id is not None:
        assignee = get_visible(Staff.objects.all(), actor, pk=payload.assignee_id)
    services.callback_reassign(task=task, assignee=assignee, by=actor)
    return task_out(actor, callback_task_id)


def _day(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("Give the date as YYYY-MM-DD.", field=field) from None


def _rate(rate: selectors.Rate) -> dict[str, Any]:
    return {
        "label": rate.label,
        "due": rate.due,
        "succeeded": rate.succeeded,
        "percent": rate.percent,
    }


@router.get(
    "/callbacks/kpis",
    response={200: CallbackKpiOut, **ERRORS},
    summary="Callback success within cooling-off, completion, invalid contacts, by group "
    "and week, and the successes each contact defect cost",
)
def kpis(request: HttpRequest, since: IsoDate | None = None, until: IsoDate | None = None) -> Any:
    since_day, until_day = _day(since, "since"), _day(until, "until")
    if since_day is not None and until_day is not None and since_day > until_day:
        raise DomainError("since is after until.", field="since")
    result = selectors.callback_kpis(actor_of(request), since=since_day, until=until_day)
    return {
        "since": result.since,
        "until": result.until,
        "due": result.due,
        "succeeded_in_cooling_off": result.succeeded_in_cooling_off,
        "success_in_cooling_off_percent": result.success_in_cooling_off,
        "completed": result.completed,
        "completion_percent": result.completion,
        "attempts": result.attempts,
        "invalid_attempts": result.invalid_attempts,
        "invalid_contact_percent": result.invalid_contact_rate,
        "by_channel": [_rate(r) for r in result.by_channel],
        "by_intermediary": [_rate(r) for r in result.by_intermediary],
        "by_agent": [_rate(r) for r in result.by_agent],
        "by_dialect": [_rate(r) for r in result.by_dialect],
        "by_week": [_rate(r) for r in result.by_week],
        "losses": [
            {
                "code": loss.code,
                "label": loss.label,
                "affected": loss.affected,
                "success_with_percent": loss.success_with,
                "success_without_percent": loss.success_without,
                "successes_lost": loss.lost,
            }
            for loss in result.losses
        ],
    }


@router.get(
    "/callbacks/contact-worklist",
    response={200: CallbackWorklistOut, **ERRORS},
    summary="Policies whose callback cannot reach the policyholder, by channel and intermediary",
)
def contact_worklist(
    request: HttpRequest,
    channel: ChannelCode = "",
    intermediary: Annotated[str, Field(max_length=200)] = "",
    after: Id | None = None,
) -> Any:
    result = selectors.contact_worklist(
        actor_of(request), channel=channel, intermediary=intermediary, after=after
    )
    return {
        "groups": [
            {"channel": g.channel, "intermediary": g.intermediary, "policies": g.policies}
            for g in result.groups
        ],
        "items": [
            {
                "task_id": t.pk,
                "policy_id": t.policy_id,
                "policy_number": t.policy.number,
                "channel": t.policy.channel,
                "intermediary": t.policy.intermediary.name if t.policy.intermediary else "",
                "agent": str(t.policy.agent) if t.policy.agent else "",
                "customer_name": t.customer.name,
                "status": t.status,
            }
            for t in result.items
        ],
        "next_cursor": result.next_cursor,
        "count": result.count.value,
        "count_exceeds": result.count.exceeds,
    }


def _retry_out(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "code": policy.code,
        "name": policy.name,
        "max_attempts": policy.max_attempts,
        "retry_after_hours": policy.retry_after_hours,
        "fallback": policy.fallback,
        "quiet_start": policy.quiet_start,
        "quiet_end": policy.quiet_end,
    }


def _trigger_out(trigger: CallbackTrigger) -> dict[str, Any]:
    return {
        "id": trigger.pk,
        "code": trigger.code,
        "name": trigger.name,
        "kind": trigger.kind,
        "statuses": trigger.statuses,
        "due_days": trigger.due_days,
        "min_term_years": trigger.min_term_years,
        "retry_policy_id": trigger.retry_policy_id,
        "is_active": trigger.is_active,
    }


@router.get(
    "/callbacks/retry-policies",
    response={200: list[RetryPolicyOut], **ERRORS},
    summary="Retry policies",
)
def retry_policy_list(request: HttpRequest) -> Any:
    require(actor_of(request), "callbacks.view")
    return [_retry_out(p) for p in RetryPolicy.objects.order_by("code")[:100]]


@router.put(
    "/callbacks/retry-policies/{retry_policy_id}",
    response={200: RetryPolicyOut, **CREATE_ERRORS},
    summary="Change a retry policy (callbacks.manage)",
)
def retry_policy_edit(request: HttpRequest, retry_policy_id: Id, payload: RetryPolicyIn) -> Any:
    actor = actor_of(request)
    require(actor, "callbacks.manage")
    policy = RetryPolicy.objects.filter(pk=retry_policy_id).first()
    if policy is None:
        raise NotVisible("Not found.")
    services.retry_policy_update(
        retry_policy=policy,
        max_attempts=payload.max_attempts,
        retry_after_hours={str(k): v for k, v in payload.retry_after_hours.items()},
        fallback=payload.fallback,
        quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end,
        by=actor,
    )
    return _retry_out(policy)


@router.get(
    "/callbacks/triggers", response={200: list[TriggerOut], **ERRORS}, summary="Task triggers"
)
def trigger_list(request: HttpRequest) -> Any:
    require(actor_of(request), "callbacks.view")
    return [_trigger_out(t) for t in CallbackTrigger.objects.order_by("code")[:100]]


@router.put(
    "/callbacks/triggers/{callback_trigger_id}",
    response={200: TriggerOut, **CREATE_ERRORS},
    summary="Switch a trigger on or off, change its due days or retry policy",
)
def trigger_edit(request: HttpRequest, callback_trigger_id: Id, payload: TriggerIn) -> Any:
    actor = actor_of(request)
    require(actor, "callbacks.manage")
    trigger = CallbackTrigger.objects.filter(pk=callback_trigger_id).first()
    retry = RetryPolicy.objects.filter(pk=payload.retry_policy_id).first()
    if trigger is None:
        raise NotVisible("Not found.")
    if retry is None:
        raise DomainError("Unknown retry policy.", field="retry_policy_id")
    services.trigger_update(
        trigger=trigger,
        is_active=payload.is_active,
        due_days=payload.due_days,
        retry_policy=retry,
        by=actor,
    )
    return _trigger_out(trigger)

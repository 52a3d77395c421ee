"""API of account monitoring: the worklist and its items, communications, account reviews,
runs, the lapse-risk model and the KPIs."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from policydesk.core.access import require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, as_json
from policydesk.core.errors import DomainError
from policydesk.core.idempotency import run_idempotent

from . import kpis, selectors, services
from .models import (
    AccountReview,
    Communication,
    ModelTraining,
    MonitoringRun,
    WorkItem,
)

router = Router(tags=["monitoring"])

RuleCode = Literal[
    "premium_due",
    "debit_retry",
    "bank_account_change",
    "mandate_drive",
    "grace",
    "lapse_notice",
    "reinstatement",
    "survival_benefit",
    "maturity",
    "short_term_renewal",
    "annual_conversion",
    "account_review",
]
# Outcomes a person may choose; "condition_cleared" is the run's own (system-closed).
CloseOutcomeCode = Literal[
    "reminded",
    "paid",
    "retry_scheduled",
    "account_updated",
    "servicing_opened",
    "mandate_signed",
    "transfer_arranged",
    "paid_in_cash",
    "notice_sent",
    "reinstated",
    "renewed",
    "converted",
    "reviewed",
    "declined",
    "unreachable",
    "not_needed",
]
ChannelCode = Literal["phone", "sms", "visit", "counter", "wechat", "letter", "email"]
ContactOutcomeCode = Literal["reached", "no_answer", "call_back", "refused", "message_left"]
TriggerCode = Literal["periodic", "life_event"]
LifeEventCode = Literal[
    "marriage", "child_born", "new_home", "new_job", "retirement", "bereavement", "other"
]
DecisionCode = Literal["pending", "accepted", "partly", "declined"]
CategoryCode = Literal["life", "critical_illness", "medical", "accident", "education", "retirement"]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]
Note = Annotated[str, Field(max_length=4000)]


def _iso_day(value: Any) -> Any:
    # Pydantic's lax mode reads a bare number as a Unix time; a query day is YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a calendar day is written YYYY-MM-DD")
    return value


# A calendar day in a query string: YYYY-MM-DD only.
DayParam = Annotated[dt.date, BeforeValidator(_iso_day)]


class LinkedServicingOut(Schema):
    id: int
    case_number: str
    state: str = Field(description="The servicing case's state code, e.g. received, done.")
    state_name: str
    done_at: dt.datetime | None
    cancelled_at: dt.datetime | None


class WorkItemOut(Schema):
    id: int
    rule: str
    reason: str
    period: dt.date
    customer_id: int
    policy_id: int | None
    branch_id: int
    owner_id: int | None
    priority: int
    due_on: dt.date
    deadline: dt.date | None
    days_left: int | None = Field(description="Days until the deadline (grace countdown).")
    amount: Decimal | None
    currency: str
    status: str
    outcome: str
    outcome_note: str
    closed_at: dt.datetime | None
    closed_automatically: bool = Field(
        description="Closed by a monitoring run because its condition cleared (system-closed)."
    )
    cleared_by: str = Field(description="What the run saw when it closed the item by itself.")
    servicing_item: LinkedServicingOut | None
    created_at: dt.datetime


class MonitoringWorklistOut(Schema):
    items: list[WorkItemOut]
    next_cursor: str | None
    count: int
    count_exceeds: bool


class CloseIn(Schema):
    outcome: CloseOutcomeCode
    note: Note = ""


class ServicingOpenIn(Schema):
    """The customer's bank-account-change application, taken from the work item."""

    applicant_role: Literal["policyholder", "proxy"] = "policyholder"
    channel: Literal["counter", "phone", "self_service", "bancassurance", "agent"] = "counter"
    bank_name: Annotated[str, Field(min_length=1, max_length=100)]
    account_number: Annotated[str, Field(min_length=8, max_length=40)]
    documents: list[Annotated[str, Field(max_length=48)]] = Field(
        default_factory=list, max_length=10
    )
    note: Annotated[str, Field(max_length=400)] = ""


class CommunicationIn(Schema):
    customer_id: Id
    channel: ChannelCode
    content: Annotated[str, Field(min_length=1, max_length=10000, pattern=r"\S")]
    outcome: ContactOutcomeCode
    next_contact_on: dt.date | None = None
    work_item_id: Id | None = None


class CommunicationOut(Schema):
    id: int
    customer_id: int
    work_item_id: int | None
    channel: str
    content: str
    outcome: str
    next_contact_on: dt.date | None
    contacted_at: dt.datetime
    recorded_by_id: int | None


class ActionIn(Schema):
    kind: Literal["servicing_item", "new_application", "note"]
    note: Annotated[str, Field(max_length=500)] = ""
    # The case the action opened (a servicing item's or a new application's), by number.
    case_number: Annotated[str, Field(max_length=32)] = ""


class AccountReviewIn(Schema):
    customer_id: Id
    trigger: TriggerCode
    life_event: LifeEventCode | Literal[""] = ""
    recommendations: Annotated[str, Field(min_length=1, max_length=20000, pattern=r"\S")]
    decision: DecisionCode = "pending"
    decision_note: Note = ""
    declared_elsewhere: dict[CategoryCode, Amount] = Field(default_factory=dict)
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class NeedLineOut(Schema):
    category: str
    need: Decimal
    cover_with_us: Decimal
    cover_elsewhere: Decimal
    gap: Decimal


class ReviewOut(Schema):
    id: int
    customer_id: int
    trigger: str
    life_event: str
    reviewed_on: dt.date
    lines: list[NeedLineOut]
    total_gap: Decimal
    recommendations: str
    decision: str
    decision_note: str
    actions: list[dict[str, str | int]]  # kind, note; case_id and case_number when linked


class RunOut(Schema):
    id: int
    as_of: dt.date
    status: str
    progress_percent: int
    created: dict[str, int]
    queued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class CalibrationOut(Schema):
    bin: str
    n: int
    predicted: float | None
    observed: float | None


class ModelOut(Schema):
    id: int
    trained_at: dt.datetime
    algorithm: str
    n_train: int
    n_test: int
    auc: float | None
    brier: float | None
    calibration: list[CalibrationOut]


class ContributionOut(Schema):
    feature: str
    value: float
    contribution: float


class PolicyRiskOut(Schema):
    policy_id: int
    score: float | None
    model_id: int | None
    top_factors: list[ContributionOut]


class MonitoringRateOut(Schema):
    code: str
    numerator: int
    denominator: int
    percent: Decimal | None


class EndedOut(Schema):
    status: str
    reason: str
    policies: int
    exposed: int  # policies live now or ended in the year: the rates' denominator
    percent: Decimal | None


class MonitoringKpisOut(Schema):
    since: dt.date
    until: dt.date
    rates: list[MonitoringRateOut]
    ended_by_reason: list[EndedOut]
    live_policies: int


def item_out(item: WorkItem, today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()  # noqa: DTZ011 - a calendar day for the countdown
    return {
        "id": item.pk,
        "rule": item.rule,
        "reason": item.reason,
        "period": item.period,
        "customer_id": item.customer_id,
        "policy_id": item.policy_id,
        "branch_id": item.branch_id,
        "owner_id": item.owner_id,
        "priority": item.priority,
        "due_on": item.due_on,
        "deadline": item.deadline,
        "days_left": (item.deadline - today).days if item.deadline else None,
        "amount": item.amount,
        "currency": item.currency,
        "status": item.status,
        "outcome": item.outcome,
        "outcome_note": item.outcome_note,
        "closed_at": item.closed_at,
        "closed_automatically": item.closed_automatically,
        "cleared_by": item.cleared_by,
        "servicing_item": linked_servicing_out(item),
        "created_at": item.created_at,
    }


def linked_servicing_out(item: WorkItem) -> dict[str, Any] | None:
    """The linked servicing item, read through the selector's select_related."""
    servicing = item.servicing_item
    if servicing is None:
        return None
    return {
        "id": servicing.pk,
        "case_number": servicing.case.number,
        "state": servicing.case.state.code,
        "state_name": servicing.case.state.name,
        "done_at": servicing.done_at,
        "cancelled_at": servicing.cancelled_at,
    }


def communication_out(record: Communication) -> dict[str, Any]:
    return {
        "id": record.pk,
        "customer_id": record.customer_id,
        "work_item_id": record.work_item_id,
        "channel": record.channel,
        "content": record.content,
        "outcome": record.outcome,
        "next_contact_on": record.next_contact_on,
        "contacted_at": record.contacted_at,
        "recorded_by_id": record.recorded_by_id,
    }


def review_out(review: AccountReview) -> dict[str, Any]:
    assessment = review.assessment or {}
    return {
        "id": review.pk,
        "customer_id": review.customer_id,
        "trigger": review.trigger,
        "life_event": review.life_event,
        "reviewed_on": review.reviewed_on,
        "lines": assessment.get("lines", []),
        "total_gap": assessment.get("total_gap", "0"),
        "recommendations": review.recommendations,
        "decision": review.decision,
        "decision_note": review.decision_note,
        "actions": review.actions,
    }


def run_out(run: MonitoringRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "as_of": run.as_of,
        "status": run.status,
        "progress_percent": run.progress_percent,
        "created": run.created,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


@router.get(
    "/monitoring/work-items",
    response={200: MonitoringWorklistOut, **ERRORS},
    summary="The worklist, highest priority first",
)
def work_item_list(
    request: HttpRequest,
    owner: Literal["me", "unassigned", ""] = "",
    owner_id: Id | None = None,
    rule: RuleCode | None = None,
    status: Literal["open", "done"] = "open",
    due_before: DayParam | None = None,
    customer_id: Id | None = None,
    order: Literal["priority", "due"] = "priority",
    after: Annotated[str, Field(max_length=40)] = "",
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    """`owner_id` names one relationship manager's worklist (it wins over `owner`);
    `order=due` puts the earliest due first (the cursor follows the order)."""
    filters = selectors.WorklistFilters(
        owner=str(owner_id) if owner_id is not None else owner,
        rule=rule or "",
        status=status,
        due_before=due_before,
        customer_id=customer_id,
        order=order,
    )
    page = selectors.worklist(actor_of(request), filters=filters, after=after or None, limit=limit)
    return {
        "items": [item_out(item) for item in page.items],
        "next_cursor": page.next_cursor,
        "count": page.count.value,
        "count_exceeds": page.count.exceeds,
    }


@router.get(
    "/monitoring/work-items/{work_item_id}",
    response={200: WorkItemOut, **ERRORS},
    summary="One work item",
)
def work_item_detail(request: HttpRequest, work_item_id: Id) -> Any:
    return item_out(selectors.work_item_get(actor_of(request), work_item_id))


@router.post(
    "/monitoring/work-items/{work_item_id}/close",
    response={200: WorkItemOut, **CREATE_ERRORS},
    summary="Close a work item with its outcome",
)
def work_item_close(request: HttpRequest, work_item_id: Id, payload: CloseIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.work")
    item = selectors.work_item_get(actor, work_item_id)
    return item_out(
        services.work_item_close(item=item, outcome=payload.outcome, note=payload.note, by=actor)
    )


class AssignIn(Schema):
    owner_id: Id


@router.post(
    "/monitoring/work-items/{work_item_id}/assign",
    response={200: WorkItemOut, **CREATE_ERRORS},
    summary="Give a work item to a relationship manager of its branch",
)
def work_item_assign(request: HttpRequest, work_item_id: Id, payload: AssignIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.work")
    item = selectors.work_item_get(actor, work_item_id)
    owner = selectors.worklist_owner(actor, payload.owner_id)
    if owner is None:
        raise DomainError(_("Choose a relationship manager."), field="owner_id")
    return item_out(services.work_item_assign(item=item, owner=owner, by=actor))


class LifeEventIn(Schema):
    event: Literal[
        "marriage", "child_born", "new_home", "new_job", "retirement", "bereavement", "other"
    ]
    occurred_on: dt.date
    note: str = Field("", max_length=500)


class LifeEventOut(Schema):
    created: bool  # False: the customer's open account-review item covers the event
    review_item: WorkItemOut


@router.post(
    "/monitoring/customers/{customer_id}/life-events",
    response={201: LifeEventOut, **CREATE_ERRORS},
    summary="Report a life event: it asks for an account review",
)
def life_event_report(request: HttpRequest, customer_id: Id, payload: LifeEventIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.work")
    customer = selectors.customer_get(actor, customer_id)

    def create() -> tuple[int, Any]:
        item, created = services.life_event_report(
            customer=customer,
            event=payload.event,
            occurred_on=payload.occurred_on,
            note=payload.note,
            by=actor,
        )
        body = {"created": created, "review_item": item_out(item)}
        return 201, as_json(LifeEventOut, body)

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="monitoring.life_event.report",
        payload={"customer": customer_id, **payload.model_dump(mode="json")},
        create=create,
    )
    return Status(status, body)


class ContactDueOut(Schema):
    customer_id: int
    customer_name: str
    segment: str
    due_on: dt.date
    why: Literal["agreed", "schedule", "never"]
    last_contact_at: dt.datetime | None
    last_channel: str | None


@router.get(
    "/monitoring/contacts-due",
    response={200: list[ContactDueOut], **ERRORS},
    summary="Customers to contact: agreed next contacts come, segment schedules run out",
)
def contacts_due_list(
    request: HttpRequest, limit: Annotated[int, Field(ge=1, le=500)] = 100
) -> Any:
    return [
        {
            "customer_id": row.customer.pk,
            "customer_name": row.customer.name,
            "segment": row.customer.segment,
            "due_on": row.due_on,
            "why": row.why,
            "last_contact_at": row.last_contact.contacted_at if row.last_contact else None,
            "last_channel": row.last_contact.channel if row.last_contact else None,
        }
        for row in selectors.contacts_due(actor_of(request), limit=limit)
    ]


@router.post(
    "/monitoring/work-items/{work_item_id}/servicing-item",
    response={200: WorkItemOut, **CREATE_ERRORS},
    summary="Open the bank-account-change servicing item (保全) on the customer's application",
)
def work_item_servicing(request: HttpRequest, work_item_id: Id, payload: ServicingOpenIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.work")
    item = selectors.work_item_get(actor, work_item_id)
    services.work_item_servicing_open(
        item=item,
        applicant_role=payload.applicant_role,
        channel=payload.channel,
        bank_name=payload.bank_name,
        account_number=payload.account_number,
        documents=payload.documents,
        note=payload.note,
        by=actor,
    )
    return item_out(selectors.work_item_get(actor, work_item_id))


@router.get(
    "/monitoring/customers/{customer_id}/communications",
    response={200: list[CommunicationOut], **ERRORS},
    summary="The customer's communication log, newest first",
)
def communication_list(request: HttpRequest, customer_id: Id) -> Any:
    actor = actor_of(request)
    customer = selectors.customer_get(actor, customer_id)
    return [communication_out(c) for c in selectors.communications_of(actor, customer)]


@router.post(
    "/monitoring/communications",
    response={201: CommunicationOut, **CREATE_ERRORS},
    summary="Log a contact with a customer",
)
def communication_create(request: HttpRequest, payload: CommunicationIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.work")

    def create() -> tuple[int, dict[str, Any]]:
        customer = selectors.customer_get(actor, payload.customer_id)
        item = (
            selectors.work_item_get(actor, payload.work_item_id) if payload.work_item_id else None
        )
        record = services.communication_log(
            customer=customer,
            channel=payload.channel,
            content=payload.content,
            outcome=payload.outcome,
            next_contact_on=payload.next_contact_on,
            work_item=item,
            by=actor,
        )
        return 201, as_json(CommunicationOut, communication_out(record))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="monitoring.communication.log",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/monitoring/reviews",
    response={201: ReviewOut, **CREATE_ERRORS},
    summary="Record an account review: needs, cover, gaps, recommendations and decision",
)
def review_create(request: HttpRequest, payload: AccountReviewIn) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.review")

    def create() -> tuple[int, dict[str, Any]]:
        customer = selectors.customer_get(actor, payload.customer_id)
        review = services.account_review_record(
            customer=customer,
            trigger=payload.trigger,
            life_event=payload.life_event,
            recommendations=payload.recommendations,
            decision=payload.decision,
            decision_note=payload.decision_note,
            declared_elsewhere={str(k): v for k, v in payload.declared_elsewhere.items()},
            actions=[a.model_dump() for a in payload.actions],
            by=actor,
        )
        return 201, as_json(ReviewOut, review_out(review))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="monitoring.review.record",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/monitoring/reviews/{account_review_id}",
    response={200: ReviewOut, **ERRORS},
    summary="One account review",
)
def review_detail(request: HttpRequest, account_review_id: Id) -> Any:
    return review_out(selectors.review_get(actor_of(request), account_review_id))


@router.post(
    "/monitoring/runs",
    response={202: RunOut, **CREATE_ERRORS},
    summary="Queue a monitoring run now (as of today unless ?as_of=YYYY-MM-DD)",
)
def run_create(request: HttpRequest, as_of: DayParam | None = None) -> Any:
    actor = actor_of(request)
    require(actor, "monitoring.run")

    def create() -> tuple[int, dict[str, Any]]:
        run = services.monitoring_run_request(as_of=as_of, by=actor)
        return 202, as_json(RunOut, run_out(run))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="monitoring.run.request",
        payload={"as_of": as_of.isoformat() if as_of else None},
        create=create,
    )
    return Status(status, body)


@router.get(
    "/monitoring/runs/{monitoring_run_id}",
    response={200: RunOut, **ERRORS},
    summary="A run and its progress",
)
def run_detail(request: HttpRequest, monitoring_run_id: Id) -> Any:
    return run_out(selectors.run_get(actor_of(request), monitoring_run_id))


@router.get(
    "/monitoring/model",
    response={200: ModelOut | None, **ERRORS},
    summary="The current lapse-risk model and its back-test",
)
def model_detail(request: HttpRequest) -> Any:
    model = selectors.current_model(actor_of(request))
    if model is None:
        return None
    return {
        "id": model.pk,
        "trained_at": model.trained_at,
        "algorithm": model.algorithm,
        "n_train": model.n_train,
        "n_test": model.n_test,
        "auc": model.auc,
        "brier": model.brier,
        "calibration": model.calibration,
    }


class TrainingOut(Schema):
    id: int
    status: str  # queued, running, succeeded, failed
    as_of: dt.date
    queued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress_percent: int
    step: str
    model_id: int | None  # the model it trained, once succeeded
    detail: str  # why it failed


def training_out(training: ModelTraining) -> dict[str, Any]:
    return {
        "id": training.pk,
        "status": training.status,
        "as_of": training.as_of,
        "queued_at": training.queued_at,
        "started_at": training.started_at,
        "finished_at": training.finished_at,
        "progress_percent": training.progress_percent,
        "step": training.step,
        "model_id": training.model_id,
        "detail": training.detail,
    }


@router.post(
    "/monitoring/model/train",
    response={202: TrainingOut, **CREATE_ERRORS},
    summary="Queue a retraining of the lapse-risk model on the policy history",
)
def model_train(request: HttpRequest) -> Any:
    """The worker reads the history, fits and scores; follow it with
    `GET /monitoring/model/trainings/{id}` (409 while another one is queued or running)."""
    actor = actor_of(request)
    training = services.lapse_model_train_request(by=actor)
    return Status(202, training_out(training))


@router.get(
    "/monitoring/model/trainings/{training_id}",
    response={200: TrainingOut, **ERRORS},
    summary="A retraining's state and progress",
)
def training_detail(request: HttpRequest, training_id: Id) -> Any:
    return training_out(selectors.training_get(actor_of(request), training_id))


@router.get(
    "/monitoring/policies/{policy_id}/risk",
    response={200: PolicyRiskOut, **ERRORS},
    summary="A policy's lapse-risk score and its top factors",
)
def policy_risk(request: HttpRequest, policy_id: Id) -> Any:
    result = selectors.policy_risk(actor_of(request), policy_id)
    return {
        "policy_id": policy_id,
        "score": result.score,
        "model_id": result.model.pk if result.model else None,
        "top_factors": [
            {"feature": c.feature, "value": c.value, "contribution": c.contribution}
            for c in result.contributions
        ],
    }


@router.get(
    "/monitoring/kpis",
    response={200: MonitoringKpisOut, **ERRORS},
    summary="Monitoring KPIs, 12 months",
)
def monitoring_kpis(request: HttpRequest) -> Any:
    result = kpis.monitoring_kpis(actor_of(request))
    return {
        "since": result.since,
        "until": result.until,
        "rates": [
            {
                "code": r.code,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "percent": r.percent,
            }
            for r in result.rates
        ],
        "ended_by_reason": [
            {
                "status": e.status,
                "reason": e.reason,
                "policies": e.numerator,
                "exposed": e.denominator,
                "percent": e.percent,
            }
            for e in result.ended_by_reason
        ],
        "live_policies": result.live_policies,
    }

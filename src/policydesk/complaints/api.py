"""API of complaints: intake, register, one complaint, its classification, decision, notice,
review and external escalations, the root-cause taxonomy and the KPI panel."""

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
from policydesk.customers.models import Customer
from policydesk.org.models import Branch
from policydesk.policies.models import Policy

from . import selectors, services
from .models import Complaint, ExternalEscalation, RootCause

router = Router(tags=["complaints"])

Channel = Literal["counter", "phone", "self_service", "bancassurance", "agent", "regulator"]
OutcomeCode = Literal["upheld", "partly_upheld", "not_upheld", "withdrawn"]
ReviewOutcomeCode = Literal["upheld", "partly_upheld", "not_upheld"]
NoticeChannelCode = Literal["letter", "phone", "sms", "email", "counter", "self_service"]
BodyCode = Literal["cn_regulator", "hk_icb", "sg_fidrec"]
EscalationOutcomeCode = Literal[
    "pending", "upheld", "partly_upheld", "not_upheld", "settled", "not_accepted", "withdrawn"
]
RootCauseCode = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=20000, pattern=r"\S")]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
Currency = Annotated[str, Field(pattern=r"^([A-Z]{3})?$")]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]


class ComplaintIn(Schema):
    channel: Channel
    branch_id: Id
    customer_id: Id | None = None
    policy_id: Id | None = None
    subject: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: Text
    root_cause: RootCauseCode | None = None
    regulator_reference: str = Field(
        "", max_length=64, description="Required when channel is regulator (监管转办)."
    )
    regulator_received_on: dt.date | None = Field(
        None, description="The day the regulator's forward reached us (channel regulator)."
    )


class ClassifyIn(Schema):
    root_cause: RootCauseCode | None = None
    is_complex: bool | None = None
    reason: str = Field("", max_length=2000, description="Required to change is_complex.")


class ExtensionIn(Schema):
    days: int = Field(ge=1, le=30)
    reason: Reason


class DecisionIn(Schema):
    outcome: OutcomeCode
    resolution: Text
    compensation_amount: Amount | None = None
    currency: Currency = ""


class NotificationIn(Schema):
    channel: NoticeChannelCode
    notice_text: str = Field(
        "", max_length=20000, description="The review-right paragraph is added to it."
    )


class ReviewRequestIn(Schema):
    reason: Reason
    requested_at: dt.datetime | None = Field(
        None, description="When the request reached us; now when left out."
    )


class ReviewDecisionIn(Schema):
    outcome: ReviewOutcomeCode
    resolution: Text


class EscalationIn(Schema):
    body: BodyCode
    filed_on: dt.date
    reference: str = Field("", max_length=64)
    office: str = Field("", max_length=200)
    amount_claimed: Amount | None = None
    currency: Currency = ""
    outcome: EscalationOutcomeCode = "pending"
    outcome_on: dt.date | None = None


class EscalationOutcomeIn(Schema):
    outcome: EscalationOutcomeCode
    outcome_on: dt.date
    note: str = Field("", max_length=2000)


class WarningOut(Schema):
    code: str
    message: str


class EscalationOut(Schema):
    id: int
    body: str
    office: str
    reference: str
    filed_on: dt.date
    amount_claimed: Decimal | None
    currency: str
    outcome: str
    outcome_on: dt.date | None
    warnings: list[WarningOut]


class ComplaintSummaryOut(Schema):
    id: int
    case_id: int
    number: str
    state: str
    state_name: str
    channel: str
    branch_id: int
    customer_id: int | None
    subject: str
    root_cause: str | None
    is_complex: bool
    outcome: str
    opened_at: dt.datetime
    next_due_at: dt.datetime | None
    is_breached: bool


class ComplaintOut(ComplaintSummaryOut):
    policy_id: int | None
    agent_id: int | None
    intermediary_id: int | None
    regulator_reference: str
    regulator_received_on: dt.date | None
    decided_at: dt.datetime | None
    compensation_amount: Decimal | None
    compensation_currency: str
    notified_at: dt.datetime | None
    notice_channel: str
    notice_text: str
    review_request_due_at: dt.datetime | None
    review_requested_at: dt.datetime | None
    review_outcome: str
    review_decided_at: dt.datetime | None
    escalations: list[EscalationOut]


class RegisterOut(Schema):
    items: list[ComplaintSummaryOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class RootCauseOut(Schema):
    code: str
    name: str
    name_en: str
    is_active: bool


class CauseCountOut(Schema):
    code: str
    label: str
    complaints: int


class KpiOut(Schema):
    since: dt.date
    logged: int
    decided: int
    decided_on_time: int
    on_time_rate_percent: Decimal | None
    live_policies: int
    per_10000_policies: Decimal | None
    by_root_cause: list[CauseCountOut]


def summary_out(complaint: Complaint) -> dict[str, Any]:
    case = complaint.case
    return {
        "id": complaint.pk,
        "case_id": case.pk,
        "number": case.number,
        "state": case.state.code,
        "state_name": case.state.name,
        "channel": case.channel,
        "branch_id": case.branch_id,
        "customer_id": case.customer_id,
        "subject": case.subject,
        "root_cause": complaint.root_cause.code if complaint.root_cause else None,
        "is_complex": complaint.is_complex,
        "outcome": complaint.outcome,
        "opened_at": case.opened_at,
        "next_due_at": case.next_due_at,
        "is_breached": case.is_breached,
    }


def escalation_out(escalation: ExternalEscalation) -> dict[str, Any]:
    return {
        "id": escalation.pk,
        "body": escalation.body,
        "office": escalation.office,
        "reference": escalation.reference,
        "filed_on": escalation.filed_on,
        "amount_claimed": escalation.amount_claimed,
        "currency": escalation.currency,
        "outcome": escalation.outcome,
        "outcome_on": escalation.outcome_on,
        "warnings": escalation.warnings,
    }


def complaint_out(complaint: Complaint) -> dict[str, Any]:
    case = complaint.case
    return {
        **summary_out(complaint),
        "policy_id": case.policy_id,
        "agent_id": complaint.agent_id,
        "intermediary_id": complaint.intermediary_id,
        "regulator_reference": complaint.regulator_reference,
        "regulator_received_on": complaint.regulator_received_on,
        "decided_at": complaint.decided_at,
        "compensation_amount": complaint.compensation_amount,
        "compensation_currency": complaint.compensation_currency,
        "notified_at": complaint.notified_at,
        "notice_channel": complaint.notice_channel,
        "notice_text": complaint.notice_text,
        "review_request_due_at": complaint.review_request_due_at,
        "review_requested_at": complaint.review_requested_at,
        "review_outcome": complaint.review_outcome,
        "review_decided_at": complaint.review_decided_at,
        "escalations": [escalation_out(e) for e in selectors.complaint_escalations(complaint)],
    }


def _fresh(actor: Any, complaint_id: int) -> dict[str, Any]:
    return complaint_out(selectors.complaint_get(actor, complaint_id))


def _root_cause(code: str) -> RootCause:
    # An unknown code answers like an unknown object (as the cases API does for a process).
    cause = RootCause.objects.filter(code=code, is_active=True).first()
    if cause is None:
        raise NotVisible("Not found.")
    return cause


@router.get(
    "/complaint-root-causes",
    response={200: list[RootCauseOut], **ERRORS},
    summary="The root-cause taxonomy",
)
def root_cause_list(request: HttpRequest) -> Any:
    require(actor_of(request), "complaints.view")
    return [
        {"code": c.code, "name": c.name, "name_en": c.name_en, "is_active": c.is_active}
        for c in selectors.root_causes(active_only=False)
    ]


@router.get(
    "/complaint-kpis",
    response={200: KpiOut, **ERRORS},
    summary="Complaints decided on time, by root cause, per 10,000 policies (last 365 days)",
)
def complaint_kpis(request: HttpRequest) -> Any:
    kpis = selectors.complaint_kpis(actor_of(request))
    return {
        "since": kpis.since,
        "logged": kpis.logged,
        "decided": kpis.decided,
        "decided_on_time": kpis.decided_on_time,
        "on_time_rate_percent": kpis.on_time_rate,
        "live_policies": kpis.live_policies,
        "per_10000_policies": kpis.per_10000_policies,
        "by_root_cause": [
            {"code": bar.code, "label": bar.label, "complaints": bar.value}
            for bar in kpis.by_root_cause
        ],
    }


@router.get("/complaints", response={200: RegisterOut, **ERRORS}, summary="The register, one page")
def complaint_list(
    request: HttpRequest,
    root_cause: Annotated[str, Field(max_length=48)] = "",
    channel: Channel | None = None,
    outcome: OutcomeCode | None = None,
    branch_id: Id | None = None,
    overdue: bool = False,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    filters = selectors.RegisterFilters(
        root_cause=root_cause,
        channel=channel or "",
        outcome=outcome or "",
        branch=branch_id,
        overdue=overdue,
    )
    register = selectors.complaint_register(
        actor_of(request), filters=filters, after=after, limit=limit
    )
    return {
        "items": [summary_out(c) for c in register.page.items],
        "next_cursor": register.page.next_cursor,
        "count": register.count.value,
        "count_exceeds": register.count.exceeds,
    }


@router.post(
    "/complaints", response={201: ComplaintOut, **CREATE_ERRORS}, summary="Log a complaint"
)
def complaint_create(request: HttpRequest, payload: ComplaintIn) -> Any:
    actor = actor_of(request)
    require(actor, "complaints.log")

    def create() -> tuple[int, dict[str, Any]]:
        customer = (
            get_visible(Customer.objects.all(), actor, pk=payload.customer_id)
            if payload.customer_id
            else None
        )
        policy = (
            get_visible(Policy.objects.all(), actor, pk=payload.policy_id)
            if payload.policy_id
            else None
        )
        complaint = services.complaint_log(
            channel=payload.channel,
            branch=get_visible(
                Branch.objects.all(), actor, branch_field="id", pk=payload.branch_id
            ),
            customer=customer,
            policy=policy,
            subject=payload.subject,
            description=payload.description,
            root_cause=_root_cause(payload.root_cause) if payload.root_cause else None,
            regulator_reference=payload.regulator_reference,
            regulator_received_on=payload.regulator_received_on,
            by=actor,
        )
        return 201, as_json(ComplaintOut, complaint_out(complaint))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="complaint.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/complaints/{complaint_id}", response={200: ComplaintOut, **ERRORS}, summary="One complaint"
)
def complaint_detail(request: HttpRequest, complaint_id: Id) -> Any:
    return _fresh(actor_of(request), complaint_id)


@router.patch(
    "/complaints/{complaint_id}",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="Set the root cause; reclassify as complex (30 days) or not (15 days)",
)
def complaint_classify(request: HttpRequest, complaint_id: Id, payload: ClassifyIn) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    if payload.root_cause is None and payload.is_complex is None:
        raise DomainError("Give root_cause or is_complex.", field="root_cause")
    if payload.root_cause is not None:
        services.complaint_set_root_cause(
            complaint=complaint, root_cause=_root_cause(payload.root_cause), by=actor
        )
    if payload.is_complex is not None:
        services.complaint_set_complex(
            complaint=complaint, is_complex=payload.is_complex, reason=payload.reason, by=actor
        )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/extensions",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="A further extension with senior approval (complex only, 30 days at most)",
)
def complaint_extend(request: HttpRequest, complaint_id: Id, payload: ExtensionIn) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    services.complaint_extend(
        complaint=complaint, days=payload.days, reason=payload.reason, by=actor
    )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/decision",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="Decide (outcome, resolution, compensation)",
)
def complaint_decide(request: HttpRequest, complaint_id: Id, payload: DecisionIn) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    services.complaint_decide(
        complaint=complaint,
        outcome=payload.outcome,
        resolution=payload.resolution,
        compensation_amount=payload.compensation_amount,
        compensation_currency=payload.currency,
        by=actor,
    )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/notification",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="Tell the customer the decision and the 30-day review right",
)
def complaint_notify(request: HttpRequest, complaint_id: Id, payload: NotificationIn) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    services.complaint_notify(
        complaint=complaint, channel=payload.channel, notice_text=payload.notice_text, by=actor
    )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/review-request",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="The customer asks for a review (within 30 days of the notice)",
)
def complaint_review_request(
    request: HttpRequest, complaint_id: Id, payload: ReviewRequestIn
) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    services.complaint_review_request(
        complaint=complaint, reason=payload.reason, requested_at=payload.requested_at, by=actor
    )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/review-decision",
    response={200: ComplaintOut, **CREATE_ERRORS},
    summary="Decide the review (within 30 days)",
)
def complaint_review_decide(
    request: HttpRequest, complaint_id: Id, payload: ReviewDecisionIn
) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    services.complaint_review_decide(
        complaint=complaint, outcome=payload.outcome, resolution=payload.resolution, by=actor
    )
    return _fresh(actor, complaint_id)


@router.post(
    "/complaints/{complaint_id}/escalations",
    response={201: EscalationOut, **CREATE_ERRORS},
    summary="Record an escalation to an external body (eligibility warnings returned)",
)
def escalation_create(request: HttpRequest, complaint_id: Id, payload: EscalationIn) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)

    def create() -> tuple[int, dict[str, Any]]:
        escalation = services.escalation_record(
            complaint=complaint,
            body=payload.body,
            filed_on=payload.filed_on,
            reference=payload.reference,
            office=payload.office,
            amount_claimed=payload.amount_claimed,
            currency=payload.currency,
            outcome=payload.outcome,
            outcome_on=payload.outcome_on,
            by=actor,
        )
        return 201, as_json(EscalationOut, escalation_out(escalation))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"complaint.{complaint.pk}.escalation",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/complaints/{complaint_id}/escalations/{escalation_id}/outcome",
    response={200: EscalationOut, **ERRORS},
    summary="Record what the external body decided",
)
def escalation_outcome(
    request: HttpRequest, complaint_id: Id, escalation_id: Id, payload: EscalationOutcomeIn
) -> Any:
    actor = actor_of(request)
    complaint = selectors.complaint_get(actor, complaint_id)
    escalation = complaint.escalations.filter(pk=escalation_id).first()
    if escalation is None:
        raise NotVisible("Not found.")
    escalation = services.escalation_outcome_record(
        escalation=escalation,
        outcome=payload.outcome,
        outcome_on=payload.outcome_on,
        note=payload.note,
        by=actor,
    )
    return escalation_out(escalation)

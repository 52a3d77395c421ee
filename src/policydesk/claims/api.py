"""API of claims (理赔): report, queue, one claim and its steps, payments, the daily clean-up
list, the investigators' workload, the authority limits and the KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, IsoDate, as_json
from policydesk.core.errors import NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.customers.models import Customer
from policydesk.org.models import Staff
from policydesk.policies.models import Policy

from . import selectors, services
from .models import AuthorityLimit, Claim, ClaimPayment

router = Router(tags=["claims"])

Channel = Literal["counter", "phone", "self_service", "bancassurance", "agent"]
ClaimTypeCode = Literal[
    "medical",
    "hospital_cash",
    "critical_illness",
    "accident",
    "disability",
    "death",
    "premium_waiver",
]
ComplexityCode = Literal["simple", "complex"]
ReasonCode = Literal[
    "social_insurance", "deductible", "co_pay", "not_covered", "premium_owed", "other"
]
ConclusionCode = Literal["confirmed", "partly", "not_confirmed"]
MethodCode = Literal["bank_transfer", "cash"]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]
PositiveAmount = Annotated[Decimal, Field(gt=0, le=Decimal("999999999999.99"), decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=20000, pattern=r"\S")]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
Note = Annotated[str, Field(max_length=2000)]
DocumentName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class ClaimIn(Schema):
    policy_id: Id
    claimant_id: Id | None = Field(None, description="The policyholder when left out.")
    insured_id: Id | None = Field(None, description="The policy's insured when left out.")
    claim_type: ClaimTypeCode
    event_date: dt.date
    claimed_amount: PositiveAmount
    description: Text
    channel: Channel = "counter"


class RegistrationIn(Schema):
    facts_clear: bool
    complexity: ComplexityCode = "simple"
    complex_reason: Note = ""
    social_insurance_priced: bool = False


class DocumentRequestIn(Schema):
    documents: list[DocumentName] = Field(min_length=1, max_length=40)
    note: Note = ""


class DocumentReceiptIn(Schema):
    names: list[DocumentName] | None = Field(
        None, max_length=40, description="All outstanding documents when left out."
    )


class ComplexityIn(Schema):
    is_complex: bool
    reason: Reason


class InvestigationIn(Schema):
    investigator_id: Id
    reason: Reason


class FindingsIn(Schema):
    findings: Text
    conclusion: ConclusionCode


class DeductionIn(Schema):
    reason: ReasonCode
    amount: PositiveAmount
    note: Annotated[str, Field(max_length=200)] = ""


class CalculationIn(Schema):
    covered_amount: Amount
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=40)


class NoteIn(Schema):
    note: Note = ""


class DeclineIn(Schema):
    reason: Reason


class DenialNoticeIn(Schema):
    notice_text: Annotated[str, Field(max_length=20000)] = ""


class WithdrawalIn(Schema):
    reason: Reason


class PaymentIn(Schema):
    method: MethodCode
    paid_on: dt.date | None = Field(None, description="Today when left out.")


class AdvancePaymentIn(PaymentIn):
    amount: PositiveAmount
    reason: Reason


class DocumentOut(Schema):
    name: str
    requested_at: dt.datetime
    received_at: dt.datetime | None


class InvestigationOut(Schema):
    id: int
    investigator_id: int
    investigator: str
    reason: str
    requested_at: dt.datetime
    findings: str
    conclusion: str
    concluded_at: dt.datetime | None


class DeductionOut(Schema):
    reason: str
    amount: Decimal
    note: str


class ApprovalOut(Schema):
    approver_id: int
    role: str
    amount: Decimal
    limit: Decimal | None
    outcome: str
    referred_to_id: int | None
    at: dt.datetime


class PaymentOut(Schema):
    id: int
    disbursement_id: int
    amount: Decimal
    currency: str
    method: str
    is_advance: bool
    paid_on: dt.date


class ClaimClockOut(Schema):
    code: str
    name: str
    mode: str
    due_at: dt.datetime | None
    met: bool | None
    is_running: bool


class ClaimSummaryOut(Schema):
    id: int
    case_id: int
    number: str
    state: str
    state_name: str
    branch_id: int
    policy_id: int
    claimant_id: int
    claim_type: str
    claimed_amount: Decimal
    payable_amount: Decimal | None
    currency: str
    is_fast_track: bool
    fast_track_due_at: dt.datetime | None
    complexity: str
    decision: str
    reported_at: dt.datetime
    next_due_at: dt.datetime | None
    is_breached: bool
    assignee_id: int | None


class ClaimOut(ClaimSummaryOut):
    insured_id: int | None
    event_date: dt.date
    channel: str
    description: str
    facts_clear: bool
    fast_track_problems: list[str]
    complex_reason: str
    social_insurance_priced: bool
    documents_notice_at: dt.datetime | None
    documents_complete_at: dt.datetime | None
    registered_at: dt.datetime | None
    covered_amount: Decimal | None
    deductions_total: Decimal | None
    approved_at: dt.datetime | None
    decided_at: dt.datetime | None
    decided_on_time: bool | None
    denial_reason: str
    denial_notified_at: dt.datetime | None
    withdrawal_reason: str
    advance_paid_amount: Decimal
    advance_payment_due_at: dt.datetime
    paid_amount: Decimal | None
    paid_at: dt.datetime | None
    clocks: list[ClaimClockOut]
    documents: list[DocumentOut]
    investigations: list[InvestigationOut]
    deductions: list[DeductionOut]
    approvals: list[ApprovalOut]
    payments: list[PaymentOut]


class ClaimQueueOut(Schema):
    items: list[ClaimSummaryOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class CleanUpGroupOut(Schema):
    handler_id: int | None
    handler: str
    overdue: int
    items: list[ClaimSummaryOut]


class CleanUpOut(Schema):
    day: dt.date
    total: int
    truncated: bool
    groups: list[CleanUpGroupOut]


class WorkloadOut(Schema):
    investigator_id: int
    investigator: str
    branch_id: int | None
    open_investigations: int
    concluded_last_30_days: int


class LimitOut(Schema):
    role: str
    limit: Decimal
    currency: str


class ClaimMonthOut(Schema):
    month: str
    paid: int
    mean_days: float | None


class ClaimKpiOut(Schema):
    since: dt.date
    until: dt.date
    reported: int
    paid: int
    report_to_payment_mean_days: float | None
    report_to_payment_p90_days: float | None
    decided: int
    decided_on_time: int
    decided_on_time_percent: Decimal | None
    declined: int
    withdrawn: int
    paid_rate_percent: Decimal | None = Field(
        description="Closed paid ÷ closed paid or declined; withdrawn claims excluded."
    )
    denial_notices_due: int
    denial_notices_on_time: int
    denial_notices_on_time_percent: Decimal | None
    registered: int
    investigated: int
    investigation_rate_percent: Decimal | None
    fast_track_paid: int
    fast_track_same_day: int
    fast_track_same_day_percent: Decimal | None
    months: list[ClaimMonthOut]


class RefusalOut(Schema):
    code: str
    message: str
    field: str | None = None
    referred_to_id: int | None = None


class AuthorityRefusalOut(Schema):
    error: RefusalOut


def summary_out(claim: Claim) -> dict[str, Any]:
    case = claim.case
    return {
        "id": claim.pk,
        "case_id": case.pk,
        "number": case.number,
        "state": case.state.code,
        "state_name": case.state.name,
        "branch_id": case.branch_id,
        "policy_id": claim.policy_id,
        "claimant_id": claim.claimant_id,
        "claim_type": claim.claim_type,
        "claimed_amount": claim.claimed_amount,
        "payable_amount": claim.payable_amount,
        "currency": claim.currency,
        "is_fast_track": claim.is_fast_track,
        "fast_track_due_at": claim.fast_track_due_at,
        "complexity": claim.complexity,
        "decision": claim.decision,
        "reported_at": claim.reported_at,
        "next_due_at": case.next_due_at,
        "is_breached": case.is_breached,
        "assignee_id": case.assignee_id,
    }


def payment_out(payment: ClaimPayment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "disbursement_id": payment.disbursement_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        "is_advance": payment.is_advance,
        "paid_on": payment.paid_on,
    }


def claim_out(claim: Claim) -> dict[str, Any]:
    parts = selectors.claim_parts(claim)
    return {
        **summary_out(claim),
        "insured_id": claim.insured_id,
        "event_date": claim.event_date,
        "channel": claim.case.channel,
        "description": claim.case.description,
        "facts_clear": claim.facts_clear,
        "fast_track_problems": services.fast_track_problems(claim),
        "complex_reason": claim.complex_reason,
        "social_insurance_priced": claim.social_insurance_priced,
        "documents_notice_at": claim.documents_notice_at,
        "documents_complete_at": claim.documents_complete_at,
        "registered_at": claim.registered_at,
        "covered_amount": claim.covered_amount,
        "deductions_total": claim.deductions_total,
        "approved_at": claim.approved_at,
        "decided_at": claim.decided_at,
        "decided_on_time": claim.decided_on_time,
        "denial_reason": claim.denial_reason,
        "denial_notified_at": claim.denial_notified_at,
        "withdrawal_reason": claim.withdrawal_reason,
        "advance_paid_amount": claim.advance_paid_amount,
        "advance_payment_due_at": services.advance_payment_due(
            claim.case.branch, claim.reported_at
        ),
        "paid_amount": claim.paid_amount,
        "paid_at": claim.paid_at,
        "clocks": [
            {
                "code": clock.code,
                "name": clock.name,
                "mode": clock.mode,
                "due_at": clock.due_at,
                "met": clock.met,
                "is_running": clock.is_running,
            }
            for clock in claim.case.clocks.order_by("id")
        ],
        "documents": [
            {"name": d.name, "requested_at": d.requested_at, "received_at": d.received_at}
            for d in parts["documents"]
        ],
        "investigations": [
            {
                "id": i.pk,
                "investigator_id": i.investigator_id,
                "investigator": str(i.investigator),
                "reason": i.reason,
                "requested_at": i.requested_at,
                "findings": i.findings,
                "conclusion": i.conclusion,
                "concluded_at": i.concluded_at,
            }
            for i in parts["investigations"]
        ],
        "deductions": [
            {"reason": d.reason, "amount": d.amount, "note": d.note} for d in parts["deductions"]
        ],
        "approvals": [
            {
                "approver_id": a.approver_id,
                "role": a.role,
                "amount": a.amount,
                "limit": a.limit,
                "outcome": a.outcome,
                "referred_to_id": a.referred_to_id,
                "at": a.at,
            }
            for a in parts["approvals"]
        ],
        "payments": [payment_out(p) for p in parts["payments"]],
    }


def _fresh(actor: Any, claim_id: int) -> dict[str, Any]:
    return claim_out(selectors.claim_get(actor, claim_id))


def _claim_for(actor: Any, claim_id: int, action: str) -> Claim:
    claim = selectors.claim_get(actor, claim_id)
    require(actor, action)
    return claim


@router.get(
    "/claims/", response={200: ClaimQueueOut, **ERRORS}, summary="The claims queue, one page"
)
def claim_list(
    request: HttpRequest,
    state: Annotated[str, Field(max_length=48)] = "",
    claim_type: ClaimTypeCode | None = None,
    fast_track: bool = False,
    mine: bool = False,
    open_only: bool = False,
    overdue: bool = False,
    advance_due: bool = False,
    branch_id: Id | None = None,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    filters = selectors.QueueFilters(
        state=state,
        claim_type=claim_type or "",
        fast_track=fast_track,
        mine=mine,
        open_only=open_only,
        overdue=overdue,
        advance_due=advance_due,
        branch=branch_id,
    )
    queue = selectors.claim_queue(actor_of(request), filters=filters, after=after, limit=limit)
    return {
        "items": [summary_out(c) for c in queue.page.items],
        "next_cursor": queue.page.next_cursor,
        "count": queue.count.value,
        "count_exceeds": queue.count.exceeds,
    }


@router.post("/claims/", response={201: ClaimOut, **CREATE_ERRORS}, summary="Report a claim")
def claim_create(request: HttpRequest, payload: ClaimIn) -> Any:
    actor = actor_of(request)
    require(actor, "claims.report")

    def create() -> tuple[int, dict[str, Any]]:
        policy = get_visible(Policy.objects.select_related("branch"), actor, pk=payload.policy_id)
        claimant = (
            get_visible(Customer.objects.all(), actor, pk=payload.claimant_id)
            if payload.claimant_id
            else None
        )
        insured = (
            get_visible(Customer.objects.all(), actor, pk=payload.insured_id)
            if payload.insured_id
            else None
        )
        claim = services.claim_report(
            policy=policy,
            claimant=claimant,
            insured=insured,
            claim_type=payload.claim_type,
            event_date=payload.event_date,
            claimed_amount=payload.claimed_amount,
            description=payload.description,
            channel=payload.channel,
            by=actor,
        )
        return 201, as_json(ClaimOut, claim_out(selectors.claim_get(actor, claim.pk)))

    status, body = run_idempotent(
        request, actor_id=actor.pk, operation="claim.create", payload=payload.dict(), create=create
    )
    return Status(status, body)


@router.get(
    "/claims/clean-up",
    response={200: CleanUpOut, **ERRORS},
    summary="The daily clean-up list of small claims (日清日结)",
)
def claim_clean_up(request: HttpRequest) -> Any:
    result = selectors.daily_clean_up(actor_of(request))
    return {
        "day": result.day,
        "total": result.total,
        "truncated": result.truncated,
        "groups": [
            {
                "handler_id": group.handler.pk if group.handler else None,
                "handler": str(group.handler or ""),
                "overdue": group.overdue,
                "items": [summary_out(c) for c in group.claims],
            }
            for group in result.groups
        ],
    }


@router.get(
    "/claims/investigators",
    response={200: list[WorkloadOut], **ERRORS},
    summary="Investigators who may work your branch's claims, with their open investigations",
)
def claim_investigators(request: HttpRequest) -> Any:
    return [
        {
            "investigator_id": row.investigator.pk,
            "investigator": str(row.investigator),
            "branch_id": row.investigator.branch_id,
            "open_investigations": row.open_investigations,
            "concluded_last_30_days": row.concluded_last_30_days,
        }
        for row in selectors.investigator_workload(actor_of(request))
    ]


@router.get(
    "/claims/authority-limits",
    response={200: list[LimitOut], **ERRORS},
    summary="Claim authority limits by role",
)
def claim_authority_limits(request: HttpRequest) -> Any:
    require(actor_of(request), "claims.view")
    return [
        {"role": row.role, "limit": row.limit, "currency": row.currency}
        for row in AuthorityLimit.objects.order_by("limit", "role")
    ]


@router.get(
    "/claims/kpis",
    response={200: ClaimKpiOut, **ERRORS},
    summary="Claims KPIs: report to payment, on time, paid rate, denial notices, investigations",
)
def claim_kpis(
    request: HttpRequest, since: IsoDate | None = None, until: IsoDate | None = None
) -> Any:
    kpis = selectors.claim_kpis(actor_of(request), since=since, until=until)
    return {
        "since": kpis.since,
        "until": kpis.until,
        "reported": kpis.reported,
        "paid": kpis.paid,
        "report_to_payment_mean_days": kpis.mean_days_to_payment,
        "report_to_payment_p90_days": kpis.p90_days_to_payment,
        "decided": kpis.decided,
        "decided_on_time": kpis.decided_on_time,
        "decided_on_time_percent": kpis.decided_on_time_rate,
        "declined": kpis.declined,
        "withdrawn": kpis.withdrawn,
        "paid_rate_percent": kpis.paid_rate,
        "denial_notices_due": kpis.denial_notices,
        "denial_notices_on_time": kpis.denial_notices_on_time,
        "denial_notices_on_time_percent": kpis.denial_notice_rate,
        "registered": kpis.registered,
        "investigated": kpis.investigated,
        "investigation_rate_percent": kpis.investigation_rate,
        "fast_track_paid": kpis.fast_track,
        "fast_track_same_day": kpis.fast_track_same_day,
        "fast_track_same_day_percent": kpis.fast_track_same_day_rate,
        "months": [
            {"month": m.month, "paid": m.paid, "mean_days": m.mean_days} for m in kpis.months
        ],
    }


@router.get("/claims/{claim_id}", response={200: ClaimOut, **ERRORS}, summary="One claim")
def claim_detail(request: HttpRequest, claim_id: Id) -> Any:
    return _fresh(actor_of(request), claim_id)


@router.patch(
    "/claims/{claim_id}",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Reclassify as complex (30 days) or simple (5 working days)",
)
def claim_complexity(request: HttpRequest, claim_id: Id, payload: ComplexityIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.handle")
    services.claim_set_complexity(
        claim=claim, is_complex=payload.is_complex, reason=payload.reason, by=actor
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/acceptance",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Accept the report (受理)",
)
def claim_accept(request: HttpRequest, claim_id: Id) -> Any:
    actor = actor_of(request)
    services.claim_accept(claim=_claim_for(actor, claim_id, "claims.report"), by=actor)
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/registration",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Register the claim (立案); small clear medical claims go by the fast track",
)
def claim_register(request: HttpRequest, claim_id: Id, payload: RegistrationIn) -> Any:
    actor = actor_of(request)
    services.claim_register(
        claim=_claim_for(actor, claim_id, "claims.report"),
        facts_clear=payload.facts_clear,
        complexity=payload.complexity,
        complex_reason=payload.complex_reason,
        social_insurance_priced=payload.social_insurance_priced,
        by=actor,
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/document-requests",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Tell the customer what to submit (within 1 working day of the report)",
)
def claim_document_request(request: HttpRequest, claim_id: Id, payload: DocumentRequestIn) -> Any:
    actor = actor_of(request)
    services.claim_request_documents(
        claim=_claim_for(actor, claim_id, "claims.report"),
        documents=payload.documents,
        note=payload.note,
        by=actor,
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/document-receipts",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Record documents received",
)
def claim_document_receipt(request: HttpRequest, claim_id: Id, payload: DocumentReceiptIn) -> Any:
    actor = actor_of(request)
    services.claim_receive_documents(
        claim=_claim_for(actor, claim_id, "claims.report"), names=payload.names, by=actor
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/fast-track",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Confirm a small claim for the fast track (facts clear, no investigation)",
)
def claim_fast_track(request: HttpRequest, claim_id: Id) -> Any:
    actor = actor_of(request)
    services.claim_fast_track(claim=_claim_for(actor, claim_id, "claims.handle"), by=actor)
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/investigations",
    response={201: InvestigationOut, **CREATE_ERRORS},
    summary="Request an investigation by an investigator",
)
def claim_investigate(request: HttpRequest, claim_id: Id, payload: InvestigationIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.handle")
    investigator = Staff.objects.filter(pk=payload.investigator_id, is_active=True).first()
    if investigator is None:
        raise NotVisible("Not found.")

    def create() -> tuple[int, dict[str, Any]]:
        item = services.claim_investigate(
            claim=claim, investigator=investigator, reason=payload.reason, by=actor
        )
        return 201, as_json(
            InvestigationOut,
            {
                "id": item.pk,
                "investigator_id": item.investigator_id,
                "investigator": str(item.investigator),
                "reason": item.reason,
                "requested_at": item.requested_at,
                "findings": item.findings,
                "conclusion": item.conclusion,
                "concluded_at": item.concluded_at,
            },
        )

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"claim.{claim.pk}.investigation",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/claims/{claim_id}/findings",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Record the investigation's findings (the assigned investigator)",
)
def claim_findings(request: HttpRequest, claim_id: Id, payload: FindingsIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.investigate")
    investigation = claim.investigations.filter(concluded_at__isnull=True).order_by("-id").first()
    if investigation is None:
        raise NotVisible("Not found.")
    services.investigation_conclude(
        investigation=investigation,
        findings=payload.findings,
        conclusion=payload.conclusion,
        by=actor,
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/calculation",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Calculate: amount within cover less deductions with reasons (理算)",
)
def claim_calculate(request: HttpRequest, claim_id: Id, payload: CalculationIn) -> Any:
    actor = actor_of(request)
    services.claim_calculate(
        claim=_claim_for(actor, claim_id, "claims.handle"),
        covered_amount=payload.covered_amount,
        deductions=[
            services.DeductionLine(reason=d.reason, amount=d.amount, note=d.note)
            for d in payload.deductions
        ],
        by=actor,
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/approval",
    response={200: ClaimOut, 409: AuthorityRefusalOut, **ERRORS},
    summary="Approve within your authority limit (above it: 409, referred higher)",
)
def claim_approve(request: HttpRequest, claim_id: Id, payload: NoteIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.approve")
    try:
        services.claim_approve(claim=claim, note=payload.note, by=actor)
    except services.AuthorityExceeded as error:
        return Status(
            409,
            {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "field": error.field,
                    "referred_to_id": error.referred_to.pk if error.referred_to else None,
                }
            },
        )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/decline",
    response={200: ClaimOut, 409: AuthorityRefusalOut, **ERRORS},
    summary="Decline with the reason (within the limit on the amount claimed)",
)
def claim_decline(request: HttpRequest, claim_id: Id, payload: DeclineIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.approve")
    try:
        services.claim_decline(claim=claim, reason=payload.reason, by=actor)
    except services.AuthorityExceeded as error:
        return Status(
            409,
            {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "field": error.field,
                    "referred_to_id": error.referred_to.pk if error.referred_to else None,
                }
            },
        )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/closure",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Close as paid (结案): the amount is agreed; pay within 10 days",
)
def claim_close(request: HttpRequest, claim_id: Id, payload: NoteIn) -> Any:
    actor = actor_of(request)
    services.claim_close_paid(
        claim=_claim_for(actor, claim_id, "claims.handle"), note=payload.note, by=actor
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/denial-notice",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="Send the denial notice (within 3 days)",
)
def claim_denial_notice(request: HttpRequest, claim_id: Id, payload: DenialNoticeIn) -> Any:
    actor = actor_of(request)
    services.claim_notify_denial(
        claim=_claim_for(actor, claim_id, "claims.handle"),
        notice_text=payload.notice_text,
        by=actor,
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/withdrawal",
    response={200: ClaimOut, **CREATE_ERRORS},
    summary="The claimant withdraws the claim",
)
def claim_withdraw(request: HttpRequest, claim_id: Id, payload: WithdrawalIn) -> Any:
    actor = actor_of(request)
    services.claim_withdraw(
        claim=_claim_for(actor, claim_id, "claims.report"), reason=payload.reason, by=actor
    )
    return _fresh(actor, claim_id)


@router.post(
    "/claims/{claim_id}/payments",
    response={201: PaymentOut, **CREATE_ERRORS},
    summary="Record the settlement payment (within 10 days of the agreement)",
)
def claim_payment(request: HttpRequest, claim_id: Id, payload: PaymentIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.pay")

    def create() -> tuple[int, dict[str, Any]]:
        payment = services.claim_pay(
            claim=claim, method=payload.method, paid_on=payload.paid_on, by=actor
        )
        return 201, as_json(PaymentOut, payment_out(payment))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"claim.{claim.pk}.payment",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/claims/{claim_id}/advance-payments",
    response={201: PaymentOut, **CREATE_ERRORS},
    summary="Advance-pay the determinable part of a claim undetermined after 60 days",
)
def claim_advance_payment(request: HttpRequest, claim_id: Id, payload: AdvancePaymentIn) -> Any:
    actor = actor_of(request)
    claim = _claim_for(actor, claim_id, "claims.pay")

    def create() -> tuple[int, dict[str, Any]]:
        payment = services.claim_advance_pay(
            claim=claim,
            amount=payload.amount,
            method=payload.method,
            reason=payload.reason,
            paid_on=payload.paid_on,
            by=actor,
        )
        return 201, as_json(PaymentOut, payment_out(payment))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"claim.{claim.pk}.advance",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)

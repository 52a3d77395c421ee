"""API of new business (契约): register and read applications, take the pipeline steps,
the one-time defect notice, underwriting, premium, issue, delivery, exits, reminders, the
insured-list import, the stalled radar, the withdrawal list and the KPIs."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, IsoDate, as_json
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.customers.identity import masked
from policydesk.customers.models import Customer
from policydesk.org.models import Branch
from policydesk.policies.models import Agent, Intermediary, Product

from . import catalogue, selectors, services
from .models import Application, InsuredListImport, Requirement

router = Router(tags=["newbusiness"])

SourceSystemCode = Literal["long_term_core", "short_term_card", "short_term_group"]
SalesChannel = Literal["agency", "bancassurance", "broker", "direct", "group"]
ReceivedChannel = Literal["counter", "phone", "self_service", "bancassurance", "agent"]
PaymentModeCode = Literal["single", "annual", "semi_annual", "quarterly", "monthly"]
PaymentMethodCode = Literal["auto_debit", "bank_transfer", "cash"]
ExitCode = Literal["withdrawn", "refunded", "declined", "postponed"]
StepCode = Literal["start-entry", "entry-done", "callback", "archive", "archive-no-callback"]
RequirementCode = Literal[
    "health_declaration", "financial_proof", "survival_check", "problem_case", "other"
]
Amount = Annotated[Decimal, Field(gt=0, le=Decimal("999999999999.99"), decimal_places=2)]
Code = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9-]+$")]
Note = Annotated[str, Field(max_length=500)]
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ApplicationIn(Schema):
    branch_id: Id
    source_system: SourceSystemCode
    channel: SalesChannel
    received_channel: ReceivedChannel = "counter"
    product_code: str = Field(min_length=1, max_length=32)
    applicant_id: Id
    insured_id: Id | None = Field(None, description="The applicant when left out; none for group.")
    agent_code: str = Field("", max_length=32)
    intermediary_code: str = Field("", max_length=32)
    form_number: str = Field("", max_length=32)
    sum_assured: Amount
    premium: Amount
    term_years: int = Field(1, ge=1, le=100)
    payment_mode: PaymentModeCode
    payment_method: PaymentMethodCode


class StepIn(Schema):
    step: StepCode
    comment: str = Field("", max_length=2000)


class DefectIn(Schema):
    code: Code
    note: Note = ""


class InitialReviewIn(Schema):
    defects: list[DefectIn] = Field(
        default_factory=list,
        max_length=20,
        description="Empty: the review passes. Otherwise the one-time defect notice is sent.",
    )


class CorrectionIn(Schema):
    note: str = Field("", max_length=2000)


class ScanIn(Schema):
    passed: bool
    note: Note = ""


class RequirementIn(Schema):
    kind: RequirementCode
    note: Note = ""


class ExamIn(Schema):
    appointment_at: dt.datetime
    place: str = Field(min_length=1, max_length=200, pattern=r"\S")


class PremiumIn(Schema):
    received_on: dt.date


class PremiumProblemIn(Schema):
    refused: bool = Field(description="True: the customer refuses; false: a collection failed.")
    note: Note = ""


class IssueIn(Schema):
    policy_number: str = Field(min_length=1, max_length=32, pattern=r"\S")


class DeliveryIn(Schema):
    receipt_signed_on: dt.date


class ExitIn(Schema):
    kind: ExitCode
    reason: Code
    note: str = Field("", max_length=2000)


class ReminderIn(Schema):
    note: Note = ""


class ApplicationDefectOut(Schema):
    code: str
    label: str
    note: str


class NoticeOut(Schema):
    sent_at: dt.datetime
    text: str
    corrected_at: dt.datetime | None
    defects: list[ApplicationDefectOut]


class RequirementOut(Schema):
    id: int
    kind: str
    note: str
    raised_at: dt.datetime
    met_at: dt.datetime | None


class ApplicationSummaryOut(Schema):
    id: int
    case_id: int
    number: str
    branch_id: int
    source_system: str
    channel: str
    stage: str
    stage_name: str
    stage_entered_at: dt.datetime
    product_code: str
    applicant_id: int
    applicant_name: str
    agent_code: str | None
    sum_assured: Decimal
    premium: Decimal
    currency: str
    received_at: dt.datetime
    exit_kind: str
    exit_reason: str
    next_due_at: dt.datetime | None
    is_breached: bool


class ApplicationOut(ApplicationSummaryOut):
    insured_id: int | None
    intermediary_code: str | None
    form_number: str
    term_years: int
    payment_mode: str
    payment_method: str
    received_by: str
    scan_result: str
    scan_note: str
    exam_required: bool
    exam_appointment_at: dt.datetime | None
    exam_place: str
    exam_report_received_at: dt.datetime | None
    accepted_at: dt.datetime | None
    premium_refused_at: dt.datetime | None
    collection_failures: int
    premium_received_on: dt.date | None
    issued_at: dt.datetime | None
    policy_id: int | None
    policy_number: str | None
    delivered_at: dt.datetime | None
    receipt_signed_on: dt.date | None
    cooling_off_end: dt.date | None
    callback_done_at: dt.datetime | None
    archived_at: dt.datetime | None
    exit_note: str
    exited_at: dt.datetime | None
    defect_notice: NoticeOut | None
    requirements: list[RequirementOut]
    insured_members: int


class ApplicationRegisterOut(Schema):
    items: list[ApplicationSummaryOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class ReminderOut(Schema):
    id: int
    application_id: int
    chased: str
    agent_code: str | None
    stage: str
    note: str
    sent_at: dt.datetime


class ProblemOut(Schema):
    row: int
    column: str
    message: str


class ListImportOut(Schema):
    id: int
    application_id: int
    file_name: str
    accepted: bool
    rows: int
    problems: list[ProblemOut]


class RadarRowOut(Schema):
    application: ApplicationSummaryOut
    age_working_days: int
    threshold_working_days: int
    chase: str
    chase_label: str
    owner: str
    reminders: int


class StageCountOut(Schema):
    stage: str
    name: str
    open: int
    stalled: int
    threshold_working_days: int


class RadarOut(Schema):
    open: int
    stalled: int
    stalled_percent: Decimal | None
    by_stage: list[StageCountOut]
    items: list[RadarRowOut]


class WithdrawalRowOut(Schema):
    application: ApplicationSummaryOut
    cause: str
    suggested_reason: str
    since: dt.datetime
    waited_working_days: int


class ReasonOut(Schema):
    kind: str
    reason: str
    label: str
    count: int
    rate_percent: Decimal | None


class NewBusinessMonthOut(Schema):
    month: str
    issued: int
    mean_working_days: Decimal | None
    p90_working_days: int | None
    on_time_percent: Decimal | None


class NewBusinessKpiOut(Schema):
    since: dt.date
    until: dt.date
    received: int
    issued: int
    issue_time_mean_working_days: Decimal | None
    issue_time_p90_working_days: int | None
    issued_on_time: int
    on_time_issue_percent: Decimal | None
    open: int
    stalled: int
    stalled_percent: Decimal | None
    withdrawn: int
    withdrawal_percent: Decimal | None
    refunded: int
    refund_percent: Decimal | None
    exits_by_reason: list[ReasonOut]
    by_month: list[NewBusinessMonthOut]


class EntryOut(Schema):
    code: str
    name: str
    name_en: str


class CatalogueOut(Schema):
    defects: list[EntryOut]
    exit_reasons: dict[str, list[EntryOut]]
    stage_thresholds_working_days: dict[str, int]


# --- Shapes --------------------------------------------------------------------------------


def summary_out(application: Application) -> dict[str, Any]:
    case = application.case
    return {
        "id": application.pk,
        "case_id": case.pk,
        "number": case.number,
        "branch_id": case.branch_id,
        "source_system": application.source_system,
        "channel": application.channel,
        "stage": application.stage,
        "stage_name": case.state.name,
        "stage_entered_at": application.stage_entered_at,
        "product_code": application.product.code,
        "applicant_id": application.applicant_id,
        "applicant_name": application.applicant.name,
        "agent_code": application.agent.code if application.agent else None,
        "sum_assured": application.sum_assured,
        "premium": application.premium,
        "currency": application.currency,
        "received_at": application.received_at,
        "exit_kind": application.exit_kind,
        "exit_reason": application.exit_reason,
        "next_due_at": case.next_due_at,
        "is_breached": case.is_breached,
    }


def _requirement_out(requirement: Requirement) -> dict[str, Any]:
    return {
        "id": requirement.pk,
        "kind": requirement.kind,
        "note": requirement.note,
        "raised_at": requirement.raised_at,
        "met_at": requirement.met_at,
    }


def application_out(application: Application) -> dict[str, Any]:
    notice = getattr(application, "defect_notice", None)
    return {
        **summary_out(application),
        "insured_id": application.insured_id,
        "intermediary_code": application.intermediary.code if application.intermediary else None,
        "form_number": application.form_number,
        "term_years": application.term_years,
        "payment_mode": application.payment_mode,
        "payment_method": application.payment_method,
        "received_by": str(application.received_by or ""),
        "scan_result": application.scan_result,
        "scan_note": application.scan_note,
        "exam_required": application.exam_required,
        "exam_appointment_at": application.exam_appointment_at,
        "exam_place": application.exam_place,
        "exam_report_received_at": application.exam_report_received_at,
        "accepted_at": application.accepted_at,
        "premium_refused_at": application.premium_refused_at,
        "collection_failures": application.collection_failures,
        "premium_received_on": application.premium_received_on,
        "issued_at": application.issued_at,
        "policy_id": application.policy_id,
        "policy_number": application.policy.number if application.policy else None,
        "delivered_at": application.delivered_at,
        "receipt_signed_on": application.receipt_signed_on,
        "cooling_off_end": application.cooling_off_end,
        "callback_done_at": application.callback_done_at,
        "archived_at": application.archived_at,
        "exit_note": application.exit_note,
        "exited_at": application.exited_at,
        "defect_notice": {
            "sent_at": notice.sent_at,
            "text": notice.text,
            "corrected_at": notice.corrected_at,
            "defects": [
                {"code": d.code, "label": catalogue.defect_label(d.code), "note": d.note}
                for d in notice.defects.all()
            ],
        }
        if notice is not None
        else None,
        "requirements": [
            _requirement_out(r) for r in selectors.application_requirements(application)
        ],
        "insured_members": application.insured_members.count(),
    }


def _import_out(record: InsuredListImport) -> dict[str, Any]:
    return {
        "id": record.pk,
        "application_id": record.application_id,
        "file_name": record.file_name,
        "accepted": record.accepted,
        "rows": record.rows,
        "problems": record.errors,
    }


def _fresh(actor: Any, application_id: int) -> dict[str, Any]:
    return application_out(selectors.application_get(actor, application_id))


# --- Reference data and reports --------------------------------------------------------------


@router.get(
    "/newbusiness/catalogue",
    response={200: CatalogueOut, **ERRORS},
    summary="Defect checklist, exit reason codes and radar thresholds",
)
def catalogue_read(request: HttpRequest) -> Any:
    require(actor_of(request), selectors.VIEW)
    return {
        "defects": [
            {"code": e.code, "name": e.name, "name_en": e.name_en}
            for e in catalogue.defects().values()
        ],
        "exit_reasons": {
            kind: [{"code": e.code, "name": e.name, "name_en": e.name_en} for e in entries.values()]
            for kind, entries in catalogue.exit_reasons().items()
        },
        "stage_thresholds_working_days": {
            stage: t.working_days for stage, t in catalogue.thresholds().items()
        },
    }


@router.get(
    "/newbusiness/kpis",
    response={200: NewBusinessKpiOut, **ERRORS},
    summary="Issue time, on-time issue, stalled rate, withdrawal and refund rates by reason",
)
def kpis_read(
    request: HttpRequest, since: IsoDate | None = None, until: IsoDate | None = None
) -> Any:
    if since and until and since > until:
        raise DomainError("since is after until.", field="since")
    kpis = selectors.newbusiness_kpis(actor_of(request), since=since, until=until)
    return {
        "since": kpis.since,
        "until": kpis.until,
        "received": kpis.received,
        "issued": kpis.issued,
        "issue_time_mean_working_days": kpis.mean_issue_working_days,
        "issue_time_p90_working_days": kpis.p90_issue_working_days,
        "issued_on_time": kpis.issued_on_time,
        "on_time_issue_percent": kpis.on_time_percent,
        "open": kpis.open_now,
        "stalled": kpis.stalled_now,
        "stalled_percent": kpis.stalled_percent,
        "withdrawn": kpis.withdrawn,
        "withdrawal_percent": kpis.withdrawal_percent,
        "refunded": kpis.refunded,
        "refund_percent": kpis.refund_percent,
        "exits_by_reason": [
            {
                "kind": r.kind,
                "reason": r.code,
                "label": r.label,
                "count": r.count,
                "rate_percent": r.rate_percent,
            }
            for r in kpis.exits
        ],
        "by_month": [m.__dict__ for m in kpis.by_month],
    }


@router.get(
    "/newbusiness/radar",
    response={200: RadarOut, **ERRORS},
    summary="Stalled applications: age in the stage against its threshold",
)
def radar_read(request: HttpRequest, stage: Annotated[str, Field(max_length=48)] = "") -> Any:
    radar = selectors.stalled_radar(actor_of(request), stage=stage)
    return {
        "open": radar.open_total,
        "stalled": radar.stalled_total,
        "stalled_percent": selectors._percent(radar.stalled_total, radar.open_total),
        "by_stage": [
            {
                "stage": s.stage,
                "name": s.name,
                "open": s.open,
                "stalled": s.stalled,
                "threshold_working_days": s.threshold,
            }
            for s in radar.by_stage
        ],
        "items": [
            {
                "application": summary_out(row.application),
                "age_working_days": row.age_working_days,
                "threshold_working_days": row.threshold,
                "chase": row.chase,
                "chase_label": row.chase_label,
                "owner": row.owner,
                "reminders": row.reminders,
            }
            for row in radar.rows
        ],
    }


@router.get(
    "/newbusiness/withdrawal-list",
    response={200: list[WithdrawalRowOut], **ERRORS},
    summary="Today's applications to withdraw: premium refused or collection failed",
)
def withdrawal_list_read(request: HttpRequest) -> Any:
    return [
        {
            "application": summary_out(row.application),
            "cause": row.cause,
            "suggested_reason": row.suggested_reason,
            "since": row.since,
            "waited_working_days": row.waited_working_days,
        }
        for row in selectors.withdrawal_list(actor_of(request))
    ]


# --- Register and one application ---------------------------------------------------------


@router.get(
    "/newbusiness/applications",
    response={200: ApplicationRegisterOut, **ERRORS},
    summary="The applications register, one page",
)
def application_list(
    request: HttpRequest,
    source_system: SourceSystemCode | None = None,
    stage: Annotated[str, Field(max_length=48)] = "",
    channel: SalesChannel | None = None,
    exit_kind: ExitCode | None = None,
    agent_code: Annotated[str, Field(max_length=32)] = "",
    open_only: bool = False,
    branch_id: Id | None = None,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    filters = selectors.RegisterFilters(
        source_system=source_system or "",
        stage=stage,
        channel=channel or "",
        exit_kind=exit_kind or "",
        agent=agent_code,
        open_only=open_only,
        branch=branch_id,
    )
    register = selectors.application_register(
        actor_of(request), filters=filters, after=after, limit=limit
    )
    return {
        "items": [summary_out(a) for a in register.page.items],
        "next_cursor": register.page.next_cursor,
        "count": register.count.value,
        "count_exceeds": register.count.exceeds,
    }


def _by_code(model: type[Any], code: str) -> Any:
    if not code:
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        raise NotVisible("Not found.")
    return found


@router.post(
    "/newbusiness/applications",
    response={201: ApplicationOut, **CREATE_ERRORS},
    summary="Register an application (Idempotency-Key)",
)
def application_create(request: HttpRequest, payload: ApplicationIn) -> Any:
    actor = actor_of(request)
    require(actor, services.PROCESS)

    def create() -> tuple[int, dict[str, Any]]:
        applicant = get_visible(Customer.objects.all(), actor, pk=payload.applicant_id)
        insured = (
            get_visible(Customer.objects.all(), actor, pk=payload.insured_id)
            if payload.insured_id
            else None
        )
        product = Product.objects.filter(code=payload.product_code).first()
        if product is None:
            raise DomainError("Unknown product.", field="product_code")
        agent = _by_code(Agent, payload.agent_code)
        if agent is not None:
            get_visible(Agent.objects.all(), actor, pk=agent.pk)
        application = services.application_register(
            branch=get_visible(
                Branch.objects.all(), actor, branch_field="id", pk=payload.branch_id
            ),
            source_system=payload.source_system,
            channel=payload.channel,
            received_channel=payload.received_channel,
            product=product,
            applicant=applicant,
            insured=insured,
            agent=agent,
            intermediary=_by_code(Intermediary, payload.intermediary_code),
            form_number=payload.form_number,
            sum_assured=payload.sum_assured,
            premium=payload.premium,
            term_years=payload.term_years,
            payment_mode=payload.payment_mode,
            payment_method=payload.payment_method,
            by=actor,
        )
        return 201, as_json(ApplicationOut, application_out(application))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="newbusiness.application.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/newbusiness/applications/{application_id}",
    response={200: ApplicationOut, **ERRORS},
    summary="One application",
)
def application_detail(request: HttpRequest, application_id: Id) -> Any:
    return _fresh(actor_of(request), application_id)


def _work(request: HttpRequest, application_id: int) -> tuple[Any, Application]:
    actor = actor_of(request)
    return actor, selectors.application_get(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/steps",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="A plain step: start or finish data entry, callback done, archive",
)
def application_step(request: HttpRequest, application_id: Id, payload: StepIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_step(
        application=application, step=payload.step, comment=payload.comment, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/review",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Initial review: pass, or send the one-time defect notice (409 if already sent)",
)
def application_review(request: HttpRequest, application_id: Id, payload: InitialReviewIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_review(
        application=application,
        defects=[(d.code, d.note) for d in payload.defects],
        by=actor,
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/corrections",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="The corrections asked for in the defect notice arrived",
)
def application_corrected(request: HttpRequest, application_id: Id, payload: CorrectionIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_corrected(application=application, note=payload.note, by=actor)
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/scan-qc",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Record the scan quality check",
)
def application_scan(request: HttpRequest, application_id: Id, payload: ScanIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_scan_qc(
        application=application, passed=payload.passed, note=payload.note, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/requirements",
    response={201: RequirementOut, **CREATE_ERRORS},
    summary="Raise an underwriting requirement (Idempotency-Key)",
)
def requirement_create(request: HttpRequest, application_id: Id, payload: RequirementIn) -> Any:
    actor, application = _work(request, application_id)

    def create() -> tuple[int, dict[str, Any]]:
        requirement = services.requirement_raise(
            application=application, kind=payload.kind, note=payload.note, by=actor
        )
        return 201, as_json(RequirementOut, _requirement_out(requirement))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"newbusiness.{application.pk}.requirement",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/newbusiness/applications/{application_id}/requirements/{requirement_id}/fulfilment",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="The requirement is met",
)
def requirement_fulfil(request: HttpRequest, application_id: Id, requirement_id: Id) -> Any:
    actor, application = _work(request, application_id)
    requirement = application.requirements.filter(pk=requirement_id).first()
    if requirement is None:
        raise NotVisible("Not found.")
    services.requirement_meet(requirement=requirement, by=actor)
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/exam",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Order and book a medical exam (the no-exam clock stops)",
)
def application_exam(request: HttpRequest, application_id: Id, payload: ExamIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_order_exam(
        application=application,
        appointment_at=payload.appointment_at,
        place=payload.place,
        by=actor,
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/exam-report",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="The exam report arrived (the 15-working-day decision clock starts)",
)
def application_exam_report(request: HttpRequest, application_id: Id) -> Any:
    actor, application = _work(request, application_id)
    services.application_exam_report(application=application, by=actor)
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/acceptance",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Underwriting accepts",
)
def application_accept(request: HttpRequest, application_id: Id) -> Any:
    actor, application = _work(request, application_id)
    services.application_accept(application=application, by=actor)
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/premium",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="The premium was received in full",
)
def application_premium(request: HttpRequest, application_id: Id, payload: PremiumIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_premium_received(
        application=application, received_on=payload.received_on, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/premium-problems",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="The customer refuses the premium, or a collection failed",
)
def application_premium_problem(
    request: HttpRequest, application_id: Id, payload: PremiumProblemIn
) -> Any:
    actor, application = _work(request, application_id)
    services.application_premium_problem(
        application=application, refused=payload.refused, note=payload.note, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/issue",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Issue: create or link the registry policy",
)
def application_issue(request: HttpRequest, application_id: Id, payload: IssueIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_issue(
        application=application, policy_number=payload.policy_number, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/delivery",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Delivered and receipt signed (cooling-off end recorded)",
)
def application_deliver(request: HttpRequest, application_id: Id, payload: DeliveryIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_deliver(
        application=application, receipt_signed_on=payload.receipt_signed_on, by=actor
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/exit",
    response={200: ApplicationOut, **CREATE_ERRORS},
    summary="Withdraw, return and refund, decline or postpone, with a reason code",
)
def application_exit(request: HttpRequest, application_id: Id, payload: ExitIn) -> Any:
    actor, application = _work(request, application_id)
    services.application_exit(
        application=application,
        kind=payload.kind,
        reason=payload.reason,
        note=payload.note,
        by=actor,
    )
    return _fresh(actor, application_id)


@router.post(
    "/newbusiness/applications/{application_id}/reminders",
    response={201: ReminderOut, **CREATE_ERRORS},
    summary="Chase the agent about a stalled application (Idempotency-Key)",
)
def reminder_create(request: HttpRequest, application_id: Id, payload: ReminderIn) -> Any:
    actor, application = _work(request, application_id)

    def create() -> tuple[int, dict[str, Any]]:
        reminder = services.application_remind(application=application, note=payload.note, by=actor)
        return 201, as_json(
            ReminderOut,
            {
                "id": reminder.pk,
                "application_id": application.pk,
                "chased": reminder.chased,
                "agent_code": reminder.agent.code if reminder.agent else None,
                "stage": reminder.stage,
                "note": reminder.note,
                "sent_at": reminder.sent_at,
            },
        )

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"newbusiness.{application.pk}.reminder",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/newbusiness/applications/{application_id}/insured-list",
    response={201: ListImportOut, **CREATE_ERRORS},
    summary="Import the insured list of a group application (CSV or XLSX, all or nothing)",
)
def insured_list_create(request: HttpRequest, application_id: Id, file: File[UploadedFile]) -> Any:
    actor, application = _work(request, application_id)
    require(actor, services.PROCESS)
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise DomainError("The file is too large.", field="file")
    content = file.read()

    def create() -> tuple[int, dict[str, Any]]:
        record = services.insured_list_import(
            application=application,
            file_name=file.name or "insured.csv",
            content=content,
            by=actor,
        )
        return 201, as_json(ListImportOut, _import_out(record))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"newbusiness.{application.pk}.insured_list",
        payload={"file_name": file.name, "sha256": hashlib.sha256(content).hexdigest()},
        create=create,
    )
    return Status(status, body)


def member_rows(application: Application) -> list[dict[str, Any]]:
    """The insured list as pages show it: ID numbers masked."""
    return [
        {
            "row": m.row_number,
            "name": m.name,
            "id_number": masked(m.id_number_last4),
            "birth_date": m.birth_date,
            "gender": m.gender,
            "sum_assured": m.sum_assured,
            "premium": m.premium,
        }
        for m in application.insured_members.all()[:500]
    ]

"""API of policy servicing (保全): the catalogue, the eligibility check of an application,
the queue, one item, applying, the steps of an item, and the KPIs (DOMAIN.md §4 item 10)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from policydesk.cases import clocks
from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, IsoDate, as_json
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.policies.models import Policy

from . import selectors, services
from .models import ServicingItem, ServicingItemType

router = Router(tags=["servicing"])

Channel = Literal["counter", "phone", "self_service", "bancassurance", "agent"]
Applicant = Literal["policyholder", "insured", "beneficiary", "proxy"]
Code = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9-]+$")]
StepCode = Literal[
    "accept",
    "notify_correction",
    "correct",
    "exam",
    "exam_done",
    "approve",
    "payment",
    "complete",
    "decline",
    "cancel",
]


Amount = Annotated[Decimal, Field(gt=0, le=Decimal("999999999999.99"), decimal_places=2)]


class ServicingDocumentIn(Schema):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)


class ServicingDocumentOut(Schema):
    code: str
    name: str
    name_en: str


class ServicingItemTypeOut(Schema):
    code: str
    name: str
    name_en: str
    effect: str
    money: str
    needs_payment: bool
    rules: list[dict[str, Any]]
    applicant_roles: list[str]
    documents: list[ServicingDocumentOut]
    is_active: bool


class ServicingItemTypeIn(Schema):
    documents: list[ServicingDocumentIn] = Field(max_length=30)
    applicant_roles: list[Applicant] = Field(min_length=1, max_length=4)
    is_active: bool


class ServicingRefusalOut(Schema):
    rule: str
    reason: str


class ServicingEligibilityOut(Schema):
    item_code: str
    eligible: bool
    refusals: list[ServicingRefusalOut]
    required_documents: list[ServicingDocumentOut]
    missing_documents: list[ServicingDocumentOut]
    complete: bool


class ServicingApplyIn(Schema):
    policy_id: Id
    item_code: Code
    applicant_role: Applicant
    channel: Channel = "counter"
    documents: list[Code] = Field(default_factory=list, max_length=30)
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Item-specific: see docs/servicing.md (e.g. {kind, value} for a contact "
        "change, {bank_name, account_number}, {to_mode}, {beneficiaries: [...]}, "
        "{new_policyholder_id}, {reason} for a surrender, {amount} for a loan).",
    )
    reverses_id: Id | None = Field(None, description="A done item of the policy this reverses.")


class ServicingStepIn(Schema):
    step: StepCode
    note: str = Field("", max_length=2000)
    documents: list[Code] = Field(default_factory=list, max_length=30)
    amount: Amount | None = None


class ServicingItemSummaryOut(Schema):
    id: int
    case_id: int
    number: str
    item_code: str
    item_name: str
    state: str
    state_name: str
    policy_id: int
    policy_number: str
    channel: str
    received_at: dt.datetime
    next_due_at: dt.datetime | None
    is_breached: bool
    done_at: dt.datetime | None


class ServicingItemOut(ServicingItemSummaryOut):
    branch_id: int
    applicant_role: str
    documents: list[str]
    missing_documents: list[ServicingDocumentOut]
    surrender_reason: str
    amount: Decimal | None
    currency: str
    reverses_id: int | None
    accept_due_at: dt.datetime | None
    notice_due_at: dt.datetime | None
    correction_notice_at: dt.datetime | None
    accepted_at: dt.datetime | None
    approved_at: dt.datetime | None
    paid_at: dt.datetime | None
    complete_due_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    accepted_on_time: bool | None
    completed_on_time: bool | None
    duration_working_days: int | None
    endorsement: dict[str, Any] | None


class ServicingQueueOut(Schema):
    items: list[ServicingItemSummaryOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class ServicingKpiRowOut(Schema):
    key: str
    label: str
    received: int
    accepted_measured: int
    accepted_on_time: int
    accepted_on_time_rate_percent: Decimal | None
    completed_measured: int
    completed_on_time: int
    completed_on_time_rate_percent: Decimal | None
    done: int
    mean_working_days: Decimal | None


class ServicingKpiOut(Schema):
    since: dt.date
    until: dt.date
    total: ServicingKpiRowOut
    by_item: list[ServicingKpiRowOut]
    by_month: list[ServicingKpiRowOut]


def type_out(item_type: ServicingItemType) -> dict[str, Any]:
    return {
        "code": item_type.code,
        "name": item_type.name,
        "name_en": item_type.name_en,
        "effect": item_type.effect,
        "money": item_type.money,
        "needs_payment": item_type.needs_payment,
        "rules": item_type.rules,
        "applicant_roles": item_type.applicant_roles,
        "documents": [_document(d) for d in item_type.documents],
        "is_active": item_type.is_active,
    }


def _document(document: dict[str, Any]) -> dict[str, str]:
    return {
        "code": str(document["code"]),
        "name": str(document["name"]),
        "name_en": str(document.get("name_en", "")),
    }


def summary_out(item: ServicingItem) -> dict[str, Any]:
    case = item.case
    return {
        "id": item.pk,
        "case_id": case.pk,
        "number": case.number,
        "item_code": item.item_type.code,
        "item_name": item.item_type.name,
        "state": case.state.code,
        "state_name": case.state.name,
        "policy_id": item.policy_id,
        "policy_number": item.policy.number,
        "channel": case.channel,
        "received_at": item.received_at,
        "next_due_at": case.next_due_at,
        "is_breached": case.is_breached,
        "done_at": item.done_at,
    }


def item_out(item: ServicingItem) -> dict[str, Any]:
    endorsement = selectors.item_endorsement(item)
    public_details = {k: v for k, v in item.details.items() if k != "account_encrypted"}
    return {
        **summary_out(item),
        "branch_id": item.case.branch_id,
        "applicant_role": item.applicant_role,
        "documents": item.documents,
        "missing_documents": [_document(d) for d in services.missing_documents(item)],
        "surrender_reason": item.surrender_reason,
        "amount": item.amount,
        "currency": item.currency,
        "reverses_id": item.reverses_id,
        "accept_due_at": item.accept_due_at,
        "notice_due_at": item.notice_due_at,
        "correction_notice_at": item.correction_notice_at,
        "accepted_at": item.accepted_at,
        "approved_at": item.approved_at,
        "paid_at": item.paid_at,
        "complete_due_at": item.complete_due_at,
        "cancelled_at": item.cancelled_at,
        "accepted_on_time": item.accepted_on_time,
        "completed_on_time": item.completed_on_time,
        "duration_working_days": item.duration_working_days,
        "endorsement": {
            "effect": endorsement.effect,
            "effective_on": endorsement.effective_on.isoformat(),
            "before": endorsement.before,
            "after": endorsement.after,
            "details": public_details,
        }
        if endorsement
        else None,
    }


def kpi_row_out(row: selectors.KpiRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "received": row.received,
        "accepted_measured": row.accepted_measured,
        "accepted_on_time": row.accepted_on_time,
        "accepted_on_time_rate_percent": row.accepted_on_time_rate,
        "completed_measured": row.completed_measured,
        "completed_on_time": row.completed_on_time,
        "completed_on_time_rate_percent": row.completed_on_time_rate,
        "done": row.done,
        "mean_working_days": row.mean_working_days,
    }


def _item_type(code: str, *, active_only: bool = True) -> ServicingItemType:
    types = ServicingItemType.objects.filter(code=code)
    if active_only:
        types = types.filter(is_active=True)
    item_type = types.first()
    if item_type is None:
        raise NotVisible("Not found.")
    return item_type


@router.get(
    "/servicing/catalogue",
    response={200: list[ServicingItemTypeOut], **ERRORS},
    summary="The servicing catalogue",
)
def catalogue_list(request: HttpRequest) -> Any:
    return [type_out(t) for t in selectors.catalogue(actor_of(request))]


@router.patch(
    "/servicing/catalogue/{item_code}",
    response={200: ServicingItemTypeOut, **CREATE_ERRORS},
    summary="Set an item's documents, who may apply and whether it is offered",
)
def catalogue_update(request: HttpRequest, item_code: Code, payload: ServicingItemTypeIn) -> Any:
    actor = actor_of(request)
    require(actor, "servicing.catalogue.edit")
    item_type = services.item_type_update(
        item_type=_item_type(item_code, active_only=False),
        documents=[d.dict() for d in payload.documents],
        applicant_roles=list(payload.applicant_roles),
        is_active=payload.is_active,
        by=actor,
    )
    return type_out(item_type)


class ServicingEligibilityQuery(Schema):
    policy_id: Id
    item_code: Code
    applicant_role: Applicant = "policyholder"
    documents: list[Code] = Field(default_factory=list, max_length=30)


@router.get(
    "/servicing/eligibility",
    response={200: ServicingEligibilityOut, **ERRORS},
    summary="Whether a policy qualifies for an item, and the documents still missing",
)
def eligibility(request: HttpRequest, query: Query[ServicingEligibilityQuery]) -> Any:
    actor = actor_of(request)
    require(actor, "servicing.view")
    policy = get_visible(
        Policy.objects.select_related("product", "branch"), actor, pk=query.policy_id
    )
    item_type = _item_type(query.item_code)
    check = services.servicing_precheck(
        policy=policy,
        item_type=item_type,
        applicant_role=query.applicant_role,
        documents=list(query.documents),
        today=clocks.calendar_for(policy.branch).local_date(timezone.now()),
    )
    return {
        "item_code": item_type.code,
        "eligible": check.eligible,
        "refusals": [{"rule": r.rule, "reason": r.reason} for r in check.refusals],
        "required_documents": [_document(d) for d in check.required],
        "missing_documents": [_document(d) for d in check.missing],
        "complete": check.complete,
    }


@router.get(
    "/servicing/kpis",
    response={200: ServicingKpiOut, **ERRORS},
    summary="Accepted on time, completed on time, mean working days (DOMAIN.md §4 item 10)",
)
def kpis(request: HttpRequest, since: IsoDate | None = None, until: IsoDate | None = None) -> Any:
    today = timezone.now().date()
    until = until or today
    since = since or until - dt.timedelta(days=365)
    # A period that ends before it starts holds no items: an empty panel, not an error.
    result = selectors.servicing_kpis(actor_of(request), since=since, until=until)
    return {
        "since": result.since,
        "until": result.until,
        "total": kpi_row_out(result.total),
        "by_item": [kpi_row_out(r) for r in result.by_item],
        "by_month": [kpi_row_out(r) for r in result.by_month],
    }


@router.get(
    "/servicing/items", response={200: ServicingQueueOut, **ERRORS}, summary="The queue, one page"
)
def item_list(
    request: HttpRequest,
    item_code: Annotated[str, Field(max_length=48)] = "",
    status: Literal["open", "done", "cancelled"] | None = None,
    channel: Channel | None = None,
    policy_number: Annotated[str, Field(max_length=32)] = "",
    overdue: bool = False,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    filters = selectors.QueueFilters(
        item=item_code,
        status=status or "",
        channel=channel or "",
        policy_number=policy_number,
        overdue=overdue,
    )
    queue = selectors.item_queue(actor_of(request), filters=filters, after=after, limit=limit)
    return {
        "items": [summary_out(item) for item in queue.page.items],
        "next_cursor": queue.page.next_cursor,
        "count": queue.count.value,
        "count_exceeds": queue.count.exceeds,
    }


@router.post(
    "/servicing/items",
    response={201: ServicingItemOut, **CREATE_ERRORS},
    summary="Apply for a servicing item (refused with every reason when ineligible)",
)
def item_create(request: HttpRequest, payload: ServicingApplyIn) -> Any:
    actor = actor_of(request)
    require(actor, "servicing.apply")

    def create() -> tuple[int, dict[str, Any]]:
        policy = get_visible(Policy.objects.all(), actor, pk=payload.policy_id)
        reverses = selectors.item_get(actor, payload.reverses_id) if payload.reverses_id else None
        item = services.servicing_item_apply(
            policy=policy,
            item_code=payload.item_code,
            applicant_role=payload.applicant_role,
            channel=payload.channel,
            details=payload.details,
            documents=list(payload.documents),
            reverses=reverses,
            by=actor,
        )
        return 201, as_json(ServicingItemOut, item_out(selectors.item_get(actor, item.pk)))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="servicing.item.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/servicing/items/{item_id}", response={200: ServicingItemOut, **ERRORS}, summary="One item"
)
def item_detail(request: HttpRequest, item_id: Id) -> Any:
    return item_out(selectors.item_get(actor_of(request), item_id))


@router.post(
    "/servicing/items/{item_id}/steps",
    response={200: ServicingItemOut, **CREATE_ERRORS},
    summary="Take a step: accept, correction notice, corrections, exam, approve, payment, "
    "complete, decline, cancel",
)
def item_step(request: HttpRequest, item_id: Id, payload: ServicingStepIn) -> Any:
    actor = actor_of(request)
    item = selectors.item_get(actor, item_id)
    take_step(
        item,
        payload.step,
        actor,
        note=payload.note,
        documents=payload.documents,
        amount=payload.amount,
    )
    return item_out(selectors.item_get(actor, item_id))


def take_step(
    item: ServicingItem,
    step: str,
    actor: Any,
    *,
    note: str = "",
    documents: list[str] | None = None,
    amount: Decimal | None = None,
) -> ServicingItem:
    """One step by its code (shared by the API and the pages)."""
    if step == "accept":
        return services.servicing_item_accept(item=item, note=note, by=actor)
    if step == "notify_correction":
        return services.servicing_item_notify_correction(item=item, note=note, by=actor)
    if step == "correct":
        return services.servicing_item_correct(item=item, documents=documents or [], by=actor)
    if step in ("exam", "exam_done"):
        return services.servicing_item_exam(
            item=item, finished=step == "exam_done", comment=note, by=actor
        )
    if step == "approve":
        return services.servicing_item_approve(item=item, amount=amount, comment=note, by=actor)
    if step == "payment":
        if amount is None:
            raise DomainError(_("Give the amount paid."), field="amount")
        return services.servicing_item_record_payment(item=item, amount=amount, by=actor)
    if step == "complete":
        return services.servicing_item_complete(item=item, by=actor)
    if step == "decline":
        return services.servicing_item_decline(item=item, reason=note, by=actor)
    if step == "cancel":
        return services.servicing_item_cancel(item=item, reason=note, by=actor)
    raise DomainError(_("Unknown step."), field="step")

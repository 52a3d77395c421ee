"""API of the case engine: cases, queues, timeline, transitions, clocks, processes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel

from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_json import json_response
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, as_json
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Language, Staff, Team
from policydesk.policies.models import Policy

from . import attachments, clocks, process_services, selectors, services
from .definitions import read_definition
from .models import Attachment, Case, CaseClock, CaseEvent, Process, ProcessVersion, SlaPolicy
from .queue_rows import QueueRow

router = Router(tags=["cases"])


class CaseIn(Schema):
    process: str = Field(description="Process code, e.g. complaint or enquiry.", max_length=48)
    channel: Literal["counter", "phone", "self_service", "bancassurance", "agent", "regulator"]
    branch_id: Id
    subject: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: str = Field("", max_length=20000)
    customer_id: Id | None = None
    policy_id: Id | None = None
    priority: int = Field(2, ge=1, le=4)
    language: str = Field("", description="Language or dialect code.", max_length=32)
    classification: str = Field("", max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=20)


class ClockOut(Schema):
    code: str
    name: str
    mode: str
    is_regulatory: bool
    due_at: dt.datetime | None
    remaining_seconds: int | None
    warning: bool
    breached: bool
    late_by_seconds: int | None
    paused: bool
    met: bool | None
    extensions: int


class CaseSummaryOut(BaseModel):
    """A plain pydantic model, not a ninja Schema: the list sends dicts, and ninja's
    attribute resolver (run per field of each row) cost a quarter of the list's time."""

    id: int
    number: str
    process: str
    state: str
    state_name: str
    category: str
    channel: str
    priority: int
    subject: str
    branch_id: int
    team_id: int | None
    assignee_id: int | None
    customer_id: int | None
    next_due_at: dt.datetime | None
    is_breached: bool
    escalation_level: int
    opened_at: dt.datetime


class CaseOut(CaseSummaryOut):
    description: str
    policy_id: int | None
    classification: str
    tags: list[str]
    root_cause: str
    resolution: str
    process_version: int
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_contact_resolution: bool | None
    transitions: list[str]
    clocks: list[ClockOut]


class QueueOut(BaseModel):
    view: str
    items: list[CaseSummaryOut]
    next_cursor: int | None
    count: int
    count_exceeds: bool


class EventOut(Schema):
    id: int
    type: str
    at: dt.datetime
    actor: str
    visibility: str
    body: str
    parameters: dict[str, Any]


class TransitionIn(Schema):
    transition: str = Field(max_length=48)
    comment: str = Field("", max_length=20000)


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=20000, pattern=r"\S")
    visibility: Literal["internal", "customer"] = "internal"


class AssignIn(Schema):
    assignee_id: Id | None = None
    team_id: Id | None = None
    reason: str = Field("", max_length=500)


class ChecklistIn(Schema):
    item: str = Field(max_length=48)
    done: bool = True


class CaseUpdateIn(Schema):
    subject: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    description: str | None = Field(None, max_length=20000)
    priority: int | None = Field(None, ge=1, le=4)
    classification: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=20)
    root_cause: str | None = Field(None, max_length=64)
    resolution: str | None = Field(None, max_length=20000)


class ExtendIn(Schema):
    clock: str = Field(max_length=48)
    days: int = Field(0, ge=0, le=366)
    minutes: int = Field(0, ge=0, le=100000)
    reason: str = Field(max_length=500)


class ProcessOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    number_prefix: str
    current_version: int | None
    sla_policy: str | None


class VersionOut(Schema):
    id: int
    number: int
    status: str
    notes: str
    definition: dict[str, Any]


class DefinitionIn(Schema):
    definition: dict[str, Any]
    notes: str = Field("", max_length=2000)


def summary_out(case: Case | QueueRow) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "process": case.process.code,
        "state": case.state.code,
        "state_name": case.state.name,
        "category": case.category,
        "channel": case.channel,
        "priority": case.priority,
        "subject": case.subject,
        "branch_id": case.branch_id,
        "team_id": case.team_id,
        "assignee_id": case.assignee_id,
        "customer_id": case.customer_id,
        "next_due_at": case.next_due_at,
        "is_breached": case.is_breached,
        "escalation_level": case.escalation_level,
        "opened_at": case.opened_at,
    }


def clock_out(clock: CaseClock) -> dict[str, Any]:
    status = clocks.clock_status(clock)
    return {
        "code": clock.code,
        "name": clock.name,
        "mode": clock.mode,
        "is_regulatory": clock.is_regulatory,
        "due_at": status.due_at,
        "remaining_seconds": status.remaining_seconds,
        "warning": status.warning,
        "breached": status.breached,
        "late_by_seconds": status.late_by_seconds,
        "paused": status.paused,
        "met": clock.met,
        "extensions": status.extensions,
    }


def case_out(case: Case) -> dict[str, Any]:
    return {
        **summary_out(case),
        "description": case.description,
        "policy_id": case.policy_id,
        "classification": case.classification,
        "tags": case.tags,
        "root_cause": case.root_cause,
        "resolution": case.resolution,
        "process_version": case.process_version.number,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "first_contact_resolution": case.first_contact_resolution,
        "transitions": list(
            case.process_version.transitions.filter(from_state=case.state_id).values_list(
                "code", flat=True
            )
        ),
        "clocks": [clock_out(clock) for clock in selectors.case_clocks(case)],
    }


def _fresh(actor: Any, case_id: int) -> dict[str, Any]:
    return case_out(selectors.case_get(actor, case_id))


@router.get("/cases", response={200: QueueOut, **ERRORS}, summary="A work queue, one page")
def case_list(
    request: HttpRequest,
    view: str = "open",
    process: str = "",
    channel: str = "",
    priority: int | None = None,
    state: str = "",
    tag: str = "",
    assignee_id: Id | None = None,
    team_id: Id | None = None,
    customer_id: Id | None = None,
    number: str = "",
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    filters = selectors.QueueFilters(
        process=process[:48],
        channel=channel[:16],
        priority=priority,
        state=state[:48],
        tag=tag[:40],
        assignee=assignee_id,
        team=team_id,
        customer=customer_id,
        number=number[:32],
    )
    queue = selectors.case_queue(actor_of(request), view, filters=filters, after=after, limit=limit)
    page = {
        "view": queue.view,
        "items": [summary_out(row) for row in queue.page.items],
        "next_cursor": queue.page.next_cursor,
        "count": queue.count.value,
        "count_exceeds": queue.count.exceeds,
    }
    return json_response(QueueOut, page)  # validated as ninja would, written by pydantic


@router.post("/cases", response={201: CaseOut, **CREATE_ERRORS}, summary="Open a case")
def case_create(request: HttpRequest, payload: CaseIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.open")

    def create() -> tuple[int, dict[str, Any]]:
        process = Process.objects.filter(code=payload.process, is_active=True).first()
        if process is None:
            raise NotVisible("Not found.")
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
        language = None
        if payload.language:
            language = Language.objects.filter(code=payload.language).first()
            if language is None:
                raise NotVisible("Not found.")
        case = services.case_open(
            process=process,
            channel=payload.channel,
            branch=get_visible(
                Branch.objects.all(), actor, branch_field="id", pk=payload.branch_id
            ),
            subject=payload.subject,
            description=payload.description,
            customer=customer,
            policy=policy,
            priority=payload.priority,
            language=language,
            classification=payload.classification,
            tags=payload.tags,
            by=actor,
        )
        return 201, as_json(CaseOut, case_out(case))

    status, body = run_idempotent(
        request, actor_id=actor.pk, operation="case.create", payload=payload.dict(), create=create
    )
    return Status(status, body)


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, summary="One case")
def case_detail(request: HttpRequest, case_id: Id) -> Any:
    return _fresh(actor_of(request), case_id)


@router.get("/cases/{case_id}/events", response={200: list[EventOut], **ERRORS}, summary="Timeline")
def case_events(request: HttpRequest, case_id: Id) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    return [event_out(event) for event in selectors.case_timeline(actor, case)]


def event_out(event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.type,
        "at": event.at,
        "actor": str(event.actor) if event.actor else "",
        "visibility": event.visibility,
        "body": event.body,
        "parameters": event.parameters,
    }


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseOut, **CREATE_ERRORS},
    summary="Take a step of the process (guards checked)",
)
def case_transition(request: HttpRequest, case_id: Id, payload: TransitionIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    services.case_transition(
        case=case, transition_code=payload.transition, comment=payload.comment, by=actor
    )
    return _fresh(actor, case_id)


@router.post(
    "/cases/{case_id}/comments",
    response={201: EventOut, **CREATE_ERRORS},
    summary="Comment (internal or customer-visible)",
)
def case_comment(request: HttpRequest, case_id: Id, payload: CommentIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)

    def create() -> tuple[int, dict[str, Any]]:
        event = services.case_comment(
            case=case, body=payload.body, visibility=payload.visibility, by=actor
        )
        return 201, as_json(EventOut, event_out(event))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"case.{case.pk}.comment",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/cases/{case_id}/assignment", response={200: CaseOut, **CREATE_ERRORS}, summary="Assign"
)
def case_assign(request: HttpRequest, case_id: Id, payload: AssignIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    assignee = (
        get_visible(Staff.objects.all(), actor, pk=payload.assignee_id)
        if payload.assignee_id
        else None
    )
    team = get_visible(Team.objects.all(), actor, pk=payload.team_id) if payload.team_id else None
    if assignee is None and team is None:
        raise DomainError("Give an assignee or a team.", field="assignee_id")
    services.case_assign(case=case, assignee=assignee, team=team, reason=payload.reason, by=actor)
    return _fresh(actor, case_id)


@router.post(
    "/cases/{case_id}/checklist", response={200: CaseOut, **CREATE_ERRORS}, summary="Tick an item"
)
def case_checklist(request: HttpRequest, case_id: Id, payload: ChecklistIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    services.case_checklist_mark(case=case, item_code=payload.item, done=payload.done, by=actor)
    return _fresh(actor, case_id)


@router.patch(
    "/cases/{case_id}", response={200: CaseOut, **CREATE_ERRORS}, summary="Change details"
)
def case_patch(request: HttpRequest, case_id: Id, payload: CaseUpdateIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    changes = payload.dict(exclude_none=True)
    services.case_update(case=case, changes=changes, by=actor)
    return _fresh(actor, case_id)


@router.post(
    "/cases/{case_id}/clock-extensions",
    response={200: CaseOut, **CREATE_ERRORS},
    summary="Extend a clock (needs cases.sla.extend; a reason is required)",
)
def case_clock_extend(request: HttpRequest, case_id: Id, payload: ExtendIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    clocks.clock_extend(
        case=case,
        code=payload.clock,
        days=payload.days,
        minutes=payload.minutes,
        reason=payload.reason,
        by=actor,
    )
    return _fresh(actor, case_id)


class SlaChangeIn(Schema):
    policy: str = Field(max_length=48)  # the SLA policy's code
    reason: str = Field(max_length=500)


@router.post(
    "/cases/{case_id}/sla",
    response={200: CaseOut, **CREATE_ERRORS},
    summary="Put the case on another SLA policy; its clocks keep what they counted",
)
def case_sla_change(request: HttpRequest, case_id: Id, payload: SlaChangeIn) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    policy = SlaPolicy.objects.filter(code=payload.policy).first()
    if policy is None:
        raise DomainError("No SLA policy has that code.", field="policy")
    clocks.case_change_sla(case=case, policy=policy, reason=payload.reason, by=actor)
    return _fresh(actor, case_id)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": str(attachment.uploaded_by),
        "uploaded_at": attachment.uploaded_at,
    }


@router.get(
    "/cases/{case_id}/attachments",
    response={200: list[AttachmentOut], **ERRORS},
    summary="A case's attachments",
)
def case_attachments(request: HttpRequest, case_id: Id) -> Any:
    case = selectors.case_get(actor_of(request), case_id)
    return [attachment_out(a) for a in case.attachments.select_related("uploaded_by")]


@router.post(
    "/cases/{case_id}/attachments",
    response={201: AttachmentOut, **CREATE_ERRORS},
    summary="Attach a file (type checked by content, size limited)",
)
def case_attach(request: HttpRequest, case_id: Id, file: File[UploadedFile]) -> Any:
    actor = actor_of(request)
    case = selectors.case_get(actor, case_id)
    if file.size and file.size > attachments.max_bytes():
        raise DomainError("The file is too large.", field="file")
    attachment = attachments.case_attach(
        case=case, file_name=file.name or "", content=file.read(), by=actor
    )
    return Status(201, attachment_out(attachment))


def process_out(process: Process) -> dict[str, Any]:
    return {
        "id": process.pk,
        "code": process.code,
        "name": process.name,
        "name_en": process.name_en,
        "number_prefix": process.number_prefix,
        "current_version": process.current_version.number if process.current_version else None,
        "sla_policy": process.sla_policy.code if process.sla_policy else None,
    }


def version_out(version: ProcessVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "number": version.number,
        "status": version.status,
        "notes": version.notes,
        "definition": read_definition(version),
    }


@router.get("/processes", response={200: list[ProcessOut], **ERRORS}, summary="Processes")
def process_list(request: HttpRequest) -> Any:
    return [process_out(p) for p in selectors.processes_visible(actor_of(request))]


@router.get(
    "/processes/{process_id}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="A process's versions with their definitions",
)
def process_versions(request: HttpRequest, process_id: Id) -> Any:
    process = selectors.process_get(actor_of(request), process_id)
    return [version_out(v) for v in process.versions.order_by("-number")]


@router.post(
    "/processes/{process_id}/drafts",
    response={201: VersionOut, **CREATE_ERRORS},
    summary="Draft a new version (a copy of the current one)",
)
def process_draft(request: HttpRequest, process_id: Id) -> Any:
    actor = actor_of(request)
    process = selectors.process_get(actor, process_id)
    draft = process_services.process_version_draft(process=process, by=actor)
    return Status(201, version_out(draft))


def _draft_of(actor: Any, process_id: int, number: int) -> ProcessVersion:
    process = selectors.process_get(actor, process_id)
    version = process.versions.filter(number=number).first()
    if version is None:
        raise NotVisible("Not found.")
    return version


@router.put(
    "/processes/{process_id}/versions/{number}",
    response={200: VersionOut, **CREATE_ERRORS},
    summary="Replace a draft's definition",
)
def process_version_put(
    request: HttpRequest, process_id: Id, number: Id, payload: DefinitionIn
) -> Any:
    actor = actor_of(request)
    version = process_services.process_version_save(
        version=_draft_of(actor, process_id, number),
        definition=payload.definition,
        notes=payload.notes,
        by=actor,
    )
    return version_out(version)


@router.post(
    "/processes/{process_id}/versions/{number}/publication",
    response={200: VersionOut, **CREATE_ERRORS},
    summary="Publish a draft: new cases start on it",
)
def process_version_publish(request: HttpRequest, process_id: Id, number: Id) -> Any:
    actor = actor_of(request)
    version = process_services.process_version_publish(
        version=_draft_of(actor, process_id, number), by=actor
    )
    return version_out(version)

"""API of the counter hall: service types, tickets and their steps, the teller's window,
visits and their cases, the hall board, the queue KPIs and productivity with its divisors.

Answers carry ticket numbers and ids, never customers' names: the board and the queue are
shown in the hall, and a client that needs the customer reads /customers/ with its rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from policydesk.cases.models import Case
from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, IsoDate, as_json
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Team

from . import selectors, services
from .models import ServiceType, Ticket, Visit

router = Router(tags=["counter"])

StatusCode = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
LeadsToCode = Literal["newbusiness", "servicing", "claim", "enquiry", "complaint"]
UnratedCode = Literal["declined", "left", "device", "other"]
ServiceCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")]
# A calendar month of the years the counter has data for (year 0 is no date).
Month = Annotated[str, Field(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]


class ServiceTypeOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    letter: str
    skill_code: str
    leads_to: str
    calls_before_no_show: int
    is_active: bool


class ServiceTypeIn(Schema):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    name_en: str = Field("", max_length=100)
    skill_code: str = Field("", max_length=48, pattern=r"^[a-z0-9-]*$")
    leads_to: LeadsToCode
    calls_before_no_show: int = Field(ge=1, le=9)
    is_active: bool = True


class TicketIn(Schema):
    branch_id: Id
    service_type: ServiceCode
    customer_id: Id | None = None
    priority: bool = Field(False, description="Vulnerable customers get priority anyway.")
    note: str = Field("", max_length=200)


class TicketOut(Schema):
    id: int
    number: str
    branch_id: int
    service_type: str
    issue_day: dt.date
    status: str
    is_priority: bool
    customer_id: int | None
    issued_at: dt.datetime
    first_called_at: dt.datetime | None
    called_at: dt.datetime | None
    call_count: int
    calls_before_no_show: int
    teller_id: int | None
    window_id: int | None
    finished_at: dt.datetime | None
    visit_id: int | None
    transfers: int


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: int | None


class CalledOut(Schema):
    ticket: TicketOut | None = Field(description="null when nobody waits for your services")


class CompleteIn(Schema):
    rating: int | None = Field(None, ge=1, le=5, description="The customer's score 1–5.")
    rating_outcome: UnratedCode | None = Field(
        None, description="Why there is no rating; required when rating is left out."
    )
    unrated_note: str = Field("", max_length=200, description="Required for outcome other.")
    archive_pull: bool = Field(False, description="Records were pulled from the paper archive.")


class TransferIn(Schema):
    service_type: ServiceCode


class WindowIn(Schema):
    window_id: Id


class WindowOut(Schema):
    id: int
    window_id: int
    window: str
    teller_id: int
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class CaseRefOut(Schema):
    id: int
    number: str
    process: str


class VisitOut(Schema):
    id: int
    ticket_id: int
    number: str
    service_type: str
    branch_id: int
    customer_id: int | None
    teller_id: int
    window_id: int | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    rating: int | None
    rating_outcome: str
    unrated_note: str
    archive_pull: bool
    cases: list[CaseRefOut]


class VisitPageOut(Schema):
    items: list[VisitOut]
    next_cursor: int | None


class CaseLinkIn(Schema):
    case_id: Id


class BoardWindowOut(Schema):
    code: str
    name: str
    is_open: bool
    number: str
    status: str


class BoardQueueOut(Schema):
    code: str
    name: str
    letter: str
    waiting: int


class BoardOut(Schema):
    branch_id: int
    windows: list[BoardWindowOut]
    queues: list[BoardQueueOut]
    waiting_total: int
    updated_at: dt.datetime


class FiguresOut(Schema):
    tickets: int
    no_shows: int
    completed: int
    rated: int
    satisfied: int
    unrated: int
    wait_mean_minutes: Decimal | None
    wait_p90_minutes: Decimal | None
    service_mean_minutes: Decimal | None
    service_p90_minutes: Decimal | None
    satisfaction_percent: Decimal | None = Field(description="ratings 4–5 ÷ ratings")
    unrated_share_percent: Decimal | None = Field(description="completed unrated ÷ completed")


class TellerFiguresOut(FiguresOut):
    teller_id: int
    name: str
    unrated_reasons: dict[str, int]


class HourFiguresOut(FiguresOut):
    hour: int


class ServiceFiguresOut(FiguresOut):
    service_type: str


class CounterKpisOut(Schema):
    branch_id: int
    first_day: dt.date
    last_day: dt.date
    overall: FiguresOut
    tellers: list[TellerFiguresOut]
    by_hour: list[HourFiguresOut]
    by_service: list[ServiceFiguresOut]


class PersonOut(Schema):
    staff_id: int | None
    name: str
    post: str
    post_label: str
    counts: dict[str, int]
    total: int


class PostOut(Schema):
    post: str
    post_label: str
    counts: dict[str, int]
    total: int


class ExcludedPostOut(Schema):
    post: str
    label: str


class DivisorsOut(Schema):
    front_tellers: int = Field(description="Active staff of the branch whose post is front teller")
    months: int = Field(description="Calendar months in the period")


class ProductivityOut(Schema):
    branch_id: int
    first_day: dt.date
    last_day: dt.date
    kinds: list[str]
    totals: dict[str, int]
    total: int
    divisors: DivisorsOut
    per_front_teller: Decimal | None = Field(description="total ÷ front_tellers")
    per_front_teller_per_month: Decimal | None = Field(description="per_front_teller ÷ months")
    excluded_posts: list[ExcludedPostOut]
    excluded_posts_without_role: list[str]
    people: list[PersonOut]
    posts: list[PostOut]


# --- Conversions ----------------------------------------------------------------------------


def service_type_out(row: ServiceType) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "name": row.name,
        "name_en": row.name_en,
        "letter": row.letter,
        "skill_code": row.skill_code,
        "leads_to": row.leads_to,
        "calls_before_no_show": row.calls_before_no_show,
        "is_active": row.is_active,
    }


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    visit_id = Visit.objects.filter(ticket=ticket).values_list("pk", flat=True).first()
    return ticket_row(ticket, visit_id)


def ticket_row(ticket: Ticket, visit_id: int | None) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "branch_id": ticket.branch_id,
        "service_type": ticket.service_type.code,
        "issue_day": ticket.issue_day,
        "status": ticket.status,
        "is_priority": ticket.is_priority,
        "customer_id": ticket.customer_id,
        "issued_at": ticket.issued_at,
        "first_called_at": ticket.first_called_at,
        "called_at": ticket.called_at,
        "call_count": ticket.call_count,
        "calls_before_no_show": ticket.service_type.calls_before_no_show,
        "teller_id": ticket.teller_id,
        "window_id": ticket.window_id,
        "finished_at": ticket.finished_at,
        "visit_id": visit_id,
        "transfers": ticket.transfers,
    }


def visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "ticket_id": visit.ticket_id,
        "number": visit.ticket.number,
        "service_type": visit.ticket.service_type.code,
        "branch_id": visit.branch_id,
        "customer_id": visit.customer_id,
        "teller_id": visit.teller_id,
        "window_id": visit.window_id,
        "started_at": visit.started_at,
        "ended_at": visit.ended_at,
        "rating": visit.rating,
        "rating_outcome": visit.rating_outcome,
        "unrated_note": visit.unrated_note,
        "archive_pull": visit.archive_pull,
        "cases": [
            {"id": case.pk, "number": case.number, "process": case.process.code}
            for case in visit.cases.all()
        ],
    }


def figures_out(figures: selectors.Figures) -> dict[str, Any]:
    return {
        "tickets": figures.tickets,
        "no_shows": figures.no_shows,
        "completed": figures.completed,
        "rated": figures.rated,
        "satisfied": figures.satisfied,
        "unrated": figures.unrated,
        "wait_mean_minutes": figures.wait_mean,
        "wait_p90_minutes": figures.wait_p90,
        "service_mean_minutes": figures.service_mean,
        "service_p90_minutes": figures.service_p90,
        "satisfaction_percent": figures.satisfaction,
        "unrated_share_percent": figures.unrated_share,
    }


def _service_type(code: str) -> ServiceType:
    row = ServiceType.objects.filter(code=code, is_active=True).first()
    if row is None:
        raise NotVisible("Not found.")
    return row


def _period(from_month: str | None, to_month: str | None) -> selectors.Period:
    if not from_month and not to_month:
        return selectors.default_period()
    period = selectors.month_period(from_month or to_month or "", to_month or from_month or "")
    if period is None:
        raise DomainError("to_month must not be before from_month.", field="to_month")
    return period


def _fresh_ticket(actor: Any, ticket_id: int) -> dict[str, Any]:
    return ticket_out(selectors.ticket_get(actor, ticket_id))


# --- Service types --------------------------------------------------------------------------


@router.get(
    "/counter/service-types",
    response={200: list[ServiceTypeOut], **ERRORS},
    summary="Service types customers take numbers for",
)
def service_type_list(request: HttpRequest) -> Any:
    require(actor_of(request), "counter.view")
    return [service_type_out(row) for row in selectors.service_types(active_only=False)]


@router.put(
    "/counter/service-types/{service_type_id}",
    response={200: ServiceTypeOut, **ERRORS},
    summary="Edit a service type (counter.manage)",
)
def service_type_edit(request: HttpRequest, service_type_id: Id, payload: ServiceTypeIn) -> Any:
    actor = actor_of(request)
    require(actor, "counter.manage")
    row = ServiceType.objects.filter(pk=service_type_id).first()
    if row is None:
        raise NotVisible("Not found.")
    updated = services.service_type_update(
        service_type=row,
        name=payload.name,
        name_en=payload.name_en,
        skill_code=payload.skill_code,
        leads_to=payload.leads_to,
        calls_before_no_show=payload.calls_before_no_show,
        is_active=payload.is_active,
        by=actor,
    )
    return service_type_out(updated)


# --- Tickets --------------------------------------------------------------------------------


@router.post(
    "/counter/tickets", response={201: TicketOut, **CREATE_ERRORS}, summary="Issue a number"
)
def ticket_create(request: HttpRequest, payload: TicketIn) -> Any:
    actor = actor_of(request)
    require(actor, "counter.ticket")

    def create() -> tuple[int, dict[str, Any]]:
        branch = get_visible(Branch.objects.all(), actor, branch_field="id", pk=payload.branch_id)
        customer = (
            get_visible(Customer.objects.all(), actor, pk=payload.customer_id)
            if payload.customer_id
            else None
        )
        ticket = services.ticket_issue(
            branch=branch,
            service_type=_service_type(payload.service_type),
            customer=customer,
            priority=payload.priority,
            note=payload.note,
            by=actor,
        )
        return 201, as_json(TicketOut, ticket_out(ticket))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="counter.ticket.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/counter/tickets", response={200: TicketPageOut, **ERRORS}, summary="Tickets, newest first"
)
def ticket_list(
    request: HttpRequest,
    branch_id: Id | None = None,
    status: StatusCode | None = None,
    day: IsoDate | None = None,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
) -> Any:
    actor = actor_of(request)
    require(actor, "counter.view")
    branch = selectors.branch_for(actor, branch_id)
    page = selectors.ticket_list(
        actor, branch=branch, status=status or "", day=day, after=after, limit=limit
    )
    visits = dict(
        Visit.objects.filter(ticket__in=[t.pk for t in page.items]).values_list("ticket_id", "pk")
    )
    items = [ticket_row(ticket, visits.get(ticket.pk)) for ticket in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/counter/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="A ticket")
def ticket_detail(request: HttpRequest, ticket_id: Id) -> Any:
    return _fresh_ticket(actor_of(request), ticket_id)


@router.post(
    "/counter/call-next",
    response={200: CalledOut, **CREATE_ERRORS},
    summary="Call the oldest waiting ticket you have the skill for, priority first",
)
def call_next(request: HttpRequest) -> Any:
    actor = actor_of(request)
    ticket = services.ticket_call_next(by=actor)
    return {"ticket": _fresh_ticket(actor, ticket.pk) if ticket else None}


@router.post(
    "/counter/tickets/{ticket_id}/recall",
    response={200: TicketOut, **CREATE_ERRORS},
    summary="Call the number again",
)
def ticket_recall(request: HttpRequest, ticket_id: Id) -> Any:
    actor = actor_of(request)
    services.ticket_recall(ticket=selectors.ticket_get(actor, ticket_id), by=actor)
    return _fresh_ticket(actor, ticket_id)


@router.post(
    "/counter/tickets/{ticket_id}/serve",
    response={200: TicketOut, **CREATE_ERRORS},
    summary="The customer is at the window: start the visit",
)
def ticket_serve(request: HttpRequest, ticket_id: Id) -> Any:
    actor = actor_of(request)
    services.ticket_serve(ticket=selectors.ticket_get(actor, ticket_id), by=actor)
    return _fresh_ticket(actor, ticket_id)


@router.post(
    "/counter/tickets/{ticket_id}/complete",
    response={200: VisitOut, **CREATE_ERRORS},
    summary="Complete the visit with its rating step (a score or why there is none)",
)
def ticket_complete(request: HttpRequest, ticket_id: Id, payload: CompleteIn) -> Any:
    actor = actor_of(request)
    visit = services.ticket_complete(
        ticket=selectors.ticket_get(actor, ticket_id),
        rating=payload.rating,
        rating_outcome=payload.rating_outcome or "",
        unrated_note=payload.unrated_note,
        archive_pull=payload.archive_pull,
        by=actor,
    )
    return visit_out(selectors.visit_get(actor, visit.pk))


@router.post(
    "/counter/tickets/{ticket_id}/no-show",
    response={200: TicketOut, **CREATE_ERRORS},
    summary="Nobody came after the service's number of calls",
)
def ticket_no_show(request: HttpRequest, ticket_id: Id) -> Any:
    actor = actor_of(request)
    services.ticket_no_show(ticket=selectors.ticket_get(actor, ticket_id), by=actor)
    return _fresh_ticket(actor, ticket_id)


@router.post(
    "/counter/tickets/{ticket_id}/transfer",
    response={200: TicketOut, **CREATE_ERRORS},
    summary="Send the ticket to another service's queue",
)
def ticket_transfer(request: HttpRequest, ticket_id: Id, payload: TransferIn) -> Any:
    actor = actor_of(request)
    services.ticket_transfer(
        ticket=selectors.ticket_get(actor, ticket_id),
        service_type=_service_type(payload.service_type),
        by=actor,
    )
    return _fresh_ticket(actor, ticket_id)


# --- The teller's window --------------------------------------------------------------------


def window_out(session: Any) -> dict[str, Any]:
    return {
        "id": session.pk,
        "window_id": session.window_id,
        "window": session.window.name,
        "teller_id": session.teller_id,
        "opened_at": session.opened_at,
        "closed_at": session.closed_at,
    }


@router.post(
    "/counter/window", response={200: WindowOut, **CREATE_ERRORS}, summary="Open your window"
)
def window_open(request: HttpRequest, payload: WindowIn) -> Any:
    actor = actor_of(request)
    require(actor, "counter.serve")
    window = get_visible(Team.objects.all(), actor, pk=payload.window_id)
    return window_out(services.window_open(window=window, by=actor))


@router.post(
    "/counter/window/close",
    response={200: WindowOut, **CREATE_ERRORS},
    summary="Close your window",
)
def window_close(request: HttpRequest) -> Any:
    return window_out(services.window_close(by=actor_of(request)))


# --- Visits ---------------------------------------------------------------------------------


@router.get("/counter/visits/{visit_id}", response={200: VisitOut, **ERRORS}, summary="A visit")
def visit_detail(request: HttpRequest, visit_id: Id) -> Any:
    return visit_out(selectors.visit_get(actor_of(request), visit_id))


@router.post(
    "/counter/visits/{visit_id}/cases",
    response={201: VisitOut, **CREATE_ERRORS},
    summary="Link a case handled in the visit",
)
def visit_case_link(request: HttpRequest, visit_id: Id, payload: CaseLinkIn) -> Any:
    actor = actor_of(request)
    require(actor, "counter.serve")
    visit = selectors.visit_get(actor, visit_id)
    case = get_visible(Case.objects.all(), actor, pk=payload.case_id)
    services.visit_case_link(visit=visit, case=case, by=actor)
    return Status(201, visit_out(selectors.visit_get(actor, visit_id)))


@router.get(
    "/counter/customers/{customer_id}/visits",
    response={200: VisitPageOut, **ERRORS},
    summary="A customer's visits, newest first",
)
def customer_visits(
    request: HttpRequest,
    customer_id: Id,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> Any:
    page = selectors.customer_visits(actor_of(request), customer_id, after=after, limit=limit)
    return {"items": [visit_out(v) for v in page.items], "next_cursor": page.next_cursor}


# --- Board, KPIs, productivity --------------------------------------------------------------


@router.get(
    "/counter/board",
    response={200: BoardOut, **ERRORS},
    summary="The hall board: now serving per window, waiting per service (numbers only)",
)
def board(request: HttpRequest, branch_id: Id | None = None) -> Any:
    actor = actor_of(request)
    require(actor, "counter.view")
    result = selectors.board(actor, selectors.branch_for(actor, branch_id))
    return {
        "branch_id": result.branch.pk,
        "windows": [vars(w) for w in result.windows],
        "queues": [vars(q) for q in result.queues],
        "waiting_total": result.waiting_total,
        "updated_at": result.updated_at,
    }


@router.get(
    "/counter/kpis",
    response={200: CounterKpisOut, **ERRORS},
    summary="Queue KPIs: wait mean/p90, service time, satisfaction, unrated share per teller",
)
def kpis(
    request: HttpRequest,
    branch_id: Id | None = None,
    from_month: Month | None = None,
    to_month: Month | None = None,
) -> Any:
    actor = actor_of(request)
    require(actor, "counter.view")
    result = selectors.counter_kpis(
        actor, branch=selectors.branch_for(actor, branch_id), period=_period(from_month, to_month)
    )
    return {
        "branch_id": result.branch.pk,
        "first_day": result.period.first,
        "last_day": result.period.last,
        "overall": figures_out(result.overall),
        "tellers": [
            {
                **figures_out(row.figures),
                "teller_id": row.teller_id,
                "name": row.name,
                "unrated_reasons": row.unrated_reasons,
            }
            for row in result.tellers
        ],
        "by_hour": [{**figures_out(f), "hour": hour} for hour, f in result.by_hour],
        "by_service": [{**figures_out(f), "service_type": t.code} for t, f in result.by_service],
    }


@router.get(
    "/counter/productivity",
    response={200: ProductivityOut, **ERRORS},
    summary="Transactions per person and post, per front teller and per month, with divisors",
)
def productivity(
    request: HttpRequest,
    branch_id: Id | None = None,
    from_month: Month | None = None,
    to_month: Month | None = None,
) -> Any:
    actor = actor_of(request)
    require(actor, "counter.productivity")
    result = selectors.productivity(
        actor, branch=selectors.branch_for(actor, branch_id), period=_period(from_month, to_month)
    )
    return productivity_out(result)


def productivity_out(result: selectors.Productivity) -> dict[str, Any]:
    return {
        "branch_id": result.branch.pk,
        "first_day": result.period.first,
        "last_day": result.period.last,
        "kinds": list(result.kinds),
        "totals": result.totals,
        "total": result.total,
        "divisors": {"front_tellers": result.front_tellers, "months": result.months},
        "per_front_teller": result.per_front_teller,
        "per_front_teller_per_month": result.per_front_teller_per_month,
        "excluded_posts": [{"post": post, "label": label} for post, label in result.excluded_posts],
        "excluded_posts_without_role": result.excluded_posts_without_role,
        "people": [
            {
                "staff_id": row.staff_id,
                "name": row.name,
                "post": row.post,
                "post_label": row.post_label,
                "counts": dict(row.counts),
                "total": row.total,
            }
            for row in result.people
        ],
        "posts": [
            {
                "post": row.post,
                "post_label": row.post_label,
                "counts": dict(row.counts),
                "total": row.total,
            }
            for row in result.posts
        ],
    }

"""Writes of the counter hall: service types, windows, tickets (取号, 叫号, 办理, 完成, 过号,
转办) and the cases handled in a visit.

Concurrency. Two tellers pressing "call next" at the same moment must not get one ticket:
`ticket_call_next` picks candidates in queue order and claims one with a conditional UPDATE
(`… WHERE id = ? AND status = 'waiting'`), trying the next candidate when another teller won
the row. On PostgreSQL the candidate query also takes `SELECT … FOR UPDATE SKIP LOCKED`, so
concurrent tellers step past each other's rows instead of waiting; SQLite runs every
transaction as BEGIN IMMEDIATE (settings), which serialises writers, and the conditional
update is the guarantee on both. Ticket numbers come from a TicketSequence row read with
`select_for_update` (a row lock on PostgreSQL, the writer lock on SQLite); the unique
constraint on (branch, day, letter, sequence) backs it up.

The rating step cannot be skipped silently: completing a visit needs a rating 1–5 or an
explicit "not rated" outcome, recorded with who took it (and a note when the reason is
"other"); the unrated share per teller is a KPI (selectors.counter_kpis).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.cases import services as case_services
from policydesk.cases.models import Case, CaseChannel, Process
from policydesk.core.access import can, require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import ConflictError, DomainError
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff, Team, TeamKind

from .models import (
    ACTIVE_STATUSES,
    LeadsTo,
    RatingOutcome,
    ServiceType,
    Ticket,
    TicketEvent,
    TicketEventType,
    TicketSequence,
    TicketStatus,
    Visit,
    VisitCase,
    WindowSession,
)

SERVICE_TYPES_FILE = Path(__file__).resolve().parent / "service_types.toml"
MAX_DAILY_SEQUENCE = 999  # numbers have three digits: A001 … A999
CANDIDATES = 5  # waiting tickets tried per call-next before giving up on a busy queue


# --- Helpers ---------------------------------------------------------------------------


def local_day(branch: Branch, moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(branch.timezone)).date()


def _event(ticket: Ticket, kind: str, at: dt.datetime, by: Staff | None, **parameters: Any) -> None:
    TicketEvent.objects.create(
        ticket=ticket, type=kind, at=at, actor=by, parameters=parameters or {}
    )


def _locked(ticket: Ticket, by: Staff | None) -> Ticket:
    require_branch_visible(by, ticket.branch_id)
    return Ticket.objects.select_for_update().select_related("service_type").get(pk=ticket.pk)


def _require_status(ticket: Ticket, *statuses: str) -> None:
    if ticket.status not in statuses:
        raise ConflictError(
            _("Ticket %(number)s is %(status)s; this step is not possible now.")
            % {"number": ticket.number, "status": ticket.get_status_display()},
            field="status",
            code="counter_ticket_state",
        )


def _require_own(ticket: Ticket, by: Staff | None) -> None:
    """Only the teller who called the ticket acts on it (a counter manager may step in)."""
    if by is None or ticket.teller_id == by.pk or can(by, "counter.manage"):
        return
    raise ConflictError(
        _("Ticket %(number)s was called by another teller.") % {"number": ticket.number},
        field="ticket",
        code="counter_ticket_not_yours",
    )


def _time(at: dt.datetime | None) -> dt.datetime:
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise DomainError(_("Give times with a time zone."), field="at")
    return moment


# --- Service types ---------------------------------------------------------------------


@transaction.atomic
def service_types_sync() -> int:
    """Create the service types of service_types.toml that are missing and refresh the rows
    nobody edited; returns how many rows were created."""
    data = tomllib.loads(SERVICE_TYPES_FILE.read_text(encoding="utf-8"))
    created = 0
    for position, entry in enumerate(data["service_types"]):
        values = {
            "name": entry["name"],
            "name_en": entry.get("name_en", ""),
            "letter": entry["letter"],
            "skill_code": entry.get("skill", ""),
            "leads_to": entry["leads_to"],
            "calls_before_no_show": entry.get("calls_before_no_show", 3),
            "position": position,
        }
        row = ServiceType.objects.filter(code=entry["code"]).first()
        if row is None:
            ServiceType.objects.create(code=entry["code"], **values)
            created += 1
        elif not row.edited:
            ServiceType.objects.filter(pk=row.pk).update(**values)
    return created


@transaction.atomic
def service_type_update(
    *,
    service_type: ServiceType,
    name: str,
    name_en: str,
    skill_code: str,
    leads_to: str,
    calls_before_no_show: int,
    is_active: bool,
    by: Staff | None,
) -> ServiceType:
    if by is not None:
        require(by, "counter.manage")
    if not name.strip():
        raise DomainError(_("Give the service a name."), field="name")
    if leads_to not in LeadsTo.values:
        raise DomainError(_("Choose the process it leads to."), field="leads_to")
    if not 1 <= calls_before_no_show <= 9:
        raise DomainError(_("Give between 1 and 9 calls."), field="calls_before_no_show")
    from policydesk.org.models import Skill

    if skill_code and not Skill.objects.filter(code=skill_code).exists():
        raise DomainError(_("Unknown skill."), field="skill_code")
    row = ServiceType.objects.select_for_update().get(pk=service_type.pk)
    fields = ["name", "name_en", "skill_code", "leads_to", "calls_before_no_show", "is_active"]
    before = {name_: getattr(row, name_) for name_ in fields}
    row.name = name.strip()[:100]
    row.name_en = name_en.strip()[:100]
    row.skill_code = skill_code
    row.leads_to = leads_to
    row.calls_before_no_show = calls_before_no_show
    row.is_active = is_active
    row.edited = True
    row.save(update_fields=[*fields, "edited"])
    audit_record(
        action="counter.service_type.update",
        actor=by,
        target=row,
        before=before,
        after={name_: getattr(row, name_) for name_ in fields},
    )
    return row


# --- Windows -----------------------------------------------------------------------------


def open_session(teller: Staff) -> WindowSession | None:
    return (
        WindowSession.objects.select_related("window")
        .filter(teller=teller, closed_at__isnull=True)
        .first()
    )


@transaction.atomic
def window_open(*, window: Team, by: Staff, at: dt.datetime | None = None) -> WindowSession:
    """The teller opens a counter window for the day (开窗)."""
    require(by, "counter.serve")
    require_branch_visible(by, window.branch_id)
    at = _time(at)
    if window.kind != TeamKind.COUNTER or not window.is_active:
        raise DomainError(_("Choose a counter window."), field="window")
    if open_session(by) is not None:
        raise ConflictError(
            _("Close your open window first."), field="window", code="counter_window_open"
        )
    if WindowSession.objects.filter(window=window, closed_at__isnull=True).exists():
        raise ConflictError(
            _("Another teller has this window open."), field="window", code="counter_window_taken"
        )
    session = WindowSession.objects.create(
        branch_id=window.branch_id, window=window, teller=by, opened_at=at
    )
    audit_record(
        action="counter.window.open",
        actor=by,
        target=session,
        object_label=window.name,
        after={"window": window.pk},
    )
    return session


@transaction.atomic
def window_close(*, by: Staff, at: dt.datetime | None = None) -> WindowSession:
    require(by, "counter.serve")
    at = _time(at)
    session = open_session(by)
    if session is None:
        raise DomainError(_("You have no window open."), field="window")
    busy = Ticket.objects.filter(teller=by, status__in=ACTIVE_STATUSES).first()
    if busy is not None:
        raise ConflictError(
            _("Finish ticket %(number)s before closing the window.") % {"number": busy.number},
            field="window",
            code="counter_teller_busy",
        )
    session.closed_at = at
    session.save(update_fields=["closed_at"])
    audit_record(
        action="counter.window.close", actor=by, target=session, object_label=session.window.name
    )
    return session


# --- Tickets -----------------------------------------------------------------------------


def _next_sequence(branch: Branch, day: dt.date, letter: str) -> int:
    row, _created = TicketSequence.objects.get_or_create(branch=branch, day=day, letter=letter)
    row = TicketSequence.objects.select_for_update().get(pk=row.pk)
    if row.last >= MAX_DAILY_SEQUENCE:
        raise ConflictError(
            _("All numbers of %(letter)s are given out today.") % {"letter": letter},
            field="service_type",
            code="counter_numbers_exhausted",
        )
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


def is_vulnerable(customer: Customer | None) -> bool:
    return bool(customer is not None and customer.vulnerability_flags)


@transaction.atomic
def ticket_issue(
    *,
    branch: Branch,
    service_type: ServiceType,
    by: Staff | None,
    customer: Customer | None = None,
    priority: bool = False,
    note: str = "",
    at: dt.datetime | None = None,
) -> Ticket:
    """Give the customer a number (取号). A customer with a vulnerability flag (elderly …)
    gets priority whether or not it was asked for."""
    if by is not None:
        require(by, "counter.ticket")
    require_branch_visible(by, branch.pk)
    at = _time(at)
    if not service_type.is_active:
        raise DomainError(_("This service is not offered now."), field="service_type")
    if customer is not None and customer.branch_id != branch.pk:
        require_branch_visible(by, customer.branch_id)
    day = local_day(branch, at)
    sequence = _next_sequence(branch, day, service_type.letter)
    ticket = Ticket.objects.create(
        branch=branch,
        service_type=service_type,
        issue_day=day,
        letter=service_type.letter,
        sequence=sequence,
        number=f"{service_type.letter}{sequence:03d}",
        customer=customer,
        is_priority=priority or is_vulnerable(customer),
        issued_at=at,
        queued_at=at,
        issued_by=by,
        note=note.strip()[:200],
    )
    _event(ticket, TicketEventType.ISSUED, at, by, service_type=service_type.code)
    audit_record(
        action="counter.ticket.issue",
        actor=by,
        target=ticket,
        after={"service_type": service_type.code, "customer": ticket.customer_id},
    )
    return ticket


def teller_skill_codes(teller: Staff) -> list[str]:
    return list(teller.skills.values_list("code", flat=True))


def eligible_service_types(teller: Staff) -> list[int]:
    """Service types the teller may be called for: no skill needed, or one the teller has."""
    skills = teller_skill_codes(teller)
    return list(
        ServiceType.objects.filter(is_active=True)
        .filter(skill_code__in=["", *skills])
        .values_list("pk", flat=True)
    )


def _candidates(branch_id: int, service_type_ids: list[int]) -> list[int]:
    query = Ticket.objects.filter(
        branch_id=branch_id, status=TicketStatus.WAITING, service_type_id__in=service_type_ids
    ).order_by("-is_priority", "queued_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.values_list("pk", flat=True)[:CANDIDATES])


@transaction.atomic
def ticket_call_next(*, by: Staff, at: dt.datetime | None = None) -> Ticket | None:
    """Call the oldest waiting ticket the teller has the skill for, priority first (叫号);
    None when nobody waits for the teller's services."""
    require(by, "counter.serve")
    at = _time(at)
    session = open_session(by)
    if session is None:
        raise DomainError(_("Open your window first."), field="window")
    busy = Ticket.objects.filter(teller=by, status__in=ACTIVE_STATUSES).first()
    if busy is not None:
        raise ConflictError(
            _("Finish ticket %(number)s first.") % {"number": busy.number},
            field="ticket",
            code="counter_teller_busy",
        )
    types = eligible_service_types(by)
    for _attempt in range(3):
        candidates = _candidates(session.branch_id, types)
        if not candidates:
            return None
        for ticket_id in candidates:
            claimed = Ticket.objects.filter(pk=ticket_id, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED,
                teller=by,
                window=session.window,
                called_at=at,
                call_count=1,
            )
            if claimed:
                ticket = Ticket.objects.select_related("service_type").get(pk=ticket_id)
                if ticket.first_called_at is None:
                    ticket.first_called_at = at
                    ticket.save(update_fields=["first_called_at"])
                _event(ticket, TicketEventType.CALLED, at, by, window=session.window_id)
                audit_record(
                    action="counter.ticket.call",
                    actor=by,
                    target=ticket,
                    after={"window": session.window_id},
                )
                return ticket
    return None


@transaction.atomic
def ticket_recall(*, ticket: Ticket, by: Staff, at: dt.datetime | None = None) -> Ticket:
    """Call the number again (重呼)."""
    require(by, "counter.serve")
    at = _time(at)
    ticket = _locked(ticket, by)
    _require_status(ticket, TicketStatus.CALLED)
    _require_own(ticket, by)
    ticket.call_count += 1
    ticket.called_at = at
    ticket.save(update_fields=["call_count", "called_at"])
    _event(ticket, TicketEventType.RECALLED, at, by, call=ticket.call_count)
    return ticket


@transaction.atomic
def ticket_serve(*, ticket: Ticket, by: Staff, at: dt.datetime | None = None) -> Visit:
    """The customer is at the window: the ticket becomes a visit (办理)."""
    require(by, "counter.serve")
    at = _time(at)
    ticket = _locked(ticket, by)
    _require_status(ticket, TicketStatus.CALLED)
    _require_own(ticket, by)
    ticket.status = TicketStatus.SERVING
    ticket.save(update_fields=["status"])
    visit = Visit.objects.create(
        ticket=ticket,
        branch_id=ticket.branch_id,
        customer_id=ticket.customer_id,
        teller_id=ticket.teller_id or by.pk,
        window_id=ticket.window_id,
        started_at=at,
    )
    _event(ticket, TicketEventType.SERVING, at, by)
    audit_record(action="counter.ticket.serve", actor=by, target=ticket, after={"visit": visit.pk})
    return visit


def _check_rating(rating: int | None, outcome: str, note: str) -> str:
    if rating is not None:
        if outcome not in ("", RatingOutcome.RATED):
            raise DomainError(_("Give a rating or a reason, not both."), field="rating_outcome")
        if not 1 <= rating <= 5:
            raise DomainError(_("Give a rating from 1 to 5."), field="rating")
        return RatingOutcome.RATED
    if not outcome:
        raise DomainError(
            _("Offer the rating: record the customer's score or why there is none."),
            field="rating",
            code="counter_rating_required",
        )
    if outcome not in RatingOutcome.values or outcome == RatingOutcome.RATED:
        raise DomainError(_("Choose why there is no rating."), field="rating_outcome")
    if outcome == RatingOutcome.OTHER and not note.strip():
        raise DomainError(_("Say why there is no rating."), field="unrated_note")
    return outcome


@transaction.atomic
def ticket_complete(
    *,
    ticket: Ticket,
    by: Staff,
    rating: int | None = None,
    rating_outcome: str = "",
    unrated_note: str = "",
    archive_pull: bool = False,
    at: dt.datetime | None = None,
) -> Visit:
    """Finish the visit with the rating step (评价): a score 1–5, or an explicit reason."""
    require(by, "counter.serve")
    at = _time(at)
    outcome = _check_rating(rating, rating_outcome, unrated_note)
    ticket = _locked(ticket, by)
    _require_status(ticket, TicketStatus.SERVING)
    _require_own(ticket, by)
    visit = Visit.objects.select_for_update().get(ticket=ticket)
    if at < visit.started_at:
        raise DomainError(_("The visit cannot end before it started."), field="at")
    visit.ended_at = at
    visit.rating = rating
    visit.rating_outcome = outcome
    visit.unrated_note = "" if rating is not None else unrated_note.strip()[:200]
    visit.rating_recorded_by = by
    visit.archive_pull = archive_pull
    visit.save(
        update_fields=[
            "ended_at",
            "rating",
            "rating_outcome",
            "unrated_note",
            "rating_recorded_by",
            "archive_pull",
        ]
    )
    ticket.status = TicketStatus.DONE
    ticket.finished_at = at
    ticket.save(update_fields=["status", "finished_at"])
    _event(ticket, TicketEventType.COMPLETED, at, by, rating=rating, rating_outcome=outcome)
    audit_record(
        action="counter.ticket.complete",
        actor=by,
        target=ticket,
        after={"rating": rating, "rating_outcome": outcome, "note": visit.unrated_note},
    )
    return visit


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, by: Staff, at: dt.datetime | None = None) -> Ticket:
    """Nobody came after the service type's number of calls (过号)."""
    require(by, "counter.serve")
    at = _time(at)
    ticket = _locked(ticket, by)
    _require_status(ticket, TicketStatus.CALLED)
    _require_own(ticket, by)
    needed = ticket.service_type.calls_before_no_show
    if ticket.call_count < needed:
        raise DomainError(
            _("Call the number %(needed)s times before marking a no-show (called %(count)s).")
            % {"needed": needed, "count": ticket.call_count},
            field="call_count",
            code="counter_calls_missing",
        )
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = at
    ticket.save(update_fields=["status", "finished_at"])
    _event(ticket, TicketEventType.NO_SHOW, at, by, calls=ticket.call_count)
    audit_record(
        action="counter.ticket.no_show", actor=by, target=ticket, after={"calls": ticket.call_count}
    )
    return ticket


@transaction.atomic
def ticket_transfer(
    *, ticket: Ticket, service_type: ServiceType, by: Staff, at: dt.datetime | None = None
) -> Ticket:
    """Send the customer to another service (转办): back to the queue of that service with
    the same number, ahead of later arrivals (queued at the time of the transfer)."""
    require(by, "counter.serve")
    at = _time(at)
    ticket = _locked(ticket, by)
    _require_status(ticket, TicketStatus.CALLED, TicketStatus.SERVING)
    _require_own(ticket, by)
    if not service_type.is_active or service_type.pk == ticket.service_type_id:
        raise DomainError(_("Choose another active service."), field="service_type")
    if ticket.status == TicketStatus.SERVING:
        raise ConflictError(
            _("Complete the visit (with its rating) before transferring."),
            field="status",
            code="counter_ticket_state",
        )
    previous = ticket.service_type.code
    ticket.service_type = service_type
    ticket.status = TicketStatus.WAITING
    ticket.queued_at = at
    ticket.teller = None
    ticket.window = None
    ticket.call_count = 0
    ticket.transfers += 1
    ticket.save(
        update_fields=[
            "service_type",
            "status",
            "queued_at",
            "teller",
            "window",
            "call_count",
            "transfers",
        ]
    )
    _event(
        ticket, TicketEventType.TRANSFERRED, at, by, **{"from": previous, "to": service_type.code}
    )
    audit_record(
        action="counter.ticket.transfer",
        actor=by,
        target=ticket,
        before={"service_type": previous},
        after={"service_type": service_type.code},
    )
    return ticket


# --- Cases of a visit ----------------------------------------------------------------------


@transaction.atomic
def visit_case_link(
    *, visit: Visit, case: Case, by: Staff | None, at: dt.datetime | None = None
) -> VisitCase:
    """Record that the case was handled in the visit (an existing case or one just opened)."""
    if by is not None:
        require(by, "counter.serve")
    require_branch_visible(by, visit.branch_id)
    require_branch_visible(by, case.branch_id)
    at = _time(at)
    if visit.customer_id and case.customer_id and visit.customer_id != case.customer_id:
        raise DomainError(_("The case belongs to another customer."), field="case")
    if VisitCase.objects.filter(visit=visit, case=case).exists():
        raise ConflictError(
            _("This case is linked to the visit already."),
            field="case",
            code="counter_case_linked",
        )
    link = VisitCase.objects.create(visit=visit, case=case, linked_at=at, linked_by=by)
    if visit.customer_id is None and case.customer_id is not None:
        # The case tells who the customer was: the visit joins their history.
        Visit.objects.filter(pk=visit.pk).update(customer_id=case.customer_id)
        visit.customer_id = case.customer_id
    audit_record(
        action="counter.visit.link_case",
        actor=by,
        target=visit,
        object_label=visit.ticket.number,
        after={"case": case.pk, "number": case.number},
    )
    return link


@transaction.atomic
def visit_case_open(
    *,
    visit: Visit,
    process_code: str,
    subject: str,
    by: Staff,
    description: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """Open a case at the window on a process (enquiry, complaint …) and link it."""
    require(by, "counter.serve")
    process = Process.objects.filter(code=process_code, is_active=True).first()
    if process is None:
        raise DomainError(_("Unknown process."), field="process")
    case = case_services.case_open(
        process=process,
        channel=CaseChannel.COUNTER,
        branch=visit.branch,
        subject=subject,
        description=description,
        customer=visit.customer,
        by=by,
        at=at,
    )
    visit_case_link(visit=visit, case=case, by=by, at=at)
    return case


# --- End of day ------------------------------------------------------------------------------


@transaction.atomic
def counter_close_past_days(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Close what the hall left open on earlier days (idempotent; run by the scheduler):
    waiting numbers are cancelled, called numbers nobody answered become no-shows, windows are
    closed. A visit still being served is left for its teller to complete with the rating."""
    now = _time(now)
    counts = {"cancelled": 0, "no_shows": 0, "windows": 0}
    open_branches = set(
        Ticket.objects.filter(status__in=[TicketStatus.WAITING, TicketStatus.CALLED]).values_list(
            "branch_id", flat=True
        )
    ) | set(
        WindowSession.objects.filter(closed_at__isnull=True).values_list("branch_id", flat=True)
    )
    for branch in Branch.objects.filter(pk__in=open_branches):
        today = local_day(branch, now)
        start_of_day = dt.datetime.combine(today, dt.time(), tzinfo=ZoneInfo(branch.timezone))
        stale = Ticket.objects.select_for_update().filter(branch=branch, issue_day__lt=today)
        for ticket in stale.filter(status__in=[TicketStatus.WAITING, TicketStatus.CALLED]):
            kind = TicketEventType.CANCELLED
            if ticket.status == TicketStatus.CALLED:
                ticket.status = TicketStatus.NO_SHOW
                kind = TicketEventType.NO_SHOW
                counts["no_shows"] += 1
            else:
                ticket.status = TicketStatus.CANCELLED
                counts["cancelled"] += 1
            ticket.finished_at = now
            ticket.save(update_fields=["status", "finished_at"])
            _event(ticket, kind, now, None, reason="end_of_day")
        serving = Ticket.objects.filter(branch=branch, status=TicketStatus.SERVING)
        counts["windows"] += (
            WindowSession.objects.filter(
                branch=branch, closed_at__isnull=True, opened_at__lt=start_of_day
            )
            .exclude(teller__in=serving.values("teller"))
            .update(closed_at=now)
        )
    if any(counts.values()):
        audit_record(action="counter.close_past_days", object_type="counter.ticket", after=counts)
    return counts

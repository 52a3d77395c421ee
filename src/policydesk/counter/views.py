"""Pages of the counter hall: the teller's workstation, the hall board (htmx-refreshed, ticket
numbers only), a ticket, a customer's visits (a fragment for the customer page), the queue
KPIs, productivity with its divisors, and the service types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.cases.models import Case
from policydesk.core.access import can, get_visible, require, scope_to_user
from policydesk.core.charts import bar_chart
from policydesk.core.errors import DomainError, NotVisible
from policydesk.customers.models import Customer
from policydesk.org.models import Skill, Staff, Team

from . import selectors, services
from .models import LeadsTo, RatingOutcome, ServiceType, Ticket, TicketEvent

# Keys of the workstation (also shown on the page); workstation.js presses the button.
SHORTCUTS = (
    ("n", gettext_lazy("Call next")),
    ("r", gettext_lazy("Call again")),
    ("s", gettext_lazy("Customer at the window")),
    ("x", gettext_lazy("No-show")),
    ("1", gettext_lazy("Rating 1 … 5 (then Complete)")),
)


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _branch(request: HttpRequest) -> Any:
    return selectors.branch_for(request.user, _int_or_none(request.GET.get("branch")))


def _period(request: HttpRequest) -> selectors.Period:
    first = request.GET.get("from_month", "")[:7]
    last = request.GET.get("to_month", "")[:7]
    if first or last:
        period = selectors.month_period(first or last, last or first)
        if period is not None:
            return period
        messages.error(request, _("Choose a first month not after the last month."))
    return selectors.default_period()


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


# --- Workstation -----------------------------------------------------------------------------


@login_required
@require_GET
def workstation(request: HttpRequest) -> HttpResponse:
    """The teller's screen: my window, the ticket in hand with its steps, the waiting list."""
    require(request.user, "counter.view")
    branch = _branch(request)
    staff = _staff(request)
    current = selectors.current_ticket(staff)
    visit = getattr(current, "visit", None) if current else None
    context = {
        "branch": branch,
        "branches": selectors.branches_visible(staff),
        "session": services.open_session(staff),
        "windows": selectors.windows_of(staff, branch),
        "current": current,
        "visit": visit,
        "visit_cases": list(visit.cases.select_related("process")) if visit else [],
        "waiting": selectors.waiting_list(staff, branch),
        "service_types": selectors.service_types(),
        "unrated_outcomes": [c for c in RatingOutcome.choices if c[0] != RatingOutcome.RATED],
        "ratings": [1, 2, 3, 4, 5],
        "shortcuts": SHORTCUTS,
        "can_serve": can(staff, "counter.serve"),
        "can_ticket": can(staff, "counter.ticket"),
        "can_apply_servicing": can(staff, "servicing.apply"),
        "case_processes": [LeadsTo.ENQUIRY, LeadsTo.COMPLAINT],
        "show_customers": can(staff, "customers.view"),
    }
    return render(request, "counter/workstation.html", context)


def _ticket_from(post: Any, by: Staff) -> Ticket:
    ticket_id = _int_or_none(post.get("ticket_id"))
    if ticket_id is None:
        raise NotVisible("Not found.")
    return selectors.ticket_get(by, ticket_id)


def _do_open(post: Any, by: Staff) -> str:
    window = get_visible(Team.objects.all(), by, pk=_int_or_none(post.get("window_id")) or 0)
    services.window_open(window=window, by=by)
    return _("Window %(name)s is open.") % {"name": window.name}


def _do_close(post: Any, by: Staff) -> str:
    services.window_close(by=by)
    return _("Window closed.")


def _do_issue(post: Any, by: Staff) -> str:
    branch = selectors.branch_for(by, _int_or_none(post.get("branch_id")))
    service_type = ServiceType.objects.filter(
        code=post.get("service_type", ""), is_active=True
    ).first()
    if service_type is None:
        raise DomainError(_("Choose a service."), field="service_type")
    customer = None
    number = post.get("customer_number", "").strip()
    if number:
        customer = scope_to_user(Customer.objects.all(), by).filter(number=number).first()
        if customer is None:
            raise DomainError(_("No customer with this number in your branches."), field="customer")
    ticket = services.ticket_issue(
        branch=branch,
        service_type=service_type,
        customer=customer,
        priority=post.get("priority") == "1",
        by=by,
    )
    return _("Number %(number)s issued.") % {"number": ticket.number}


def _do_call(post: Any, by: Staff) -> str:
    ticket = services.ticket_call_next(by=by)
    if ticket is None:
        return _("Nobody is waiting for your services.")
    return _("Calling %(number)s.") % {"number": ticket.number}


def _do_recall(post: Any, by: Staff) -> str:
    ticket = services.ticket_recall(ticket=_ticket_from(post, by), by=by)
    return _("Calling %(number)s again.") % {"number": ticket.number}


def _do_serve(post: Any, by: Staff) -> str:
    services.ticket_serve(ticket=_ticket_from(post, by), by=by)
    return _("Service started.")


def _do_complete(post: Any, by: Staff) -> str:
    rating = _int_or_none(post.get("rating"))
    services.ticket_complete(
        ticket=_ticket_from(post, by),
        rating=rating,
        rating_outcome="" if rating is not None else post.get("rating_outcome", ""),
        unrated_note=post.get("unrated_note", ""),
        archive_pull=post.get("archive_pull") == "1",
        by=by,
    )
    return _("Visit completed.")


def _do_no_show(post: Any, by: Staff) -> str:
    ticket = services.ticket_no_show(ticket=_ticket_from(post, by), by=by)
    return _("%(number)s marked as no-show.") % {"number": ticket.number}


def _do_transfer(post: Any, by: Staff) -> str:
    service_type = ServiceType.objects.filter(
        code=post.get("service_type", ""), is_active=True
    ).first()
    if service_type is None:
        raise DomainError(_("Choose a service."), field="service_type")
    ticket = services.ticket_transfer(
        ticket=_ticket_from(post, by), service_type=service_type, by=by
    )
    return _("%(number)s transferred to %(service)s.") % {
        "number": ticket.number,
        "service": service_type.name,
    }


def _visit_of(post: Any, by: Staff) -> Any:
    ticket = _ticket_from(post, by)
    visit = getattr(ticket, "visit", None)
    if visit is None:
        raise DomainError(_("Start the service first."), field="ticket")
    return visit


def _do_link_case(post: Any, by: Staff) -> str:
    visit = _visit_of(post, by)
    number = post.get("case_number", "").strip()
    case = scope_to_user(Case.objects.all(), by).filter(number=number).first() if number else None
    if case is None:
        raise DomainError(_("No case with this number in your branches."), field="case")
    services.visit_case_link(visit=visit, case=case, by=by)
    return _("Case %(number)s linked to the visit.") % {"number": case.number}


def _do_open_case(post: Any, by: Staff) -> str:
    visit = _visit_of(post, by)
    case = services.visit_case_open(
        visit=visit,
        process_code=post.get("process", ""),
        subject=post.get("subject", ""),
        by=by,
    )
    return _("Case %(number)s opened and linked.") % {"number": case.number}


ACTIONS: dict[str, Callable[[Any, Staff], str]] = {
    "open": _do_open,
    "close": _do_close,
    "issue": _do_issue,
    "call": _do_call,
    "recall": _do_recall,
    "serve": _do_serve,
    "complete": _do_complete,
    "no_show": _do_no_show,
    "transfer": _do_transfer,
    "link_case": _do_link_case,
    "open_case": _do_open_case,
}


@login_required
@require_POST
def act(request: HttpRequest) -> HttpResponse:
    """One button of the workstation; a refusal comes back as a message naming what is wrong."""
    work = ACTIONS.get(request.POST.get("action", ""))
    try:
        if work is None:
            raise DomainError(_("Choose what to do."), field="action")
        done = work(request.POST, _staff(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if back == "ticket" and request.POST.get("ticket_id", "").isdigit():
        return redirect("counter:ticket", ticket_id=int(request.POST["ticket_id"]))
    return redirect("counter:workstation")


# --- Ticket and visits -----------------------------------------------------------------------


@login_required
@require_GET
def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    found = selectors.ticket_get(request.user, ticket_id)
    visit = getattr(found, "visit", None)
    context = {
        "ticket": found,
        "visit": visit,
        "visit_cases": list(visit.cases.select_related("process")) if visit else [],
        "events": list(
            TicketEvent.objects.filter(ticket=found).select_related("actor").order_by("id")
        ),
        "can_serve": can(request.user, "counter.serve"),
        "show_customers": can(request.user, "customers.view"),
    }
    return render(request, "counter/ticket.html", context)


@login_required
@require_GET
def customer_visits(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer's visits: a fragment the customer 360 page can load with hx-get."""
    page = selectors.customer_visits(
        request.user, customer_id, after=_int_or_none(request.GET.get("after"))
    )
    return render(
        request,
        "counter/_customer_visits.html",
        {"page": page, "customer_id": customer_id},
    )


# --- Board -----------------------------------------------------------------------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The hall display: a page of its own (no navigation), refreshed every 5 seconds."""
    require(request.user, "counter.view")
    branch = _branch(request)
    return render(request, "counter/board.html", {"board": selectors.board(request.user, branch)})


@login_required
@require_GET
def board_live(request: HttpRequest) -> HttpResponse:
    require(request.user, "counter.view")
    branch = _branch(request)
    return render(request, "counter/_board.html", {"board": selectors.board(request.user, branch)})


# --- KPIs and productivity -------------------------------------------------------------------


def _month_fields(period: selectors.Period) -> dict[str, str]:
    return {"from_month": period.first.strftime("%Y-%m"), "to_month": period.last.strftime("%Y-%m")}


@login_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    require(request.user, "counter.view")
    branch = _branch(request)
    period = _period(request)
    result = selectors.counter_kpis(request.user, branch=branch, period=period)
    hours = [f"{hour:02d}:00" for hour, _figures in result.by_hour]
    tellers = [row.name for row in result.tellers]
    charts = [
        bar_chart(
            title=gettext_lazy("Wait by hour of issue"),
            categories=hours,
            series=[
                (gettext_lazy("Mean wait"), [_number(f.wait_mean) for _h, f in result.by_hour]),
                (gettext_lazy("p90 wait"), [_number(f.wait_p90) for _h, f in result.by_hour]),
            ],
            unit=gettext_lazy("minutes"),
        ),
        bar_chart(
            title=gettext_lazy("Tickets by hour of issue"),
            categories=hours,
            series=[(gettext_lazy("Tickets"), [f.tickets for _h, f in result.by_hour])],
        ),
        bar_chart(
            title=gettext_lazy("Unrated share per teller"),
            categories=tellers,
            series=[
                (
                    gettext_lazy("Unrated share"),
                    [_number(row.figures.unrated_share) for row in result.tellers],
                )
            ],
            unit="%",
            horizontal=True,
        ),
        bar_chart(
            title=gettext_lazy("Satisfaction per teller"),
            categories=tellers,
            series=[
                (
                    gettext_lazy("Ratings 4–5 of ratings"),
                    [_number(row.figures.satisfaction) for row in result.tellers],
                )
            ],
            unit="%",
            horizontal=True,
        ),
    ]
    context = {
        "kpis": result,
        "charts": charts,
        "branches": selectors.branches_visible(request.user),
        "months": _month_fields(period),
        "outcomes": RatingOutcome.choices,
    }
    return render(request, "counter/kpis.html", context)


@login_required
@require_GET
def productivity(request: HttpRequest) -> HttpResponse:
    require(request.user, "counter.productivity")
    branch = _branch(request)
    period = _period(request)
    result = selectors.productivity(request.user, branch=branch, period=period)
    labels = [str(selectors.KIND_LABELS[kind]) for kind in result.kinds]
    people = result.people
    chart = bar_chart(
        title=gettext_lazy("Transactions per person by kind"),
        categories=[row.name for row in people],
        series=[
            (label, [row.counts.get(kind, 0) for row in people])
            for kind, label in zip(result.kinds, labels, strict=True)
        ],
        horizontal=True,
    )
    context = {
        "result": result,
        "kind_labels": labels,
        "chart": chart,
        "branches": selectors.branches_visible(request.user),
        "months": _month_fields(period),
    }
    return render(request, "counter/productivity.html", context)


# --- Service types ---------------------------------------------------------------------------


@login_required
def service_types(request: HttpRequest) -> HttpResponse:
    """The service types; counter managers edit names, skill, process and calls here."""
    require(request.user, "counter.view")
    if request.method == "POST":
        require(request.user, "counter.manage")
        row = ServiceType.objects.filter(pk=_int_or_none(request.POST.get("id")) or 0).first()
        if row is None:
            raise NotVisible("Not found.")
        try:
            services.service_type_update(
                service_type=row,
                name=request.POST.get("name", ""),
                name_en=request.POST.get("name_en", ""),
                skill_code=request.POST.get("skill_code", ""),
                leads_to=request.POST.get("leads_to", ""),
                calls_before_no_show=_int_or_none(request.POST.get("calls_before_no_show")) or 0,
                is_active=request.POST.get("is_active") == "1",
                by=_staff(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Service type saved."))
        return redirect("counter:service_types")
    return render(
        request,
        "counter/service_types.html",
        {
            "rows": selectors.service_types(active_only=False),
            "skills": list(Skill.objects.order_by("code")),
            "leads_to": LeadsTo.choices,
            "can_edit": can(request.user, "counter.manage"),
        },
    )

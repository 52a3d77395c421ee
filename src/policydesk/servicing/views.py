"""Pages of policy servicing: the queue, the apply form (eligibility and documents shown
before submit), one item with its steps, the catalogue, the KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.cases import clocks
from policydesk.cases.models import CaseChannel
from policydesk.core.access import can, require, scope_to_user
from policydesk.core.charts import bar_chart, line_chart
from policydesk.core.errors import DomainError
from policydesk.core.masking import mask_value
from policydesk.counter import selectors as counter_selectors
from policydesk.counter import services as counter_services
from policydesk.counter.models import Ticket
from policydesk.customers.models import Customer
from policydesk.org.models import Staff
from policydesk.policies.models import PaymentMode, Policy

from . import selectors, services
from .api import take_step
from .models import ApplicantRole, ServicingItem, ServicingItemType, SurrenderReason

CHANNELS = [c for c in CaseChannel.choices if c[0] != CaseChannel.REGULATOR]
STATUSES = [
    ("open", gettext_lazy("Open")),
    ("done", gettext_lazy("Done")),
    ("cancelled", gettext_lazy("Cancelled or declined")),
]


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Servicing items newest first, with filters and keyset pages."""
    get = request.GET
    filters = selectors.QueueFilters(
        item=get.get("item", "")[:48],
        status=get.get("status", "")[:16],
        channel=get.get("channel", "")[:16],
        policy_number=get.get("policy", "").strip()[:32],
        overdue=get.get("overdue") == "1",
    )
    result = selectors.item_queue(
        request.user, filters=filters, after=_int_or_none(get.get("after"))
    )
    query = get.copy()
    query.pop("after", None)
    return render(
        request,
        "servicing/queue.html",
        {
            "queue": result,
            "catalogue": selectors.catalogue(request.user),
            "channels": CHANNELS,
            "statuses": STATUSES,
            "query": query.urlencode(),
            "can_apply": can(request.user, "servicing.apply"),
        },
    )


def _policy_by_number(user: Any, number: str) -> Policy | None:
    if not number:
        return None
    return (
        scope_to_user(Policy.objects.select_related("product", "branch", "policyholder"), user)
        .filter(number=number)
        .first()
    )


def _customer_by_number(user: Any, number: str, field: str) -> int:
    customer = scope_to_user(Customer.objects.all(), user).filter(number=number.strip()).first()
    if customer is None:
        raise DomainError(_("No customer with this number in your branches."), field=field)
    return customer.pk


def _details(user: Any, post: Any, item_type: ServicingItemType) -> dict[str, Any]:
    """The item's details from the form's fields (each item uses a few of them)."""
    effect = item_type.effect
    details: dict[str, Any] = {"note": post.get("note", "")}
    if effect == "contact_change":
        details.update(
            kind=post.get("contact_kind", ""),
            value=post.get("contact_value", ""),
            phone_type=post.get("phone_type", ""),
        )
    elif effect == "bank_account_change" or post.get("account_number"):
        details.update(
            bank_name=post.get("bank_name", ""), account_number=post.get("account_number", "")
        )
    if effect == "payment_mode_change":
        details["to_mode"] = post.get("to_mode", "")
    if effect == "beneficiary_change":
        rows = []
        for line in post.get("beneficiaries", "").splitlines():
            parts = [part.strip() for part in line.split(",")]
            if not parts[0]:
                continue
            if len(parts) < 2:
                raise DomainError(
                    _("One beneficiary a line: customer number, share, relation."),
                    field="details.beneficiaries",
                )
            rows.append(
                {
                    "customer_id": _customer_by_number(user, parts[0], "details.beneficiaries"),
                    "share": parts[1],
                    "relation_to_insured": parts[2] if len(parts) > 2 else "",
                }
            )
        details["beneficiaries"] = rows
    if effect == "policyholder_change":
        details["new_policyholder_id"] = _customer_by_number(
            user, post.get("new_policyholder", ""), "details.new_policyholder_id"
        )
    if effect == "surrender":
        details["reason"] = post.get("surrender_reason", "")
    if effect == "policy_loan":
        details["amount"] = post.get("amount", "").strip()
    if effect in ("survival_benefit", "maturity") and post.get("method") == "cash":
        details.update(method="cash", cash_reason=post.get("cash_reason", ""))
    return details


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    """Choose the policy and the item; the page shows eligibility and the documents before
    the application is submitted (GET checks, POST applies)."""
    require(request.user, "servicing.apply")
    data = request.POST if request.method == "POST" else request.GET
    policy_number = data.get("policy", "").strip()[:32]
    item_code = data.get("item", "")[:48]
    applicant_role = data.get("applicant_role", ApplicantRole.POLICYHOLDER)[:16]
    documents = [code[:48] for code in data.getlist("documents")][:30]
    policy = _policy_by_number(request.user, policy_number)
    item_type = ServicingItemType.objects.filter(code=item_code, is_active=True).first()
    errors: list[str] = []
    if policy_number and policy is None:
        errors.append(_("No policy with this number in your branches."))
    check = None
    if policy is not None and item_type is not None and applicant_role in ApplicantRole.values:
        check = services.servicing_precheck(
            policy=policy,
            item_type=item_type,
            applicant_role=applicant_role,
            documents=documents,
            today=clocks.calendar_for(policy.branch).local_date(timezone.now()),
        )
    # From the counter: the teller serving a visit applies, and the item joins that visit.
    ticket = _serving_ticket(request, data.get("ticket", ""))
    if request.method == "POST" and policy is not None and item_type is not None:
        try:
            item = services.servicing_item_apply(
                policy=policy,
                item_code=item_type.code,
                applicant_role=applicant_role,
                channel=data.get("channel", "counter"),
                details=_details(request.user, data, item_type),
                documents=documents,
                by=_staff(request),
            )
        except DomainError as error:
            errors.append(error.message)
        else:
            messages.success(
                request,
                _("Application %(number)s received.") % {"number": item.case.number},
            )
            if ticket is not None:
                counter_services.visit_case_link(
                    visit=ticket.visit, case=item.case, by=_staff(request)
                )
                return redirect("counter:workstation")
            return redirect("servicing:detail", item_id=item.pk)
    return render(
        request,
        "servicing/apply.html",
        {
            "catalogue": selectors.catalogue(request.user, active_only=True),
            "policy": policy,
            "policy_number": policy_number,
            "item_type": item_type,
            "applicant_role": applicant_role,
            "applicant_roles": ApplicantRole.choices,
            "documents": documents,
            "check": check,
            "errors": errors,
            "channels": CHANNELS,
            "modes": [m for m in PaymentMode.choices if m[0] in ("monthly", "annual")],
            "surrender_reasons": SurrenderReason.choices,
            "post": data,
            "ticket": ticket,
        },
    )


def _serving_ticket(request: HttpRequest, value: str) -> Ticket | None:
    """The ticket the signed-in teller is serving, when the application comes from it."""
    if not value.isdigit():
        return None
    ticket = counter_selectors.current_ticket(request.user)
    if ticket is None or ticket.pk != int(value) or not hasattr(ticket, "visit"):
        return None
    return ticket


def _shown_details(user: Any, item: ServicingItem) -> list[tuple[str, str]]:
    """The item's details as the user may see them: contacts masked without the identity
    right, bank accounts by their last four only."""
    identity = can(user, "customers.view_identity")
    rows = []
    for key, value in item.details.items():
        if key == "account_encrypted":
            continue
        text = str(value)
        if key == "value" and not identity:
            text = mask_value(text)
        rows.append((key, text))
    return rows


@login_required
@require_GET
def detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_get(request.user, item_id)
    case = item.case
    return render(
        request,
        "servicing/detail.html",
        {
            "item": item,
            "case": case,
            "clocks": [(clock, clocks.clock_status(clock)) for clock in case.clocks.all()],
            "missing": services.missing_documents(item),
            "required": services.required_documents(item.item_type, item.applicant_role),
            "details": _shown_details(request.user, item),
            "endorsement": selectors.item_endorsement(item),
            "timeline": list(case.events.order_by("at", "id")[:200]),
            "state": case.state.code,
            "can_apply": can(request.user, "servicing.apply"),
            "can_approve": can(request.user, "servicing.approve"),
            "cancellable": case.state.code in services.CANCEL_STEPS,
            # The account-watch work items this item was opened from (the link back).
            "watch_items": (
                list(item.monitoring_work_items.values_list("pk", flat=True)[:5])
                if can(request.user, "monitoring.view")
                else []
            ),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_get(request.user, item_id)
    post = request.POST
    amount = None
    if post.get("amount", "").strip():
        try:
            amount = Decimal(post["amount"].strip())
        except InvalidOperation:
            messages.error(request, _("Give the amount as a number."))
            return redirect("servicing:detail", item_id=item.pk)
    try:
        take_step(
            item,
            post.get("step", "")[:32],
            _staff(request),
            note=post.get("note", ""),
            documents=post.getlist("documents"),
            amount=amount,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done."))
    return redirect("servicing:detail", item_id=item.pk)


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The catalogue; the Head of Service edits documents, who may apply and active."""
    user = request.user
    can_edit = can(user, "servicing.catalogue.edit")
    if request.method == "POST":
        require(user, "servicing.catalogue.edit")
        item_type = ServicingItemType.objects.filter(code=request.POST.get("code", "")).first()
        if item_type is None:
            messages.error(request, _("Unknown servicing item."))
            return redirect("servicing:catalogue")
        documents = []
        for line in request.POST.get("documents", "").splitlines():
            parts = [part.strip() for part in line.split("|")]
            if parts[0]:
                documents.append(
                    {
                        "code": parts[0],
                        "name": parts[1] if len(parts) > 1 else "",
                        "name_en": parts[2] if len(parts) > 2 else "",
                    }
                )
        try:
            services.item_type_update(
                item_type=item_type,
                documents=documents,
                applicant_roles=request.POST.getlist("applicant_roles"),
                is_active=request.POST.get("is_active") == "1",
                by=_staff(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(item)s saved.") % {"item": item_type.name})
        return redirect("servicing:catalogue")
    return render(
        request,
        "servicing/catalogue.html",
        {
            "catalogue": selectors.catalogue(user),
            "can_edit": can_edit,
            "applicant_roles": ApplicantRole.choices,
        },
    )


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.now().date()
    until = parse_date(request.GET.get("until", "")) or today
    since = parse_date(request.GET.get("since", "")) or until - dt.timedelta(days=365)
    if since > until:
        since = until
    return since, until


@login_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    since, until = _period(request)
    result = selectors.servicing_kpis(request.user, since=since, until=until)
    months = [row.label for row in result.by_month]

    def rate(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    on_time = line_chart(
        title=_("Servicing on time, by month"),
        x=months,
        series=[
            (_("Accepted on time"), [rate(r.accepted_on_time_rate) for r in result.by_month]),
            (_("Completed on time"), [rate(r.completed_on_time_rate) for r in result.by_month]),
        ],
        unit="%",
    )
    durations = bar_chart(
        title=_("Mean working days from receipt to done, by item"),
        categories=[row.label for row in result.by_item],
        series=[
            (
                _("Mean working days"),
                [rate(r.mean_working_days) for r in result.by_item],
            )
        ],
        unit=_("working days"),
        horizontal=True,
    )
    volumes = bar_chart(
        title=_("Items received, by item"),
        categories=[row.label for row in result.by_item],
        series=[(_("Received"), [r.received for r in result.by_item])],
        horizontal=True,
    )
    return render(
        request,
        "servicing/kpis.html",
        {
            "kpis": result,
            "on_time_chart": on_time,
            "duration_chart": durations,
            "volume_chart": volumes,
            "since": since,
            "until": until,
        },
    )

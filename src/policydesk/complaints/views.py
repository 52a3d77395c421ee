"""Pages of complaints: intake, the register with its KPI panel, one complaint, the taxonomy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
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
from policydesk.core.errors import DomainError, NotVisible
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff
from policydesk.policies.models import Policy

from . import selectors, services
from .models import (
    Complaint,
    EscalationOutcome,
    ExternalBody,
    NoticeChannel,
    Outcome,
    RootCause,
)


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _decimal_or_none(value: str | None) -> Decimal | None:
    if not value or not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise DomainError(_("Give the amount as a number."), field="amount") from None


def _date(value: str | None, field: str) -> dt.date:
    parsed = parse_date(value or "")
    if parsed is None:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=field)
    return parsed


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The complaints register with filters, newest first, and the KPI panel above it."""
    get = request.GET
    filters = selectors.RegisterFilters(
        root_cause=get.get("root_cause", "")[:48],
        channel=get.get("channel", "")[:16],
        outcome=get.get("outcome", "")[:16],
        branch=_int_or_none(get.get("branch")),
        overdue=get.get("overdue") == "1",
    )
    result = selectors.complaint_register(
        request.user, filters=filters, after=_int_or_none(get.get("after"))
    )
    query = get.copy()
    query.pop("after", None)
    context = {
        "register": result,
        "kpis": selectors.complaint_kpis(request.user),
        "root_causes": selectors.root_causes(active_only=False),
        "channels": CaseChannel.choices,
        "outcomes": Outcome.choices,
        "branches": scope_to_user(
            Branch.objects.filter(is_active=True), request.user, branch_field="id"
        ).order_by("name")[:200],
        "query": query.urlencode(),
        "can_log": can(request.user, "complaints.log"),
        "can_edit_taxonomy": can(request.user, "complaints.taxonomy.edit"),
    }
    return render(request, "complaints/register.html", context)


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(choices=CaseChannel.choices, label=gettext_lazy("Channel"))
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=gettext_lazy("Branch"))
    customer_number = forms.CharField(
        max_length=32, required=False, label=gettext_lazy("Customer number")
    )
    policy_number = forms.CharField(
        max_length=32, required=False, label=gettext_lazy("Policy number")
    )
    subject = forms.CharField(max_length=200, label=gettext_lazy("Subject"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label=gettext_lazy("What the customer complains of"),
    )
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.filter(is_active=True),
        required=False,
        label=gettext_lazy("Root cause"),
    )
    regulator_reference = forms.CharField(
        max_length=64,
        required=False,
        label=gettext_lazy("Regulator's reference"),
        help_text=gettext_lazy("Only for a complaint forwarded by the regulator."),
    )
    regulator_received_on = forms.DateField(
        required=False,
        label=gettext_lazy("Received from the regulator"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        branches = scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        if user.branch_id:
            self.fields["branch"].initial = user.branch_id

    def clean_customer_number(self) -> Customer | None:
        number = self.cleaned_data["customer_number"].strip()
        if not number:
            return None
        customer = scope_to_user(Customer.objects.all(), self.user).filter(number=number).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this number in your branches."))
        return customer

    def clean_policy_number(self) -> Policy | None:
        number = self.cleaned_data["policy_number"].strip()
        if not number:
            return None
        policy = scope_to_user(Policy.objects.all(), self.user).filter(number=number).first()
        if policy is None:
            raise forms.ValidationError(_("No policy with this number in your branches."))
        return policy


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    require(request.user, "complaints.log")
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_log(
                channel=data["channel"],
                branch=data["branch"],
                customer=data["customer_number"],
                policy=data["policy_number"],
                subject=data["subject"],
                description=data["description"],
                root_cause=data["root_cause"],
                regulator_reference=data["regulator_reference"],
                regulator_received_on=data["regulator_received_on"],
                by=_staff(request),
            )
        except DomainError as error:
            names = {"customer": "customer_number", "policy": "policy_number"}
            name = names.get(error.field or "", error.field)
            form.add_error(name if name in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Complaint %(number)s logged. Tell the customer the number and the 15-day rule.")
                % {"number": complaint.case.number},
            )
            return redirect("complaints:detail", complaint_id=complaint.pk)
    return render(request, "complaints/intake.html", {"form": form})


@login_required
@require_GET
def detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = selectors.complaint_get(request.user, complaint_id)
    case = complaint.case
    regulatory = case.clocks.filter(code=services.REGULATORY_CLOCK).first()
    context = {
        "complaint": complaint,
        "case": case,
        "regulatory": regulatory,
        "regulatory_status": clocks.clock_status(regulatory) if regulatory else None,
        "escalations": selectors.complaint_escalations(complaint),
        "root_causes": selectors.root_causes(),
        "outcomes": Outcome.choices,
        "review_outcomes": [c for c in Outcome.choices if c[0] != Outcome.WITHDRAWN],
        "notice_channels": NoticeChannel.choices,
        "bodies": ExternalBody.choices,
        "escalation_outcomes": EscalationOutcome.choices,
        "can_manage": can(request.user, "complaints.manage"),
        "can_log": can(request.user, "complaints.log"),
        "can_extend": can(request.user, "cases.sla.extend"),
        "today": timezone.localdate(),
    }
    return render(request, "complaints/detail.html", context)


def _do_root_cause(complaint: Complaint, post: Any, by: Staff) -> None:
    cause = RootCause.objects.filter(code=post.get("root_cause", ""), is_active=True).first()
    if cause is None:
        raise DomainError(_("Choose a root cause."), field="root_cause")
    services.complaint_set_root_cause(complaint=complaint, root_cause=cause, by=by)


def _do_complex(complaint: Complaint, post: Any, by: Staff) -> None:
    services.complaint_set_complex(
        complaint=complaint,
        is_complex=post.get("is_complex") == "1",
        reason=post.get("reason", ""),
        by=by,
    )


def _do_extend(complaint: Complaint, post: Any, by: Staff) -> None:
    services.complaint_extend(
        complaint=complaint,
        days=_int_or_none(post.get("days")) or 0,
        reason=post.get("reason", ""),
        by=by,
    )


def _do_decide(complaint: Complaint, post: Any, by: Staff) -> None:
    services.complaint_decide(
        complaint=complaint,
        outcome=post.get("outcome", ""),
        resolution=post.get("resolution", ""),
        compensation_amount=_decimal_or_none(post.get("compensation_amount")),
        compensation_currency=post.get("currency", ""),
        by=by,
    )


def _do_notify(complaint: Complaint, post: Any, by: Staff) -> None:
    services.complaint_notify(
        complaint=complaint,
        channel=post.get("channel", ""),
        notice_text=post.get("notice_text", ""),
        by=by,
    )


def _do_review_request(complaint: Complaint, post: Any, by: Staff) -> None:
    requested = post.get("requested_on", "")
    requested_at = None
    if requested:
        day = _date(requested, "requested_at")
        requested_at = min(
            timezone.now(),
            dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone()),
        )
    services.complaint_review_request(
        complaint=complaint, reason=post.get("reason", ""), requested_at=requested_at, by=by
    )


def _do_review_decide(complaint: Complaint, post: Any, by: Staff) -> None:
    services.complaint_review_decide(
        complaint=complaint,
        outcome=post.get("outcome", ""),
        resolution=post.get("resolution", ""),
        by=by,
    )


def _do_escalate(complaint: Complaint, post: Any, by: Staff) -> None:
    services.escalation_record(
        complaint=complaint,
        body=post.get("body", ""),
        filed_on=_date(post.get("filed_on"), "filed_on"),
        reference=post.get("reference", ""),
        office=post.get("office", ""),
        amount_claimed=_decimal_or_none(post.get("amount_claimed")),
        currency=post.get("currency", ""),
        by=by,
    )


def _do_escalation_outcome(complaint: Complaint, post: Any, by: Staff) -> None:
    escalation = complaint.escalations.filter(pk=_int_or_none(post.get("escalation")) or 0).first()
    if escalation is None:
        raise DomainError(_("Choose the escalation."), field="escalation")
    services.escalation_outcome_record(
        escalation=escalation,
        outcome=post.get("outcome", ""),
        outcome_on=_date(post.get("outcome_on"), "outcome_on"),
        note=post.get("note", ""),
        by=by,
    )


ACTIONS: dict[str, Callable[[Complaint, Any, Staff], None]] = {
    "root_cause": _do_root_cause,
    "complex": _do_complex,
    "extend": _do_extend,
    "decide": _do_decide,
    "notify": _do_notify,
    "review_request": _do_review_request,
    "review_decide": _do_review_decide,
    "escalate": _do_escalate,
    "escalation_outcome": _do_escalation_outcome,
}


@login_required
@require_POST
def act(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """One form of the detail page; a refusal comes back as a message naming what is wrong."""
    complaint = selectors.complaint_get(request.user, complaint_id)
    work = ACTIONS.get(request.POST.get("action", ""))
    try:
        if work is None:
            raise DomainError(_("Choose what to do."), field="action")
        work(complaint, request.POST, _staff(request))
    except DomainError as error:
        for line in getattr(error, "failures", [(error.field, error.message)]):
            messages.error(request, line[1])
    else:
        messages.success(request, _("Done."))
        if request.POST.get("action") == "escalate":
            # The eligibility warnings of the escalation just recorded.
            latest = complaint.escalations.order_by("-id").first()
            for warning in latest.warnings if latest else []:
                messages.warning(request, warning["message"])
    return redirect("complaints:detail", complaint_id=complaint.pk)


@login_required
def taxonomy(request: HttpRequest) -> HttpResponse:
    """The root causes; the Head of Service renames and retires them here."""
    require(request.user, "complaints.view")
    if request.method == "POST":
        require(request.user, "complaints.taxonomy.edit")
        cause = RootCause.objects.filter(pk=_int_or_none(request.POST.get("id")) or 0).first()
        if cause is None:
            raise NotVisible("Not found.")
        try:
            services.root_cause_update(
                root_cause=cause,
                name=request.POST.get("name", ""),
                name_en=request.POST.get("name_en", ""),
                is_active=request.POST.get("is_active") == "1",
                by=_staff(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Root cause saved."))
        return redirect("complaints:root_causes")
    return render(
        request,
        "complaints/root_causes.html",
        {
            "causes": selectors.root_causes(active_only=False),
            "can_edit": can(request.user, "complaints.taxonomy.edit"),
        },
    )

"""Pages of claims: intake, the queue, one claim with its steps, the daily clean-up list,
the investigators' workload, an investigator's own investigations and the KPI page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
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
from policydesk.core.errors import DomainError, NotVisible
from policydesk.customers.models import Customer
from policydesk.org.models import Staff
from policydesk.policies.models import PaymentMethod, Policy

from . import selectors, services
from .models import (
    Claim,
    ClaimType,
    Complexity,
    DeductionReason,
    InvestigationConclusion,
)

CHANNELS = [choice for choice in CaseChannel.choices if choice[0] != CaseChannel.REGULATOR]
PAY_METHODS = [c for c in PaymentMethod.choices if c[0] in services.PAYMENT_METHODS]
DEDUCTION_ROWS = 4


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _decimal(value: str | None, field: str) -> Decimal:
    try:
        return Decimal((value or "").strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(_("Give the amount as a number."), field=field) from None


def _date_or_none(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=field)
    return parsed


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The claims queue with filters, newest first, keyset pages."""
    get = request.GET
    filters = selectors.QueueFilters(
        state=get.get("state", "")[:48],
        claim_type=get.get("claim_type", "")[:20],
        fast_track=get.get("fast_track") == "1",
        mine=get.get("mine") == "1",
        open_only=get.get("open") == "1",
        overdue=get.get("overdue") == "1",
        advance_due=get.get("advance_due") == "1",
    )
    result = selectors.claim_queue(
        request.user, filters=filters, after=_int_or_none(get.get("after"))
    )
    query = get.copy()
    query.pop("after", None)
    process = services.Process.objects.filter(code=services.PROCESS_CODE).first()
    states = (
        list(process.current_version.states.order_by("position", "id"))
        if process and process.current_version
        else []
    )
    return render(
        request,
        "claims/queue.html",
        {
            "queue": result,
            "states": states,
            "claim_types": ClaimType.choices,
            "query": query.urlencode(),
            "can_report": can(request.user, "claims.report"),
        },
    )


class IntakeForm(forms.Form):
    policy_number = forms.CharField(max_length=32, label=gettext_lazy("Policy number"))
    claimant_number = forms.CharField(
        max_length=32,
        required=False,
        label=gettext_lazy("Claimant's customer number"),
        help_text=gettext_lazy("Leave empty when the policyholder claims."),
    )
    claim_type = forms.ChoiceField(choices=ClaimType.choices, label=gettext_lazy("Claim type"))
    event_date = forms.DateField(
        label=gettext_lazy("Date of the event"), widget=forms.DateInput(attrs={"type": "date"})
    )
    claimed_amount = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        label=gettext_lazy("Amount claimed (CNY)"),
    )
    channel = forms.ChoiceField(choices=CHANNELS, label=gettext_lazy("Channel"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("What happened")
    )
    documents = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=gettext_lazy("Tell the customer to submit (one per line)"),
        help_text=gettext_lazy(
            "Told at once, the 1-working-day notice is met; leave empty to tell them later."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["documents"].initial = "\n".join(services.DEFAULT_DOCUMENTS[ClaimType.MEDICAL])
        self.fields["event_date"].initial = timezone.localdate()

    def clean_policy_number(self) -> Policy:
        number = self.cleaned_data["policy_number"].strip()
        policy = scope_to_user(Policy.objects.all(), self.user).filter(number=number).first()
        if policy is None:
            raise forms.ValidationError(_("No policy with this number in your branches."))
        return policy

    def clean_claimant_number(self) -> Customer | None:
        number = self.cleaned_data["claimant_number"].strip()
        if not number:
            return None
        customer = scope_to_user(Customer.objects.all(), self.user).filter(number=number).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this number in your branches."))
        return customer


FORM_FIELDS = {
    "policy": "policy_number",
    "claimant": "claimant_number",
    "documents": "documents",
}


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """Take a claim report (报案) and, usually at once, tell the customer what to submit."""
    require(request.user, "claims.report")
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                claim = services.claim_report(
                    policy=data["policy_number"],
                    claimant=data["claimant_number"],
                    claim_type=data["claim_type"],
                    event_date=data["event_date"],
                    claimed_amount=data["claimed_amount"],
                    channel=data["channel"],
                    description=data["description"],
                    by=_staff(request),
                )
                documents = _lines(data["documents"])
                if documents:
                    services.claim_request_documents(
                        claim=claim, documents=documents, by=_staff(request)
                    )
        except DomainError as error:
            name = FORM_FIELDS.get(error.field or "", error.field)
            form.add_error(name if name in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Claim %(number)s reported.") % {"number": claim.case.number},
            )
            return redirect("claims:detail", claim_id=claim.pk)
    return render(request, "claims/intake.html", {"form": form})


@login_required
@require_GET
def detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get(request.user, claim_id)
    case = claim.case
    calendar = clocks.calendar_for(case.branch)
    now = timezone.now()
    case_clocks = [
        (clock, clocks.clock_status(clock, now, calendar))
        for clock in case.clocks.select_related("case__branch").order_by("id")
    ]
    user = request.user
    context = {
        "claim": claim,
        "case": case,
        "parts": selectors.claim_parts(claim),
        "clocks": case_clocks,
        "now": now,
        "fast_track_problems": services.fast_track_problems(claim),
        "advance_due_at": services.advance_payment_due(case.branch, claim.reported_at),
        "advance_problems": services.advance_payment_problems(claim, now),
        "investigators": (
            selectors.investigator_workload(user, branch=case.branch)
            if can(user, "claims.handle") and case.state.code == "registered"
            else []
        ),
        "default_documents": "\n".join(
            services.DEFAULT_DOCUMENTS.get(claim.claim_type, services.GENERIC_DOCUMENTS)  # type: ignore[call-overload]
        ),
        "complexities": Complexity.choices,
        "reasons": DeductionReason.choices,
        "deduction_rows": range(DEDUCTION_ROWS),
        "conclusions": InvestigationConclusion.choices,
        "methods": PAY_METHODS,
        "can_report": can(user, "claims.report"),
        "can_handle": can(user, "claims.handle"),
        "can_approve": can(user, "claims.approve"),
        "can_pay": can(user, "claims.pay"),
        "can_investigate": can(user, "claims.investigate"),
        "open_investigation": claim.investigations.filter(
            concluded_at__isnull=True, investigator_id=user.pk
        ).first(),
        "authority": services.authority_limit_for(getattr(user, "role", "")),
        "today": clocks.calendar_for(case.branch).local_date(now),
    }
    return render(request, "claims/detail.html", context)


def _do_documents(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_request_documents(
        claim=claim, documents=_lines(post.get("documents", "")), note=post.get("note", ""), by=by
    )


def _do_received(claim: Claim, post: Any, by: Staff) -> None:
    names = post.getlist("received")
    services.claim_receive_documents(claim=claim, names=names or None, by=by)


def _do_accept(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_accept(claim=claim, by=by)


def _do_register(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_register(
        claim=claim,
        facts_clear=post.get("facts_clear") == "1",
        complexity=post.get("complexity", Complexity.SIMPLE),
        complex_reason=post.get("complex_reason", ""),
        social_insurance_priced=post.get("social_insurance_priced") == "1",
        by=by,
    )


def _do_complexity(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_set_complexity(
        claim=claim, is_complex=post.get("is_complex") == "1", reason=post.get("reason", ""), by=by
    )


def _do_fast_track(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_fast_track(claim=claim, by=by)


def _do_investigate(claim: Claim, post: Any, by: Staff) -> None:
    investigator = Staff.objects.filter(
        pk=_int_or_none(post.get("investigator")) or 0, is_active=True
    ).first()
    if investigator is None:
        raise DomainError(_("Choose an investigator."), field="investigator")
    services.claim_investigate(
        claim=claim, investigator=investigator, reason=post.get("reason", ""), by=by
    )


def _do_findings(claim: Claim, post: Any, by: Staff) -> None:
    investigation = claim.investigations.filter(concluded_at__isnull=True).order_by("-id").first()
    if investigation is None:
        raise DomainError(_("No open investigation."), field="findings")
    services.investigation_conclude(
        investigation=investigation,
        findings=post.get("findings", ""),
        conclusion=post.get("conclusion", ""),
        by=by,
    )


def _do_calculate(claim: Claim, post: Any, by: Staff) -> None:
    lines: list[services.DeductionLine] = []
    for index in range(DEDUCTION_ROWS):
        amount = post.get(f"deduction_amount_{index}", "").strip()
        if not amount:
            continue
        lines.append(
            services.DeductionLine(
                reason=post.get(f"deduction_reason_{index}", ""),
                amount=_decimal(amount, f"deductions[{index}].amount"),
                note=post.get(f"deduction_note_{index}", ""),
            )
        )
    services.claim_calculate(
        claim=claim,
        covered_amount=_decimal(post.get("covered_amount"), "covered_amount"),
        deductions=lines,
        by=by,
    )


def _do_approve(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_approve(claim=claim, note=post.get("note", ""), by=by)


def _do_decline(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_decline(claim=claim, reason=post.get("reason", ""), by=by)


def _do_close_paid(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_close_paid(claim=claim, note=post.get("note", ""), by=by)


def _do_denial_notice(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_notify_denial(claim=claim, notice_text=post.get("notice_text", ""), by=by)


def _do_withdraw(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_withdraw(claim=claim, reason=post.get("reason", ""), by=by)


def _do_pay(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_pay(
        claim=claim,
        method=post.get("method", ""),
        paid_on=_date_or_none(post.get("paid_on"), "paid_on"),
        by=by,
    )


def _do_advance(claim: Claim, post: Any, by: Staff) -> None:
    services.claim_advance_pay(
        claim=claim,
        amount=_decimal(post.get("amount"), "amount"),
        method=post.get("method", ""),
        reason=post.get("reason", ""),
        paid_on=_date_or_none(post.get("paid_on"), "paid_on"),
        by=by,
    )


ACTIONS: dict[str, Callable[[Claim, Any, Staff], None]] = {
    "documents": _do_documents,
    "received": _do_received,
    "accept": _do_accept,
    "register": _do_register,
    "complexity": _do_complexity,
    "fast_track": _do_fast_track,
    "investigate": _do_investigate,
    "findings": _do_findings,
    "calculate": _do_calculate,
    "approve": _do_approve,
    "decline": _do_decline,
    "close_paid": _do_close_paid,
    "denial_notice": _do_denial_notice,
    "withdraw": _do_withdraw,
    "pay": _do_pay,
    "advance": _do_advance,
}


@login_required
@require_POST
def act(request: HttpRequest, claim_id: int) -> HttpResponse:
    """One form of the detail page; a refusal comes back as a message naming what is wrong."""
    claim = selectors.claim_get(request.user, claim_id)
    work = ACTIONS.get(request.POST.get("action", ""))
    try:
        if work is None:
            raise DomainError(_("Choose what to do."), field="action")
        work(claim, request.POST, _staff(request))
    except DomainError as error:
        for line in getattr(error, "failures", [(error.field, error.message)]):
            messages.error(request, line[1])
    else:
        messages.success(request, _("Done."))
    return redirect("claims:detail", claim_id=claim.pk)


@login_required
@require_GET
def clean_up(request: HttpRequest) -> HttpResponse:
    """The daily clean-up list (日清日结): small claims not yet paid or closed, per handler."""
    return render(
        request, "claims/clean_up.html", {"clean_up": selectors.daily_clean_up(request.user)}
    )


@login_required
@require_GET
def investigators(request: HttpRequest) -> HttpResponse:
    """The investigators who may work the user's branch's claims, with their workload."""
    rows = selectors.investigator_workload(request.user)
    return render(request, "claims/investigators.html", {"rows": rows})


@login_required
@require_GET
def investigations(request: HttpRequest) -> HttpResponse:
    """The investigations given to the signed-in investigator."""
    show_all = request.GET.get("all") == "1"
    items = selectors.my_investigations(request.user, open_only=not show_all)
    return render(request, "claims/investigations.html", {"items": items, "show_all": show_all})


@login_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    """KPIs 11–15 of DOMAIN.md §4 with their charts."""
    since = _date_or_none(request.GET.get("since"), "since") if request.GET.get("since") else None
    until = _date_or_none(request.GET.get("until"), "until") if request.GET.get("until") else None
    try:
        result = selectors.claim_kpis(request.user, since=since, until=until)
    except DomainError:
        raise NotVisible("Not found.") from None
    rates = bar_chart(
        title=_("Claims KPIs"),
        categories=[
            _("Decided on time"),
            _("Paid rate (withdrawn excluded)"),
            _("Denial notices on time"),
            _("Investigation rate"),
            _("Small claims paid the same day"),
        ],
        series=[
            (
                _("Share"),
                [
                    float(value) if value is not None else None
                    for value in (
                        result.decided_on_time_rate,
                        result.paid_rate,
                        result.denial_notice_rate,
                        result.investigation_rate,
                        result.fast_track_same_day_rate,
                    )
                ],
            )
        ],
        unit="%",
    )
    months = line_chart(
        title=_("Report to payment, mean by month of payment"),
        x=[point.month for point in result.months],
        series=[(_("Mean days"), [point.mean_days for point in result.months])],
        unit=_("days"),
    )
    return render(
        request,
        "claims/kpis.html",
        {"kpis": result, "rates_chart": rates, "months_chart": months},
    )

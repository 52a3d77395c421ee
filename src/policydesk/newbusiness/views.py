"""Pages of new business: the register, the register form, one application with its
pipeline, the stalled radar, the daily withdrawal list and the KPI page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.cases import clocks as engine_clocks
from policydesk.cases.models import CaseChannel
from policydesk.core.access import can, require, scope_to_user
from policydesk.core.charts import bar_chart, line_chart
from policydesk.core.errors import DomainError, NotVisible
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff
from policydesk.policies.models import (
    Agent,
    Channel,
    Intermediary,
    PaymentMethod,
    PaymentMode,
    Product,
)

from . import catalogue, selectors, services
from .api import member_rows
from .models import Application, ExitKind, RequirementKind, SourceSystem

# The pipeline as the detail page draws it (DOMAIN.md §3); exits are shown apart.
PIPELINE = (
    "received",
    "data-entry",
    "initial-review",
    "scan-qc",
    "underwriting",
    "awaiting-premium",
    "premium-received",
    "issued",
    "delivered",
    "callback-done",
    "archived",
)
# Stages that sit between two pipeline steps, drawn as the step they belong to.
SIDE_STAGES = {
    "correction": "initial-review",
    "medical-exam": "underwriting",
    "post-exam-underwriting": "underwriting",
}
CLOCKS = ("defect-notice", "issue-no-exam", "exam-decision")


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str | None, field: str) -> dt.date:
    parsed = parse_date(value or "")
    if parsed is None:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=field)
    return parsed


# --- Register ------------------------------------------------------------------------------


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The applications register with filters, newest first, keyset pages."""
    get = request.GET
    filters = selectors.RegisterFilters(
        source_system=get.get("source_system", "")[:20],
        stage=get.get("stage", "")[:48],
        channel=get.get("channel", "")[:16],
        exit_kind=get.get("exit_kind", "")[:12],
        agent=get.get("agent", "")[:32].strip(),
        open_only=get.get("open") == "1",
        branch=_int_or_none(get.get("branch")),
    )
    result = selectors.application_register(
        request.user, filters=filters, after=_int_or_none(get.get("after"))
    )
    query = get.copy()
    query.pop("after", None)
    context = {
        "register": result,
        "source_systems": SourceSystem.choices,
        "channels": Channel.choices,
        "exits": ExitKind.choices,
        "stages": sorted(selectors.stage_names().items(), key=lambda kv: _stage_order(kv[0])),
        "branches": scope_to_user(
            Branch.objects.filter(is_active=True), request.user, branch_field="id"
        ).order_by("name")[:200],
        "query": query.urlencode(),
        "can_process": can(request.user, services.PROCESS),
    }
    return render(request, "newbusiness/register.html", context)


def _stage_order(code: str) -> int:
    order = [*PIPELINE, *SIDE_STAGES, "withdrawn", "refunded", "declined", "postponed"]
    return order.index(code) if code in order else len(order)


class IntakeForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=gettext_lazy("Branch"))
    source_system = forms.ChoiceField(
        choices=SourceSystem.choices, label=gettext_lazy("Source system")
    )
    channel = forms.ChoiceField(choices=Channel.choices, label=gettext_lazy("Sales channel"))
    received_channel = forms.ChoiceField(
        choices=[c for c in CaseChannel.choices if c[0] != CaseChannel.REGULATOR],
        label=gettext_lazy("Received through"),
        initial=CaseChannel.COUNTER,
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), label=gettext_lazy("Product")
    )
    applicant_number = forms.CharField(
        max_length=32, label=gettext_lazy("Applicant's customer number")
    )
    insured_number = forms.CharField(
        max_length=32,
        required=False,
        label=gettext_lazy("Insured's customer number"),
        help_text=gettext_lazy("Leave empty when the applicant is the insured, or for a group."),
    )
    agent_code = forms.CharField(max_length=32, required=False, label=gettext_lazy("Agent code"))
    intermediary_code = forms.CharField(
        max_length=32, required=False, label=gettext_lazy("Intermediary code")
    )
    form_number = forms.CharField(
        max_length=32, required=False, label=gettext_lazy("Application form number")
    )
    sum_assured = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        label=gettext_lazy("Sum assured"),
    )
    premium = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=gettext_lazy("Premium")
    )
    term_years = forms.IntegerField(
        min_value=1, max_value=100, initial=1, label=gettext_lazy("Term in years")
    )
    payment_mode = forms.ChoiceField(
        choices=PaymentMode.choices, label=gettext_lazy("Payment mode")
    )
    payment_method = forms.ChoiceField(
        choices=PaymentMethod.choices, label=gettext_lazy("Payment method")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        branches = scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        if user.branch_id:
            self.fields["branch"].initial = user.branch_id

    def _customer(self, name: str) -> Customer | None:
        number = self.cleaned_data[name].strip()
        if not number:
            return None
        customer = scope_to_user(Customer.objects.all(), self.user).filter(number=number).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this number in your branches."))
        return customer

    def clean_applicant_number(self) -> Customer | None:
        return self._customer("applicant_number")

    def clean_insured_number(self) -> Customer | None:
        return self._customer("insured_number")

    def clean_agent_code(self) -> Agent | None:
        code = self.cleaned_data["agent_code"].strip()
        if not code:
            return None
        agent = scope_to_user(Agent.objects.all(), self.user).filter(code=code).first()
        if agent is None:
            raise forms.ValidationError(_("No agent with this code in your branches."))
        return agent

    def clean_intermediary_code(self) -> Intermediary | None:
        code = self.cleaned_data["intermediary_code"].strip()
        if not code:
            return None
        found = Intermediary.objects.filter(code=code).first()
        if found is None:
            raise forms.ValidationError(_("No intermediary with this code."))
        return found


FORM_FIELDS = {"applicant": "applicant_number", "insured": "insured_number", "agent": "agent_code"}


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    require(request.user, services.PROCESS)
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_register(
                branch=data["branch"],
                source_system=data["source_system"],
                channel=data["channel"],
                received_channel=data["received_channel"],
                product=data["product"],
                applicant=data["applicant_number"],
                insured=data["insured_number"],
                agent=data["agent_code"],
                intermediary=data["intermediary_code"],
                form_number=data["form_number"],
                sum_assured=data["sum_assured"],
                premium=data["premium"],
                term_years=data["term_years"],
                payment_mode=data["payment_mode"],
                payment_method=data["payment_method"],
                by=_staff(request),
            )
        except DomainError as error:
            name = FORM_FIELDS.get(error.field or "", error.field)
            form.add_error(name if name in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Application %(number)s registered. Initial review is due within 5 working days.")
                % {"number": application.case.number},
            )
            return redirect("newbusiness:detail", application_id=application.pk)
    return render(request, "newbusiness/intake.html", {"form": form})


# --- One application -----------------------------------------------------------------------


def _pipeline(application: Application) -> list[dict[str, Any]]:
    names = selectors.stage_names()
    current = SIDE_STAGES.get(application.stage, application.stage)
    position = PIPELINE.index(current) if current in PIPELINE else -1
    exited = bool(application.exit_kind)
    steps = []
    for index, code in enumerate(PIPELINE):
        if exited:
            status = "skipped"  # settled below from the timeline
        elif index < position:
            status = "done"
        elif index == position:
            status = "current"
        else:
            status = "todo"
        steps.append({"code": code, "name": names.get(code, code), "status": status})
    if exited:
        # Steps passed before the exit: those the timeline shows were entered.
        entered = set(
            application.case.events.filter(type="transitioned").values_list(
                "parameters__to_state", flat=True
            )
        )
        entered.add("received")
        for step in steps:
            step["status"] = "done" if step["code"] in entered else "skipped"
    return steps


@login_required
@require_GET
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = selectors.application_get(request.user, application_id)
    case = application.case
    calendar = engine_clocks.calendar_for(case.branch)
    clock_rows = [
        {
            "clock": clock,
            "name": catalogue.Entry(
                clock.code, clock.name, clock.target.name_en if clock.target else ""
            ).label,
            "status": engine_clocks.clock_status(clock, calendar=calendar),
        }
        for clock in case.clocks.filter(code__in=CLOCKS).select_related("target").order_by("id")
    ]
    notice = getattr(application, "defect_notice", None)
    stage = application.stage
    context = {
        "application": application,
        "case": case,
        "pipeline": _pipeline(application),
        "clocks": clock_rows,
        "notice": notice,
        "notice_defects": [
            {"label": catalogue.defect_label(d.code), "note": d.note} for d in notice.defects.all()
        ]
        if notice
        else [],
        "defects": list(catalogue.defects().values()),
        "requirements": selectors.application_requirements(application),
        "requirement_kinds": [
            c for c in RequirementKind.choices if c[0] != RequirementKind.MEDICAL_EXAM
        ],
        "reminders": selectors.application_reminders(application),
        "imports": selectors.application_imports(application),
        "members": member_rows(application)
        if application.source_system == "short_term_group"
        else [],
        "exits": [
            {
                "kind": kind,
                "label": label,
                "reasons": list(catalogue.exit_reasons().get(kind, {}).values()),
            }
            for kind, label in ExitKind.choices
            if stage in services.EXIT_TRANSITIONS[kind]
        ],
        "can_process": can(request.user, services.PROCESS),
        "can_underwrite": can(request.user, services.UNDERWRITE),
        "stage": stage,
        "today": timezone.localdate(),
    }
    return render(request, "newbusiness/detail.html", context)


def _do_step(application: Application, post: Any, by: Staff) -> None:
    services.application_step(
        application=application, step=post.get("step", ""), comment=post.get("comment", ""), by=by
    )


def _do_review(application: Application, post: Any, by: Staff) -> None:
    codes = [code for code in post.getlist("defect") if code]
    services.application_review(
        application=application,
        defects=[(code, post.get(f"note-{code}", "")) for code in codes],
        by=by,
    )


def _do_corrected(application: Application, post: Any, by: Staff) -> None:
    services.application_corrected(application=application, note=post.get("note", ""), by=by)


def _do_scan(application: Application, post: Any, by: Staff) -> None:
    services.application_scan_qc(
        application=application,
        passed=post.get("passed") == "1",
        note=post.get("note", ""),
        by=by,
    )


def _do_requirement(application: Application, post: Any, by: Staff) -> None:
    services.requirement_raise(
        application=application, kind=post.get("kind", ""), note=post.get("note", ""), by=by
    )


def _do_requirement_met(application: Application, post: Any, by: Staff) -> None:
    requirement = application.requirements.filter(
        pk=_int_or_none(post.get("requirement")) or 0
    ).first()
    if requirement is None:
        raise NotVisible("Not found.")
    services.requirement_meet(requirement=requirement, by=by)


def _do_exam(application: Application, post: Any, by: Staff) -> None:
    moment = parse_datetime(post.get("appointment_at", ""))
    if moment is None:
        raise DomainError(_("Give the appointment's date and time."), field="appointment_at")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(
            moment, engine_clocks.calendar_for(application.case.branch).zone
        )
    services.application_order_exam(
        application=application, appointment_at=moment, place=post.get("place", ""), by=by
    )


def _do_exam_report(application: Application, post: Any, by: Staff) -> None:
    services.application_exam_report(application=application, by=by)


def _do_accept(application: Application, post: Any, by: Staff) -> None:
    services.application_accept(application=application, by=by)


def _do_premium(application: Application, post: Any, by: Staff) -> None:
    services.application_premium_received(
        application=application, received_on=_date(post.get("received_on"), "received_on"), by=by
    )


def _do_premium_problem(application: Application, post: Any, by: Staff) -> None:
    services.application_premium_problem(
        application=application,
        refused=post.get("refused") == "1",
        note=post.get("note", ""),
        by=by,
    )


def _do_issue(application: Application, post: Any, by: Staff) -> None:
    services.application_issue(
        application=application, policy_number=post.get("policy_number", ""), by=by
    )


def _do_deliver(application: Application, post: Any, by: Staff) -> None:
    services.application_deliver(
        application=application,
        receipt_signed_on=_date(post.get("receipt_signed_on"), "receipt_signed_on"),
        by=by,
    )


def _do_exit(application: Application, post: Any, by: Staff) -> None:
    services.application_exit(
        application=application,
        kind=post.get("kind", ""),
        reason=post.get("reason", ""),
        note=post.get("note", ""),
        by=by,
    )


def _do_remind(application: Application, post: Any, by: Staff) -> None:
    services.application_remind(application=application, note=post.get("note", ""), by=by)


ACTIONS: dict[str, Callable[[Application, Any, Staff], None]] = {
    "step": _do_step,
    "review": _do_review,
    "corrected": _do_corrected,
    "scan": _do_scan,
    "requirement": _do_requirement,
    "requirement_met": _do_requirement_met,
    "exam": _do_exam,
    "exam_report": _do_exam_report,
    "accept": _do_accept,
    "premium": _do_premium,
    "premium_problem": _do_premium_problem,
    "issue": _do_issue,
    "deliver": _do_deliver,
    "exit": _do_exit,
    "remind": _do_remind,
}
RETURN_TO = {"radar": "newbusiness:radar", "withdrawals": "newbusiness:withdrawals"}


@login_required
@require_POST
def act(request: HttpRequest, application_id: int) -> HttpResponse:
    """One form of the detail, radar or withdrawal page; a refusal comes back as messages."""
    application = selectors.application_get(request.user, application_id)
    action = request.POST.get("action", "")
    try:
        if action == "insured_list":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(_("Choose the file to import."), field="file")
            record = services.insured_list_import(
                application=application,
                file_name=upload.name or "insured.csv",
                content=upload.read(),
                by=_staff(request),
            )
            if not record.accepted:
                messages.error(
                    request,
                    _(
                        "The file was refused; nothing was imported. "
                        "%(n)s problems are listed below."
                    )
                    % {"n": len(record.errors)},
                )
                return redirect("newbusiness:detail", application_id=application.pk)
        else:
            work = ACTIONS.get(action)
            if work is None:
                raise DomainError(_("Choose what to do."), field="action")
            work(application, request.POST, _staff(request))
    except DomainError as error:
        for line in getattr(error, "failures", [(error.field, error.message)]):
            messages.error(request, line[1])
    else:
        messages.success(request, _("Done."))
    target = RETURN_TO.get(request.POST.get("return", ""))
    if target:
        return redirect(target)
    return redirect("newbusiness:detail", application_id=application.pk)


# --- Radar, withdrawal list, KPIs ----------------------------------------------------------


@login_required
@require_GET
def radar(request: HttpRequest) -> HttpResponse:
    """Stalled applications (契约滞留): age in the stage against its threshold, the owner,
    whom to chase, and the one-click reminder."""
    stage = request.GET.get("stage", "")[:48]
    result = selectors.stalled_radar(request.user, stage=stage)
    chart = bar_chart(
        title=_("Open and stalled applications by stage"),
        categories=[s.name for s in result.by_stage],
        series=[
            (_("Open"), [s.open for s in result.by_stage]),
            (_("Stalled"), [s.stalled for s in result.by_stage]),
        ],
        unit=_("applications"),
    )
    return render(
        request,
        "newbusiness/radar.html",
        {
            "radar": result,
            "chart": chart,
            "stage": stage,
            "stalled_percent": selectors._percent(result.stalled_total, result.open_total),
            "can_process": can(request.user, services.PROCESS),
        },
    )


@login_required
@require_GET
def withdrawals(request: HttpRequest) -> HttpResponse:
    """Today's list of applications to withdraw: premium refused or collection failed."""
    rows = selectors.withdrawal_list(request.user)
    return render(
        request,
        "newbusiness/withdrawals.html",
        {
            "rows": rows,
            "rule": catalogue.withdrawal_rule(),
            "reasons": list(catalogue.exit_reasons()["withdrawn"].values()),
            "can_process": can(request.user, services.PROCESS),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    """Issue time, on-time issue, stalled rate, withdrawal and refund rates by reason."""
    since = parse_date(request.GET.get("since", "") or "")
    until = parse_date(request.GET.get("until", "") or "")
    if since and until and since > until:
        since, until = until, since
    result = selectors.newbusiness_kpis(request.user, since=since, until=until)
    months = [m.month for m in result.by_month]
    issue_chart = line_chart(
        title=_("Issue time by month of receipt (working days)"),
        x=months,
        series=[
            (
                _("Mean"),
                [
                    float(m.mean_working_days) if m.mean_working_days is not None else None
                    for m in result.by_month
                ],
            ),
            (_("90th percentile"), [m.p90_working_days for m in result.by_month]),
        ],
        unit=_("working days"),
    )
    on_time_chart = bar_chart(
        title=_("Issued within 15 working days, by month of receipt"),
        categories=months,
        series=[
            (
                _("On time"),
                [
                    float(m.on_time_percent) if m.on_time_percent is not None else None
                    for m in result.by_month
                ],
            )
        ],
        unit="%",
    )
    exit_chart = bar_chart(
        title=_("Withdrawals, returns, declines and postponements by reason"),
        categories=[r.label for r in result.exits],
        series=[
            (_("Rate of applications received"), [float(r.rate_percent or 0) for r in result.exits])
        ],
        unit="%",
        horizontal=True,
    )
    return render(
        request,
        "newbusiness/kpis.html",
        {
            "kpis": result,
            "issue_chart": issue_chart,
            "on_time_chart": on_time_chart,
            "exit_chart": exit_chart,
            "sources": [
                (label, result.by_source.get(code, 0)) for code, label in SourceSystem.choices
            ],
        },
    )

"""Pages of account monitoring: the worklist, a work item, a customer's log and reviews, the
review form and its PDF, runs, the lapse-risk model and the KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.access import can, require
from policydesk.core.charts import bar_chart, line_chart
from policydesk.core.errors import DomainError
from policydesk.core.htmx import is_htmx
from policydesk.customers.identity import masked
from policydesk.org.models import Staff
from policydesk.policies.models import PolicyStatus

from . import kpis, needs, pdf, selectors, services
from .models import (
    ContactChannel,
    ContactOutcome,
    CustomerDecision,
    LifeEvent,
    Outcome,
    ReviewTrigger,
    Rule,
)

KPI_LABELS = {
    "renewal_auto_debit_success": gettext_lazy("Renewal auto-debit success"),
    "first_premium_auto_debit": gettext_lazy("First premiums by auto-debit"),
    "survival_benefit_transfer": gettext_lazy("Survival benefits paid by transfer"),
    "persistency_13": gettext_lazy("Persistency at 13 months"),
    "persistency_25": gettext_lazy("Persistency at 25 months"),
    "lapse_rate": gettext_lazy("Lapse rate"),
    "surrender_rate": gettext_lazy("Surrender rate"),
    "monthly_to_annual": gettext_lazy("Monthly to annual conversions"),
    "items_on_time": gettext_lazy("Work items done on time"),
    "items_closed_automatically": gettext_lazy("Work items closed by the run (condition cleared)"),
}


def _staff(request: HttpRequest) -> Staff:
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date_or_none(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=field)
    return parsed


def _amount(value: str | None, field: str) -> Decimal | None:
    if not value or not value.strip():
        return None
    try:
        return Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(_("Give the amount as a number."), field=field) from None


def _show_errors(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Open work items of the visible branches: mine, unassigned or all, by rule and due."""
    get = request.GET
    owner = get.get("owner", "me" if can(request.user, "monitoring.work") else "")[:12]
    filters = selectors.WorklistFilters(
        owner=owner if owner in ("", "me", "unassigned") or owner.isdigit() else "",
        rule=get.get("rule", "")[:24] if get.get("rule", "") in Rule.values else "",
        status="done" if get.get("status") == "done" else "open",
        due_before=parse_date(get.get("due_before", "") or "") or None,
        order="due" if get.get("order") == "due" else "priority",
    )
    page = selectors.worklist(request.user, filters=filters, after=get.get("after") or None)
    query = get.copy()
    query.pop("after", None)
    today = timezone.localdate()
    rows = [
        {
            "item": item,
            "days_left": (item.deadline - today).days if item.deadline else None,
            "overdue": item.status == "open" and item.due_on < today,
        }
        for item in page.items
    ]
    return render(
        request,
        "monitoring/worklist.html",
        {
            "page": page,
            "rows": rows,
            "rules": Rule.choices,
            "owners": selectors.worklist_owners(request.user),
            "query": query.urlencode(),
            "can_run": can(request.user, "monitoring.run"),
        },
    )


@login_required
@require_GET
def item_detail(request: HttpRequest, work_item_id: int) -> HttpResponse:
    item = selectors.work_item_get(request.user, work_item_id)
    today = timezone.localdate()
    risk = selectors.policy_risk(request.user, item.policy_id) if item.policy_id else None
    return render(
        request,
        "monitoring/item.html",
        {
            "item": item,
            "risk": risk,
            "masked_id": masked(item.customer.id_number_last4),
            "days_left": (item.deadline - today).days if item.deadline else None,
            "outcomes": [c for c in Outcome.choices if c[0] != Outcome.CONDITION_CLEARED],
            "channels": ContactChannel.choices,
            "contact_outcomes": ContactOutcome.choices,
            "can_work": can(request.user, "monitoring.work") and item.status == "open",
            "owners": [
                m for m in selectors.worklist_owners(request.user) if m.branch_id == item.branch_id
            ],
            "offers_servicing": services.servicing_can_open(item),
        },
    )


@login_required
@require_POST
def item_act(request: HttpRequest, work_item_id: int) -> HttpResponse:
    item = selectors.work_item_get(request.user, work_item_id)
    action = request.POST.get("action", "")
    by = _staff(request)
    try:
        if action == "close":
            services.work_item_close(
                item=item,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
                by=by,
            )
        elif action == "log":
            services.communication_log(
                customer=item.customer,
                channel=request.POST.get("channel", ""),
                content=request.POST.get("content", ""),
                outcome=request.POST.get("contact_outcome", ""),
                next_contact_on=_date_or_none(
                    request.POST.get("next_contact_on"), "next_contact_on"
                ),
                work_item=item,
                by=by,
            )
        elif action == "assign":
            owner = selectors.worklist_owner(request.user, request.POST.get("owner", ""))
            if owner is None:
                raise DomainError(_("Choose a relationship manager."), field="owner")
            services.work_item_assign(item=item, owner=owner, by=by)
        else:
            raise DomainError(_("Choose what to do."), field="action")
    except DomainError as error:
        _show_errors(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("monitoring:item", work_item_id=item.pk)


@login_required
def customer_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's communication log, open items and reviews; log a contact here."""
    customer = selectors.customer_get(request.user, customer_id)
    if request.method == "POST":
        try:
            services.communication_log(
                customer=customer,
                channel=request.POST.get("channel", ""),
                content=request.POST.get("content", ""),
                outcome=request.POST.get("contact_outcome", ""),
                next_contact_on=_date_or_none(
                    request.POST.get("next_contact_on"), "next_contact_on"
                ),
                by=_staff(request),
            )
        except DomainError as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("Contact logged."))
        return redirect("monitoring:customer", customer_id=customer.pk)
    page = selectors.worklist(
        request.user, filters=selectors.WorklistFilters(customer_id=customer.pk), limit=50
    )
    return render(
        request,
        "monitoring/customer.html",
        {
            "customer": customer,
            "masked_id": masked(customer.id_number_last4),
            "communications": selectors.communications_of(request.user, customer),
            "reviews": selectors.reviews_of(request.user, customer),
            "items": page.items,
            "assumptions": needs.assumptions_for(customer.segment),
            "channels": ContactChannel.choices,
            "contact_outcomes": ContactOutcome.choices,
            "can_work": can(request.user, "monitoring.work"),
            "can_review": can(request.user, "monitoring.review"),
            "life_events": LifeEvent.choices,
        },
    )


@login_required
@require_POST
def life_event_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Report a life event from the customer page: it asks for an account review."""
    customer = selectors.customer_get(request.user, customer_id)
    try:
        occurred_on = _date_or_none(request.POST.get("occurred_on"), "occurred_on")
        if occurred_on is None:
            raise DomainError(_("Give the day of the life event."), field="occurred_on")
        item, created = services.life_event_report(
            customer=customer,
            event=request.POST.get("event", ""),
            occurred_on=occurred_on,
            note=request.POST.get("note", ""),
            by=_staff(request),
        )
    except DomainError as error:
        _show_errors(request, error)
        return redirect("monitoring:customer", customer_id=customer.pk)
    if created:
        messages.success(request, _("Life event recorded: an account review is due."))
    else:
        messages.info(request, _("Life event recorded; the open account review covers it."))
    return redirect("monitoring:item", work_item_id=item.pk)


@login_required
def review_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The review form: today's needs analysis, declared cover elsewhere, recommendations,
    the decision and actions; posting records the review."""
    customer = selectors.customer_get(request.user, customer_id)
    require(request.user, "monitoring.review")
    post = request.POST if request.method == "POST" else None
    declared: dict[str, Decimal] = {}
    error: DomainError | None = None
    try:
        if post is not None:
            for category in needs.CATEGORIES:
                amount = _amount(post.get(f"elsewhere_{category}"), f"elsewhere_{category}")
                if amount is not None:
                    declared[category] = amount
        assessment = services.review_assessment(customer=customer, declared_elsewhere=declared)
    except DomainError as problem:
        error, assessment = problem, None
    if post is not None and error is None and post.get("record") == "1":
        actions = [
            {
                "kind": kind,
                "note": post.get(f"action_{kind}_note", ""),
                "case_number": post.get(f"action_{kind}_case", ""),
            }
            for kind in services.ACTION_KINDS
            if post.get(f"action_{kind}") == "1"
        ]
        try:
            review = services.account_review_record(
                customer=customer,
                trigger=post.get("trigger", ""),
                life_event=post.get("life_event", ""),
                recommendations=post.get("recommendations", ""),
                decision=post.get("decision") or CustomerDecision.PENDING,
                decision_note=post.get("decision_note", ""),
                declared_elsewhere=declared,
                actions=actions,
                by=_staff(request),
            )
        except DomainError as problem:
            error = problem
        else:
            messages.success(request, _("Review recorded."))
            return redirect("monitoring:review", account_review_id=review.pk)
    if error is not None:
        messages.error(request, error.message)
    lines = assessment["lines"] if assessment else []
    chart = (
        bar_chart(
            title=_("Needs, cover and gaps"),
            categories=[line["category"] for line in lines],
            series=[
                (_("Need"), [float(line["need"]) for line in lines]),
                (
                    _("Cover"),
                    [
                        float(line["cover_with_us"]) + float(line["cover_elsewhere"])
                        for line in lines
                    ],
                ),
                (_("Gap"), [float(line["gap"]) for line in lines]),
            ],
            unit="CNY",
        )
        if lines
        else None
    )
    return render(
        request,
        "monitoring/review_form.html",
        {
            "customer": customer,
            "masked_id": masked(customer.id_number_last4),
            "assessment": assessment,
            "chart": chart,
            "declared": declared,
            "categories": needs.CATEGORIES,
            "triggers": ReviewTrigger.choices,
            "life_events": LifeEvent.choices,
            "decisions": CustomerDecision.choices,
            "post": post or {},
        },
    )


@login_required
def review_detail(request: HttpRequest, account_review_id: int) -> HttpResponse:
    review = selectors.review_get(request.user, account_review_id)
    if request.method == "POST":
        try:
            services.account_review_decide(
                review=review,
                decision=request.POST.get("decision", ""),
                decision_note=request.POST.get("decision_note", ""),
                by=_staff(request),
            )
        except DomainError as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("monitoring:review", account_review_id=review.pk)
    return render(
        request,
        "monitoring/review.html",
        {
            **pdf.review_context(review),
            "decisions": CustomerDecision.choices,
            "can_review": can(request.user, "monitoring.review"),
        },
    )


@login_required
@require_GET
def review_pdf(request: HttpRequest, account_review_id: int) -> HttpResponse:
    review = selectors.review_get(request.user, account_review_id)
    language = "en" if request.GET.get("lang") == "en" else "zh-hans"
    document = pdf.review_pdf(review, language=language)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="account-review-{review.pk}-{language}.pdf"'
    )
    return response


@login_required
def runs_page(request: HttpRequest) -> HttpResponse:
    """Monitoring runs with their progress; the button queues one now."""
    if request.method == "POST":
        try:
            services.monitoring_run_request(by=_staff(request))
        except DomainError as error:
            _show_errors(request, error)
        else:
            messages.success(request, _("Monitoring run queued."))
        return redirect("monitoring:runs")
    context = {
        "runs": selectors.runs(request.user),
        "can_run": can(request.user, "monitoring.run"),
    }
    if is_htmx(request):
        return render(request, "monitoring/_run_rows.html", context)
    return render(request, "monitoring/runs.html", context)


@login_required
def model_page(request: HttpRequest) -> HttpResponse:
    """The lapse-risk model: its back-test (AUC, calibration) and its weights."""
    if request.method == "POST":
        try:
            services.lapse_model_train_request(by=_staff(request))
        except DomainError as error:
            _show_errors(request, error)
        else:
            messages.success(
                request, _("Retraining queued: the worker reads the history, fits and scores.")
            )
        return redirect("monitoring:model")
    training = selectors.latest_training(request.user)
    if is_htmx(request):
        return render(request, "monitoring/_training.html", {"training": training})
    model = selectors.current_model(request.user)
    calibration_chart = weights_chart = None
    if model is not None:
        bins = [row for row in model.calibration if row["n"]]
        calibration_chart = line_chart(
            title=_("Calibration: predicted against observed lapse rate"),
            x=[row["bin"] for row in bins],
            series=[
                (_("Predicted"), [row["predicted"] for row in bins]),
                (_("Observed"), [row["observed"] for row in bins]),
            ],
        )
        strongest = sorted(model.features, key=lambda f: abs(f["coefficient"]), reverse=True)[:12]
        weights_chart = bar_chart(
            title=_("Weights of the strongest features"),
            categories=[f["name"] for f in strongest],
            series=[(_("Coefficient"), [round(f["coefficient"], 3) for f in strongest])],
            horizontal=True,
        )
    return render(
        request,
        "monitoring/model.html",
        {
            "model": model,
            "calibration_chart": calibration_chart,
            "weights_chart": weights_chart,
            "can_train": can(request.user, "monitoring.model"),
            "training": training,
        },
    )


@login_required
@require_GET
def kpi_page(request: HttpRequest) -> HttpResponse:
    result = kpis.monitoring_kpis(request.user)
    rates = list(result.rates)
    chart = bar_chart(
        title=_("Account monitoring KPIs, last 12 months"),
        categories=[str(KPI_LABELS.get(r.code, r.code)) for r in rates],
        series=[
            (_("Percent"), [float(r.percent) if r.percent is not None else None for r in rates])
        ],
        unit="%",
        horizontal=True,
    )
    ended_chart = (
        bar_chart(
            title=_("Lapse and surrender rates by reason, last 12 months"),
            categories=[
                f"{PolicyStatus(e.status).label}: {e.reason}" for e in result.ended_by_reason
            ],
            series=[
                (
                    _("Percent of policies exposed"),
                    [
                        float(e.percent) if e.percent is not None else None
                        for e in result.ended_by_reason
                    ],
                )
            ],
            unit="%",
            horizontal=True,
        )
        if result.ended_by_reason
        else None
    )
    return render(
        request,
        "monitoring/kpis.html",
        {
            "kpis": result,
            "rows": [(KPI_LABELS.get(r.code, r.code), r) for r in rates],
            "chart": chart,
            "ended_chart": ended_chart,
        },
    )


@login_required
@require_GET
def contacts_page(request: HttpRequest) -> HttpResponse:
    """The contact schedule: agreed next contacts that have come, and the segment rhythm."""
    return render(
        request,
        "monitoring/contacts.html",
        {
            "due": selectors.contacts_due(request.user),
            "schedule": selectors.segment_schedule(),
        },
    )

"""Pages of callbacks: the queues, one task (defects, repair, script, attempts, fallback),
the KPI page, the contact worklist and the settings (retry policies, triggers)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.access import can, require
from policydesk.core.charts import bar_chart, line_chart
from policydesk.core.errors import DomainError, NotVisible
from policydesk.customers.models import ContactPoint
from policydesk.org.models import Language, Role, Staff
from policydesk.policies.models import Channel

from . import selectors, services
from .models import CallbackTrigger, FallbackKind, Outcome, RetryPolicy, TriggerKind


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
    """The agent's queues, earliest due day and likeliest success first."""
    view = request.GET.get("view", "mine")
    page = selectors.task_queue(
        request.user, view=view, after=request.GET.get("after", "")[:40] or None
    )
    labels = {
        "mine": _("My tasks"),
        "ready": _("Ready to call"),
        "open": _("All open"),
        "dialect": _("Needs a dialect seat"),
        "fallback": _("Letters and visits"),
        "finished": _("Finished"),
    }
    return render(
        request,
        "callbacks/queue.html",
        {
            "page": page,
            "views": list(labels.items()),
            "can_manage": can(request.user, "callbacks.manage"),
        },
    )


def _task_context(request: HttpRequest, callback_task_id: int) -> dict[str, Any]:
    view = selectors.task_view(request.user, callback_task_id)
    agents = []
    if view.can_manage:
        agents = list(
            Staff.objects.filter(
                branch_id=view.task.branch_id, role=Role.CALLBACK_AGENT, is_active=True
            ).order_by("display_name", "pk")[:100]
        )
    return {
        "view": view,
        "task": view.task,
        "outcomes": Outcome.choices,
        "fallback_kinds": FallbackKind.choices,
        "languages": list(Language.objects.order_by("code")[:50]),
        "agents": agents,
        "first_number": next((line.contact.raw for line in view.phones if line.usable), "")
        if view.can_work
        else "",
    }


@login_required
@require_GET
def task(request: HttpRequest, callback_task_id: int) -> HttpResponse:
    return render(request, "callbacks/task.html", _task_context(request, callback_task_id))


def _refused(request: HttpRequest, error: DomainError) -> None:
    messages.error(request, error.message)


@login_required
@require_POST
def attempt(request: HttpRequest, callback_task_id: int) -> HttpResponse:
    """Record a call from the task page."""
    actor = _staff(request)
    task_row = selectors.task_get(actor, callback_task_id)
    post = request.POST
    answers = {
        key.removeprefix("answer-"): str(post.get(key, ""))
        for key in post
        if key.startswith("answer-") and post.get(key)
    }
    language = Language.objects.filter(code=post.get("language", "")).first()
    try:
        services.callback_attempt_record(
            task=task_row,
            number_dialled=post.get("number_dialled", ""),
            outcome=post.get("outcome", ""),
            answers=answers,
            notes=post.get("notes", ""),
            language=language,
            by=actor,
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Call recorded."))
    return redirect("callbacks:task", callback_task_id=callback_task_id)


@login_required
@require_POST
def repair(request: HttpRequest, callback_task_id: int) -> HttpResponse:
    """Correct a phone of the policyholder (or add one) before dialling."""
    actor = _staff(request)
    task_row = selectors.task_get(actor, callback_task_id)
    contact_id = _int_or_none(request.POST.get("contact"))
    contact = None
    if contact_id is not None:
        contact = ContactPoint.objects.filter(
            pk=contact_id, customer_id=task_row.customer_id
        ).first()
        if contact is None:
            raise NotVisible("Not found.")
    try:
        services.callback_contact_repair(
            task=task_row, contact=contact, new_raw=request.POST.get("new_number", ""), by=actor
        )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Number repaired."))
    return redirect("callbacks:task", callback_task_id=callback_task_id)


@login_required
@require_POST
def fallback(request: HttpRequest, callback_task_id: int) -> HttpResponse:
    actor = _staff(request)
    task_row = selectors.task_get(actor, callback_task_id)
    try:
        if request.POST.get("action") == "return":
            services.callback_fallback_return(
                task=task_row,
                receipt_signed=request.POST.get("receipt_signed") == "1",
                notes=request.POST.get("notes", ""),
                by=actor,
            )
        else:
            services.callback_fallback_send(
                task=task_row,
                kind=request.POST.get("kind", ""),
                reference=request.POST.get("reference", ""),
                by=actor,
            )
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("callbacks:task", callback_task_id=callback_task_id)


@login_required
@require_POST
def assign(request: HttpRequest, callback_task_id: int) -> HttpResponse:
    actor = _staff(request)
    require(actor, "callbacks.manage")
    task_row = selectors.task_get(actor, callback_task_id)
    assignee_id = _int_or_none(request.POST.get("assignee"))
    assignee = (
        Staff.objects.filter(pk=assignee_id, branch_id=task_row.branch_id).first()
        if assignee_id
        else None
    )
    try:
        services.callback_reassign(task=task_row, assignee=assignee, by=actor)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Task reassigned."))
    return redirect("callbacks:task", callback_task_id=callback_task_id)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _charts(kpis: selectors.Kpis) -> dict[str, Any]:
    def rates(title: str, rows: list[selectors.Rate]) -> dict[str, Any]:
        return bar_chart(
            title=title,
            categories=[r.label for r in rows],
            series=[(_("Success within cooling-off"), [_number(r.percent) for r in rows])],
            unit="%",
            horizontal=True,
        )

    losses = kpis.losses
    return {
        "losses": bar_chart(
            title=_("Callback successes lost to each defect"),
            categories=[loss.label for loss in losses],
            series=[
                (_("Successes lost"), [loss.lost for loss in losses]),
                (_("Tasks affected"), [loss.affected for loss in losses]),
            ],
            unit=_("tasks"),
            horizontal=True,
        ),
        "with_without": bar_chart(
            title=_("Success within cooling-off with and without each defect"),
            categories=[loss.label for loss in losses],
            series=[
                (_("With the defect"), [_number(loss.success_with) for loss in losses]),
                (_("Without it"), [_number(loss.success_without) for loss in losses]),
            ],
            unit="%",
            horizontal=True,
        ),
        "channel": rates(_("Success by channel"), kpis.by_channel),
        "intermediary": rates(_("Success by intermediary"), kpis.by_intermediary),
        "agent": rates(_("Success by agent"), kpis.by_agent),
        "dialect": rates(_("Success by language needed"), kpis.by_dialect),
        "trend": line_chart(
            title=_("Success within cooling-off by week"),
            x=[r.label for r in kpis.by_week],
            series=[(_("Success within cooling-off"), [_number(r.percent) for r in kpis.by_week])],
            unit="%",
        ),
    }


@login_required
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    """The callback KPIs and what each contact defect cost."""
    since = parse_date(request.GET.get("since", "") or "")
    until = parse_date(request.GET.get("until", "") or "")
    if since is not None and until is not None and since > until:
        since, until = until, since
    result = selectors.callback_kpis(request.user, since=since, until=until)
    return render(
        request,
        "callbacks/kpis.html",
        {"kpis": result, "charts": _charts(result)},
    )


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Policies needing new contact details, by channel and intermediary, for sales."""
    channel = request.GET.get("channel", "")[:16]
    intermediary = request.GET.get("intermediary", "")[:200]
    result = selectors.contact_worklist(
        request.user,
        channel=channel if channel in Channel.values else "",
        intermediary=intermediary,
        after=_int_or_none(request.GET.get("after")),
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "callbacks/worklist.html",
        {
            "worklist": result,
            "channel": channel,
            "intermediary": intermediary,
            "query": query.urlencode(),
        },
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Retry policies and triggers; changed by the Head of Service (callbacks.manage)."""
    require(request.user, "callbacks.view")
    return render(
        request,
        "callbacks/settings.html",
        {
            "retry_policies": RetryPolicy.objects.order_by("code")[:50],
            "triggers": CallbackTrigger.objects.select_related("retry_policy").order_by("code")[
                :50
            ],
            "fallback_kinds": FallbackKind.choices,
            "outcomes": Outcome.choices,
            "trigger_kinds": dict(TriggerKind.choices),
            "can_manage": can(request.user, "callbacks.manage"),
        },
    )


@login_required
@require_POST
def retry_policy_edit(request: HttpRequest, retry_policy_id: int) -> HttpResponse:
    actor = _staff(request)
    require(actor, "callbacks.manage")
    policy = RetryPolicy.objects.filter(pk=retry_policy_id).first()
    if policy is None:
        raise NotVisible("Not found.")
    post = request.POST
    hours: dict[str, int] = {}
    try:
        for code, _label in Outcome.choices:
            value = post.get(f"hours-{code}", "").strip()
            if value:
                hours[code] = int(value)
        start = parse_time(post.get("quiet_start", "") or "")
        end = parse_time(post.get("quiet_end", "") or "")
        if start is None or end is None:
            raise DomainError(_("Give the quiet hours as HH:MM."), field="quiet_start")
        services.retry_policy_update(
            retry_policy=policy,
            max_attempts=int(post.get("max_attempts", "0") or 0),
            retry_after_hours=hours,
            fallback=post.get("fallback", ""),
            quiet_start=start,
            quiet_end=end,
            by=actor,
        )
    except ValueError:
        messages.error(request, _("Give whole numbers."))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Retry policy saved."))
    return redirect("callbacks:settings")


@login_required
@require_POST
def trigger_edit(request: HttpRequest, callback_trigger_id: int) -> HttpResponse:
    actor = _staff(request)
    require(actor, "callbacks.manage")
    trigger = CallbackTrigger.objects.filter(pk=callback_trigger_id).first()
    retry_id = _int_or_none(request.POST.get("retry_policy"))
    retry = RetryPolicy.objects.filter(pk=retry_id).first() if retry_id else None
    if trigger is None:
        raise NotVisible("Not found.")
    try:
        if retry is None:
            raise DomainError(_("Choose a retry policy."), field="retry_policy")
        services.trigger_update(
            trigger=trigger,
            is_active=request.POST.get("is_active") == "1",
            due_days=int(request.POST.get("due_days", "0") or 0),
            retry_policy=retry,
            by=actor,
        )
    except ValueError:
        messages.error(request, _("Give whole numbers."))
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Trigger saved."))
    return redirect("callbacks:settings")

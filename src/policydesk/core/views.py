"""Pages of the platform: home, the audit trail, scheduled jobs, language, error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.htmx import is_htmx

from .access import can, granted_actions
from .audit import audit_record
from .home import home_cards
from .scheduler import job_run_now
from .selectors import audit_events_page, job_get, jobs_visible, last_runs


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {"cards": home_cards(request.user), "action_count": len(granted_actions(request.user))},
    )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = {
        "action": request.GET.get("action", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
    }
    page = audit_events_page(
        request.user,
        after=_int_or_none(request.GET.get("after")),
        limit=50,
        action=filters["action"],
        object_type=filters["object_type"],
    )
    context = {"page": page, "filters": filters}
    if is_htmx(request):
        return render(request, "core/audit_log.html#audit-rows", context)
    verify_job = (
        jobs_visible(request.user).filter(name="audit-verify").first()
        if can(request.user, "jobs.view")
        else None
    )
    context["verify_run"] = last_runs([verify_job]).get(verify_job.pk) if verify_job else None
    context["can_verify"] = can(request.user, "audit.verify") and can(request.user, "jobs.run")
    return render(request, "core/audit_log.html", context)


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    job_list = list(jobs_visible(request.user))
    runs = last_runs(job_list)
    rows = [{"job": job, "run": runs.get(job.pk)} for job in job_list]
    context = {"rows": rows, "can_run": can(request.user, "jobs.run")}
    if is_htmx(request):
        return render(request, "core/jobs.html#job-rows", context)
    return render(request, "core/jobs.html", context)


@login_required
@require_POST
def job_run(request: HttpRequest, name: str) -> HttpResponse:
    job = job_get(request.user, name)
    job_run_now(job=job, by=request.user)
    messages.success(
        request, _("Job %(name)s queued; this page refreshes as it runs.") % {"name": name}
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("core:jobs")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language and remember it for the signed-in user."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language and check_for_language(language):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        user = request.user
        if user.is_authenticated and getattr(user, "preferred_language", None) != language:
            before = {"preferred_language": user.preferred_language}
            user.preferred_language = language
            user.save(update_fields=["preferred_language"])
            audit_record(
                action="org.staff.language",
                actor=user,
                target=user,
                before=before,
                after={"preferred_language": language},
            )
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)

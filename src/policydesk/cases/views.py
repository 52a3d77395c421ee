"""Pages of the case engine: the work queues, one case, opening a case."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.access import can, get_visible, require, scope_to_user
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.htmx import is_htmx
from policydesk.org.models import Branch, Staff

from . import attachments, clocks, saved_views, selectors, services
from .guards import missing_checklist
from .managed import managed_page
from .models import CaseChannel, Priority, Process, SlaPolicy, Visibility


def _staff(request: HttpRequest) -> Staff:
    """The signed-in staff member (login_required guarantees one)."""
    return cast(Staff, request.user)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> selectors.QueueFilters:
    get = request.GET
    return selectors.QueueFilters(
        process=get.get("process", "")[:48],
        channel=get.get("channel", "")[:16],
        priority=_int_or_none(get.get("priority")),
        state=get.get("state", "")[:48],
        tag=get.get("tag", "")[:40],
        number=get.get("number", "")[:32],
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """A work queue; htmx refreshes the rows in place every minute and on filter changes."""
    view = request.GET.get("view", "mine")
    result = selectors.case_queue(
        request.user, view, filters=_filters(request), after=_int_or_none(request.GET.get("after"))
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "queue": result,
        "views": selectors.VIEWS,
        "processes": Process.objects.filter(is_active=True).order_by("code"),
        "channels": CaseChannel.choices,
        "priorities": Priority.choices,
        "query": query.urlencode(),
        "can_assign": can(request.user, "cases.assign"),
        "can_open": can(request.user, "cases.open"),
        "assignees": _assignable(request.user) if can(request.user, "cases.assign") else [],
    }
    if is_htmx(request):
        return render(request, "cases/queue.html#queue-rows", context)
    context["saved_views"] = saved_views.saved_views(request.user)
    return render(request, "cases/queue.html", context)


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Keep the queue view and filters the page shows, under a name."""
    query = QueryDict(request.POST.get("query", "")[:1000])
    filters = {
        name: query.get(name, "") for name in saved_views.FILTER_TYPES if query.get(name, "")
    }
    try:
        saved = saved_views.saved_view_save(
            by=_staff(request),
            name=request.POST.get("name", ""),
            view=request.POST.get("view", ""),
            filters=filters,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('cases:queue')}?{query.urlencode()}")
    messages.success(request, _("View saved."))
    return redirect("cases:saved_view_open", saved_view_id=saved.pk)


@login_required
@require_GET
def saved_view_open(request: HttpRequest, saved_view_id: int) -> HttpResponse:
    saved = next((v for v in saved_views.saved_views(request.user) if v.pk == saved_view_id), None)
    if saved is None:
        raise Http404
    query = QueryDict(mutable=True)
    query["view"] = saved.view
    for name, value in saved.filters.items():
        query[name] = str(value)
    return redirect(f"{reverse('cases:queue')}?{query.urlencode()}")


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, saved_view_id: int) -> HttpResponse:
    saved_views.saved_view_delete(by=_staff(request), saved_view_id=saved_view_id)
    messages.success(request, _("Saved view deleted."))
    return redirect("cases:queue")


def _assignable(user: Any) -> list[Staff]:
    staff = scope_to_user(Staff.objects.filter(is_active=True), user)
    return list(staff.order_by("display_name", "id")[:200])


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign, take a step or tag several cases from the list; each one on its own, so one
    refusal does not undo the others, and each refusal is reported with the case number."""
    action = request.POST.get("action", "")
    ids = [int(value) for value in request.POST.getlist("case") if value.isdigit()][:200]
    done, refused = 0, []
    assignee = None
    if action == "assign":
        require(request.user, "cases.assign")
        assignee_id = _int_or_none(request.POST.get("assignee"))
        assignee = get_visible(Staff.objects.all(), request.user, pk=assignee_id or 0)
    for case_id in ids:
        case = selectors.case_get(request.user, case_id)
        try:
            if action == "assign":
                services.case_assign(
                    case=case, assignee=assignee, by=_staff(request), reason=_("Bulk assignment")
                )
            elif action == "transition":
                services.case_transition(
                    case=case,
                    by=_staff(request),
                    transition_code=request.POST.get("transition", ""),
                    comment=request.POST.get("comment", ""),
                )
            elif action == "tag":
                tag = request.POST.get("tag", "").strip()
                services.case_update(
                    case=case, by=_staff(request), changes={"tags": [*case.tags, tag]}
                )
            else:
                raise DomainError(_("Choose what to do with the selected cases."), field="action")
            done += 1
        except DomainError as error:
            refused.append(f"{case.number}: {error.message}")
    if done:
        messages.success(request, _("%(n)s cases changed.") % {"n": done})
    for line in refused[:20]:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "cases:queue")


@login_required
@require_GET
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(request.user, case_id)
    # A process owned by an app (claims, servicing, new business): its steps are taken on
    # the record's page, which the case page links to instead of offering them here.
    owner_page = managed_page(case)
    context = {
        "case": case,
        "events": selectors.case_timeline(request.user, case),
        "clocks": [(clock, clocks.clock_status(clock)) for clock in selectors.case_clocks(case)],
        "owner_page": owner_page,
        "transitions": []
        if owner_page is not None
        else list(
            case.process_version.transitions.filter(from_state=case.state_id).select_related(
                "to_state"
            )
        ),
        "checklist": _checklist(case),
        "can_work": can(request.user, "cases.work") and case.category != "closed",
        "can_extend": can(request.user, "cases.sla.extend"),
        "sla_policies": SlaPolicy.objects.filter(is_active=True).order_by("code"),
        "visibilities": Visibility.choices,
        "attachments": list(case.attachments.select_related("uploaded_by")),
        # The process-specific record that extends the case, when there is one.
        "complaint": getattr(case, "complaint", None) if case.process.code == "complaint" else None,
    }
    if is_htmx(request):
        return render(request, "cases/detail.html#case-clocks", context)
    return render(request, "cases/detail.html", context)


def _checklist(case: Any) -> list[dict[str, Any]]:
    missing = {item.pk for item in missing_checklist(case)}
    done = set(case.checklist_marks.values_list("item_id", flat=True))
    return [
        {"item": item, "done": item.pk in done, "blocking": item.pk in missing}
        for item in case.state.checklist.all()
    ]


def _act(request: HttpRequest, case_id: int, work: Any) -> HttpResponse:
    case = selectors.case_get(request.user, case_id)
    try:
        work(case)
    except DomainError as error:
        for line in getattr(error, "failures", [(error.field, error.message)]):
            messages.error(request, line[1])
    return redirect("cases:detail", case_id=case.pk)


@login_required
@require_POST
def transition(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        services.case_transition(
            case=case,
            transition_code=request.POST.get("transition", ""),
            comment=request.POST.get("comment", ""),
            by=_staff(request),
        )
        messages.success(request, _("Done."))

    return _act(request, case_id, work)


@login_required
@require_POST
def comment(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        services.case_comment(
            case=case,
            body=request.POST.get("body", ""),
            visibility=request.POST.get("visibility", Visibility.INTERNAL),
            by=_staff(request),
        )

    return _act(request, case_id, work)


@login_required
@require_POST
def checklist(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        services.case_checklist_mark(
            case=case,
            item_code=request.POST.get("item", ""),
            done=request.POST.get("done") == "1",
            by=_staff(request),
        )

    return _act(request, case_id, work)


@login_required
@require_POST
def take(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        services.case_assign(case=case, assignee=_staff(request), by=_staff(request))

    return _act(request, case_id, work)


@login_required
@require_POST
def update(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        changes: dict[str, Any] = {
            name: request.POST[name].strip()
            for name in ("classification", "root_cause", "resolution")
            if name in request.POST
        }
        if "priority" in request.POST:
            changes["priority"] = _int_or_none(request.POST["priority"])
        services.case_update(case=case, changes=changes, by=_staff(request))

    return _act(request, case_id, work)


@login_required
@require_POST
def change_sla(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        policy = SlaPolicy.objects.filter(code=request.POST.get("policy", "")).first()
        if policy is None:
            raise DomainError(_("Choose an SLA policy."), field="policy")
        clocks.case_change_sla(
            case=case, policy=policy, reason=request.POST.get("reason", ""), by=_staff(request)
        )
        messages.success(request, _("SLA policy changed; the clocks keep what they counted."))

    return _act(request, case_id, work)


@login_required
@require_POST
def extend(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        clocks.clock_extend(
            case=case,
            code=request.POST.get("clock", ""),
            days=_int_or_none(request.POST.get("days")) or 0,
            minutes=_int_or_none(request.POST.get("minutes")) or 0,
            reason=request.POST.get("reason", ""),
            by=_staff(request),
        )
        messages.success(request, _("Clock extended."))

    return _act(request, case_id, work)


@login_required
@require_POST
def attach(request: HttpRequest, case_id: int) -> HttpResponse:
    def work(case: Any) -> None:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(_("Choose a file."), field="file")
        if upload.size and upload.size > attachments.max_bytes():
            raise DomainError(_("The file is too large."), field="file")
        attachments.case_attach(
            case=case, file_name=upload.name or "", content=upload.read(), by=_staff(request)
        )
        messages.success(request, _("File attached."))

    return _act(request, case_id, work)


@login_required
@require_GET
def download(request: HttpRequest, case_id: int, attachment_id: int) -> FileResponse:
    """The file, as a download with the type proven at upload (never rendered inline)."""
    case = selectors.case_get(request.user, case_id)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotVisible("Not found.")
    path = attachments.attachment_path(attachment)
    if not path.is_file():
        raise NotVisible("Not found.")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CaseOpenForm(forms.Form):
    process = forms.ModelChoiceField(
        queryset=Process.objects.filter(is_active=True, current_version__isnull=False),
        label=gettext_lazy("Kind"),
    )
    channel = forms.ChoiceField(choices=CaseChannel.choices, label=gettext_lazy("Channel"))
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=gettext_lazy("Branch"))
    subject = forms.CharField(max_length=200, label=gettext_lazy("Subject"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, label=gettext_lazy("Description")
    )
    priority = forms.TypedChoiceField(
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        label=gettext_lazy("Priority"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        if user.branch_id:
            self.fields["branch"].initial = user.branch_id


@login_required
def open_case(request: HttpRequest) -> HttpResponse:
    require(request.user, "cases.open")
    form = CaseOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(by=_staff(request), **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/open.html", {"form": form})

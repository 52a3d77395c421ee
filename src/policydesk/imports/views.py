"""Pages: upload a file, follow its job (htmx-polled progress bar), download exports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from policydesk.core.access import can, require
from policydesk.core.errors import DomainError, NotVisible
from policydesk.core.htmx import is_htmx

from . import selectors
from .exports import ExportFile, export_file
from .services import MAX_UPLOAD_BYTES, import_start
from .specs import KINDS


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of records"),
        choices=[(spec.kind, spec.title) for spec in KINDS.values()],
    )
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Apply valid rows only (report and skip the others)"), required=False
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Check only (dry run)"), required=False)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    require(request.user, "customers.import")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            if uploaded.size > MAX_UPLOAD_BYTES:
                raise DomainError(_("The file is too large."), field="file")
            job = import_start(
                by=request.user,  # type: ignore[arg-type]
                kind=form.cleaned_data["kind"],
                file_name=uploaded.name,
                content=uploaded.read(),
                dry_run=form.cleaned_data["dry_run"],
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("File received; it is being imported."))
            return redirect("imports:job", job_id=job.pk)
    context = {
        "form": form,
        "jobs": selectors.recent_jobs(request.user),
        "kinds": list(KINDS.values()),
        "can_export": can(request.user, "customers.export"),
    }
    return render(request, "imports/upload.html", context)


@login_required
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    found = selectors.job_get(request.user, job_id)
    progress = selectors.job_progress(found)
    context = {
        "job": found,
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "stage": progress.stage_label,
    }
    if is_htmx(request):
        return render(request, "imports/job.html#job-progress", context)
    return render(request, "imports/job.html", context)


@login_required
@require_GET
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    require(request.user, "customers.export")
    if kind not in KINDS:
        raise NotVisible("Not found.")
    file_format = request.GET.get("format", "csv")
    try:
        result = export_file(kind=kind, file_format=file_format, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("imports:upload")
    return export_response(result)


# Exports up to this size are answered whole; larger ones are streamed from the spool file.
STREAM_ABOVE_BYTES = 32 * 1024**2


def export_response(result: ExportFile) -> HttpResponseBase:
    size = result.handle.seek(0, 2)
    result.handle.seek(0)
    if size > STREAM_ABOVE_BYTES:
        return FileResponse(
            result.handle,
            as_attachment=True,
            filename=result.file_name,
            content_type=result.content_type,
        )
    with result.handle:
        response = HttpResponse(result.handle.read(), content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.file_name}"'
    return response

"""Pages where the Head of Customer Service designs processes: versions, diagram, editor."""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.access import can, require
from policydesk.core.errors import DomainError, NotVisible
from policydesk.org.models import Staff

from . import process_forms, process_services, selectors
from .definitions import REQUIRABLE_FIELDS, read_definition
from .diagram import process_diagram
from .models import ProcessVersion, StateCategory


def _staff(request: HttpRequest) -> Staff:
    """The signed-in staff member (login_required guarantees one)."""
    return cast(Staff, request.user)


@login_required
@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    processes = list(selectors.processes_visible(request.user))
    return render(request, "cases/processes.html", {"processes": processes})


def _version(request: HttpRequest, process_id: int, number: int) -> ProcessVersion:
    process = selectors.process_get(request.user, process_id)
    version = process.versions.filter(number=number).first()
    if version is None:
        raise NotVisible("Not found.")
    return version


@login_required
@require_GET
def process_detail(request: HttpRequest, process_id: int) -> HttpResponse:
    process = selectors.process_get(request.user, process_id)
    versions = list(process.versions.order_by("-number"))
    shown = process.current_version or (versions[0] if versions else None)
    number = request.GET.get("version", "")
    if number.isdigit():
        shown = next((v for v in versions if v.number == int(number)), shown)
    context: dict[str, Any] = {
        "process": process,
        "versions": versions,
        "shown": shown,
        "can_edit": can(request.user, "cases.process.edit"),
        "diagram": process_diagram(shown) if shown else "",
        "definition": read_definition(shown) if shown else None,
    }
    return render(request, "cases/process.html", context)


@login_required
@require_POST
def process_draft(request: HttpRequest, process_id: int) -> HttpResponse:
    process = selectors.process_get(request.user, process_id)
    try:
        draft = process_services.process_version_draft(process=process, by=_staff(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("cases:process", process_id=process.pk)
    return redirect("cases:version_form", process_id=process.pk, number=draft.number)


@login_required
def version_edit(request: HttpRequest, process_id: int, number: int) -> HttpResponse:
    """Edit a draft as its definition document (JSON), checked as a whole before saving."""
    require(request.user, "cases.process.edit")
    version = _version(request, process_id, number)
    text = json.dumps(read_definition(version), ensure_ascii=False, indent=2)
    notes = version.notes
    problems: list[str] = []
    if request.method == "POST":
        text = request.POST.get("definition", "")
        notes = request.POST.get("notes", "")[:2000]
        try:
            definition = json.loads(text)
            process_services.process_version_save(
                version=version, definition=definition, notes=notes, by=_staff(request)
            )
        except json.JSONDecodeError as error:
            problems = [
                _("The definition is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": error.lineno, "column": error.colno}
            ]
        except DomainError as error:
            problems = list(getattr(error, "problems", [error.message]))
        else:
            messages.success(request, _("Draft saved."))
            return redirect("cases:version_edit", process_id=process_id, number=number)
    context = {
        "version": version,
        "process": version.process,
        "text": text,
        "notes": notes,
        "problems": problems,
        "diagram": process_diagram(version),
    }
    return render(request, "cases/version_edit.html", context)


@login_required
@require_POST
def version_publish(request: HttpRequest, process_id: int, number: int) -> HttpResponse:
    version = _version(request, process_id, number)
    try:
        process_services.process_version_publish(version=version, by=_staff(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Version %(n)s published: new cases start on it.") % {"n": number}
        )
    return redirect("cases:process", process_id=process_id)


@login_required
def version_form(request: HttpRequest, process_id: int, number: int) -> HttpResponse:
    """Edit a draft in a form: states with their checklists and help text, transitions with
    their guards. "Add" buttons re-show the form with an empty row; saving checks the whole
    definition and names every problem by its place."""
    require(request.user, "cases.process.edit")
    version = _version(request, process_id, number)
    problems: list[str] = []
    if request.method == "POST" and version.is_editable:
        definition = process_forms.definition_from_post(request.POST)
        notes = request.POST.get("notes", "")[:2000]
        intent = request.POST.get("intent", "save")
        if intent == "save":
            try:
                process_services.process_version_save(
                    version=version, definition=definition, notes=notes, by=_staff(request)
                )
            except DomainError as error:
                problems = list(getattr(error, "problems", [error.message]))
            else:
                messages.success(request, _("Draft saved."))
                return redirect("cases:version_form", process_id=process_id, number=number)
        else:
            definition = process_forms.with_blank_row(definition, intent)
    else:
        definition = read_definition(version)
        notes = version.notes
    context = {
        "version": version,
        "process": version.process,
        "states": definition["states"],
        "transitions": definition["transitions"],
        "state_codes": [state["code"] for state in definition["states"] if state["code"]],
        "notes": notes,
        "problems": problems,
        "categories": StateCategory.choices,
        "requirable": REQUIRABLE_FIELDS,
        "diagram": process_diagram(version),
    }
    return render(request, "cases/version_form.html", context)


@login_required
@require_POST
def version_discard(request: HttpRequest, process_id: int, number: int) -> HttpResponse:
    version = _version(request, process_id, number)
    try:
        process_services.process_version_discard(version=version, by=_staff(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Draft %(n)s discarded.") % {"n": number})
    return redirect("cases:process", process_id=process_id)

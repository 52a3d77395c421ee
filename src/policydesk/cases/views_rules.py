"""Pages where the Head of Customer Service edits escalation ladders, assignment rules and
capacities, managers record absences of their branch's staff, and everyone reads notices."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from policydesk.core.access import can, require, scope_to_user
from policydesk.core.errors import DomainError
from policydesk.org.models import Branch, Staff

from . import rules_selectors, rules_services
from .models import (
    AssignmentRule,
    EscalationLadder,
    EscalationLevel,
    Process,
    SlaTarget,
)

EDIT = "cases.process.edit"


def _staff(request: HttpRequest) -> Staff:
    """The signed-in staff member (login_required guarantees one)."""
    return cast(Staff, request.user)


def _refused(form: forms.BaseForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {**context, "can_edit": can(request.user, EDIT)})


def _visible_staff(user: Any) -> Any:
    staff = scope_to_user(Staff.objects.filter(is_active=True).select_related("branch"), user)
    return staff.order_by("branch__path", "display_name", "id")


# --- Forms ---------------------------------------------------------------------------------


class LadderCreateForm(forms.Form):
    process = forms.ModelChoiceField(
        queryset=Process.objects.filter(escalation_ladder__isnull=True), label=gettext_lazy("Kind")
    )
    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))


class LadderForm(forms.ModelForm):
    class Meta:
        model = EscalationLadder
        fields = ["name", "is_active"]


class LevelForm(forms.ModelForm):
    class Meta:
        model = EscalationLevel
        fields = [
            "number",
            "clock_code",
            "threshold",
            "percent",
            "age_hours",
            "action",
            "notify",
            "team_code",
            "role",
            "is_active",
        ]
        help_texts = {
            "clock_code": gettext_lazy("Blank: whichever clock gets there first."),
            "percent": gettext_lazy("Only for a share of the target elapsed."),
            "age_hours": gettext_lazy("Only for a case older than a number of hours."),
            "team_code": gettext_lazy("Reassign only: a team code of the case's branch."),
            "role": gettext_lazy("Reassign only: the least-loaded person of this role."),
        }

    def __init__(self, *args: Any, process: Process, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = SlaTarget.objects.filter(policy_id=process.sla_policy_id).values_list(
            "code", "name"
        )
        choices = [("", _("Any clock")), *((code, f"{name} ({code})") for code, name in codes)]
        self.fields["clock_code"] = forms.ChoiceField(
            choices=choices,
            required=False,
            label=gettext_lazy("Clock"),
            help_text=self.Meta.help_texts["clock_code"],
        )


class RuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = [
            "name",
            "process",
            "channel",
            "branch",
            "include_subtree",
            "language",
            "skill",
            "method",
            "team_code",
            "position",
            "is_active",
        ]
        help_texts = {
            "process": gettext_lazy("Blank: every kind."),
            "channel": gettext_lazy("Blank: every channel."),
            "branch": gettext_lazy("Blank: every branch. Staff are always of the case's branch."),
            "skill": gettext_lazy("Skills-based: staff must have it."),
            "team_code": gettext_lazy("The team queue the case goes to, in the case's branch."),
            "position": gettext_lazy("The first matching rule, lowest first, decides."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = scope_to_user(Branch.objects.filter(is_active=True), user, branch_field="id")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]


class CapacityForm(forms.Form):
    staff = forms.ModelChoiceField(queryset=Staff.objects.none(), label=gettext_lazy("Staff"))
    max_open_cases = forms.IntegerField(
        min_value=0,
        max_value=10000,
        required=False,
        label=gettext_lazy("Open cases at most"),
        help_text=gettext_lazy("Leave blank to remove the limit."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _visible_staff(user)  # type: ignore[attr-defined]


class AbsenceForm(forms.Form):
    staff = forms.ModelChoiceField(queryset=Staff.objects.none(), label=gettext_lazy("Staff"))
    first_day = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(max_length=200, required=False, label=gettext_lazy("Reason"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = _visible_staff(user)  # type: ignore[attr-defined]


# --- Escalation ----------------------------------------------------------------------------


@login_required
def escalation(request: HttpRequest) -> HttpResponse:
    """The ladders of every process, and a form to give a process its ladder."""
    require(request.user, EDIT)
    form = LadderCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ladder = rules_services.ladder_create(by=_staff(request), **form.cleaned_data)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Ladder created: add its levels."))
            return redirect("cases:rules_ladder", ladder_id=ladder.pk)
    ladders = rules_selectors.ladders_visible(request.user).prefetch_related("levels")
    context = {"ladders": ladders[: rules_selectors.LIST_LIMIT], "form": form}
    return _render(request, "cases/rules_escalation.html", context)


@login_required
def ladder(request: HttpRequest, ladder_id: int) -> HttpResponse:
    """One ladder: rename or deactivate it, its levels, and a form to add a level."""
    require(request.user, EDIT)
    item = rules_selectors.ladder_get(request.user, ladder_id)
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "")
    ladder_form = LadderForm(posted if which == "ladder" else None, instance=item, prefix="ladder")
    level_form = LevelForm(
        posted if which == "level" else None, process=item.process, prefix="level"
    )
    target = ladder_form if which == "ladder" else level_form
    if posted is not None and target.is_valid():
        try:
            if which == "ladder":
                rules_services.ladder_update(
                    ladder=item, changes=ladder_form.cleaned_data, by=_staff(request)
                )
                messages.success(request, _("Ladder saved."))
            else:
                rules_services.level_create(
                    ladder=item, values=level_form.cleaned_data, by=_staff(request)
                )
                messages.success(request, _("Level added."))
        except DomainError as error:
            _refused(target, error)
        else:
            return redirect("cases:rules_ladder", ladder_id=item.pk)
    context = {
        "ladder": item,
        "levels": list(item.levels.order_by("number", "id")),
        "ladder_form": ladder_form,
        "level_form": level_form,
    }
    return _render(request, "cases/rules_ladder.html", context)


@login_required
def level(request: HttpRequest, level_id: int) -> HttpResponse:
    require(request.user, EDIT)
    item = rules_selectors.level_get(request.user, level_id)
    form = LevelForm(request.POST or None, instance=item, process=item.ladder.process)
    if request.method == "POST" and form.is_valid():
        try:
            rules_services.level_update(level=item, changes=form.cleaned_data, by=_staff(request))
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Level saved."))
            return redirect("cases:rules_ladder", ladder_id=item.ladder_id)
    title = _("Level %(n)s of %(ladder)s") % {"n": item.number, "ladder": item.ladder.name}
    context = {
        "form": form,
        "title": title,
        "back": ("cases:rules_ladder", item.ladder_id),
    }
    return _render(request, "cases/rules_form.html", context)


# --- Assignment ----------------------------------------------------------------------------


@login_required
def assignment(request: HttpRequest) -> HttpResponse:
    """The assignment rules in the order they are tried, and a form to add one."""
    require(request.user, EDIT)
    form = RuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rules_services.rule_create(values=form.cleaned_data, by=_staff(request))
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Rule added."))
            return redirect("cases:rules_assignment")
    rules = rules_selectors.rules_visible(request.user)[: rules_selectors.LIST_LIMIT]
    return _render(request, "cases/rules_assignment.html", {"rules": rules, "form": form})


@login_required
def rule(request: HttpRequest, rule_id: int) -> HttpResponse:
    require(request.user, EDIT)
    item = rules_selectors.rule_get(request.user, rule_id)
    form = RuleForm(request.POST or None, instance=item, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rules_services.rule_update(rule=item, changes=form.cleaned_data, by=_staff(request))
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Rule saved."))
            return redirect("cases:rules_assignment")
    context = {"form": form, "title": item.name, "back": ("cases:rules_assignment", None)}
    return _render(request, "cases/rules_form.html", context)


@login_required
def capacity(request: HttpRequest) -> HttpResponse:
    """How many open cases each person may hold."""
    require(request.user, EDIT)
    form = CapacityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rules_services.capacity_set(by=_staff(request), **form.cleaned_data)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Capacity saved."))
            return redirect("cases:rules_capacity")
    capacities = rules_selectors.capacities_visible(request.user)[: rules_selectors.LIST_LIMIT]
    return _render(request, "cases/rules_capacity.html", {"capacities": capacities, "form": form})


@login_required
def absences(request: HttpRequest) -> HttpResponse:
    """Absences of staff in the branches the manager sees; recorded ones may be cancelled."""
    require(request.user, "cases.assign")
    form = AbsenceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            rules_services.absence_record(by=_staff(request), **form.cleaned_data)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Absence recorded."))
            return redirect("cases:rules_absences")
    items = rules_selectors.absences_visible(request.user)[: rules_selectors.LIST_LIMIT]
    return _render(request, "cases/rules_absences.html", {"absences": items, "form": form})


@login_required
@require_POST
def absence_cancel(request: HttpRequest, absence_id: int) -> HttpResponse:
    item = rules_selectors.absence_get(request.user, absence_id)
    rules_services.absence_cancel(absence=item, by=_staff(request))
    messages.success(request, _("Absence cancelled."))
    return redirect("cases:rules_absences")


# --- Notifications -------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    items = rules_selectors.notifications_for(request.user)[: rules_selectors.LIST_LIMIT]
    return _render(request, "cases/rules_notifications.html", {"notifications": items})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    item = rules_selectors.notification_get(request.user, notification_id)
    rules_services.notification_read(notification=item, by=_staff(request))
    return redirect("cases:notifications")

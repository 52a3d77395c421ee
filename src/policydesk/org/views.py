"""Pages of the organisation: branches, staff, the permission matrix, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.core.access import can, require
from policydesk.core.errors import DomainError
from policydesk.core.htmx import is_htmx
from policydesk.core.pagination import bounded_count

from . import selectors, services
from .models import Language, Role, Skill


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def branches(request: HttpRequest) -> HttpResponse:
    branch_list = list(selectors.branches_visible(request.user)[:500])
    teams = list(selectors.teams_visible(request.user)[:2000])
    by_branch: dict[int, list[Any]] = {}
    for team in teams:
        by_branch.setdefault(team.branch_id, []).append(team)
    rows = [
        {"branch": b, "depth": max(b.path.count("/") - 2, 0), "teams": by_branch.get(b.pk, [])}
        for b in branch_list
    ]
    return render(request, "org/branches.html", {"rows": rows})


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    filters: dict[str, Any] = {
        "search": request.GET.get("q", "").strip(),
        "role": request.GET.get("role", ""),
        "branch_id": _int_or_none(request.GET.get("branch")),
    }
    page = selectors.staff_page(
        request.user, after=_int_or_none(request.GET.get("after")), limit=50, **filters
    )
    context = {
        "page": page,
        "filters": filters,
        "roles": Role.choices,
        "branches": selectors.branches_visible(request.user)[:500],
        "total": bounded_count(selectors.staff_visible(request.user, **filters)),
        "can_manage": can(request.user, "org.staff.manage"),
    }
    if is_htmx(request):
        return render(request, "org/staff_list.html#staff-rows", context)
    return render(request, "org/staff_list.html", context)


@login_required
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get(request.user, staff_id)
    return render(
        request,
        "org/staff_detail.html",
        {"staff": staff, "can_manage": can(request.user, "org.staff.manage")},
    )


class StaffForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    branch = forms.TypedChoiceField(label=gettext_lazy("Branch"), coerce=int, required=False)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int, required=False)
    languages = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Languages and dialects"),
        queryset=Language.objects.all(),
        required=False,
    )
    skills = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Skills"), queryset=Skill.objects.all(), required=False
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"), widget=forms.PasswordInput, max_length=128
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch_field: forms.TypedChoiceField = self.fields["branch"]  # type: ignore[assignment]
        team_field: forms.TypedChoiceField = self.fields["team"]  # type: ignore[assignment]
        branch_field.choices = [("", "—")] + [
            (b.pk, b.name) for b in selectors.branches_visible(user)[:500]
        ]
        team_field.choices = [("", "—")] + [
            (t.pk, f"{t.branch.name} · {t.name}") for t in selectors.teams_visible(user)[:2000]
        ]


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "org.staff.manage")
    form = StaffForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            branch = selectors.branch_get(request.user, data["branch"]) if data["branch"] else None
            team = (
                selectors.teams_visible(request.user).filter(pk=data["team"]).first()
                if data["team"]
                else None
            )
            staff = services.staff_create(
                username=data["username"],
                password=data["password"],
                role=data["role"],
                branch=branch,
                team=team,
                display_name=data["display_name"],
                email=data["email"],
                languages=data["languages"],
                skills=data["skills"],
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": staff})
            return redirect("org:staff_detail", staff_id=staff.pk)
    return render(request, "org/staff_form.html", {"form": form})


@login_required
@require_POST
def staff_disable(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get(request.user, staff_id)
    try:
        services.staff_disable(
            staff=staff,
            reason=request.POST.get("reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("Account disabled; its sessions have ended."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("org:staff_detail", staff_id=staff.pk)


@login_required
@require_POST
def staff_enable(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get(request.user, staff_id)
    services.staff_enable(staff=staff, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Account enabled."))
    return redirect("org:staff_detail", staff_id=staff.pk)


@login_required
def permissions(request: HttpRequest) -> HttpResponse:
    from .permission_matrix import load_defaults

    matrix = selectors.permission_matrix(request.user)
    defaults = load_defaults()
    language = get_language() or "en"
    rows = [
        {
            "action": action,
            "description": defaults.describe(action, language),
            "cells": [(role, action in matrix[role]["actions"]) for role in matrix],
        }
        for action in defaults.actions
    ]
    return render(
        request,
        "org/permissions.html",
        {
            "matrix": matrix,
            "rows": rows,
            "can_edit": can(request.user, "org.permissions.edit"),
        },
    )


@login_required
@require_POST
def permission_toggle(request: HttpRequest) -> HttpResponse:
    role = request.POST.get("role", "")
    action = request.POST.get("action", "")
    granted = request.POST.get("granted") == "1"
    try:
        services.role_grant_set(
            role=role,
            action=action,
            granted=granted,
            by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("Permission matrix updated."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("org:permissions")


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Integration name"), max_length=100)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[c for c in Role.choices if c[0] != Role.ADMINISTRATOR],
    )
    branch = forms.TypedChoiceField(label=gettext_lazy("Branch"), coerce=int, required=False)
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch_field: forms.TypedChoiceField = self.fields["branch"]  # type: ignore[assignment]
        branch_field.choices = [("", _("Whole company"))] + [
            (b.pk, b.name) for b in selectors.branches_visible(user)[:500]
        ]


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    token_list = list(selectors.tokens_visible(request.user)[:500])
    form = TokenForm(request.POST or None, user=request.user)
    secret = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            branch = selectors.branch_get(request.user, data["branch"]) if data["branch"] else None
            _token, secret = services.token_issue(
                owner=request.user,  # type: ignore[arg-type]
                name=data["name"],
                role=data["role"],
                branch=branch,
                expires_at=data["expires_at"],
                by=request.user,  # type: ignore[arg-type]
            )
            token_list = list(selectors.tokens_visible(request.user)[:500])
            form = TokenForm(user=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    return render(
        request, "org/tokens.html", {"tokens": token_list, "form": form, "secret": secret}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.token_get(request.user, token_id)
    services.token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Token %(prefix)s revoked.") % {"prefix": token.prefix})
    return redirect("org:tokens")

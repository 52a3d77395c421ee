"""Reads of the organisation, always scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from policydesk.core.access import get_visible, require, scope_to_user
from policydesk.core.pagination import Page, keyset_page

from .models import ApiToken, Branch, Role, RoleGrant, RoleScope, Scope, Staff, Team


def branches_visible(user: Any) -> QuerySet[Branch]:
    require(user, "org.branch.view")
    return scope_to_user(Branch.objects.select_related("parent"), user, branch_field="id")


def branch_get(user: Any, branch_id: int) -> Branch:
    require(user, "org.branch.view")
    return get_visible(
        Branch.objects.select_related("parent"), user, branch_field="id", pk=branch_id
    )


def teams_visible(user: Any, *, branch_id: int | None = None) -> QuerySet[Team]:
    require(user, "org.branch.view")
    queryset = scope_to_user(Team.objects.select_related("branch"), user)
    if branch_id is not None:
        queryset = queryset.filter(branch_id=branch_id)
    return queryset


def staff_visible(
    user: Any,
    *,
    search: str = "",
    role: str = "",
    branch_id: int | None = None,
    include_disabled: bool = False,
) -> QuerySet[Staff]:
    require(user, "org.staff.view")
    queryset = scope_to_user(Staff.objects.select_related("branch", "team"), user)
    if not include_disabled:
        queryset = queryset.filter(is_active=True)
    if search:
        queryset = queryset.filter(
            Q(username__icontains=search)
            | Q(display_name__icontains=search)
            | Q(employee_number__iexact=search)
        )
    if role:
        queryset = queryset.filter(role=role)
    if branch_id is not None:
        queryset = queryset.filter(branch_id=branch_id)
    return queryset


def staff_page(user: Any, *, after: int | None, limit: int, **filters: Any) -> Page[Staff]:
    return keyset_page(
        staff_visible(user, **filters).prefetch_related("languages", "skills"),
        after=after,
        limit=limit,
    )


def staff_get(user: Any, staff_id: int) -> Staff:
    require(user, "org.staff.view")
    return get_visible(
        Staff.objects.select_related("branch", "team").prefetch_related("languages", "skills"),
        user,
        pk=staff_id,
    )


def tokens_visible(user: Any) -> QuerySet[ApiToken]:
    require(user, "org.token.manage")
    return scope_to_user(ApiToken.objects.select_related("owner", "branch"), user)


def token_get(user: Any, token_id: int) -> ApiToken:
    require(user, "org.token.manage")
    return get_visible(ApiToken.objects.select_related("owner", "branch"), user, pk=token_id)


def permission_matrix(user: Any) -> dict[str, Any]:
    """The live matrix as {role: {"scope", "second_factor", "actions"}}."""
    require(user, "org.permissions.view")
    scopes = {row.role: row for row in RoleScope.objects.all()}
    grants: dict[str, set[str]] = {}
    for role, action in RoleGrant.objects.filter(granted=True).values_list("role", "action"):
        grants.setdefault(role, set()).add(action)
    return {
        role: {
            "label": str(label),
            "scope": scopes[role].scope if role in scopes else "",
            "scope_label": Scope(scopes[role].scope).label if role in scopes else "",
            "second_factor": scopes[role].requires_second_factor if role in scopes else False,
            "actions": sorted(grants.get(role, set())),
        }
        for role, label in Role.choices
    }

"""Access scoping: what the acting user may see and do.

Selectors call `scope_to_user` on every queryset they return, and services call
`require` before every write, so a page or API operation cannot forget the check.
Both read the permission matrix (org.RoleGrant, org.RoleScope), which is data.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db.models import Model, QuerySet

from .errors import NotVisible, PermissionRefused

M = TypeVar("M", bound=Model)

ALL = None  # marker: no branch restriction


def _role_scope(user: Any) -> str:
    from policydesk.org.models import RoleScope, Scope

    cached = getattr(user, "_pd_scope", None)
    if cached is None:
        row = RoleScope.objects.filter(role=user.role).values_list("scope", flat=True).first()
        cached = row or Scope.BRANCH
        user._pd_scope = cached
    return str(cached)


def visible_branch_ids(user: Any) -> frozenset[int] | None:
    """Branch ids the user may see, or None when the user sees the whole company."""
    from policydesk.org.models import Branch, Scope

    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_pd_branch_ids", False)
    if cached is not False:
        return cast(frozenset[int] | None, cached)
    scope = _role_scope(user)
    result: frozenset[int] | None
    if scope == Scope.COMPANY:
        result = ALL
    elif user.branch_id is None:
        result = frozenset()
    elif scope == Scope.BRANCH_TREE:
        path = Branch.objects.filter(pk=user.branch_id).values_list("path", flat=True).first()
        ids = Branch.objects.filter(path__startswith=path or "-").values_list("id", flat=True)
        result = frozenset(ids)
    else:
        result = frozenset({user.branch_id})
    user._pd_branch_ids = result
    return result


def scope_to_user(queryset: QuerySet[M], user: Any, *, branch_field: str = "branch") -> QuerySet[M]:
    """Restrict a queryset to rows in branches the user may see."""
    branch_ids = visible_branch_ids(user)
    if branch_ids is ALL:
        return queryset
    return queryset.filter(**{f"{branch_field}__in": sorted(branch_ids)})


def get_visible(
    queryset: QuerySet[M], user: Any, *, branch_field: str = "branch", **lookup: Any
) -> M:
    """One object the user may see, or NotVisible (404) whether it is missing or hidden."""
    obj = scope_to_user(queryset, user, branch_field=branch_field).filter(**lookup).first()
    if obj is None:
        raise NotVisible("Not found.")
    return obj


def granted_actions(user: Any) -> frozenset[str]:
    from policydesk.org.models import RoleGrant

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_pd_actions", None)
    if cached is None:
        cached = frozenset(
            RoleGrant.objects.filter(role=user.role, granted=True).values_list("action", flat=True)
        )
        user._pd_actions = cached
    return cast(frozenset[str], cached)


def can(user: Any, action: str) -> bool:
    return action in granted_actions(user)


def require(user: Any, action: str) -> None:
    """Raise PermissionRefused unless the user's role grants the action."""
    if not can(user, action):
        raise PermissionRefused(action)

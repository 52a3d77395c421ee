"""Access scoping: what the acting user may see and do.

Selectors call `scope_to_user` on every queryset they return, and services call
`require` before every write, so a page or API operation cannot forget the check.
Both read the permission matrix (org.RoleGrant, org.RoleScope), which is data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
)

from .errors import NotVisible, PermissionRefused

M = TypeVar("M", bound=Model)

ALL = None  # marker: no branch restriction


def _load_matrix(user: Any) -> None:
    """Cache the role's scope, second-factor rule and grants on the user, read in one query.

    The cache lives on the user object, which Django builds anew for every request (and an
    API token's actor likewise), so a change of the matrix applies from the next request.
    They are read together because nearly every request needs all three: the second-factor
    middleware, `require` before the read, the scope inside it.
    """
    from policydesk.org.models import RoleGrant, RoleScope

    quote = connection.ops.quote_name
    sql = (
        f"SELECT 0, {quote('scope')}, {quote('requires_second_factor')} "  # noqa: S608
        f"FROM {quote(RoleScope._meta.db_table)} WHERE {quote('role')} = %s UNION ALL "
        f"SELECT 1, {quote('action')}, %s FROM {quote(RoleGrant._meta.db_table)} "
        f"WHERE {quote('role')} = %s AND {quote('granted')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.role, False, user.role, True])
        rows = cursor.fetchall()
    scope_row = next((row for row in rows if row[0] == 0), None)
    _set_matrix(
        user,
        scope_row[1] if scope_row else None,
        scope_row[2] if scope_row else False,
        (value for kind, value, _ in rows if kind == 1),
    )


def _set_matrix(user: Any, scope: str | None, needs_otp: Any, actions: Iterable[str]) -> None:
    """Where `require`, the scope and the second-factor middleware read the matrix from; a
    role without a RoleScope row sees its own branch only."""
    from policydesk.org.models import Scope

    user._pd_scope = scope or Scope.BRANCH
    user._pd_needs_otp = bool(needs_otp)
    user._pd_actions = frozenset(actions)


# Between the joined actions: the ASCII unit separator, which no action name can hold.
_SEPARATOR = "\x1f"


class _Joined(Aggregate):
    """Values joined by `_SEPARATOR`: PostgreSQL's STRING_AGG, SQLite's GROUP_CONCAT."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s, CHAR(31))",
            **extra,
        )


MATRIX_COLUMNS = ("pd_scope", "pd_needs_otp", "pd_actions")


def matrix_columns(role_field: str = "role") -> dict[str, Subquery]:
    """The role's scope, second-factor rule and granted actions as columns of a user's row
    (`MATRIX_COLUMNS`), for the backend that reads the session's user in one statement;
    `adopt_matrix` puts them where `_load_matrix` would."""
    from policydesk.org.models import RoleGrant, RoleScope

    scope = RoleScope.objects.filter(role=OuterRef(role_field))
    grants = (
        RoleGrant.objects.filter(role=OuterRef(role_field), granted=True)
        .values("role")
        .annotate(joined=_Joined("action"))
        .values("joined")
    )
    return {
        "pd_scope": Subquery(scope.values("scope")[:1]),
        "pd_needs_otp": Subquery(
            scope.values("requires_second_factor")[:1], output_field=BooleanField()
        ),
        "pd_actions": Subquery(grants, output_field=TextField()),
    }


def adopt_matrix(user: Any, scope: str | None, needs_otp: Any, actions: str | None) -> None:
    """The `matrix_columns` of a user's row, put where `_load_matrix` puts them."""
    joined = (actions or "").split(_SEPARATOR)
    _set_matrix(user, scope, needs_otp, (action for action in joined if action))


def requires_second_factor(user: Any) -> bool:
    """Whether the user's role must present a second factor (org.RoleScope)."""
    if getattr(user, "_pd_needs_otp", None) is None:
        _load_matrix(user)
    return bool(user._pd_needs_otp)


def _role_scope(user: Any) -> str:
    if getattr(user, "_pd_scope", None) is None:
        _load_matrix(user)
    return str(user._pd_scope)


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
        # One query: the branches whose path starts with the user's branch's path (none when
        # that path is not set, rather than every branch).
        path = Branch.objects.filter(pk=user.branch_id).exclude(path="").values("path")[:1]
        ids = Branch.objects.filter(path__startswith=Subquery(path)).values_list("id", flat=True)
        result = frozenset(ids)
    else:
        result = frozenset({user.branch_id})
    user._pd_branch_ids = result
    return result


def scope_to_user(queryset: QuerySet[M], user: Any, *, branch_field: str = "branch") -> QuerySet[M]:
    """Restrict a queryset to rows in branches the user may see."""
    return scope_to_branches(queryset, visible_branch_ids(user), branch_field=branch_field)


def scope_to_branches(
    queryset: QuerySet[M], branch_ids: Iterable[int] | None, *, branch_field: str = "branch"
) -> QuerySet[M]:
    """Restrict a queryset to the given branches (`visible_branch_ids`), None meaning all;
    for a selector that compiles its statement once per shape (core.statements)."""
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
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if getattr(user, "_pd_actions", None) is None:
        _load_matrix(user)
    return cast(frozenset[str], user._pd_actions)


def can(user: Any, action: str) -> bool:
    return action in granted_actions(user)


def require_branch_visible(user: Any, branch_id: int) -> None:
    """Raise NotVisible unless the branch is within the user's scope; None (the system, an
    operator's command) sees every branch. Services call it before writing to a record."""
    if user is None:
        return
    ids = visible_branch_ids(user)
    if ids is not None and branch_id not in ids:
        raise NotVisible("Not found.")


def require(user: Any, action: str) -> None:
    """Raise PermissionRefused unless the user's role grants the action."""
    if not can(user, action):
        raise PermissionRefused(action)

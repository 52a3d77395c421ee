"""The authentication backend: Django's model backend, loading the user with the branch.

Nearly every request reads the user's branch (its time zone, the scope of every list), so the
session's user is read with it in one statement instead of two, compiled once
(core.statements) rather than per request; the row becomes the same Staff and Branch
instances `select_related("branch")` would build. The role's scope, second-factor rule and
grants (core.access) come as three more columns of the same row, since nearly every request
asks for them next."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from policydesk.core import statements
from policydesk.core.access import MATRIX_COLUMNS, adopt_matrix, matrix_columns

from .models import Branch, Staff

_STAFF = tuple(field.attname for field in Staff._meta.concrete_fields)
_BRANCH = tuple(field.attname for field in Branch._meta.concrete_fields)
_BRANCH_COLUMNS = tuple(f"branch__{name}" for name in _BRANCH)


def _user_row(values: statements.Values) -> QuerySet[Any, dict[str, Any]]:
    return (
        Staff._default_manager.filter(pk=cast(int, values["pk"]))
        .annotate(**matrix_columns())
        .values(*_STAFF, *_BRANCH_COLUMNS, *MATRIX_COLUMNS)
    )


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Staff | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = statements.values_rows("org.session_user", {"pk": pk}, _user_row)
        if not rows:
            return None
        row = rows[0]
        user = Staff.from_db(DEFAULT_DB_ALIAS, _STAFF, [row[name] for name in _STAFF])
        branch = None
        if row["branch__id"] is not None:
            branch = Branch.from_db(
                DEFAULT_DB_ALIAS, _BRANCH, [row[name] for name in _BRANCH_COLUMNS]
            )
        Staff.branch.field.set_cached_value(user, branch)
        adopt_matrix(user, *(row[name] for name in MATRIX_COLUMNS))
        return user if self.user_can_authenticate(user) else None

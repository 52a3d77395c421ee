"""A signed-in user as one row: the staff member, the branch and the role's permission matrix.

Nearly every request reads the user's branch (its time zone, the scope of every list) and the
role's scope, second-factor rule and grants (core.access), so they are read with the user in
one statement. `user_from_row` makes the row into the same Staff and Branch instances
`select_related("branch")` would build, with the matrix where core.access keeps it."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS

from policydesk.core.access import MATRIX_COLUMNS, adopt_matrix

from .models import Branch, Staff

STAFF_COLUMNS = tuple(field.attname for field in Staff._meta.concrete_fields)
_BRANCH = tuple(field.attname for field in Branch._meta.concrete_fields)
BRANCH_COLUMNS = tuple(f"branch__{name}" for name in _BRANCH)
USER_COLUMNS = (*STAFF_COLUMNS, *BRANCH_COLUMNS)  # with MATRIX_COLUMNS after them


def user_from_row(row: dict[str, Any]) -> Staff:
    """The Staff of a row holding USER_COLUMNS and MATRIX_COLUMNS."""
    user = Staff.from_db(DEFAULT_DB_ALIAS, STAFF_COLUMNS, [row[name] for name in STAFF_COLUMNS])
    branch = None
    if row["branch__id"] is not None:
        branch = Branch.from_db(DEFAULT_DB_ALIAS, _BRANCH, [row[name] for name in BRANCH_COLUMNS])
    Staff.branch.field.set_cached_value(user, branch)
    adopt_matrix(user, *(row[name] for name in MATRIX_COLUMNS))
    return user

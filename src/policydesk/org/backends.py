"""The authentication backend: Django's model backend, loading the user with the branch.

The session's user is read in one statement with the branch and the role's permission
matrix (org.user_row), compiled once (core.statements) rather than per request. Inside a
request, that row usually came with the session itself (org.session_user) and is not read
again."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from policydesk.core import statements
from policydesk.core.access import MATRIX_COLUMNS, matrix_columns

from .models import Staff
from .session_user import take_session_user
from .user_row import USER_COLUMNS, user_from_row


def _user_row(values: statements.Values) -> QuerySet[Any, dict[str, Any]]:
    return (
        Staff._default_manager.filter(pk=cast(int, values["pk"]))
        .annotate(**matrix_columns())
        .values(*USER_COLUMNS, *MATRIX_COLUMNS)
    )


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Staff | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = take_session_user(pk)
        if user is None:
            rows = statements.values_rows("org.session_user", {"pk": pk}, _user_row)
            if not rows:
                return None
            user = user_from_row(rows[0])
        return user if self.user_can_authenticate(user) else None

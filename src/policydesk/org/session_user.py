"""The session and its user in one statement.

A signed-in request reads its session, then its user (with the branch and the role's
permission matrix, org.backends): two round trips before any work. The session's owner is
known from the link made at log-in (StaffSession), so the store reads the user's row in the
same statement as the session data, and the backend takes that row instead of reading it
again. The row is only a shortcut: the backend uses it when its id is the user id the
session data names (else it reads the user as before), and a session with no link is read on
its own. Both reads are as fresh as the request: nothing is kept between requests.

The row is handed over through `SessionUserMiddleware`, which opens a slot for one request
(a context variable) around Django's session middleware; outside a request (a task, a
command, a test calling the store) there is no slot, and store and backend read as before.
"""

from __future__ import annotations

import contextvars
from typing import Any, cast

from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from policydesk.core import statements
from policydesk.core.access import MATRIX_COLUMNS, matrix_columns
from policydesk.core.sessions import SessionStore as StatementSessionStore

from .models import StaffSession
from .user_row import USER_COLUMNS, user_from_row


class _Slot:
    __slots__ = ("row",)

    def __init__(self) -> None:
        self.row: dict[str, Any] | None = None


_slot: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar(
    "policydesk_session_user", default=None
)

_PREFIX = "staff__"
_LINKED_COLUMNS = tuple(f"{_PREFIX}{name}" for name in USER_COLUMNS)


def _linked_row(values: statements.Values) -> QuerySet[Any, dict[str, Any]]:
    live = Session.objects.filter(
        session_key=OuterRef("session_key"), expire_date__gt=values["now"]
    )
    return (
        StaffSession.objects.filter(session_key=values["key"])
        .annotate(
            **matrix_columns(f"{_PREFIX}role"),
            pd_session_data=Subquery(live.values("session_data")[:1]),
        )
        .values(*_LINKED_COLUMNS, *MATRIX_COLUMNS, "pd_session_data")
    )


class SessionStore(StatementSessionStore):
    """Database sessions; inside a request, the session's user is read with them."""

    def load(self) -> dict[str, Any]:
        slot = _slot.get()
        key = self.session_key
        if slot is None or not key:
            return super().load()
        rows = statements.values_rows(
            "sessions.load_with_user", {"key": key, "now": timezone.now()}, _linked_row
        )
        if not rows:  # no link (a session made without logging in): read it on its own
            return super().load()
        row = rows[0]
        if row["pd_session_data"] is None:  # expired or gone
            self._session_key = None
            return {}
        slot.row = {
            **{name: row[f"{_PREFIX}{name}"] for name in USER_COLUMNS},
            **{name: row[name] for name in MATRIX_COLUMNS},
        }
        return self.decode(row["pd_session_data"])


def take_session_user(user_id: int) -> Any | None:
    """The user read with this request's session, when it is the user `user_id` (once)."""
    slot = _slot.get()
    if slot is None or slot.row is None:
        return None
    row, slot.row = slot.row, None
    if row["id"] != user_id:
        return None
    return user_from_row(row)


class SessionUserMiddleware(SessionMiddleware):
    """Django's session middleware, with this request's slot for the session's user (under
    WSGI; an ASGI request is served as by Django's, the user read on its own)."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.async_mode:  # type: ignore[attr-defined]
            return cast(HttpResponseBase, super().__call__(request))
        token = _slot.set(_Slot())
        try:
            return cast(HttpResponseBase, super().__call__(request))
        finally:
            _slot.reset(token)

"""The session store: Django's database sessions, read through a compiled statement.

Every signed-in request reads its session; the read is the same statement each time, so it
is compiled once (core.statements) instead of building and compiling `Session.objects.get`
per request. Writing, expiry and clearing are Django's own (`SESSION_ENGINE` names this)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from . import statements


def _session_data(values: statements.Values) -> QuerySet[Any, dict[str, Any]]:
    session_key, now = values["key"], values["now"]
    live = Session.objects.filter(session_key=session_key, expire_date__gt=now)
    return live.values("session_data")  # type: ignore[return-value]


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        rows = (
            statements.values_rows(
                "sessions.load", {"key": key, "now": timezone.now()}, _session_data
            )
            if key
            else []
        )
        if not rows:
            self._session_key = None
            return {}
        return self.decode(rows[0]["session_data"])

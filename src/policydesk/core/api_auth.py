"""Who is calling the API: a bearer token (integrations) or a signed-in session (pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .errors import PermissionRefused


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from policydesk.org.services import token_authenticate

        actor = token_authenticate(token)
        if actor is not None:
            request.auth_via_token = True  # type: ignore[attr-defined]
        return actor


class StaffSession(SessionAuth):
    """The session cookie of a signed-in staff member; CSRF is checked on writes.

    Without a signed-in user there is nothing to protect, so the CSRF check is skipped and
    the caller gets 401 unauthenticated rather than 403 "CSRF check failed".
    """

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


def actor_of(request: HttpRequest) -> Any:
    """The acting staff member of an authenticated API request."""
    actor = getattr(request, "auth", None)
    if actor is None:
        raise PermissionRefused("api")
    return actor

"""Request id and client address for the audit trail; the branch's time zone for display."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from .errors import NotVisible
from .refusals import audit_refusal
from .request_context import RequestContext, bound_context

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the trusted proxies saw (POLICYDESK_TRUSTED_PROXY_COUNT)."""
    proxies = getattr(settings, "POLICYDESK_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if REQUEST_ID_PATTERN.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with bound_context(RequestContext(request_id, client_address(request))):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied | NotVisible):
            audit_refusal(request, exception)


class BranchTimezoneMiddleware:
    """Show times in the acting user's branch time zone (storage stays UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = settings.POLICYDESK_DEFAULT_BRANCH_TIMEZONE
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.branch_id:
            name = user.branch.timezone
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except zoneinfo.ZoneInfoNotFoundError:
            timezone.activate(zoneinfo.ZoneInfo(settings.POLICYDESK_DEFAULT_BRANCH_TIMEZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NulByteMiddleware:
    """Drop NUL characters (`%00`) from the query parameters before any view reads them.

    No stored text can hold NUL (PostgreSQL refuses it), so a filter value with one matched
    nothing on SQLite and raised a database error (a 500) on PostgreSQL wherever a list takes
    a text parameter. The value is otherwise schema-valid, so it is accepted without its NUL
    characters rather than refused. The raw query string is checked first: a request without
    `%00` costs nothing more."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned  # type: ignore[assignment]
        return self.get_response(request)

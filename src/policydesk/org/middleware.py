"""Session time-outs and the second-factor requirement."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from policydesk.core.audit import audit_record

from .second_factor import needs_second_factor, second_factor_verified

LOGIN_AT_KEY = "pd_login_at"
# When the idle expiry was last pushed back: the session is written at most once a minute,
# not on every request (a write and a commit per GET weighed a third of an API list).
RENEWED_AT_KEY = "pd_renewed_at"
# Paths a user who still owes a second factor may reach.
SECOND_FACTOR_OPEN_PATHS = ("/accounts/", "/static/", "/i18n/")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionLifetimeMiddleware:
    """End a session a fixed time after log-in, however busy, and keep the idle limit.

    The idle limit is the session's expiry in the database (SESSION_COOKIE_AGE after its last
    save; the cookie itself ends with the browser). Instead of saving the session on every
    request, the expiry is pushed back when the last renewal is older than
    POLICYDESK_SESSION_RENEW_SECONDS, so a session idle for the limit ends between
    SESSION_COOKIE_AGE - POLICYDESK_SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the
    user's last request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not getattr(request, "auth_via_token", False):
            login_at = request.session.get(LOGIN_AT_KEY)
            limit = settings.POLICYDESK_SESSION_ABSOLUTE_MINUTES * 60
            if login_at is None or time.time() - float(login_at) > limit:
                audit_record(action="auth.session_expired", actor=user, target=user)
                logout(request)
                if _wants_json(request):
                    return JsonResponse(
                        {"error": {"code": "session_expired", "message": "Sign in again."}},
                        status=401,
                    )
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect(f"{reverse('org:login')}?next={request.path}")
            _renew_idle_expiry(request)
        return self.get_response(request)


def _renew_idle_expiry(request: HttpRequest) -> None:
    now = time.time()
    renewed_at = request.session.get(RENEWED_AT_KEY)
    if renewed_at is None or now - float(renewed_at) >= settings.POLICYDESK_SESSION_RENEW_SECONDS:
        request.session[RENEWED_AT_KEY] = now  # modified: SessionMiddleware saves it


class SecondFactorMiddleware:
    """Roles that require a second factor reach nothing but the OTP pages until verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and needs_second_factor(user)
            and not second_factor_verified(user)
            and not request.path.startswith(SECOND_FACTOR_OPEN_PATHS)
        ):
            if _wants_json(request):
                return JsonResponse(
                    {"error": {"code": "second_factor_required", "message": "Verify your code."}},
                    status=401,
                )
            return redirect("org:otp_verify")
        return self.get_response(request)

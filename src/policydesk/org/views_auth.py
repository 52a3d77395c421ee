"""Log-in, log-out and the TOTP second factor."""

from __future__ import annotations

import base64
import time
from typing import Any, cast

import segno
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from policydesk.core.audit import audit_record

from .middleware import LOGIN_AT_KEY, RENEWED_AT_KEY
from .models import Staff
from .second_factor import confirmed_device, needs_second_factor, pending_device


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def locked_out(request: HttpRequest, response: HttpResponse, credentials: Any) -> HttpResponse:
    """django-axes lock-out: the log-in view has already rendered the message."""
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    error = ""
    status = 200
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        user = authenticate(request, username=username, password=password)
        if getattr(request, "axes_locked_out", False):
            audit_record(
                action="auth.locked_out", object_type="org.staff", object_label=username[:200]
            )
            error = _(
                "Too many failed attempts. This account is locked for a while; "
                "ask an administrator if you need in sooner."
            )
            status = 403
        elif user is None:
            audit_record(
                action="auth.login_failed", object_type="org.staff", object_label=username[:200]
            )
            error = _("The username or password is not right.")
            status = 401
        else:
            login(request, user)
            request.session[LOGIN_AT_KEY] = request.session[RENEWED_AT_KEY] = time.time()
            request.session.save()  # login() linked the session to its user (org.apps)
            audit_record(action="auth.login", actor=user, target=user)
            response: HttpResponse
            if needs_second_factor(user):
                target = "org:otp_verify" if confirmed_device(user) else "org:otp_setup"
                response = redirect(f"{_url(target)}?next={_safe_next(request)}")
            else:
                response = HttpResponseRedirect(_safe_next(request))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, _remembered_language(request, user), samesite="Lax"
            )
            return response
    return render(
        request,
        "org/login.html",
        {"error": error, "username": username, "next": _safe_next(request)},
        status=status,
    )


def _remembered_language(request: HttpRequest, user: Any) -> str:
    """A language picked on the log-in page wins and becomes the account's preference."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and chosen != user.preferred_language and check_for_language(chosen):
        user.preferred_language = chosen
        user.save(update_fields=["preferred_language"])
    return str(user.preferred_language)


def _url(name: str) -> str:
    return reverse(name)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action="auth.logout", actor=_staff(request), target=_staff(request))
    logout(request)
    return redirect("org:login")


def _staff(request: HttpRequest) -> Staff:
    """The signed-in staff member of a login_required view."""
    return cast(Staff, request.user)


def _verify_code(request: HttpRequest, device: Any) -> bool:
    code = request.POST.get("code", "").replace(" ", "")
    return bool(code.isdigit() and device.verify_token(code))


@login_required
@never_cache
def otp_verify_view(request: HttpRequest) -> HttpResponse:
    device = confirmed_device(request.user)
    if device is None:
        return redirect("org:otp_setup")
    error = ""
    if request.method == "POST":
        if _verify_code(request, device):
            otp_login(request, device)
            audit_record(action="auth.second_factor", actor=_staff(request), target=_staff(request))
            return HttpResponseRedirect(_safe_next(request))
        audit_record(
            action="auth.second_factor_failed",
            actor=_staff(request),
            target=_staff(request),
        )
        error = _("That code is not right. Codes change every 30 seconds.")
    return render(
        request,
        "org/otp_verify.html",
        {"error": error, "next": _safe_next(request)},
        status=401 if error else 200,
    )


@login_required
@never_cache
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is not None:
        return redirect("org:otp_verify")
    device = pending_device(request.user)
    error = ""
    if request.method == "POST":
        if _verify_code(request, device):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(
                action="auth.second_factor_enrolled",
                actor=_staff(request),
                target=_staff(request),
            )
            return HttpResponseRedirect(_safe_next(request))
        error = _("That code is not right. Check the time on your phone and try again.")
    qr_svg = segno.make(device.config_url, micro=False).svg_inline(scale=4)
    return render(
        request,
        "org/otp_setup.html",
        {
            "qr_svg": qr_svg,
            "base32_secret": _base32(device.bin_key),
            "needs": needs_second_factor(request.user),
            "error": error,
            "next": _safe_next(request),
        },
    )


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode("ascii").rstrip("=")

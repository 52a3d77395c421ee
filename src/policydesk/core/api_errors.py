"""JSON errors with stable codes for the whole API (listed in docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .errors import DomainError, NotVisible, PermissionRefused
from .refusals import audit_refusal


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _field_name(location: Any) -> str:
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(
            request, error_body(exc.code, exc.message, field=exc.field), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [
            {"field": _field_name(item.get("loc", ())), "message": item.get("msg", "")}
            for item in exc.errors
        ]
        first = fields[0]["field"] if fields else ""
        message = f"Invalid value for {first}." if first else "Invalid request."
        return api.create_response(
            request, error_body("validation_error", message, fields=fields), status=422
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            error_body("unauthenticated", "Sign in or send a valid bearer token."),
            status=401,
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        _audit(request, exc)
        code = exc.code if isinstance(exc, PermissionRefused) else "forbidden"
        return api.create_response(request, error_body(code, str(exc) or "Forbidden."), status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        if isinstance(exc, NotVisible):
            _audit(request, exc)
        return api.create_response(request, error_body("not_found", "Not found."), status=404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(
            request, error_body(f"http_{exc.status_code}", str(exc)), status=exc.status_code
        )


def _audit(request: HttpRequest, exc: Exception) -> None:
    auth = getattr(request, "auth", None)
    if auth is not None:
        request.user = auth
    audit_refusal(request, exc)

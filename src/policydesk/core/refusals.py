"""Audit of refused accesses (a role without the action, or an object out of scope)."""

from __future__ import annotations

from django.http import HttpRequest

from .audit import audit_record
from .errors import NotVisible, PermissionRefused


def audit_refusal(request: HttpRequest, exception: Exception) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    if isinstance(exception, PermissionRefused):
        reason = f"action:{exception.action}"
    elif isinstance(exception, NotVisible):
        reason = "out_of_scope_or_missing"
    else:
        reason = "forbidden"
    audit_record(
        action="access.refused",
        actor=actor,
        object_type="url",
        object_id=request.path[:64],
        object_label=request.method or "",
        after={"reason": reason},
    )

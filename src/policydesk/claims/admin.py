"""Admin for the claim authority limits (核赔权限): a row edited here is never overwritten by
the shipped authority_limits.toml."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import AuthorityLimit


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(AuditedModelAdmin):
    list_display = ("role", "limit", "currency", "edited_at")
    readonly_fields = ("edited_at",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.edited_at = timezone.now()
        super().save_model(request, obj, form, change)

"""Admin for servicing: the catalogue's per-item settings (documents, who may apply, active)
are editable; items and endorsements are read-only history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import PolicyEndorsement, ServicingItem, ServicingItemType


@admin.register(ServicingItemType)
class ServicingItemTypeAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "effect", "money", "is_active", "edited_at")
    list_filter = ("is_active", "money")
    fields = (
        "code",
        "name",
        "name_en",
        "effect",
        "money",
        "rules",
        "applicant_roles",
        "documents",
        "is_active",
    )
    readonly_fields = ("code", "name", "name_en", "effect", "money", "rules")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.edited_at = timezone.now()  # the catalogue file no longer overwrites the row
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnly(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServicingItem)
class ServicingItemAdmin(_ReadOnly):
    list_display = ("case", "item_type", "policy", "received_at", "done_at")
    list_filter = ("item_type",)
    raw_id_fields = ("case", "policy", "reverses")


@admin.register(PolicyEndorsement)
class PolicyEndorsementAdmin(_ReadOnly):
    list_display = ("policy", "effect", "effective_on", "recorded_at")
    raw_id_fields = ("policy", "item")

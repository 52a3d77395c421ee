"""Django admin, for administrators only (grant `admin.site`, second factor verified)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from policydesk.org.second_factor import second_factor_verified

from .access import can
from .models import AuditEvent, JobRun, ScheduledJob


def admin_has_permission(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active
        and user.is_authenticated
        and can(user, "admin.site")
        and second_factor_verified(user)
    )


admin.site.has_permission = admin_has_permission  # type: ignore[method-assign]
admin.site.site_header = "PolicyDesk"
admin.site.site_title = "PolicyDesk"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the table is append-only and the database refuses changes anyway."""

    list_display = ("id", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label", "request_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = ("name", "schedule", "enabled", "next_run_at", "last_enqueued_at")
    readonly_fields = ("next_run_at", "last_enqueued_at")


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("job", "slot", "status", "started_at", "finished_at")
    list_filter = ("status", "job")

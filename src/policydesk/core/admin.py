"""Django admin, for administrators only (grant `admin.site`, second factor verified)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .admin_audit import AuditedModelAdmin, MatrixPermissionsMixin, admin_allowed
from .errors import PermissionRefused
from .models import AuditEvent, JobRun, ScheduledJob

admin.site.has_permission = admin_allowed  # type: ignore[method-assign]
admin.site.site_header = "PolicyDesk"
admin.site.site_title = "PolicyDesk"


@admin.register(AuditEvent)
class AuditEventAdmin(MatrixPermissionsMixin, admin.ModelAdmin):
    """Read-only: the table is append-only and the database refuses changes anyway."""

    list_display = ("id", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label", "request_id")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(AuditedModelAdmin):
    list_display = ("name", "schedule", "enabled", "next_run_at", "last_enqueued_at")
    readonly_fields = ("next_run_at", "last_enqueued_at")


@admin.register(JobRun)
class JobRunAdmin(AuditedModelAdmin):
    list_display = ("job", "slot", "status", "started_at", "finished_at")
    list_filter = ("status", "job")


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through PolicyDesk's own log-in (lock-out, audit, second factor)."""
    if request.user.is_authenticated:
        # Signed in but without the grant or the second factor.
        raise PermissionRefused("admin.site")
    target = request.GET.get("next", reverse("admin:index"))
    return redirect(f"{reverse('org:login')}?{urlencode({'next': target})}")


admin.site.login = admin_login  # type: ignore[method-assign]

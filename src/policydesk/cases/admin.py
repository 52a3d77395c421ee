"""Admin for the case engine's configuration (processes are edited as drafts only)."""

from __future__ import annotations

from django.contrib import admin

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import BusinessCalendar, Process, ProcessVersion, SlaPolicy, SlaTarget


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "is_active")
    inlines = [SlaTargetInline]


@admin.register(Process)
class ProcessAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "number_prefix", "current_version", "is_active")
    readonly_fields = ("current_version",)


@admin.register(ProcessVersion)
class ProcessVersionAdmin(AuditedModelAdmin):
    list_display = ("process", "number", "status", "published_at")
    readonly_fields = ("process", "number", "status", "published_at", "published_by")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "region", "timezone", "branch", "is_region_default")

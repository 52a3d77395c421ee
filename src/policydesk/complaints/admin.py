"""Admin for the complaints taxonomy (the Head of Service edits it on the Root causes page)."""

from __future__ import annotations

from django.contrib import admin

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import RootCause


@admin.register(RootCause)
class RootCauseAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "name_en", "position", "is_active")
    readonly_fields = ("code",)

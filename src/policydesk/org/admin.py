from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import ApiToken, Branch, Company, Language, RoleGrant, RoleScope, Skill, Staff, Team


@admin.register(Staff)
class StaffAdmin(AuditedModelAdmin, UserAdmin):
    list_display = ("username", "display_name", "role", "branch", "team", "is_active")
    list_filter = ("role", "branch", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "PolicyDesk",
            {
                "fields": (
                    "display_name",
                    "employee_number",
                    "role",
                    "company",
                    "branch",
                    "team",
                    "languages",
                    "skills",
                    "preferred_language",
                )
            },
        ),
    )


admin.site.register(Company, AuditedModelAdmin)
admin.site.register(Language, AuditedModelAdmin)
admin.site.register(Skill, AuditedModelAdmin)


@admin.register(Branch)
class BranchAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "kind", "parent", "timezone", "calendar_region")


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "branch", "kind", "is_active")


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedModelAdmin):
    list_display = ("role", "action", "granted")
    list_filter = ("role",)


@admin.register(RoleScope)
class RoleScopeAdmin(AuditedModelAdmin):
    list_display = ("role", "scope", "requires_second_factor")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ("name", "prefix", "role", "branch", "owner", "created_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "last_used_at")

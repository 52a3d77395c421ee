from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, Branch, Company, Language, RoleGrant, RoleScope, Skill, Staff, Team


@admin.register(Staff)
class StaffAdmin(UserAdmin):
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


admin.site.register(Company)
admin.site.register(Language)
admin.site.register(Skill)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "timezone", "calendar_region")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "branch", "kind", "is_active")


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ("role", "action")
    list_filter = ("role",)


@admin.register(RoleScope)
class RoleScopeAdmin(admin.ModelAdmin):
    list_display = ("role", "scope", "requires_second_factor")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "role", "branch", "owner", "created_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "last_used_at")

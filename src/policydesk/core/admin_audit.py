"""Admin edits bypass the services, so the admin classes record the audit event themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from .audit import audit_record, snapshot


def concrete_field_names(model: type[models.Model]) -> list[str]:
    # Encrypted (binary) fields say nothing in an audit row and must not be copied there.
    return [
        field.name
        for field in model._meta.concrete_fields
        if not isinstance(field, models.BinaryField)
    ]


def admin_allowed(request: HttpRequest) -> bool:
    """The admin is open to roles granted `admin.site` whose second factor is verified.

    Django's per-model permissions are not used: the permission matrix is the one source.
    """
    from policydesk.org.second_factor import second_factor_verified

    from .access import can

    user = request.user
    return bool(
        user.is_active
        and user.is_authenticated
        and can(user, "admin.site")
        and second_factor_verified(user)
    )


class MatrixPermissionsMixin:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return admin_allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_allowed(request)


class AuditedModelAdmin(MatrixPermissionsMixin, admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = concrete_field_names(type(obj))
        before = None
        if change and obj.pk is not None:
            original = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(original, fields) if original is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=f"admin.{'change' if change else 'add'}",
                actor=request.user,
                target=obj,
                before=before,
                after=snapshot(obj, fields),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = snapshot(obj, concrete_field_names(type(obj)))
        with transaction.atomic():
            audit_record(action="admin.delete", actor=request.user, target=obj, before=before)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

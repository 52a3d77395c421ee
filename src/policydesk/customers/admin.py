"""Customer registry in the admin: for inspection and small corrections, every edit audited.

Customers are registered through the services (the ID number must be validated, encrypted
and hashed), so the admin cannot add them; the encrypted number and its hash are never shown,
only the last four characters. Consents are history and cannot be changed here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import (
    Consent,
    ContactDefect,
    ContactPoint,
    Customer,
    DoNotCall,
    Household,
    Relation,
    RiskProfile,
)


class ReadOnlyHistoryAdmin(AuditedModelAdmin):
    """History rows (consents, assessments) are appended by services, never edited."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = ("number", "name", "kind", "branch", "id_type", "id_number_last4", "segment")
    list_filter = ("kind", "segment", "branch")
    search_fields = ("number", "name")
    exclude = ("id_number_encrypted", "id_number_hash")
    readonly_fields = ("number", "id_type", "id_number_last4", "created_at", "updated_at")
    raw_id_fields = ("household",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


@admin.register(ContactPoint)
class ContactPointAdmin(AuditedModelAdmin):
    list_display = ("customer", "kind", "phone_type", "e164", "is_valid", "is_primary", "source")
    list_filter = ("kind", "is_valid")
    raw_id_fields = ("customer",)


@admin.register(ContactDefect)
class ContactDefectAdmin(AuditedModelAdmin):
    list_display = ("customer", "code", "detected_at", "resolved_at")
    list_filter = ("code",)
    raw_id_fields = ("customer", "contact", "policy")


@admin.register(Household)
class HouseholdAdmin(AuditedModelAdmin):
    list_display = ("name", "branch")


@admin.register(Relation)
class RelationAdmin(AuditedModelAdmin):
    list_display = ("customer", "kind", "related")
    raw_id_fields = ("customer", "related")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("customer", "purpose", "channel", "granted", "source", "recorded_at")
    list_filter = ("purpose", "channel", "granted")


@admin.register(DoNotCall)
class DoNotCallAdmin(AuditedModelAdmin):
    list_display = ("e164", "customer", "starts_on", "ends_on", "reason")
    raw_id_fields = ("customer",)


@admin.register(RiskProfile)
class RiskProfileAdmin(ReadOnlyHistoryAdmin):
    list_display = ("customer", "assessed_on", "risk_appetite", "annual_income")

"""Products, distribution, policies and money events in the admin, every edit audited.

The bank account is stored encrypted and shown by its last four digits only; mandates are
set through `services.mandate_set`, so the admin cannot add one. Status history is read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from policydesk.core.admin_audit import AuditedModelAdmin

from .models import (
    Agent,
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Intermediary,
    Policy,
    PolicyParty,
    PolicyStatusChange,
    PremiumDue,
    Product,
)


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "line", "term", "callback_required", "is_active")
    list_filter = ("line", "term", "is_active")
    search_fields = ("code", "name")


@admin.register(Agent)
class AgentAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "branch", "is_active")
    search_fields = ("code", "name")


@admin.register(Intermediary)
class IntermediaryAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "kind")


class PolicyPartyInline(admin.TabularInline[PolicyParty, Policy]):
    model = PolicyParty
    raw_id_fields = ("customer",)
    extra = 0


@admin.register(Policy)
class PolicyAdmin(AuditedModelAdmin):
    list_display = ("number", "product", "branch", "status", "channel", "cooling_off_end")
    list_filter = ("status", "channel", "jurisdiction")
    search_fields = ("number",)
    raw_id_fields = ("policyholder", "agent", "intermediary")
    # Status moves through services.policy_change_status so its history stays whole.
    readonly_fields = ("number", "status", "cooling_off_end", "created_at", "updated_at")
    inlines = (PolicyPartyInline,)


@admin.register(PolicyStatusChange)
class PolicyStatusChangeAdmin(AuditedModelAdmin):
    list_display = ("policy", "from_status", "to_status", "changed_on", "recorded_by")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BankMandate)
class BankMandateAdmin(AuditedModelAdmin):
    list_display = ("policy", "bank_name", "masked_account", "status", "is_dormant")
    list_filter = ("status", "is_dormant")
    exclude = ("account_encrypted",)
    readonly_fields = ("policy", "masked_account")
    raw_id_fields = ("policy",)

    @admin.display(description="account")
    def masked_account(self, obj: BankMandate) -> str:
        return f"****{obj.account_last4}"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


@admin.register(PremiumDue)
class PremiumDueAdmin(AuditedModelAdmin):
    list_display = ("policy", "due_date", "amount", "status", "paid_on")
    list_filter = ("status",)
    raw_id_fields = ("policy",)


@admin.register(CollectionAttempt)
class CollectionAttemptAdmin(AuditedModelAdmin):
    list_display = ("premium", "attempted_on", "method", "amount", "result")
    list_filter = ("result", "method")
    raw_id_fields = ("premium",)


@admin.register(Disbursement)
class DisbursementAdmin(AuditedModelAdmin):
    list_display = ("policy", "kind", "due_date", "amount", "method", "status")
    list_filter = ("kind", "status")
    raw_id_fields = ("policy",)

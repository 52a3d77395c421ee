from django.contrib import admin
from django.utils import timezone

from .models import PolicyEndorsement, ServicingItem, ServicingItemType


@admin.register(ServicingItemType)
class ServicingItemTypeAdmin(admin.ModelAdmin[ServicingItemType]):
    """The Head of Service edits documents, who may apply and whether an item is offered;
    rules and effect come from catalogue.toml."""

    list_display = ["code", "name", "effect", "money", "is_active", "edited_at"]
    list_filter = ["is_active", "money"]
    fields = ["code", "name", "name_en", "effect", "money", "rules", "applicant_roles", "documents", "is_active"]
    readonly_fields = ["code", "name", "name_en", "effect", "money", "rules"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.edited_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(ServicingItem)
class ServicingItemAdmin(admin.ModelAdmin[ServicingItem]):
    list_display = ["case", "item_type", "policy", "received_at", "done_at"]
    list_filter = ["item_type"]
    raw_id_fields = ["case", "policy", "reverses"]
    readonly_fields = [f.name for f in ServicingItem._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(PolicyEndorsement)
class PolicyEndorsementAdmin(admin.ModelAdmin[PolicyEndorsement]):
    list_display = ["policy", "effect", "effective_on", "recorded_at"]
    readonly_fields = [f.name for f in PolicyEndorsement._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

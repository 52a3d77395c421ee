"""The root-cause taxonomy is data: seeded from the app's TOML, edited by the Head of Service."""

from __future__ import annotations

import pytest

from policydesk.complaints import services
from policydesk.complaints.models import RootCause
from policydesk.core.errors import PermissionRefused
from tests.conftest import World

EXPECTED = {
    "mis-selling": ("销售误导", "Mis-selling"),
    "exaggerated-returns": ("夸大收益", "Exaggerated returns"),
    "service-delay": ("服务时效", "Service delay"),
    "staff-attitude": ("服务态度", "Staff attitude"),
    "system-error": ("系统问题", "System error"),
    "product-design": ("产品设计", "Product design"),
    "claims-dispute": ("理赔争议", "Claims dispute"),
    "premium-auto-debit": ("续期扣费", "Premium and auto-debit"),
    "policy-servicing": ("保全", "Policy servicing"),
    "privacy": ("个人信息", "Privacy"),
    "other": ("其他", "Other"),
}


def test_the_taxonomy_is_seeded_with_codes_and_both_names(db: None) -> None:
    rows = {c.code: (c.name, c.name_en) for c in RootCause.objects.all()}
    assert rows == EXPECTED


def test_the_head_of_service_renames_a_cause_and_the_seed_keeps_the_edit(world: World) -> None:
    cause = RootCause.objects.get(code="system-error")
    services.root_cause_update(
        root_cause=cause, name="系统故障", name_en="System fault", is_active=True, by=world.head
    )
    assert services.root_causes_sync() == 0
    cause.refresh_from_db()
    assert (cause.name, cause.name_en) == ("系统故障", "System fault")


def test_a_teller_cannot_edit_the_taxonomy(world: World) -> None:
    cause = RootCause.objects.get(code="other")
    with pytest.raises(PermissionRefused):
        services.root_cause_update(
            root_cause=cause, name="X", name_en="X", is_active=False, by=world.teller_a
        )
    cause.refresh_from_db()
    assert cause.is_active and cause.name == "其他"


def test_a_retired_cause_is_not_offered_but_stays_known(world: World) -> None:
    cause = RootCause.objects.get(code="privacy")
    services.root_cause_update(
        root_cause=cause, name=cause.name, name_en=cause.name_en, is_active=False, by=world.head
    )
    with pytest.raises(Exception) as refused:
        services.root_cause_by_code("privacy")
    assert getattr(refused.value, "code", "") == "root_cause_unknown"
    assert RootCause.objects.filter(code="privacy").exists()

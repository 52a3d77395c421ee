"""Load the demo organisation through the services, so it is audited like real data."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.org import services
from policydesk.org.models import Branch, Company, Language, Skill, Staff, Team
from policydesk.org.second_factor import needs_second_factor

DATA_FILE = Path(__file__).with_name("organisation.toml")
DEMO_PASSWORD = "PolicyDesk-demo-2026"  # noqa: S105 - published demo credential, demo data only


def _data() -> dict[str, Any]:
    return tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))


@transaction.atomic
def load_organisation() -> bool:
    """Create the demo organisation; return False (and change nothing) if it exists."""
    data = _data()
    if Company.objects.filter(code=data["company"]["code"]).exists():
        return False
    company = services.company_create(by=None, **data["company"])
    branches: dict[str, Branch] = {}
    for spec in data["branches"]:
        branches[spec["code"]] = services.branch_create(
            company=company,
            code=spec["code"],
            name=spec["name"],
            name_en=spec.get("name_en", ""),
            kind=spec["kind"],
            parent=branches.get(spec.get("parent", "")),
            timezone_name=spec.get("timezone", "Asia/Shanghai"),
            calendar_region=spec.get("calendar_region", "CN"),
            by=None,
        )
    teams: dict[tuple[str, str], Team] = {}
    for spec in data["teams"]:
        teams[(spec["branch"], spec["code"])] = services.team_create(
            branch=branches[spec["branch"]],
            code=spec["code"],
            name=spec["name"],
            name_en=spec.get("name_en", ""),
            kind=spec["kind"],
            by=None,
        )
    for spec in data["languages"]:
        Language.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "name_en": spec.get("name_en", ""),
                "is_dialect": spec.get("dialect", False),
            },
        )
    for spec in data["skills"]:
        Skill.objects.get_or_create(
            code=spec["code"], defaults={"name": spec["name"], "name_en": spec.get("name_en", "")}
        )
    for spec in data["staff"]:
        staff = services.staff_create(
            username=spec["username"],
            password=DEMO_PASSWORD,
            role=spec["role"],
            branch=branches[spec["branch"]],
            team=teams.get((spec["branch"], spec.get("team", ""))),
            display_name=spec["display_name"],
            email=f"{spec['username']}@demo.policydesk.invalid",
            languages=Language.objects.filter(code__in=spec.get("languages", [])),
            skills=Skill.objects.filter(code__in=spec.get("skills", [])),
            is_demo=True,
            by=None,
        )
        if needs_second_factor(staff):
            TOTPDevice.objects.create(user=staff, name="demo", confirmed=True)
    return True


def demo_logins() -> list[Staff]:
    return list(Staff.objects.filter(is_demo=True).select_related("branch").order_by("id"))

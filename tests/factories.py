"""Shared test data: the personas every test file builds on."""

from __future__ import annotations

import itertools
from typing import Any

from policydesk.org import services
from policydesk.org.models import Branch, Company, Role, Staff, Team

PASSWORD = "Correct-Horse-Battery-9"
_counter = itertools.count(1)


def company(code: str = "acme") -> Company:
    existing = Company.objects.filter(code=code).first()
    return existing or services.company_create(code=code, name=f"{code} Life", by=None)


def branch(
    code: str | None = None, *, parent: Branch | None = None, kind: str = "county", **extra: Any
) -> Branch:
    code = code or f"b{next(_counter)}"
    return services.branch_create(
        company=parent.company if parent else company(),
        code=code,
        name=f"Branch {code}",
        kind=kind,
        parent=parent,
        by=None,
        **extra,
    )


def team(branch_: Branch, code: str | None = None, kind: str = "team") -> Team:
    code = code or f"t{next(_counter)}"
    return services.team_create(branch=branch_, code=code, name=f"Team {code}", kind=kind, by=None)


def staff(role: str = Role.FRONT_TELLER, branch_: Branch | None = None, **extra: Any) -> Staff:
    username = extra.pop("username", None) or f"{role}-{next(_counter)}"
    return services.staff_create(
        username=username,
        password=extra.pop("password", PASSWORD),
        role=role,
        branch=branch_,
        display_name=extra.pop("display_name", username.title()),
        email=extra.pop("email", f"{username}@example.invalid"),
        by=None,
        **extra,
    )

"""Reading the default permission matrix file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .models import Role, Scope

MATRIX_FILE = Path(__file__).with_name("permission_matrix.toml")


@dataclass(frozen=True)
class RoleDefaults:
    role: str
    scope: str
    second_factor: bool
    actions: tuple[str, ...]


@dataclass(frozen=True)
class MatrixDefaults:
    actions: dict[str, str]
    actions_zh_hans: dict[str, str]
    roles: dict[str, RoleDefaults]

    def describe(self, action: str, language: str) -> str:
        if language.lower().startswith("zh"):
            return self.actions_zh_hans.get(action, self.actions[action])
        return self.actions[action]


@cache
def load_defaults() -> MatrixDefaults:
    data = tomllib.loads(MATRIX_FILE.read_text(encoding="utf-8"))
    actions = dict(data["actions"])
    actions_zh_hans = dict(data.get("actions_zh_hans", {}))
    if set(actions_zh_hans) != set(actions):
        raise ImproperlyConfigured(
            "permission_matrix.toml: [actions_zh_hans] must match [actions]."
        )
    roles: dict[str, RoleDefaults] = {}
    for role in Role.values:
        entry = data["roles"].get(role)
        if entry is None:
            raise ImproperlyConfigured(f"permission_matrix.toml: role {role!r} is missing.")
        if entry["scope"] not in Scope.values:
            raise ImproperlyConfigured(f"permission_matrix.toml: role {role!r}: bad scope.")
        unknown = set(entry["actions"]) - set(actions)
        if unknown:
            raise ImproperlyConfigured(
                f"permission_matrix.toml: role {role!r} names unknown actions {sorted(unknown)}."
            )
        roles[role] = RoleDefaults(
            role=role,
            scope=entry["scope"],
            second_factor=bool(entry.get("second_factor", False)),
            actions=tuple(entry["actions"]),
        )
    return MatrixDefaults(actions=actions, actions_zh_hans=actions_zh_hans, roles=roles)

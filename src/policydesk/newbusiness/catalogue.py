"""The new-business data files, read as configuration: the initial-review defect checklist,
the exit reason codes and the radar thresholds (newbusiness/data/*.toml).

They are small, change with a release (the codes are what reports count by) and are read
once per process; pages show the names in the language of the request.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Entry:
    code: str
    name: str  # zh-Hans, as the forms and reports print it
    name_en: str
    replace_form: bool = False

    @property
    def label(self) -> str:
        language = get_language() or "en"
        return self.name if language.startswith("zh") or not self.name_en else self.name_en


@dataclass(frozen=True)
class StageThreshold:
    stage: str
    working_days: int
    chase: str  # agent | applicant | internal


@dataclass(frozen=True)
class WithdrawalRule:
    after_working_days: int
    collection_failures: int
    max_wait_working_days: int


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def defects() -> dict[str, Entry]:
    return {
        item["code"]: Entry(
            item["code"], item["name"], item.get("name_en", ""), bool(item.get("replace_form"))
        )
        for item in _load("defects.toml")["defects"]
    }


@cache
def exit_reasons() -> dict[str, dict[str, Entry]]:
    """{exit kind: {reason code: entry}}."""
    return {
        kind: {
            item["code"]: Entry(item["code"], item["name"], item.get("name_en", ""))
            for item in table["reasons"]
        }
        for kind, table in _load("exit_reasons.toml").items()
    }


@cache
def thresholds() -> dict[str, StageThreshold]:
    return {
        stage: StageThreshold(stage, int(item["working_days"]), str(item.get("chase", "agent")))
        for stage, item in _load("radar.toml")["stages"].items()
    }


@cache
def withdrawal_rule() -> WithdrawalRule:
    item = _load("radar.toml")["withdrawal"]
    return WithdrawalRule(
        after_working_days=int(item["after_working_days"]),
        collection_failures=int(item["collection_failures"]),
        max_wait_working_days=int(item["max_wait_working_days"]),
    )


def reason_label(kind: str, code: str) -> str:
    entry = exit_reasons().get(kind, {}).get(code)
    return entry.label if entry else code


def defect_label(code: str) -> str:
    entry = defects().get(code)
    return entry.label if entry else code

"""Needs arithmetic of the account review (保障需求分析): pure functions on Decimal money.

Each need is computed from the risk profile and the segment's assumptions (segments.toml),
then set against the cover in force with us and the cover declared elsewhere; the gap is
what is missing (never negative). Life cover follows the usual formula:

    life need = income × years of support (when there are dependants) + liabilities − assets
    life gap  = max(0, life need − cover with us − cover elsewhere)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The order needs are shown in; each is a key of the cover dictionaries.
CATEGORIES = ("life", "critical_illness", "medical", "accident", "education", "retirement")

# Which product lines count as cover of which need (sum assured of live policies).
LINE_COVERS = {
    "life": "life",
    "participating": "life",
    "critical_illness": "critical_illness",
    "health": "medical",
    "medical": "medical",
    "accident": "accident",
    "annuity": "retirement",
}


@dataclass(frozen=True)
class Assumptions:
    contact_every_days: int
    review_every_months: int
    years_of_support: int
    education_cost_per_child: Decimal
    retirement_replacement: Decimal
    retirement_years: int
    critical_illness_years: int
    medical_cover: Decimal
    accident_multiple: int


@cache
def segment_assumptions() -> dict[str, Assumptions]:
    """The assumptions of every segment, read once from segments.toml."""
    path = Path(__file__).with_name("segments.toml")
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["segments"]
    return {
        name: Assumptions(
            contact_every_days=int(spec["contact_every_days"]),
            review_every_months=int(spec["review_every_months"]),
            years_of_support=int(spec["years_of_support"]),
            education_cost_per_child=Decimal(spec["education_cost_per_child"]),
            retirement_replacement=Decimal(spec["retirement_replacement"]),
            retirement_years=int(spec["retirement_years"]),
            critical_illness_years=int(spec["critical_illness_years"]),
            medical_cover=Decimal(spec["medical_cover"]),
            accident_multiple=int(spec["accident_multiple"]),
        )
        for name, spec in data.items()
    }


def assumptions_for(segment: str) -> Assumptions:
    table = segment_assumptions()
    return table.get(segment, table["mass"])


@dataclass(frozen=True)
class Profile:
    annual_income: Decimal
    dependants: int
    children: int
    liabilities: Decimal
    assets: Decimal


@dataclass(frozen=True)
class NeedLine:
    category: str
    need: Decimal
    cover_with_us: Decimal
    cover_elsewhere: Decimal

    @property
    def cover(self) -> Decimal:
        return self.cover_with_us + self.cover_elsewhere

    @property
    def gap(self) -> Decimal:
        return max(ZERO, self.need - self.cover)


def _money(value: Decimal) -> Decimal:
    return max(ZERO, value).quantize(CENT, rounding=ROUND_HALF_UP)


def life_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    support = (
        profile.annual_income * assumptions.years_of_support if profile.dependants > 0 else ZERO
    )
    return _money(support + profile.liabilities - profile.assets)


def critical_illness_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    return _money(profile.annual_income * assumptions.critical_illness_years)


def medical_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    return _money(assumptions.medical_cover)


def accident_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    return _money(profile.annual_income * assumptions.accident_multiple)


def education_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    return _money(assumptions.education_cost_per_child * profile.children)


def retirement_need(profile: Profile, assumptions: Assumptions) -> Decimal:
    yearly = profile.annual_income * assumptions.retirement_replacement
    return _money(yearly * assumptions.retirement_years)


NEED_FUNCTIONS = {
    "life": life_need,
    "critical_illness": critical_illness_need,
    "medical": medical_need,
    "accident": accident_need,
    "education": education_need,
    "retirement": retirement_need,
}


def needs_analysis(
    profile: Profile,
    assumptions: Assumptions,
    *,
    cover_with_us: dict[str, Decimal],
    cover_elsewhere: dict[str, Decimal],
) -> list[NeedLine]:
    """One line per category: the need, the cover with us and elsewhere (the gap follows)."""
    return [
        NeedLine(
            category=category,
            need=NEED_FUNCTIONS[category](profile, assumptions),
            cover_with_us=_money(cover_with_us.get(category, ZERO)),
            cover_elsewhere=_money(cover_elsewhere.get(category, ZERO)),
        )
        for category in CATEGORIES
    ]


def cover_by_category(policies: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Sum assured of (product line, sum assured) pairs, by the need each line covers."""
    totals = dict.fromkeys(CATEGORIES, ZERO)
    for line, sum_assured in policies:
        category = LINE_COVERS.get(line)
        if category is not None:
            totals[category] += sum_assured
    return totals


def lines_as_json(lines: list[NeedLine]) -> list[dict[str, str]]:
    return [
        {
            "category": line.category,
            "need": str(line.need),
            "cover_with_us": str(line.cover_with_us),
            "cover_elsewhere": str(line.cover_elsewhere),
            "gap": str(line.gap),
        }
        for line in lines
    ]

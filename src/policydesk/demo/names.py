"""The data behind the demo population (population.toml), read once, as typed records."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

DATA_FILE = Path(__file__).with_name("population.toml")


@dataclass(frozen=True)
class Town:
    name: str
    urban: bool
    places: tuple[str, ...]  # roads (urban) or villages (rural)


@dataclass(frozen=True)
class Area:
    branch: str
    id_area: str  # first six digits of a resident ID number
    prefix: str  # province + city + county of an address
    landline_prefixes: tuple[str, ...]
    towns: tuple[Town, ...]


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    name_en: str
    line: str
    term: str
    terms: tuple[int, ...]
    modes: tuple[str, ...]
    channels: tuple[str, ...]
    sum_assured: tuple[int, int]
    premium_rate: float
    survival_every: int  # 0: no survival benefit
    maturity: bool
    legacy: bool  # old direct-sales business (旧版直销业务)
    card: bool  # short-term card policy (短险卡折)


@dataclass(frozen=True)
class IntermediarySpec:
    code: str
    name: str
    kind: str
    weight: int
    account_prefix: str
    office_field_only: bool  # the bank's system takes phones only in "office phone"


@dataclass(frozen=True)
class PopulationData:
    branch_weights: dict[str, int]
    surnames: tuple[str, ...]
    surname_weights: tuple[int, ...]
    surname_latin: dict[str, str]
    given_names: dict[str, tuple[str, ...]]
    areas: tuple[Area, ...]
    occupations: dict[str, tuple[tuple[str, ...], tuple[int, ...]]]
    intermediaries: tuple[IntermediarySpec, ...]
    banks: tuple[tuple[str, str, int], ...]  # name, card prefix, weight
    products: tuple[ProductSpec, ...]
    employers: tuple[str, ...]
    employer_suffixes: tuple[str, ...]


def _product(spec: dict[str, Any]) -> ProductSpec:
    low, high = spec["sum_assured"]
    return ProductSpec(
        code=spec["code"],
        name=spec["name"],
        name_en=spec["name_en"],
        line=spec["line"],
        term=spec["term"],
        terms=tuple(spec["terms"]),
        modes=tuple(spec["modes"]),
        channels=tuple(spec["channels"]),
        sum_assured=(int(low), int(high)),
        premium_rate=float(spec["premium_rate"]),
        survival_every=int(spec.get("survival_every", 0)),
        maturity=bool(spec.get("maturity", False)),
        legacy=bool(spec.get("legacy", False)),
        card=bool(spec.get("card", False)),
    )


@cache
def population_data() -> PopulationData:
    raw = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    surnames = raw["surnames"]
    return PopulationData(
        branch_weights=dict(raw["branches"]),
        surnames=tuple(surnames),
        surname_weights=tuple(int(value[0]) for value in surnames.values()),
        surname_latin={name: value[1] for name, value in surnames.items()},
        given_names={key: tuple(names) for key, names in raw["given_names"].items()},
        areas=tuple(
            Area(
                branch=area["branch"],
                id_area=area["id_area"],
                prefix=area["prefix"],
                landline_prefixes=tuple(area["landline_prefixes"]),
                towns=tuple(
                    Town(name=t["name"], urban=t.get("urban", False), places=tuple(t["places"]))
                    for t in area["towns"]
                ),
            )
            for area in raw["areas"]
        ),
        occupations={
            key: (tuple(o[0] for o in pairs), tuple(int(o[1]) for o in pairs))
            for key, pairs in raw["occupations"].items()
        },
        intermediaries=tuple(
            IntermediarySpec(
                code=spec["code"],
                name=spec["name"],
                kind=spec["kind"],
                weight=int(spec["weight"]),
                account_prefix=spec.get("account_prefix", ""),
                office_field_only=bool(spec.get("office_field_only", False)),
            )
            for spec in raw["intermediaries"]
        ),
        banks=tuple((name, value[0], int(value[1])) for name, value in raw["banks"].items()),
        products=tuple(_product(spec) for spec in raw["products"]),
        employers=tuple(raw["employers"]["names"]),
        employer_suffixes=tuple(raw["employers"]["suffixes"]),
    )


@cache
def _given_latin(given: str) -> str:
    return "".join(lazy_pinyin(given, style=Style.NORMAL)).capitalize()


def latin_name(surname: str, given: str) -> str:
    """Passport-style spelling: surname then given name, e.g. 林秀英 → "Lin Xiuying"."""
    data = population_data()
    family = data.surname_latin.get(surname) or _given_latin(surname)
    return f"{family} {_given_latin(given)}"

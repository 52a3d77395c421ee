"""The random generator the demo population is drawn from, the state its parts share (used
identity and phone numbers, sequences, agents), and the small draws they all use.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque
from collections.abc import Sequence
from typing import TypeVar

from .names import Area, population_data
from .rows import Row

T = TypeVar("T")

MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    *(f"18{d}" for d in range(10)),
    "176",
    "177",
    "198",
    "199",
)


class Draws:
    def __init__(self, seed: int, customers: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
        self.total = customers
        self.as_of = as_of
        self.data = population_data()
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.customer_seq = 0
        self.policy_seq = 0
        self.household_seq = 0
        self.persons_since_employer = 0
        self.workers: deque[str] = deque(maxlen=200)  # recent working-age adults, for groups
        self.agents_by_branch: dict[str, list[Row]] = {}
        self.sloppy_agents: dict[str, list[Row]] = {}
        self.village_phones: dict[str, str] = {}
        self.products = {p.code: p for p in self.data.products}

    # --- small helpers ------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
        if weights is None:
            return items[self.rng.randrange(len(items))]
        return self.rng.choices(items, weights=weights)[0]

    def pick_key(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.as_of - dt.timedelta(days=self.rng.randint(low, max(low, high)))

    def mobile(self) -> str:
        while True:
            number = self.pick(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def landline(self, area: Area) -> str:
        for _attempt in range(50):  # the exchanges of an area hold 10,000 numbers each
            # Putian numbers have 7 digits: a 3-digit exchange prefix and 4 digits.
            number = f"0594-{self.pick(area.landline_prefixes)}{self.rng.randrange(10000):04d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number
        return number  # an area this full shares numbers, as a real one would

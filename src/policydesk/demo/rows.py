"""The rows the demo generator produces: plain dicts keyed by business keys, gathered in a
`Population`, and the prefixes that mark them as demo data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

Row = dict[str, Any]

CUSTOMER_PREFIX = "DEMO-"  # marks the demo population (and keeps loading idempotent)
POLICY_PREFIX = "DEMO-P"
AGENT_PREFIX = "DEMO-AG-"


@dataclass
class Population:
    """Rows to write, as plain dicts; references are business keys, not database ids."""

    products: list[Row] = field(default_factory=list)
    intermediaries: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    relations: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)
    do_not_call: list[Row] = field(default_factory=list)
    risk_profiles: list[Row] = field(default_factory=list)
    policies: list[Row] = field(default_factory=list)
    parties: list[Row] = field(default_factory=list)
    status_changes: list[Row] = field(default_factory=list)
    mandates: list[Row] = field(default_factory=list)
    premiums: list[Row] = field(default_factory=list)
    attempts: list[Row] = field(default_factory=list)
    disbursements: list[Row] = field(default_factory=list)

    def extend(self, other: Population) -> None:
        for f in fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


def to_money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.01):.2f}")

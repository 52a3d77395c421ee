"""Write the demo population (population.py) in bulk: one transaction, chunked inserts, one
audit event for the whole load, then the contact-quality sweep so the defects show.

Per-row services would audit every row; for a hundred thousand customers that is too slow,
and the demo population is generated data, not a business act.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from policydesk.core.audit import audit_record
from policydesk.core.crypto import encrypt_text
from policydesk.core.phones import check_phone
from policydesk.customers import quality
from policydesk.customers.identity import seal
from policydesk.customers.models import (
    Consent,
    ContactKind,
    ContactPoint,
    Customer,
    DoNotCall,
    Household,
    Relation,
    RiskProfile,
)
from policydesk.org.models import Branch, Language
from policydesk.policies.models import (
    Agent,
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Intermediary,
    Policy,
    PolicyParty,
    PolicyStatusChange,
    PremiumDue,
    Product,
)

from .population import CUSTOMER_PREFIX, Population, Row, iter_population

BATCH = 2000
DEFAULT_SEED = 4  # after shared/seeds/004
M = TypeVar("M", bound=models.Model)


def population_loaded() -> bool:
    return Customer.objects.filter(number__startswith=CUSTOMER_PREFIX).exists()


def _bulk(model: type[M], rows: list[Row], build: Callable[[Row], M]) -> list[M]:
    objects = [build(row) for row in rows]
    # Chunks keep SQLite under its variable limit; pks come back (RETURNING) for the maps.
    return model._default_manager.bulk_create(objects, batch_size=BATCH)


def _keyed(row: Row, key: str, ids: dict[str, int]) -> Row:
    """The row with a business-key reference replaced by the database id."""
    fields = {k: v for k, v in row.items() if k != key}
    fields[f"{key}_id"] = ids[row[key]]
    return fields


class _Writer:
    def __init__(self) -> None:
        self.branches = dict(Branch.objects.values_list("code", "pk"))
        self.languages = dict(Language.objects.values_list("code", "pk"))
        self.products: dict[str, int] = {}
        self.agents: dict[str, int] = {}
        self.intermediaries: dict[str, int] = {}
        self.customers: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def reference(self, population: Population) -> None:
        existing = set(Product.objects.values_list("code", flat=True))
        _bulk(
            Product,
            [r for r in population.products if r["code"] not in existing],
            lambda r: Product(**r),
        )
        existing = set(Intermediary.objects.values_list("code", flat=True))
        _bulk(
            Intermediary,
            [r for r in population.intermediaries if r["code"] not in existing],
            lambda r: Intermediary(**r),
        )
        existing = set(Agent.objects.values_list("code", flat=True))
        _bulk(
            Agent,
            [r for r in population.agents if r["code"] not in existing],
            lambda r: Agent(**_keyed(r, "branch", self.branches)),
        )
        self.products = dict(Product.objects.values_list("code", "pk"))
        self.intermediaries = dict(Intermediary.objects.values_list("code", "pk"))
        self.agents = dict(Agent.objects.values_list("code", "pk"))
        self.count("products", len(population.products))
        self.count("agents", len(population.agents))
        self.count("intermediaries", len(population.intermediaries))

    def _customer(self, row: Row, households: dict[str, int]) -> Customer:
        sealed = seal(row["id_number"])
        fields = {k: v for k, v in row.items() if k not in ("id_number", "branch", "household")}
        fields["preferred_language_id"] = self.languages.get(fields.pop("preferred_language"))
        fields["dialect_id"] = self.languages.get(fields.pop("dialect"))
        return Customer(
            **fields,
            branch_id=self.branches[row["branch"]],
            household_id=households.get(row["household"] or ""),
            id_number_encrypted=sealed.encrypted,
            id_number_hash=sealed.hash,
            id_number_last4=sealed.last4,
            updated_at=row["created_at"],
        )

    def _contact(self, row: Row) -> ContactPoint:
        contact = ContactPoint(
            customer_id=self.customers[row["customer"]],
            kind=row["kind"],
            phone_type=row["phone_type"],
            raw=row["raw"],
            is_primary=row["is_primary"],
            source=row["source"],
        )
        if row["kind"] == ContactKind.PHONE:
            check = check_phone(row["raw"], entered_as=row["phone_type"])
            contact.e164, contact.is_valid = check.e164, check.is_valid
        else:
            contact.is_valid = True
        return contact

    def chunk(self, population: Population) -> list[int]:
        households = _bulk(
            Household,
            population.households,
            lambda r: Household(branch_id=self.branches[r["branch"]], name=r["name"]),
        )
        household_ids = {
            row["key"]: h.pk for row, h in zip(population.households, households, strict=True)
        }
        customers = _bulk(
            Customer, population.customers, lambda r: self._customer(r, household_ids)
        )
        new_ids = [c.pk for c in customers]
        self.customers.update((c.number, c.pk) for c in customers)
        cid = self.customers
        _bulk(
            Relation,
            population.relations,
            lambda r: Relation(
                customer_id=cid[r["customer"]], related_id=cid[r["related"]], kind=r["kind"]
            ),
        )
        _bulk(ContactPoint, population.contacts, self._contact)
        _bulk(
            Consent,
            population.consents,
            lambda r: Consent(**_keyed(r, "customer", cid)),
        )
        _bulk(
            DoNotCall,
            population.do_not_call,
            lambda r: DoNotCall(**_keyed(r, "customer", cid)),
        )
        _bulk(
            RiskProfile,
            population.risk_profiles,
            lambda r: RiskProfile(**_keyed(r, "customer", cid)),
        )
        self._policies(population)
        for name, n in population.counts().items():
            if name not in ("products", "agents", "intermediaries"):
                self.count(name, n)
        return new_ids

    def _policy(self, r: Row) -> Policy:
        fields = {
            k: v
            for k, v in r.items()
            if k not in ("product", "branch", "policyholder", "agent", "intermediary")
        }
        return Policy(
            **fields,
            product_id=self.products[r["product"]],
            branch_id=self.branches[r["branch"]],
            policyholder_id=self.customers[r["policyholder"]],
            agent_id=self.agents[r["agent"]] if r["agent"] else None,
            intermediary_id=self.intermediaries[r["intermediary"]] if r["intermediary"] else None,
            created_at=_at(r["application_date"]),
            updated_at=_at(r["application_date"]),
        )

    def _policies(self, population: Population) -> None:
        policies = _bulk(Policy, population.policies, self._policy)
        pid = {p.number: p.pk for p in policies}
        cid = self.customers
        _bulk(
            PolicyParty,
            population.parties,
            lambda r: PolicyParty(
                policy_id=pid[r["policy"]],
                customer_id=cid[r["customer"]],
                role=r["role"],
                share=r["share"],
                relation_to_insured=r["relation_to_insured"],
            ),
        )
        _bulk(
            PolicyStatusChange,
            population.status_changes,
            lambda r: PolicyStatusChange(
                policy_id=pid[r["policy"]],
                from_status=r["from_status"],
                to_status=r["to_status"],
                changed_on=r["changed_on"],
                reason=r["reason"],
                recorded_at=_at(r["changed_on"]),
            ),
        )
        _bulk(
            BankMandate,
            population.mandates,
            lambda r: BankMandate(
                policy_id=pid[r["policy"]],
                bank_name=r["bank_name"],
                account_encrypted=encrypt_text(r["account"]),
                account_last4=r["account"][-4:],
                status=r["status"],
                is_dormant=r["is_dormant"],
            ),
        )
        premiums = _bulk(
            PremiumDue,
            population.premiums,
            lambda r: PremiumDue(**_keyed(r, "policy", pid)),
        )
        premium_ids = {
            (row["policy"], row["due_date"]): p.pk
            for row, p in zip(population.premiums, premiums, strict=True)
        }
        _bulk(
            CollectionAttempt,
            population.attempts,
            lambda r: CollectionAttempt(
                premium_id=premium_ids[(r["policy"], r["due_date"])],
                attempted_on=r["attempted_on"],
                method=r["method"],
                amount=r["amount"],
                result=r["result"],
                bank_code=r["bank_code"],
            ),
        )
        _bulk(
            Disbursement,
            population.disbursements,
            lambda r: Disbursement(**_keyed(r, "policy", pid)),
        )


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)


@transaction.atomic
def load_population(
    *, seed: int = DEFAULT_SEED, customers: int = 2000, as_of: dt.date | None = None
) -> dict[str, Any] | None:
    """Generate and write the demo population; return the counts written, or None (and
    change nothing) if a demo population is already there. Load the organisation first."""
    if population_loaded():
        return None
    as_of = as_of or timezone.localdate()
    writer = _Writer()
    chunks = iter_population(seed, customers, as_of=as_of)
    writer.reference(next(chunks))
    for population in chunks:
        writer.chunk(population)
    swept = quality.refresh_all()
    after: dict[str, Any] = {"seed": seed, "as_of": as_of, **writer.counts, "quality": swept}
    audit_record(
        action="demo.population.load",
        object_type="demo.population",
        object_label=f"{customers} customers, seed {seed}",
        after=after,
    )
    return after

"""Contact-quality checks: find, name and keep current the defects of customers' contacts.

`refresh_for_customers` recomputes the open defects of some customers (and of everyone who
shares a number with them) and reconciles them with what is stored: new findings are opened,
findings that no longer hold are marked resolved. Running it twice changes nothing.

`refresh_many` reaches the same findings for many customers at once (the importer's case):
the clean contacts are recognised in SQL instead of being loaded one by one. A phone whose
stored normalisation says valid and that was not entered in the fixed-line field has no
defect of its own (`check_phone` finds defects of valid numbers only for mobiles in a
fixed-line field), so only the other phones are parsed again; numbers are looked at in
Python only when another customer or an agent carries them too; the unreachable policies
are found by one anti-join. tests/customers/test_contact_quality.py compares the two on a
generated population.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import Exists, Field, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from policydesk.core.phones import check_phone

from .models import (
    ContactDefect,
    ContactKind,
    ContactPoint,
    Customer,
    DefectCode,
    PhoneType,
    Relation,
)

# Contacts whose number is in use by more customers than this are reported as shared.
SHARED_NUMBER_MIN_CUSTOMERS = 2
CHUNK = 2000
# refresh_many's chunk: one query of each kind per this many customers.
MANY_CHUNK = 20_000  # at least; a large set goes in MANY_PARTS chunks
MANY_PARTS = 4


@dataclass(frozen=True)
class Finding:
    customer_id: int
    code: str
    contact_id: int | None = None
    policy_id: int | None = None
    detail: str = ""
    suggestion: str = ""
    # The contact does not reach the customer at all (malformed, or an agent's own phone).
    unusable: bool = False

    @property
    def key(self) -> tuple[int, str, int | None, int | None]:
        return (self.customer_id, self.code, self.contact_id, self.policy_id)


def _related_pairs(customer_ids: set[int]) -> set[frozenset[int]]:
    pairs = Relation.objects.filter(
        Q(customer_id__in=customer_ids) | Q(related_id__in=customer_ids)
    ).values_list("customer_id", "related_id")
    return {frozenset(pair) for pair in pairs}


def _phone_findings(contacts: list[ContactPoint]) -> list[Finding]:
    findings = []
    for contact in contacts:
        check = check_phone(contact.raw, entered_as=contact.phone_type)
        for code in check.defects:
            findings.append(
                Finding(
                    customer_id=contact.customer_id,
                    code=code,
                    contact_id=contact.pk,
                    detail=contact.raw,
                    suggestion=check.suggestion,
                    unusable=code != DefectCode.MOBILE_IN_FIXED_LINE_FIELD,
                )
            )
    return findings


def _shared_findings(contacts: list[ContactPoint], customer_ids: set[int]) -> list[Finding]:
    from policydesk.policies.models import Agent

    numbers = {c.e164 for c in contacts if c.e164}
    if not numbers:
        return []
    holders: dict[str, set[int]] = defaultdict(set)
    households: dict[int, int | None] = {}
    for e164, customer_id, household_id in ContactPoint.objects.filter(
        kind=ContactKind.PHONE, e164__in=numbers
    ).values_list("e164", "customer_id", "customer__household_id"):
        holders[e164].add(customer_id)
        households[customer_id] = household_id
    agents = dict(Agent.objects.filter(phone_e164__in=numbers).values_list("phone_e164", "code"))
    related = _related_pairs(set(households))
    return [
        finding
        for contact in contacts
        if contact.e164
        and (
            finding := _shared_finding(
                contact.pk, contact.customer_id, contact.e164, holders, households, agents, related
            )
        )
        is not None
    ]


def _shared_finding(
    contact_id: int,
    customer_id: int,
    e164: str,
    holders: dict[str, set[int]],
    households: dict[int, int | None],
    agents: dict[str, str],
    related: set[frozenset[int]],
) -> Finding | None:
    """The shared-number finding of one phone, given every holder of its number."""
    if e164 in agents:
        return Finding(
            customer_id=customer_id,
            code=DefectCode.SHARED_NUMBER,
            contact_id=contact_id,
            detail=f"agent {agents[e164]}",
            unusable=True,
        )
    mine = households.get(customer_id)
    unrelated = {
        other
        for other in holders[e164]
        if other != customer_id
        and (mine is None or households.get(other) != mine)
        and frozenset({other, customer_id}) not in related
    }
    if len(unrelated) + 1 >= SHARED_NUMBER_MIN_CUSTOMERS and unrelated:
        return Finding(
            customer_id=customer_id,
            code=DefectCode.SHARED_NUMBER,
            contact_id=contact_id,
            detail=f"{len(unrelated)} other customer(s)",
        )
    return None


def _unreachable_policy_findings(
    customer_ids: set[int], contacts: list[ContactPoint], defective: set[int]
) -> list[Finding]:
    from policydesk.policies.models import TERMINAL_STATUSES, Policy

    reachable = {c.customer_id for c in contacts if c.is_valid and c.e164 and c.pk not in defective}
    policies = Policy.objects.filter(policyholder_id__in=customer_ids).exclude(
        status__in=TERMINAL_STATUSES
    )
    return [
        Finding(customer_id=holder, code=DefectCode.NO_REACHABLE_NUMBER, policy_id=policy_id)
        for policy_id, holder in policies.values_list("id", "policyholder_id")
        if holder not in reachable
    ]


def findings_for(customer_ids: set[int]) -> list[Finding]:
    contacts = list(
        ContactPoint.objects.filter(customer_id__in=customer_ids, kind=ContactKind.PHONE)
    )
    findings = _phone_findings(contacts) + _shared_findings(contacts, customer_ids)
    unusable = {f.contact_id for f in findings if f.unusable and f.contact_id is not None}
    return findings + _unreachable_policy_findings(customer_ids, contacts, unusable)


def _sharers_of(customer_ids: set[int]) -> set[int]:
    numbers = (
        ContactPoint.objects.filter(customer_id__in=customer_ids, kind=ContactKind.PHONE)
        .exclude(e164="")
        .values("e164")
    )
    return set(
        ContactPoint.objects.filter(kind=ContactKind.PHONE, e164__in=numbers).values_list(
            "customer_id", flat=True
        )
    )


@transaction.atomic
def refresh_for_customers(customer_ids: Iterable[int]) -> tuple[int, int]:
    """Reconcile open defects; return (opened, resolved)."""
    ids = set(customer_ids)
    ids |= _sharers_of(ids)
    opened = resolved = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = set(ordered[start : start + CHUNK])
        result = _reconcile(chunk, findings_for(chunk))
        opened, resolved = opened + result[0], resolved + result[1]
    return opened, resolved


def _reconcile(chunk: set[int], findings: list[Finding]) -> tuple[int, int]:
    """Open the findings not yet open, resolve the open defects of `chunk` that are gone."""
    desired = {f.key: f for f in findings}
    existing = {
        (customer, code, contact, policy): pk
        for pk, customer, code, contact, policy in _among(
            ContactDefect.objects.filter(resolved_at__isnull=True), "customer_id", chunk
        ).values_list("pk", "customer_id", "code", "contact_id", "policy_id")
    }
    resolved = 0
    gone = [pk for key, pk in existing.items() if key not in desired]
    if gone:
        resolved = ContactDefect.objects.filter(pk__in=gone).update(resolved_at=timezone.now())
    new = [
        ContactDefect(
            customer_id=f.customer_id,
            contact_id=f.contact_id,
            policy_id=f.policy_id,
            code=f.code,
            detail=f.detail[:300],
            suggestion=f.suggestion,
        )
        for key, f in desired.items()
        if key not in existing
    ]
    ContactDefect.objects.bulk_create(new, batch_size=1000)
    return len(new), resolved


M = TypeVar("M", bound=Model)


def _among(queryset: QuerySet[M], field: str, ids: Iterable[int]) -> QuerySet[M]:
    """`field IN ids` as one parameter (a PostgreSQL array, a JSON array on SQLite) instead
    of thousands of placeholders, whose conversion costs more than the query. The query
    names its table: it cannot be a subquery."""
    values = list(ids)
    if connection.vendor not in ("postgresql", "sqlite"):
        return queryset.filter(**{f"{field}__in": values})
    model_field = queryset.model._meta.get_field(field)
    assert isinstance(model_field, Field)  # noqa: S101 -- a concrete column, not a relation
    column = f'"{queryset.model._meta.db_table}"."{model_field.column}"'
    # Identifiers come from model metadata; the ids travel as one literal.
    if connection.vendor == "sqlite":
        return queryset.extra(  # noqa: S610
            where=[f"{column} IN (SELECT value FROM json_each(%s))"],  # noqa: S608
            params=[json.dumps(values)],
        )
    literal = "{" + ",".join(map(str, values)) + "}"
    return queryset.extra(  # noqa: S610
        where=[f"{column} = ANY(%s::bigint[])"], params=[literal]
    )


def _chunks(ids: set[int], size: int) -> Iterable[set[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield set(ordered[start : start + size])


def _many_chunk(total: int) -> int:
    """Ids per chunk for a set of `total`: other databases bind each id as its own variable
    (SQLite: at most 32,766); PostgreSQL and SQLite take a chunk as one parameter, and a
    large set goes in at most four chunks. For thousands of ids the planner scans the whole
    table once per chunk (a hashed `= ANY`), so at 1,000,000 policyholders 50 chunks of
    20,000 cost 50 scans of each table: 45 s of a 2,000,000-policy import."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return 5000
    return max(MANY_CHUNK, -(-total // MANY_PARTS))


def findings_many(customer_ids: set[int]) -> list[Finding]:
    """What findings_for returns for these customers, found set-based (see the module's
    docstring); the order of the findings may differ."""
    from policydesk.policies.models import TERMINAL_STATUSES, Agent, Policy

    phones = _among(
        ContactPoint.objects.filter(kind=ContactKind.PHONE), "customer_id", customer_ids
    )
    # Phones whose stored normalisation leaves a defect possible: parsed again, as findings_for
    # parses every phone.
    suspects = [
        ContactPoint(pk=pk, customer_id=customer, raw=raw, phone_type=phone_type)
        for pk, customer, raw, phone_type in phones.filter(
            Q(is_valid=False) | Q(phone_type=PhoneType.FIXED_LINE)
        ).values_list("pk", "customer_id", "raw", "phone_type")
    ]
    findings = _phone_findings(suspects)
    # Numbers another customer or an agent carries too: the only ones that can be shared.
    others = ContactPoint.objects.filter(kind=ContactKind.PHONE, e164=OuterRef("e164")).exclude(
        customer_id=OuterRef("customer_id")
    )
    by_agent = Agent.objects.filter(phone_e164=OuterRef("e164"))
    shared = list(
        phones.exclude(e164="")
        .filter(Q(Exists(others)) | Q(Exists(by_agent)))
        .values_list("pk", "customer_id", "e164")
    )
    if shared:
        numbers = {e164 for _, _, e164 in shared}
        holders: dict[str, set[int]] = defaultdict(set)
        households: dict[int, int | None] = {}
        for e164, customer_id, household_id in ContactPoint.objects.filter(
            kind=ContactKind.PHONE, e164__in=numbers
        ).values_list("e164", "customer_id", "customer__household_id"):
            holders[e164].add(customer_id)
            households[customer_id] = household_id
        agents = dict(
            Agent.objects.filter(phone_e164__in=numbers).values_list("phone_e164", "code")
        )
        related = _related_pairs(set(households))
        for contact_id, customer_id, e164 in shared:
            finding = _shared_finding(
                contact_id, customer_id, e164, holders, households, agents, related
            )
            if finding is not None:
                findings.append(finding)
    # A holder is reachable through a valid phone with no unusable finding: the phones
    # parsed above with a stored "valid" the parse contradicts, and agents' numbers.
    unusable = {f.contact_id for f in findings if f.unusable and f.contact_id is not None}
    reachable = ContactPoint.objects.filter(
        customer_id=OuterRef("policyholder_id"), kind=ContactKind.PHONE, is_valid=True
    ).exclude(e164="")
    reachable = reachable.exclude(Exists(Agent.objects.filter(phone_e164=OuterRef("e164"))))
    if unusable:
        reachable = reachable.exclude(pk__in=unusable)
    unreachable = (
        _among(Policy.objects.all(), "policyholder_id", customer_ids)
        .exclude(status__in=TERMINAL_STATUSES)
        .exclude(Exists(reachable))
        .values_list("id", "policyholder_id")
    )
    findings += [
        Finding(customer_id=holder, code=DefectCode.NO_REACHABLE_NUMBER, policy_id=policy_id)
        for policy_id, holder in unreachable
    ]
    return findings


def _sharers_many(customer_ids: set[int]) -> set[int]:
    """Other customers carrying a number of these customers' phones."""
    mine = _among(
        ContactPoint.objects.filter(kind=ContactKind.PHONE), "customer_id", customer_ids
    ).exclude(e164="")
    carried = ContactPoint.objects.filter(kind=ContactKind.PHONE, e164=OuterRef("e164")).exclude(
        customer_id=OuterRef("customer_id")
    )
    # Listed first: `_among` names the table itself, so `mine` cannot be a subquery.
    numbers = set(mine.filter(Exists(carried)).values_list("e164", flat=True))
    if not numbers:
        return set()
    return set(
        ContactPoint.objects.filter(kind=ContactKind.PHONE, e164__in=numbers).values_list(
            "customer_id", flat=True
        )
    )


@transaction.atomic
def refresh_many(customer_ids: Iterable[int]) -> tuple[int, int]:
    """refresh_for_customers for many customers at once, set-based; return (opened,
    resolved)."""
    ids = set(customer_ids)
    size = _many_chunk(len(ids))
    for chunk in list(_chunks(ids, size)):
        ids |= _sharers_many(chunk)
    opened = resolved = 0
    for chunk in _chunks(ids, size):
        result = _reconcile(chunk, findings_many(chunk))
        opened, resolved = opened + result[0], resolved + result[1]
    return opened, resolved


def refresh_all() -> str:
    """The nightly sweep over every customer (a scheduled job)."""
    opened = resolved = 0
    last = 0
    while True:
        ids = list(
            Customer.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            break
        result = refresh_for_customers(ids)
        opened, resolved = opened + result[0], resolved + result[1]
        last = ids[-1]
    return f"{opened} contact defects opened, {resolved} resolved"

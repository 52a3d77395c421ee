"""Contact-quality checks: find, name and keep current the defects of customers' contacts.

`refresh_for_customers` recomputes the open defects of some customers (and of everyone who
shares a number with them) and reconciles them with what is stored: new findings are opened,
findings that no longer hold are marked resolved. Running it twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from policydesk.core.phones import check_phone

from .models import ContactDefect, ContactKind, ContactPoint, Customer, DefectCode, Relation

# Contacts whose number is in use by more customers than this are reported as shared.
SHARED_NUMBER_MIN_CUSTOMERS = 2
CHUNK = 2000


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
    findings = []
    for contact in contacts:
        if not contact.e164:
            continue
        if contact.e164 in agents:
            findings.append(
                Finding(
                    customer_id=contact.customer_id,
                    code=DefectCode.SHARED_NUMBER,
                    contact_id=contact.pk,
                    detail=f"agent {agents[contact.e164]}",
                    unusable=True,
                )
            )
            continue
        mine = households.get(contact.customer_id)
        unrelated = {
            other
            for other in holders[contact.e164]
            if other != contact.customer_id
            and (mine is None or households.get(other) != mine)
            and frozenset({other, contact.customer_id}) not in related
        }
        if len(unrelated) + 1 >= SHARED_NUMBER_MIN_CUSTOMERS and unrelated:
            findings.append(
                Finding(
                    customer_id=contact.customer_id,
                    code=DefectCode.SHARED_NUMBER,
                    contact_id=contact.pk,
                    detail=f"{len(unrelated)} other customer(s)",
                )
            )
    return findings


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
        desired = {f.key: f for f in findings_for(chunk)}
        existing = {
            (d.customer_id, d.code, d.contact_id, d.policy_id): d
            for d in ContactDefect.objects.filter(customer_id__in=chunk, resolved_at__isnull=True)
        }
        gone = [d.pk for key, d in existing.items() if key not in desired]
        if gone:
            resolved += ContactDefect.objects.filter(pk__in=gone).update(resolved_at=timezone.now())
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
        opened += len(new)
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

"""Reads of the customer registry, always scoped to the acting user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from policydesk.core.access import (
    can,
    get_visible,
    require,
    scope_to_user,
    visible_branch_ids,
)
from policydesk.core.audit import audit_record
from policydesk.core.pagination import MAX_PAGE_SIZE
from policydesk.core.phones import check_phone, digits_of
from policydesk.policies.models import CollectionAttempt, Policy, PolicyParty, PremiumDue

from .identity import lookup_hash, masked, reveal
from .models import (
    Consent,
    ContactDefect,
    ContactKind,
    ContactPoint,
    Customer,
    DoNotCall,
    Relation,
    RiskProfile,
)
from .timeline import TimelineContext, TimelineEntry, build_timeline

SEARCH_MAX_LENGTH = 100
# Highest code point: a prefix's upper bound is the prefix followed by it.
_PREFIX_END = "\U0010ffff"


def customers_visible(user: Any) -> QuerySet[Customer]:
    require(user, "customers.view")
    return scope_to_user(Customer.objects.select_related("branch"), user)


def _name_prefix(query: str) -> Q:
    # The range lets the database walk customer_name_idx on both SQLite (whose LIKE cannot
    # use a BINARY-collated index) and PostgreSQL; startswith keeps the match exact.
    return Q(name__gte=query, name__lt=query + _PREFIX_END, name__startswith=query)


def _by_name_prefix(user: Any, query: str, after: int | None) -> QuerySet[Customer]:
    """Customers whose name starts with the query, walked along customer_name_idx.

    The branch scope is applied to `branch_id + 0`, which no index serves: otherwise the
    planner may prefer customer_branch_id_idx and read every customer of a large branch to
    find the few whose name matches (SQLite does so without table statistics).
    """
    customers = Customer.objects.filter(_name_prefix(query))
    branch_ids = visible_branch_ids(user)
    if branch_ids is not None:
        customers = customers.alias(unindexed_branch=F("branch_id") + 0).filter(
            unindexed_branch__in=sorted(branch_ids)
        )
    if after is not None:
        customers = customers.filter(id__gt=after)
    return customers


def _customer_ids_by_key(query: str) -> set[int]:
    """Customers whose customer number, ID number, phone or policy number is the query.

    Each lookup is an exact match on a unique or indexed column: customer number (unique),
    id_number_hash (index), ContactPoint.e164 (index), Policy.number (unique).
    """
    # Every key holds digits; a query without any (a name) needs none of these lookups.
    digits = len(digits_of(query))
    if digits == 0:
        return set()
    ids: set[int] = set(Customer.objects.filter(number=query).values_list("id", flat=True))
    if digits >= 5:  # the shortest ID document numbers we accept
        ids.update(
            Customer.objects.filter(id_number_hash=lookup_hash(query)).values_list("id", flat=True)
        )
    if digits >= 7:
        phone = check_phone(query)
        if phone.e164:
            ids.update(
                ContactPoint.objects.filter(kind=ContactKind.PHONE, e164=phone.e164).values_list(
                    "customer_id", flat=True
                )
            )
    policy = Policy.objects.filter(number=query).values_list("id", "policyholder_id").first()
    if policy is not None:
        ids.add(policy[1])
        ids.update(
            PolicyParty.objects.filter(policy_id=policy[0]).values_list("customer_id", flat=True)
        )
    return ids


@dataclass(frozen=True)
class SearchRow:
    customer: Customer
    masked_id: str
    phone: str
    policies: int


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchRow]
    next_cursor: int | None


def customer_search(
    user: Any, query: str, *, after: int | None = None, limit: int = 25
) -> SearchPage:
    """One box: name prefix, phone, ID number, policy number or customer number.

    Results are the visible customers in id order (keyset: `after` is the last id shown).
    Each branch of the search is its own arm of a UNION so each uses its index; an empty
    query lists the visible customers.
    """
    base = customers_visible(user)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if after is not None:
        base = base.filter(id__gt=after)
    if not query:
        ids = list(base.order_by("id").values_list("id", flat=True)[: limit + 1])
    else:
        by_name = _by_name_prefix(user, query, after).values_list("id", flat=True)
        key_ids = _customer_ids_by_key(query)
        if key_ids:
            by_key = base.filter(id__in=sorted(key_ids)).values_list("id", flat=True)
            by_name = by_name.union(by_key)
        ids = list(by_name.order_by("id")[: limit + 1])
    has_more = len(ids) > limit
    ids = ids[:limit]
    customers = {c.pk: c for c in Customer.objects.select_related("branch").filter(id__in=ids)}
    phones = _primary_phones(ids)
    counts = _policy_counts(user, ids)
    rows = [
        SearchRow(
            customer=customers[pk],
            masked_id=masked(customers[pk].id_number_last4),
            phone=phones.get(pk, ""),
            policies=counts.get(pk, 0),
        )
        for pk in ids
        if pk in customers
    ]
    return SearchPage(items=rows, next_cursor=ids[-1] if has_more and ids else None)


def _primary_phones(customer_ids: list[int]) -> dict[int, str]:
    phones: dict[int, str] = {}
    rows = ContactPoint.objects.filter(
        customer_id__in=customer_ids, kind=ContactKind.PHONE
    ).order_by("customer_id", "-is_primary", "-is_valid", "id")
    for customer_id, raw in rows.values_list("customer_id", "raw"):
        phones.setdefault(customer_id, raw)
    return phones


def _policy_counts(user: Any, customer_ids: list[int]) -> dict[int, int]:
    """Visible policies per customer in any role (policyholder, insured, beneficiary)."""
    if not can(user, "policies.view") or not customer_ids:
        return {}
    policies = scope_to_user(Policy.objects.all(), user)
    pairs: set[tuple[int, int]] = set(
        policies.filter(policyholder_id__in=customer_ids).values_list("policyholder_id", "id")
    )
    for customer_id, policy_id in (
        scope_to_user(PolicyParty.objects.all(), user, branch_field="policy__branch")
        .filter(customer_id__in=customer_ids)
        .values_list("customer_id", "policy_id")
    ):
        pairs.add((customer_id, policy_id))
    counts: dict[int, int] = {}
    for customer_id, _policy_id in pairs:
        counts[customer_id] = counts.get(customer_id, 0) + 1
    return counts


def customer_get(user: Any, customer_id: int) -> Customer:
    require(user, "customers.view")
    return get_visible(
        Customer.objects.select_related("branch", "household", "preferred_language", "dialect"),
        user,
        pk=customer_id,
    )


# --- The customer 360 ---------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    id_type: str
    id_type_label: str
    id_number: str  # masked unless the viewer may see identities
    revealed: bool


@dataclass(frozen=True)
class PolicyRole:
    policy: Policy
    roles: list[str]  # "policyholder", "insured", "beneficiary"


@dataclass
class Customer360:
    customer: Customer
    identity: Identity
    contacts: Sequence[ContactPoint]
    current_consents: list[Consent]
    consent_history: list[Consent]
    do_not_call: list[DoNotCall]
    risk_profile: RiskProfile | None
    risk_history: list[RiskProfile]
    household_members: list[Customer]
    relations: list[Relation]
    policies: list[PolicyRole]
    timeline: list[TimelineEntry]
    can_see_policies: bool
    extra: dict[str, Any] = field(default_factory=dict)


def identity_of(user: Any, customer: Customer) -> Identity:
    """The customer's ID number as the user may see it; every unmasked display is audited."""
    label = str(customer.get_id_type_display())
    if not can(user, "customers.view_identity"):
        return Identity(customer.id_type, label, masked(customer.id_number_last4), False)
    number = reveal(customer.id_number_encrypted)
    audit_record(
        action="customers.identity.reveal",
        actor=user,
        target=customer,
        after={"id_type": customer.id_type},
    )
    return Identity(customer.id_type, label, number, True)


def policies_of(user: Any, customer: Customer) -> QuerySet[Policy]:
    """Visible policies where the customer is policyholder, insured or beneficiary, with
    everything the 360 and the policy page show, prefetched (a fixed number of queries)."""
    require(user, "policies.view")
    party_of = PolicyParty.objects.filter(customer=customer).values("policy_id")
    policies = Policy.objects.filter(Q(policyholder=customer) | Q(pk__in=party_of))
    return with_policy_details(scope_to_user(policies, user)).order_by("-application_date", "-id")


def with_policy_details(policies: QuerySet[Policy]) -> QuerySet[Policy]:
    return policies.select_related("product", "branch", "policyholder", "mandate").prefetch_related(
        Prefetch("parties", queryset=PolicyParty.objects.select_related("customer")),
        "status_changes",
        Prefetch(
            "premiums",
            queryset=PremiumDue.objects.prefetch_related(
                Prefetch("attempts", queryset=CollectionAttempt.objects.order_by("attempted_on"))
            ),
        ),
        "disbursements",
    )


def customer_360(user: Any, customer: Customer) -> Customer360:
    """Everything about one customer the user may see, in a fixed number of queries."""
    require(user, "customers.view")
    contacts = list(
        customer.contacts.order_by("kind", "-is_primary", "id").prefetch_related(
            Prefetch(
                "defects",
                queryset=ContactDefect.objects.filter(resolved_at__isnull=True).order_by("id"),
                to_attr="open_defects",
            )
        )
    )
    history = list(customer.consents.select_related("recorded_by").order_by("-recorded_at", "-id"))
    current: dict[tuple[str, str], Consent] = {}
    for consent in history:  # newest first: the first row per purpose+channel is current
        current.setdefault((consent.purpose, consent.channel), consent)
    phones = [c.e164 for c in contacts if c.kind == ContactKind.PHONE and c.e164]
    do_not_call = list(
        DoNotCall.objects.filter(Q(customer=customer) | Q(e164__in=phones)).order_by("-starts_on")
    )
    risk_history = list(customer.risk_profiles.select_related("assessed_by"))
    members: list[Customer] = []
    if customer.household_id is not None:
        members = list(
            customers_visible(user)
            .filter(household_id=customer.household_id)
            .exclude(pk=customer.pk)
            .order_by("name", "id")
        )
    relations = list(
        scope_to_user(
            Relation.objects.filter(customer=customer).select_related("related"),
            user,
            branch_field="related__branch",
        ).order_by("kind", "id")
    )
    can_see_policies = can(user, "policies.view")
    policies = list(policies_of(user, customer)) if can_see_policies else []
    identity = identity_of(user, customer)
    roles = [PolicyRole(p, _roles_in(p, customer)) for p in policies]
    timeline = build_timeline(
        TimelineContext(
            customer=customer,
            user=user,
            visible_branch_ids=visible_branch_ids(user),
            policies=policies,
            contacts=contacts,
            consents=history,
        )
    )
    return Customer360(
        customer=customer,
        identity=identity,
        contacts=contacts,
        current_consents=sorted(current.values(), key=lambda c: (c.purpose, c.channel)),
        consent_history=history,
        do_not_call=do_not_call,
        risk_profile=risk_history[0] if risk_history else None,
        risk_history=risk_history,
        household_members=members,
        relations=relations,
        policies=roles,
        timeline=timeline,
        can_see_policies=can_see_policies,
    )


def _roles_in(policy: Policy, customer: Customer) -> list[str]:
    roles = ["policyholder"] if policy.policyholder_id == customer.pk else []
    roles += sorted({p.role for p in policy.parties.all() if p.customer_id == customer.pk})
    return roles

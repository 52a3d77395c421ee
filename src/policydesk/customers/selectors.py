"""Reads of the customer registry, always scoped to the acting user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, Prefetch, Q, QuerySet

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
from policydesk.org.models import Branch
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
from .relations import RelatedParty, related_parties
from .timeline import TimelineContext, TimelineEntry, build_timeline

SEARCH_MAX_LENGTH = 100
# Highest code point: a prefix's upper bound is the prefix followed by it.
_PREFIX_END = "\U0010ffff"


def customers_visible(user: Any) -> QuerySet[Customer]:
    require(user, "customers.view")
    return scope_to_user(Customer.objects.select_related("branch"), user)


# --- Search -------------------------------------------------------------------------------
#
# The search is one statement: the arms that can match the query (name prefix, Latin-name
# prefix, the exact keys), the page of ids, and the columns the result list shows (the
# customer with its branch, the first phone, the visible-policy count) as scalar subqueries
# on the page's rows only. Four round trips and the ORM's UNION compilation cost about ten
# times the index walks themselves (docs/benchmarks.md, customer_search), so this one read
# is written in SQL. The tables and columns are PolicyDesk's own; every value is a
# parameter.


@dataclass(frozen=True)
class SearchKeys:
    """What a query can be, decided from its characters before any database work."""

    name: str = ""  # prefix of Customer.name (Chinese or Latin letters, as typed)
    latin: str = ""  # lower-cased prefix of Customer.name_latin (pinyin)
    number: str = ""  # customer number or policy number, exact
    id_hash: str = ""  # keyed hash of an ID document number
    e164: str = ""  # a phone number

    def __bool__(self) -> bool:
        return any((self.name, self.latin, self.number, self.id_hash, self.e164))


_LATIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# A customer's name may hold a digit or two ("3M", "第2分厂"); a query with more is a number.
_NAME_MAX_DIGITS = 4
_LATIN_NAME_CHARACTERS = _LATIN_LETTERS | frozenset(" -'.")


def search_keys(query: str) -> SearchKeys:
    """The arms worth running: a name needs a letter, every key needs a digit.

    A query of digits (a mobile, an ID number without its check letter) cannot be a name,
    nor can one with more digits than a name holds (policy, customer or ID numbers with
    letters); a name without digits cannot be a key. Each skips the other's lookups.
    """
    lower = query.lower()
    digits = len(digits_of(query))
    name = query if digits <= _NAME_MAX_DIGITS and any(ch.isalpha() for ch in query) else ""
    latin = lower if name and set(lower) <= _LATIN_NAME_CHARACTERS else ""
    if digits == 0:
        return SearchKeys(name=name, latin=latin)
    e164 = ""
    if digits >= 7:  # the shortest phone numbers
        e164 = check_phone(query).e164 or ""
    return SearchKeys(
        name=name,
        latin=latin,
        number=query,
        # The shortest ID document numbers we accept have five characters.
        id_hash=lookup_hash(query) if digits >= 5 else "",
        e164=e164,
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _prefix_arm(expression: str, prefix: str, scope: str, after: str) -> tuple[str, list[Any]]:
    """Ids whose `expression` starts with `prefix`, walked along the expression's index.

    `expression >= prefix AND expression < prefix || U+10FFFF` is the range an index serves
    on SQLite (whose LIKE cannot use a BINARY index) and on PostgreSQL under the code-point
    collation docs/decisions/0003-registry.md asks for; the substr() test keeps the match
    exact under any other collation. The arm takes its own LIMIT: a short prefix can match
    thousands of customers.
    """
    sql = (
        f"SELECT c.id FROM customers_customer c WHERE {expression} >= %s AND {expression} < %s "  # noqa: S608
        f"AND substr({expression}, 1, %s) = %s{scope}{after} ORDER BY c.id LIMIT %s"
    )
    return sql, [prefix, prefix + _PREFIX_END, len(prefix), prefix]


def search_statement(
    user: Any, query: str, *, after: int | None, limit: int
) -> tuple[str, list[Any]] | None:
    """The SQL of one search page and its parameters; None when nothing can match.

    Rows: the customer's columns, its branch's columns, the first phone and the number of
    policies the user may see; at most `limit + 1` rows, in id order, after `after`.
    """
    require(user, "customers.view")
    branch_ids = visible_branch_ids(user)
    if branch_ids is not None and not branch_ids:
        return None
    scope_ids = sorted(branch_ids) if branch_ids is not None else []
    keys = search_keys(query) if query else None
    if keys is not None and not keys:
        return None

    def scope(column: str) -> str:
        return f" AND {column} IN ({_marks(scope_ids)})" if branch_ids is not None else ""

    after_sql = " AND c.id > %s" if after is not None else ""
    after_params = [after] if after is not None else []
    # The name arms filter the branch on `branch_id + 0`, which no index serves: otherwise
    # the planner may walk customer_branch_id_idx through every customer of a large branch
    # to find the few whose name matches (SQLite does so without table statistics).
    name_scope = scope("c.branch_id + 0")
    arms: list[tuple[str, list[Any]]] = []
    if keys is None:  # an empty query lists the visible customers
        arms.append(
            (
                f"SELECT c.id FROM customers_customer c WHERE 1 = 1{scope('c.branch_id')}"  # noqa: S608
                f"{after_sql} ORDER BY c.id LIMIT %s",
                [*scope_ids, *after_params, limit + 1],
            )
        )
    else:
        for expression, prefix in (("c.name", keys.name), ("lower(c.name_latin)", keys.latin)):
            if prefix:
                sql, params = _prefix_arm(expression, prefix, name_scope, after_sql)
                arms.append((sql, [*params, *scope_ids, *after_params, limit + 1]))
        lookups: list[tuple[str, list[Any]]] = []
        if keys.number:
            lookups += [
                ("SELECT k.id FROM customers_customer k WHERE k.number = %s", [keys.number]),
                (
                    "SELECT p.policyholder_id FROM policies_policy p WHERE p.number = %s",
                    [keys.number],
                ),
                (
                    "SELECT pp.customer_id FROM policies_policyparty pp "
                    "JOIN policies_policy p ON p.id = pp.policy_id WHERE p.number = %s",
                    [keys.number],
                ),
            ]
        if keys.id_hash:
            lookups.append(
                (
                    "SELECT k.id FROM customers_customer k WHERE k.id_number_hash = %s",
                    [keys.id_hash],
                )
            )
        if keys.e164:
            lookups.append(
                (
                    "SELECT cp.customer_id FROM customers_contactpoint cp "
                    "WHERE cp.kind = %s AND cp.e164 = %s",
                    [ContactKind.PHONE.value, keys.e164],
                )
            )
        if lookups:
            # Exact keys match a handful of customers: scope them after the lookups.
            union = " UNION ALL ".join(sql for sql, _ in lookups)
            arms.append(
                (
                    f"SELECT c.id FROM customers_customer c WHERE c.id IN ({union})"  # noqa: S608
                    f"{scope('c.branch_id')}{after_sql}",
                    [*(p for _, params in lookups for p in params), *scope_ids, *after_params],
                )
            )
    hits = " UNION ".join(
        f"SELECT id FROM ({sql}) AS arm{n}"  # noqa: S608
        for n, (sql, _) in enumerate(arms)
    )
    hit_params = [p for _, params in arms for p in params]

    phone = (
        "(SELECT cp.raw FROM customers_contactpoint cp WHERE cp.customer_id = c.id "
        "AND cp.kind = %s ORDER BY cp.is_primary DESC, cp.is_valid DESC, cp.id LIMIT 1)"
    )
    columns_params: list[Any] = [ContactKind.PHONE.value]
    if can(user, "policies.view"):
        # Visible policies in any role, each counted once: those held, plus those where the
        # customer is only an insured or a beneficiary.
        policies = (
            "(SELECT COUNT(*) FROM policies_policy p WHERE p.policyholder_id = c.id"  # noqa: S608
            f"{scope('p.branch_id')}) + "
            "(SELECT COUNT(DISTINCT pp.policy_id) FROM policies_policyparty pp "
            "JOIN policies_policy p ON p.id = pp.policy_id WHERE pp.customer_id = c.id "
            f"AND p.policyholder_id <> c.id{scope('p.branch_id')})"
        )
        columns_params += [*scope_ids, *scope_ids]
    else:
        policies = "0"
    sql = (
        f"SELECT {_column_list(Customer, 'c')}, {_column_list(Branch, 'b')}, "  # noqa: S608
        f"{phone}, {policies} "
        f"FROM (SELECT hit.id FROM ({hits}) AS hit ORDER BY hit.id LIMIT %s) AS page "
        "JOIN customers_customer c ON c.id = page.id JOIN org_branch b ON b.id = c.branch_id "
        "ORDER BY c.id"
    )
    return sql, [*columns_params, *hit_params, limit + 1]


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _column_list(model: type[Model], table_alias: str) -> str:
    return _COLUMN_LISTS.get((model, table_alias)) or _COLUMN_LISTS.setdefault(
        (model, table_alias),
        ", ".join(f"{table_alias}.{connection.ops.quote_name(f.column)}" for f in _fields(model)),
    )


_COLUMN_LISTS: dict[tuple[type[Model], str], str] = {}
Reader = Callable[[Sequence[Any]], Model]
# Per database connection (one per thread): its converters are bound to it.
_READERS: WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], Reader]] = WeakKeyDictionary()


def _reader(model: type[Model]) -> Reader:
    """Build a model instance from its columns as the cursor returns them, converted as the
    ORM would (SQLite hands back dates and decimals as text and numbers)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    readers = _READERS.setdefault(wrapper, {})
    if model in readers:
        return readers[model]
    fields = _fields(model)
    converters: list[tuple[int, Any, list[Any]]] = []
    for index, model_field in enumerate(fields):
        column = model_field.get_col(model._meta.db_table)
        chain = [*wrapper.ops.get_db_converters(column), *column.get_db_converters(wrapper)]
        if chain:
            converters.append((index, column, chain))
    names = [model_field.attname for model_field in fields]

    def read(values: Sequence[Any]) -> Model:
        converted = list(values)
        for index, column, chain in converters:
            value = converted[index]
            for convert in chain:
                value = convert(value, column, wrapper)
            converted[index] = value
        return model.from_db(DEFAULT_DB_ALIAS, names, converted)

    readers[model] = read
    return read


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
    """One box: name prefix (Chinese or pinyin), phone, ID number, policy number or customer
    number; an empty query lists the visible customers.

    Results are the visible customers in id order (keyset: `after` is the last id shown), in
    one statement (`search_statement`) after the permission lookup.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    statement = search_statement(user, query, after=after, limit=limit)
    if statement is None:
        return SearchPage(items=[], next_cursor=None)
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        rows = cursor.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    read_customer, read_branch = _reader(Customer), _reader(Branch)
    width = len(_fields(Customer))
    items = []
    branches: dict[int, Branch] = {}  # a page's customers share a few branches
    for row in rows:
        customer = cast(Customer, read_customer(row[:width]))
        branch = branches.get(customer.branch_id)
        if branch is None:
            branch = branches[customer.branch_id] = cast(Branch, read_branch(row[width:-2]))
        customer.branch = branch
        items.append(
            SearchRow(
                customer=customer,
                masked_id=masked(customer.id_number_last4),
                phone=row[-2] or "",
                policies=int(row[-1]),
            )
        )
    return SearchPage(items=items, next_cursor=items[-1].customer.pk if has_more else None)


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
    # Open defects of the customer that belong to no contact point (a policy with no
    # reachable number), for the policies the user may see.
    policy_defects: list[ContactDefect] = field(default_factory=list)
    # The relations from this customer's side, whichever side recorded them.
    related_parties: list[RelatedParty] = field(default_factory=list)


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
    # Both directions in one query; the other customer must be visible.
    visible = visible_branch_ids(user)
    links = Relation.objects.filter(Q(customer=customer) | Q(related=customer))
    if visible is not None:
        links = links.filter(
            Q(customer=customer, related__branch__in=visible)
            | Q(related=customer, customer__branch__in=visible)
        )
    both_ways = list(links.select_related("customer", "related").order_by("kind", "id"))
    relations = [relation for relation in both_ways if relation.customer_id == customer.pk]
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
    shown = {p.pk for p in policies}
    policy_defects = [
        defect
        for defect in ContactDefect.objects.filter(
            customer=customer, contact__isnull=True, resolved_at__isnull=True
        )
        .select_related("policy")
        .order_by("id")
        if defect.policy_id is None or defect.policy_id in shown
    ]
    return Customer360(
        customer=customer,
        identity=identity,
        contacts=contacts,
        policy_defects=policy_defects,
        current_consents=sorted(current.values(), key=lambda c: (c.purpose, c.channel)),
        consent_history=history,
        do_not_call=do_not_call,
        risk_profile=risk_history[0] if risk_history else None,
        risk_history=risk_history,
        household_members=members,
        relations=relations,
        related_parties=related_parties(customer, both_ways),
        policies=roles,
        timeline=timeline,
        can_see_policies=can_see_policies,
    )


def _roles_in(policy: Policy, customer: Customer) -> list[str]:
    roles = ["policyholder"] if policy.policyholder_id == customer.pk else []
    roles += sorted({p.role for p in policy.parties.all() if p.customer_id == customer.pk})
    return roles

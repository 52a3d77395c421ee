"""The demo population: deterministic, believable, carrying the seed branch's defects."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from functools import cache

import pytest
from django.core.management import call_command

from policydesk.core.audit import audit_verify
from policydesk.core.models import AuditEvent
from policydesk.core.phones import check_phone
from policydesk.core.request_context import RequestContext, bound_context
from policydesk.customers.identity import resident_id_birth_date, validate_id_number
from policydesk.customers.models import ContactDefect, Customer, DefectCode
from policydesk.demo.load_population import load_population
from policydesk.demo.organisation import load_organisation
from policydesk.demo.population import Population, generate, iter_population
from policydesk.policies.models import Channel, Policy, PolicyStatus

# Plausible ranges at N=1000, each tied to shared/seeds/004 (柜面年终总结):
# "中介的新单无电话件占比高" — a high share of intermediary policies come without a phone.
INTERMEDIARY_POLICIES_WITHOUT_PHONE = (0.10, 0.30)
# CCB's office-phone field + the callback system's 0594 prefix: a large part of
# bancassurance holders carry an unreachable "0594 + mobile" number.
BANCASSURANCE_HOLDERS_WITH_PREFIXED_MOBILE = (0.10, 0.40)
# ... but it is a bancassurance problem: among all phones on file it stays a few percent.
PREFIXED_SHARE_OF_ALL_PHONES = (0.01, 0.08)
# "生存金代付率较低…存折多年未用而使存折处于睡眠状态": a real minority of payout accounts.
DORMANT_PAYOUT_ACCOUNTS = (0.08, 0.35)
# "很多投保人只听得懂方言" (莆仙话), mostly the elderly in the countryside.
DIALECT_ONLY_CUSTOMERS = (0.05, 0.20)
# An ageing county: the 65+ share of persons, each flagged "elderly".
ELDERLY_CUSTOMERS = (0.12, 0.28)


@cache
def thousand() -> Population:
    return generate(4, 1000)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def test_the_same_seed_generates_the_same_population_and_another_seed_does_not() -> None:
    assert generate(7, 300) == generate(7, 300)
    assert generate(7, 300) != generate(8, 300)


def test_the_chunked_stream_is_the_same_population_whatever_the_chunk_size() -> None:
    whole = generate(5, 400)
    chunked = Population()
    chunks = list(iter_population(5, 400, chunk_customers=50))
    for chunk in chunks:
        chunked.extend(chunk)
    assert len(chunks) > 3
    assert chunked == whole


def test_it_generates_exactly_the_customers_asked_for() -> None:
    assert len(thousand().customers) == 1000
    assert len({c["number"] for c in thousand().customers}) == 1000


def test_every_policy_status_and_channel_is_present_at_a_thousand_customers() -> None:
    policies = thousand().policies
    assert {p["status"] for p in policies} == set(PolicyStatus.values)
    assert {p["channel"] for p in policies} == set(Channel.values)


def test_every_resident_id_is_valid_and_agrees_with_birth_date_and_gender() -> None:
    persons = [c for c in thousand().customers if c["id_type"] == "resident_id"]
    assert len(persons) > 900
    for person in persons:
        number = validate_id_number("resident_id", person["id_number"])
        assert number[:6] in {"350302", "350303", "350304", "350322"}
        assert resident_id_birth_date(number) == person["birth_date"]
        assert (int(number[16]) % 2 == 1) == (person["gender"] == "M")
    assert len({p["id_number"] for p in persons}) == len(persons)


def test_beneficiary_shares_sum_to_one_hundred_on_every_policy() -> None:
    shares: dict[str, Decimal] = defaultdict(Decimal)
    for party in thousand().parties:
        if party["role"] == "beneficiary":
            shares[party["policy"]] += party["share"]
    assert shares
    assert set(shares.values()) == {Decimal(100)}


def test_minors_have_guardians_and_spouses_share_a_household() -> None:
    population = thousand()
    by_number = {c["number"]: c for c in population.customers}
    as_of = dt.date(2025, 10, 31)
    guarded = {r["customer"] for r in population.relations if r["kind"] == "guardian"}
    for relation in population.relations:
        if relation["kind"] == "spouse":
            a, b = by_number[relation["customer"]], by_number[relation["related"]]
            assert a["household"] == b["household"]
    minors = [
        c["number"]
        for c in population.customers
        if c["birth_date"] and (as_of - c["birth_date"]).days < 17 * 365
    ]
    assert minors
    assert set(minors) <= guarded


def test_proportions_at_a_thousand_customers_are_believable() -> None:
    population = thousand()
    phones = [c for c in population.contacts if c["kind"] == "phone"]
    with_phone = {c["customer"] for c in phones}
    prefixed = {
        c["customer"]
        for c in phones
        if "area_code_prefixed_mobile" in check_phone(c["raw"], entered_as=c["phone_type"]).defects
    }
    intermediated = [p for p in population.policies if p["intermediary"]]
    bancassurance = [p for p in population.policies if p["channel"] == "bancassurance"]
    no_phone = share(
        sum(p["policyholder"] not in with_phone for p in intermediated), len(intermediated)
    )
    prefixed_holders = share(
        sum(p["policyholder"] in prefixed for p in bancassurance), len(bancassurance)
    )
    payout_policies = {
        d["policy"]
        for d in population.disbursements
        if d["kind"] in ("survival_benefit", "maturity")
    }
    payout_accounts = [m for m in population.mandates if m["policy"] in payout_policies]
    dormant = share(sum(m["is_dormant"] for m in payout_accounts), len(payout_accounts))
    persons = [c for c in population.customers if c["kind"] == "person"]
    dialect_only = share(sum(c["preferred_language"] == "puxian" for c in persons), len(persons))
    elderly = share(sum("elderly" in c["vulnerability_flags"] for c in persons), len(persons))

    def within(value: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= value <= bounds[1]

    assert within(no_phone, INTERMEDIARY_POLICIES_WITHOUT_PHONE), no_phone
    assert within(prefixed_holders, BANCASSURANCE_HOLDERS_WITH_PREFIXED_MOBILE), prefixed_holders
    assert within(share(len(prefixed), len(phones)), PREFIXED_SHARE_OF_ALL_PHONES)
    assert within(dormant, DORMANT_PAYOUT_ACCOUNTS), dormant
    assert within(dialect_only, DIALECT_ONLY_CUSTOMERS), dialect_only
    assert within(elderly, ELDERLY_CUSTOMERS), elderly


def test_dormant_accounts_make_survival_benefit_transfers_fail() -> None:
    population = thousand()
    dormant = {m["policy"] for m in population.mandates if m["is_dormant"]}
    failed = [d for d in population.disbursements if d["status"] == "failed"]
    assert failed
    assert all(d["policy"] in dormant and d["method"] == "bank_transfer" for d in failed)
    results = Counter(a["result"] for a in population.attempts)
    for result in ("success", "insufficient_funds", "account_changed", "account_closed"):
        assert results[result] > 0, result
    assert results["mandate_missing"] > 0


def test_status_history_ends_in_the_policys_current_status() -> None:
    population = thousand()
    last: dict[str, str] = {}
    for change in population.status_changes:
        last[change["policy"]] = change["to_status"]
    assert {p["number"]: p["status"] for p in population.policies} == last


def _load(customers: int) -> dict[str, object] | None:
    with bound_context(RequestContext(request_id="test", client_address="")):
        load_organisation()
        return load_population(seed=4, customers=customers)


@pytest.mark.django_db
def test_loading_writes_the_population_with_one_audit_event_and_every_defect_shows() -> None:
    with bound_context(RequestContext(request_id="test", client_address="")):
        load_organisation()  # audited row by row, through the services
    before = AuditEvent.objects.count()
    counts = _load(400)
    assert counts is not None
    assert Customer.objects.count() == 400
    assert Policy.objects.count() == counts["policies"]
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.filter(action="demo.population.load").count() == 1
    found = set(ContactDefect.objects.values_list("code", flat=True))
    assert found == set(DefectCode.values)
    assert audit_verify().ok


@pytest.mark.django_db
def test_loading_twice_adds_nothing() -> None:
    assert _load(150) is not None
    customers, policies, events = (
        Customer.objects.count(),
        Policy.objects.count(),
        AuditEvent.objects.count(),
    )
    assert _load(150) is None
    assert Customer.objects.count() == customers
    assert Policy.objects.count() == policies
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_demo_command_takes_a_number_of_customers() -> None:
    call_command("demo", "--customers", "60", "--seed", "3")
    assert Customer.objects.filter(number__startswith="DEMO-").count() == 60
    call_command("demo", "load", "--customers", "90")
    assert Customer.objects.count() == 60

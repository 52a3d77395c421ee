"""One search box finds a customer by name prefix, phone, ID number, policy or customer number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.customers.identity import resident_id_check_digit
from policydesk.customers.models import Customer
from policydesk.customers.selectors import customer_search
from tests import factories
from tests.conftest import World


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


WANG_ID = resident_id("35032219800101123")


@pytest.fixture
def wang(world: World) -> Customer:
    return factories.customer(
        world.branch_a,
        number="C-0001",
        name="王小明",
        id_number=WANG_ID,
        phones=["13812345678"],
    )


def found(user: Any, query: str, **kwargs: Any) -> list[int]:
    return [row.customer.pk for row in customer_search(user, query, **kwargs).items]


def test_it_finds_a_customer_by_the_start_of_the_name(world: World, wang: Customer) -> None:
    other = factories.customer(world.branch_a, name="李四")

    assert found(world.teller_a, "王") == [wang.pk]
    assert found(world.teller_a, "王小明") == [wang.pk]
    assert found(world.teller_a, "小明") == []  # prefix, not substring
    assert found(world.teller_a, "李") == [other.pk]


def test_it_finds_a_latin_name_by_its_start(world: World) -> None:
    smith = factories.customer(
        world.branch_a, name="John Smith", id_type="passport", id_number="E12345678"
    )

    assert found(world.teller_a, "John") == [smith.pk]
    assert found(world.teller_a, "  John   Smith ") == [smith.pk]


def test_it_finds_a_pinyin_name_by_its_start_in_any_case(world: World) -> None:
    lin = factories.customer(world.branch_a, name="林秀英", name_latin="Lin Xiuying")
    factories.customer(world.branch_a, name="李秀英", name_latin="Li Xiuying")
    factories.customer(world.branch_b, name="林秀兰", name_latin="Lin Xiulan")  # not visible

    assert found(world.teller_a, "lin xi") == [lin.pk]
    assert found(world.teller_a, "LIN XIUYING") == [lin.pk]
    assert found(world.teller_a, "Lin") == [lin.pk]
    assert found(world.teller_a, "xiuying") == []  # prefix, not substring


@pytest.mark.parametrize(
    "typed", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "8613812345678"]
)
def test_it_finds_a_customer_by_phone_in_any_format(
    world: World, wang: Customer, typed: str
) -> None:
    assert found(world.teller_a, typed) == [wang.pk]


def test_it_does_not_match_part_of_a_phone_number(world: World, wang: Customer) -> None:
    assert found(world.teller_a, "5678") == []
    assert found(world.teller_a, "1381234567") == []


def test_it_finds_a_customer_by_id_number_however_typed(world: World, wang: Customer) -> None:
    spaced = f"{WANG_ID[:6]} {WANG_ID[6:14]} {WANG_ID[14:].lower()}"

    assert found(world.teller_a, WANG_ID) == [wang.pk]
    assert found(world.teller_a, spaced) == [wang.pk]
    assert found(world.teller_a, WANG_ID[:-4]) == []


def test_it_finds_the_parties_of_a_policy_by_its_number(world: World, wang: Customer) -> None:
    insured = factories.customer(world.branch_a, name="王小红")
    factories.policy(wang, number="P2026-000123", insured=[insured])
    factories.policy(insured, number="P2026-000999")

    assert sorted(found(world.teller_a, "P2026-000123")) == sorted([wang.pk, insured.pk])
    assert found(world.teller_a, "P2026-000999") == [insured.pk]
    assert found(world.teller_a, "P2026") == []


def test_it_finds_a_customer_by_customer_number_exactly(world: World, wang: Customer) -> None:
    assert found(world.teller_a, "C-0001") == [wang.pk]
    assert found(world.teller_a, "C-000") == []


def test_results_carry_masked_id_phone_and_policy_count(world: World, wang: Customer) -> None:
    factories.policy(wang)
    factories.policy(wang)

    row = customer_search(world.teller_a, "王").items[0]

    assert row.masked_id.endswith(WANG_ID[-4:])
    assert WANG_ID not in row.masked_id
    assert row.phone == "13812345678"
    assert row.policies == 2
    assert row.customer.branch.name == world.branch_a.name


def test_results_are_keyset_paginated_by_id(world: World) -> None:
    ids = [factories.customer(world.branch_a, name=f"陈{n}").pk for n in range(5)]

    first = customer_search(world.teller_a, "陈", limit=2)
    second = customer_search(world.teller_a, "陈", after=first.next_cursor, limit=2)
    third = customer_search(world.teller_a, "陈", after=second.next_cursor, limit=2)

    assert [r.customer.pk for r in first.items] == ids[:2]
    assert [r.customer.pk for r in second.items] == ids[2:4]
    assert [r.customer.pk for r in third.items] == ids[4:]
    assert third.next_cursor is None


def test_an_empty_query_lists_the_visible_customers(world: World, wang: Customer) -> None:
    factories.customer(world.branch_b, name="赵六")

    assert found(world.teller_a, "") == [wang.pk]


def test_results_count_each_visible_policy_once_in_any_role(world: World, wang: Customer) -> None:
    other = factories.customer(world.branch_a, name="李四")
    factories.policy(wang, insured=[wang])  # policyholder and insured: one policy
    # insured and beneficiary of one policy: one policy
    factories.policy(other, insured=[wang], beneficiaries=[(wang, Decimal("100"))])
    factories.policy(wang, branch_=world.branch_b)  # held in branch B: not visible to teller A

    assert customer_search(world.teller_a, "王小明").items[0].policies == 2
    assert customer_search(world.head, "王小明").items[0].policies == 3


def test_a_search_is_one_query_after_the_permission_lookup(world: World, wang: Customer) -> None:
    for n in range(10):
        holder = factories.customer(world.branch_a, name=f"王{n}", phones=[f"1391234{n:04d}"])
        factories.policy(holder)
    for query in ("王", "wang", "13812345678", WANG_ID, "P-NONE-1", "C-0001", ""):
        for user, lookups in ((world.teller_a, 1), (world.head, 1), (world.manager_a, 2)):
            fresh = type(user).objects.get(pk=user.pk)  # a new request: nothing cached

            with CaptureQueriesContext(connection) as queries:
                customer_search(fresh, query)

            # The role's grants and scope in one query (a branch tree needs its branches
            # too), then the page with branch, phone and policy count in one statement.
            assert len(queries) == lookups + 1, (query, user, [q["sql"] for q in queries])

            with CaptureQueriesContext(connection) as queries:
                page = customer_search(fresh, query)

            assert len(queries) == 1
            for row in page.items:  # what the list shows is loaded, nothing is lazy
                with CaptureQueriesContext(connection) as lazy:
                    _ = (row.customer.branch.name, row.customer.number, row.masked_id, row.phone)
                assert len(lazy) == 0


@pytest.mark.parametrize("number", ["13812345678", "P2026-000123", WANG_ID[:-1] + "X"])
def test_a_query_with_more_digits_than_a_name_skips_the_name_lookups(
    world: World, wang: Customer, number: str
) -> None:
    with CaptureQueriesContext(connection) as queries:
        customer_search(world.teller_a, number)

    assert "c.name >=" not in queries[-1]["sql"]
    assert "name_latin" not in queries[-1]["sql"].split(" FROM ", 1)[1]


def test_a_query_without_digits_skips_the_key_lookups(world: World, wang: Customer) -> None:
    with CaptureQueriesContext(connection) as queries:
        customer_search(world.teller_a, "王小明")

    lookups = queries[-1]["sql"].split(" FROM ", 1)[1]  # after the columns shown
    assert "id_number_hash" not in lookups
    assert "e164" not in lookups
    assert ".number =" not in lookups


def test_a_query_that_cannot_match_asks_nothing(world: World, wang: Customer) -> None:
    customer_search(world.teller_a, "王")  # the role is cached

    with CaptureQueriesContext(connection) as queries:
        assert customer_search(world.teller_a, "+++ --").items == []

    assert len(queries) == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_every_arm_of_the_search_uses_an_index(world: World, wang: Customer) -> None:
    factories.policy(wang, number="P-IDX-1")
    for query in ("王", "wang x", "13812345678", WANG_ID, "P-IDX-1", "C-0001"):
        with CaptureQueriesContext(connection) as captured:
            customer_search(world.teller_a, query)
        for entry in captured.captured_queries:
            sql = entry["sql"]
            if not sql.startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = [row[-1] for row in cursor.fetchall()]
            scans = [
                step
                for step in plan
                if step.startswith("SCAN ")
                and "USING" not in step
                and any(
                    table in step
                    for table in ("customers_customer", "customers_contactpoint", "policies_")
                )
            ]
            assert not scans, f"{query!r}: {sql}\n{plan}"
            if "c.name >=" in sql:
                assert any("customer_name_idx" in step for step in plan), plan
            if "lower(c.name_latin) >=" in sql:
                assert any("customer_name_latin_idx" in step for step in plan), plan


def test_it_ignores_a_query_that_cannot_be_a_phone(world: World, wang: Customer) -> None:
    assert found(world.teller_a, "not a phone +++") == []
    assert found(world.teller_a, "x" * 500) == []


def test_dates_do_not_confuse_the_search(world: World, wang: Customer) -> None:
    assert found(world.teller_a, dt.date(1980, 1, 1).isoformat()) == []

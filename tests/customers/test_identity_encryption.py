"""ID numbers are validated, stored only encrypted, and found by a keyed hash."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection

from policydesk.core import crypto
from policydesk.core.errors import DomainError
from policydesk.customers.identity import (
    lookup_hash,
    resident_id_check_digit,
    reveal,
    validate_id_number,
)
from policydesk.customers.models import Customer
from tests import factories
from tests.conftest import World


def all_cells() -> Iterator[str]:
    """Every cell of every table, binary ones decoded, as text (SQLite and PostgreSQL alike)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, bytes | memoryview | bytearray):
                        data = bytes(cell)
                        yield data.decode("latin-1")
                        yield data.decode("utf-8", errors="ignore")
                    elif cell is not None:
                        yield str(cell)


def id_ending_in_x() -> str:
    """A valid resident ID number whose check character is X."""
    for serial in range(1000):
        first17 = f"35032219850614{serial:03d}"
        if resident_id_check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no serial gives X")


def test_a_resident_id_with_a_wrong_check_character_is_refused(world: World) -> None:
    number = factories.resident_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(DomainError) as refused:
        factories.customer(world.branch_a, number="C-WRONG", id_number=wrong)
    assert refused.value.field == "id_number"
    assert not Customer.objects.filter(number="C-WRONG").exists()


def test_a_resident_id_with_an_impossible_birth_date_is_refused(world: World) -> None:
    first17 = "35032219800231123"  # 31 February
    with pytest.raises(DomainError) as refused:
        factories.customer(
            world.branch_a, number="C-FEB", id_number=first17 + resident_id_check_digit(first17)
        )
    assert refused.value.field == "id_number"
    assert not Customer.objects.filter(number="C-FEB").exists()


@pytest.mark.parametrize("number", ["", "12345", "3503221980010112345"])
def test_a_resident_id_of_the_wrong_shape_is_refused(number: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_id_number("resident_id", number)
    assert refused.value.field == "id_number"


def test_the_raw_id_number_is_nowhere_in_the_database(world: World) -> None:
    numbers = [factories.resident_id(dt.date(1975, 3, 9)), id_ending_in_x()]
    for number in numbers:
        factories.customer(world.branch_a, id_number=number, by=world.teller_a)
    cells = list(all_cells())
    assert Customer.objects.count() == 2
    for number in numbers:
        assert all(number not in cell and number.lower() not in cell for cell in cells)


def test_the_search_hash_finds_a_number_typed_with_spaces_and_a_lowercase_x(
    world: World,
) -> None:
    number = id_ending_in_x()
    created = factories.customer(world.branch_a, id_number=number)
    typed = f"{number[:6]} {number[6:14]} {number[14:17]}x"
    assert Customer.objects.get(id_number_hash=lookup_hash(typed)) == created
    assert created.id_number_last4 == number[-4:]


def test_the_encrypted_number_decrypts_back_to_the_normalised_number(world: World) -> None:
    number = id_ending_in_x()
    created = factories.customer(world.branch_a, id_number=number.lower())
    stored = Customer.objects.get(pk=created.pk)
    assert reveal(stored.id_number_encrypted) == number


def test_the_same_number_encrypts_differently_each_time(world: World) -> None:
    number = factories.resident_id()
    assert crypto.encrypt_text(number) != crypto.encrypt_text(number)


def test_another_key_can_neither_decrypt_nor_reproduce_the_hash(
    world: World, settings: Any
) -> None:
    number = factories.resident_id()
    created = factories.customer(world.branch_a, id_number=number)
    stored = bytes(Customer.objects.get(pk=created.pk).id_number_encrypted)
    crypto._keys.cache_clear()
    settings.POLICYDESK_FIELD_KEY = base64.b64encode(b"k" * 32).decode()
    try:
        with pytest.raises(InvalidTag):
            reveal(stored)
        assert lookup_hash(number) != created.id_number_hash
    finally:
        crypto._keys.cache_clear()

"""A bulk load drops its table's secondary indexes and builds them again before the commit;
a refused file, a dry run, a table already larger than the file or a lock not granted leave
them in place."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from policydesk.customers.models import Customer
from policydesk.imports import bulk, services
from policydesk.policies.models import Policy
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, import_examples, run_import


def _indexes(table: str) -> dict[str, tuple[Any, ...]]:
    """Every index and constraint of the table as the database describes it."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: (tuple(info["columns"]), info["unique"], info["primary_key"], info["index"])
        for name, info in found.items()
    }


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[bulk.DeferredIndexes | None]:
    """What each import's defer_indexes returned."""
    seen: list[bulk.DeferredIndexes | None] = []

    def spy(model: Any, rows: int) -> bulk.DeferredIndexes | None:
        result = bulk.defer_indexes(model, rows)
        seen.append(result)
        return result

    monkeypatch.setattr(services, "defer_indexes", spy)
    return seen


def test_a_bulk_file_builds_again_every_index_it_dropped(
    world: World, settings: Any, deferrals: list[bulk.DeferredIndexes | None]
) -> None:
    settings.IMPORT_BULK_MIN_ROWS = 3
    table = Customer._meta.db_table
    before = _indexes(table)

    job = run_import(world.admin, "customers", example("customers"))

    assert job.status == "done", job.report
    assert job.report["inserted"] == 3
    (deferred,) = deferrals
    assert deferred is not None
    dropped = {name for name, _ in deferred.definitions}
    # The name and ID-number search indexes among them; the keys the upsert uses are kept.
    assert {"customer_name_idx", "customer_id_number_hash_idx"} <= dropped
    assert not dropped & {name for name, info in before.items() if info[1] or info[2]}
    assert _indexes(table) == before
    assert Customer.objects.filter(name="张伟").count() == 1


def test_policies_too_and_the_import_reads_the_same_afterwards(
    world: World, settings: Any, deferrals: list[bulk.DeferredIndexes | None]
) -> None:
    import_examples(world.admin, "customers", "products")
    settings.IMPORT_BULK_MIN_ROWS = 1
    before = _indexes(Policy._meta.db_table)

    job = run_import(world.admin, "policies", example("policies"))

    assert job.status == "done", job.report
    assert deferrals[-1] is not None
    assert _indexes(Policy._meta.db_table) == before
    assert Policy.objects.count() == job.report["inserted"] > 0
    again = run_import(world.admin, "policies", example("policies"))  # table now as large
    assert deferrals[-1] is None
    assert again.report["unchanged"] == job.report["inserted"]


def test_a_refused_bulk_file_leaves_the_indexes_and_no_row(
    world: World, settings: Any, deferrals: list[bulk.DeferredIndexes | None]
) -> None:
    settings.IMPORT_BULK_MIN_ROWS = 3
    table = Customer._meta.db_table
    before = _indexes(table)
    rows = example_rows("customers")
    rows[3][rows[0].index("birth_date")] = "1990-02-30"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert deferrals[0] is not None  # dropped, then rolled back with the rows
    assert _indexes(table) == before
    assert not Customer.objects.exists()


def test_a_dry_run_or_a_small_file_drops_nothing(
    world: World, settings: Any, deferrals: list[bulk.DeferredIndexes | None]
) -> None:
    settings.IMPORT_BULK_MIN_ROWS = 3
    run_import(world.admin, "customers", example("customers"), dry_run=True)
    settings.IMPORT_BULK_MIN_ROWS = 4  # the file holds 3 rows
    run_import(world.admin, "customers", example("customers"))
    settings.IMPORT_BULK_MIN_ROWS = 0  # never
    run_import(world.admin, "customers", example("customers"))

    assert deferrals == [None, None]  # the dry run does not even ask
    assert Customer.objects.count() == 3


def test_a_table_holding_as_many_rows_as_the_file_is_not_a_bulk_load(
    world: World, settings: Any
) -> None:
    import_examples(world.admin, "customers")

    settings.IMPORT_BULK_MIN_ROWS = 1
    with transaction.atomic():
        assert bulk.defer_indexes(Customer, 3) is None  # 3 stored, a file of 3
        assert bulk.defer_indexes(Customer, 2) is None
        deferred = bulk.defer_indexes(Customer, 4)
        assert deferred is not None
        transaction.set_rollback(True)


def test_a_lock_not_granted_makes_it_an_ordinary_import(
    world: World, settings: Any, deferrals: list[bulk.DeferredIndexes | None]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite has one writer and no reader locks on a table")
    settings.IMPORT_BULK_MIN_ROWS = 3
    settings.IMPORT_BULK_LOCK_TIMEOUT = "200ms"
    holding, release = threading.Event(), threading.Event()

    def reader() -> None:
        # Its own connection (one per thread), outside the test's transaction: the table is
        # there (migrated), and reading it holds a lock a DROP INDEX must wait for.
        from django.db import connections

        try:
            with transaction.atomic():
                Customer.objects.exists()
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.perf_counter()
        job = run_import(world.admin, "customers", example("customers"))
        waited = time.perf_counter() - started
    finally:
        release.set()
        thread.join()

    assert job.status == "done", job.report
    assert deferrals == [None]
    assert waited >= 0.2  # it asked for the lock, waited its timeout, and went on without
    assert Customer.objects.count() == 3

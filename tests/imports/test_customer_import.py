"""Customers: a valid file is imported, re-importing changes nothing, bad rows refuse it."""

from __future__ import annotations

from typing import Any

from policydesk.core.models import AuditEvent
from policydesk.customers.identity import reveal
from policydesk.customers.models import Customer
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, run_import


def test_a_valid_customer_file_is_imported_with_encrypted_id_numbers(world: World) -> None:
    job = run_import(world.admin, "customers", example("customers"))

    assert job.status == "done", job.report
    assert job.report["inserted"] == 3
    assert job.rows_done == job.rows_total == 3
    zhang = Customer.objects.get(number="C0000001")
    assert zhang.branch == world.branch_a
    assert zhang.name == "张伟"
    assert reveal(zhang.id_number_encrypted) == "11010519491231002X"
    assert zhang.id_number_last4 == "002X"
    assert Customer.objects.get(number="C0000003").gender == "U"
    event = AuditEvent.objects.get(action="imports.apply")
    assert event.after["inserted"] == 3
    assert event.after["file"] == "customers.csv"


def test_re_importing_the_same_file_changes_nothing(world: World) -> None:
    run_import(world.admin, "customers", example("customers"))
    before = {
        c.number: (c.updated_at, bytes(c.id_number_encrypted)) for c in Customer.objects.all()
    }

    again = run_import(world.admin, "customers", example("customers"))

    assert again.report["inserted"] == again.report["updated"] == 0
    assert again.report["unchanged"] == 3
    after = {c.number: (c.updated_at, bytes(c.id_number_encrypted)) for c in Customer.objects.all()}
    assert after == before
    last = AuditEvent.objects.filter(action="imports.apply").order_by("-id").first()
    assert last is not None
    assert last.after["updated"] == 0
    assert last.after["inserted"] == 0


def test_a_changed_row_is_updated_and_only_that_row(world: World) -> None:
    run_import(world.admin, "customers", example("customers"))
    rows = example_rows("customers")
    rows[2][9] = "engineer"  # Li Na's occupation
    untouched = Customer.objects.get(number="C0000001").updated_at

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert (job.report["inserted"], job.report["updated"], job.report["unchanged"]) == (0, 1, 2)
    assert Customer.objects.get(number="C0000002").occupation == "engineer"
    assert Customer.objects.get(number="C0000001").updated_at == untouched


def test_a_file_with_one_bad_row_applies_nothing_and_names_row_and_column(world: World) -> None:
    rows = example_rows("customers")
    rows[1][6] = "110105194912310021"  # Zhang Wei's resident ID with a wrong check character

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert job.report["refused"] is True
    assert job.report["errors"] == [
        {
            "file": "customers.csv",
            "row": 2,
            "column": "id_number",
            "reason": job.report["errors"][0]["reason"],
        }
    ]
    assert Customer.objects.count() == 0
    assert not AuditEvent.objects.filter(action="imports.apply").exists()


def test_apply_valid_rows_only_writes_the_others_and_reports_the_bad_one(world: World) -> None:
    rows = example_rows("customers")
    rows[1][7] = "1949-13-31"

    job = run_import(world.admin, "customers", csv_bytes(rows), skip_invalid=True)

    assert job.status == "done"
    assert job.report["skipped"] == 1
    assert job.report["errors"][0]["row"] == 2
    assert job.report["errors"][0]["column"] == "birth_date"
    assert set(Customer.objects.values_list("number", flat=True)) == {"C0000002", "C0000003"}


def test_a_dry_run_checks_everything_and_writes_nothing(world: World) -> None:
    job = run_import(world.admin, "customers", example("customers"), dry_run=True)

    assert job.status == "done"
    assert job.report["inserted"] == 3
    assert job.report["applied"] is False
    assert Customer.objects.count() == 0


# --- Languages, dialects and vulnerability flags --------------------------------------------


def _column(name: str) -> int:
    return example_rows("customers")[0].index(name)


def test_the_language_dialect_and_vulnerability_flags_are_imported(world: World) -> None:
    job = run_import(world.admin, "customers", example("customers"))

    assert job.status == "done", job.report
    zhang = Customer.objects.select_related("preferred_language", "dialect").get(number="C0000001")
    assert zhang.preferred_language is not None
    assert zhang.preferred_language.code == "mandarin"
    assert zhang.dialect is not None
    assert zhang.dialect.code == "puxian"
    assert zhang.vulnerability_flags == ["elderly"]
    li = Customer.objects.get(number="C0000002")
    assert (li.preferred_language_id, li.dialect_id, li.vulnerability_flags) == (None, None, [])


def test_an_unknown_language_refuses_the_file_naming_row_and_column(world: World) -> None:
    rows = example_rows("customers")
    rows[2][_column("preferred_language")] = "klingon"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(3, "preferred_language")]
    assert "klingon" in job.report["errors"][0]["reason"]
    assert not Customer.objects.exists()


def test_a_language_that_is_no_dialect_is_refused_as_a_dialect(world: World) -> None:
    rows = example_rows("customers")
    rows[1][_column("dialect")] = "mandarin"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(2, "dialect")]
    assert not Customer.objects.exists()


def test_an_unknown_vulnerability_flag_refuses_the_file_naming_the_column(world: World) -> None:
    rows = example_rows("customers")
    rows[3][_column("vulnerability_flags")] = "elderly;fragile"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(4, "vulnerability_flags")]
    assert "fragile" in job.report["errors"][0]["reason"]
    assert not Customer.objects.exists()


def test_blank_language_dialect_and_flags_keep_what_is_stored(world: World) -> None:
    run_import(world.admin, "customers", example("customers"))
    rows = example_rows("customers")
    for name in ("preferred_language", "dialect", "vulnerability_flags"):
        rows[1][_column(name)] = ""

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.report["unchanged"] == 3, job.report
    zhang = Customer.objects.get(number="C0000001")
    assert zhang.vulnerability_flags == ["elderly"]
    assert zhang.dialect_id is not None


def test_changed_flags_update_the_customer(world: World) -> None:
    run_import(world.admin, "customers", example("customers"))
    rows = example_rows("customers")
    rows[2][_column("vulnerability_flags")] = "hearing_impaired; low_literacy"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert (job.report["inserted"], job.report["updated"], job.report["unchanged"]) == (0, 1, 2)
    li = Customer.objects.get(number="C0000002")
    assert li.vulnerability_flags == ["hearing_impaired", "low_literacy"]


def test_a_bad_row_in_a_later_chunk_undoes_the_chunks_already_written(
    world: World, monkeypatch: Any
) -> None:
    from policydesk.imports import services

    monkeypatch.setattr(services, "chunk_rows", lambda: 1)  # every row its own chunk
    rows = example_rows("customers")
    rows[-1][rows[0].index("birth_date")] = "2001-02-29"  # the last row; no such day

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(len(rows), "birth_date")]
    assert Customer.objects.count() == 0  # the first chunks were written, then rolled back


def test_the_raw_id_number_is_not_in_the_database_file_after_an_import(world: World) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        import pytest

        pytest.skip("the database file of SQLite; PostgreSQL's cells are read by all_cells")
    job = run_import(world.admin, "customers", example("customers"))
    assert job.status == "done"
    # The in-memory test database's file image, every page, as its connection sees it.
    data = connection.connection.serialize()

    assert b"C0000001" in data  # the rows are there
    rows = example_rows("customers")
    numbers = [row[rows[0].index("id_number")] for row in rows[1:]]
    assert len(numbers) == 3
    for number in numbers:
        assert number.encode() not in data
        assert number[:17].encode() not in data
        assert number.encode("utf-16-le") not in data

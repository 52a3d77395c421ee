"""Files that cannot be applied: each is refused with a report naming file, row and column."""

from __future__ import annotations

from django.utils import translation

from policydesk.customers.models import ContactPoint, Customer
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, import_examples, run_import


def _errors(job: object) -> list[tuple[int, str]]:
    return [(e["row"], e["column"]) for e in job.report["errors"]]  # type: ignore[attr-defined]


def test_undecodable_bytes_are_refused_with_the_file_named(world: World) -> None:
    job = run_import(world.admin, "customers", b"number,name\n\x80\xff\x81,x\n", "bad.csv")

    assert job.status == "failed"
    assert "bad.csv" in job.report["errors"][0]["reason"]
    assert Customer.objects.count() == 0


def test_gb18030_and_bom_prefixed_utf8_files_are_read(world: World) -> None:
    text = example("customers").decode("utf-8")

    gb = run_import(world.admin, "customers", text.encode("gb18030"))
    bom = run_import(world.admin, "customers", ("\ufeff" + text).encode("utf-8"))

    assert gb.status == bom.status == "done"
    assert Customer.objects.get(number="C0000001").name == "张伟"
    assert bom.report["unchanged"] == 3


def test_missing_required_columns_are_named_on_row_one(world: World) -> None:
    rows = [row[:5] for row in example_rows("customers")]

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert (1, "id_type") in _errors(job)
    assert (1, "id_number") in _errors(job)
    assert Customer.objects.count() == 0


def test_bad_dates_are_reported_by_row_and_column(world: World) -> None:
    rows = example_rows("customers")
    rows[3][7] = "31/12/1990"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert _errors(job) == [(4, "birth_date")]
    assert "YYYY-MM-DD" in job.report["errors"][0]["reason"]
    assert Customer.objects.count() == 0


def test_a_key_repeated_in_the_file_is_an_error(world: World) -> None:
    rows = example_rows("customers")
    rows.append(list(rows[1]))

    with translation.override("en"):  # the report is written in the importer's language
        job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert _errors(job) == [(5, "number")]
    assert "row 2" in job.report["errors"][0]["reason"]
    assert Customer.objects.count() == 0


def test_a_row_for_a_branch_the_user_cannot_see_is_refused(world: World) -> None:
    clerk_b = factories.staff(Role.BACK_OFFICE, world.branch_b, username="clerk_b")

    job = run_import(clerk_b, "customers", example("customers"))

    assert job.status == "failed"
    assert {column for _, column in _errors(job)} == {"branch"}
    assert Customer.objects.count() == 0


def test_contacts_of_customers_in_another_branch_are_unknown(world: World) -> None:
    import_examples(world.admin, "customers")
    clerk_b = factories.staff(Role.BACK_OFFICE, world.branch_b, username="clerk_b")

    job = run_import(clerk_b, "contacts", example("contacts"))

    assert job.status == "failed"
    assert {column for _, column in _errors(job)} == {"customer_number"}
    assert ContactPoint.objects.count() == 0


def test_a_customer_number_held_by_another_branch_is_not_overwritten(world: World) -> None:
    import_examples(world.admin, "customers")
    clerk_b = factories.staff(Role.BACK_OFFICE, world.branch_b, username="clerk_b")
    rows = example_rows("customers")
    for row in rows[1:]:
        row[1] = "branch-b"

    job = run_import(clerk_b, "customers", csv_bytes(rows))

    assert job.status == "failed"
    assert {column for _, column in _errors(job)} == {"number"}
    assert set(Customer.objects.values_list("branch__code", flat=True)) == {"branch-a"}


def test_an_unknown_column_is_refused(world: World) -> None:
    rows = example_rows("customers")
    rows[0][4] = "latin_name"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert (1, "latin_name") in _errors(job)


def test_a_role_without_the_import_permission_cannot_start_an_import(world: World) -> None:
    import pytest

    from policydesk.core.errors import PermissionRefused
    from policydesk.imports.models import ImportJob

    with pytest.raises(PermissionRefused):
        run_import(world.teller_a, "customers", example("customers"))
    assert ImportJob.objects.count() == 0

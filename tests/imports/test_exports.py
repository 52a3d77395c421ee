"""Exports: scoped to the user's branches, masked by role, formula cells neutralised."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from policydesk.core.models import AuditEvent
from policydesk.customers.models import Customer
from policydesk.imports.exports import export_file
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World, signed_in

from .conftest import csv_bytes, example_rows, import_examples, run_import

RAW_ID = "11010519491231002X"
FORMULA = '=HYPERLINK("http://x","y")'


def _export(user: object, kind: str, file_format: str = "csv") -> bytes:
    result = export_file(kind=kind, file_format=file_format, by=user)
    with result.handle:
        return result.handle.read()


def test_an_export_masks_id_numbers_and_phones_for_a_role_without_identity(
    world: World,
) -> None:
    import_examples(world.admin, "customers", "contacts")
    # A relationship manager exports but may not see identities.
    manager = factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_a, username="rm_a")

    content = _export(manager, "customers").decode("utf-8-sig")
    contacts = _export(manager, "contacts").decode("utf-8-sig")

    assert RAW_ID not in content
    assert "**************002X" in content
    assert "13812345678" not in contacts
    assert "*******5678" in contacts
    event = AuditEvent.objects.filter(action="imports.export").order_by("-id").first()
    assert event is not None
    assert event.after == {"kind": "contacts", "format": "csv", "rows": 4, "masked": True}


def test_an_export_shows_id_numbers_to_a_role_that_may_see_identities(world: World) -> None:
    import_examples(world.admin, "customers")

    content = _export(world.manager_a, "customers").decode("utf-8-sig")

    assert RAW_ID in content


def test_an_export_writes_the_language_dialect_and_flags_as_imported(world: World) -> None:
    import_examples(world.admin, "customers")

    content = _export(world.manager_a, "customers").decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(content)))
    header = rows[0]
    zhang = dict(zip(header, next(r for r in rows if r[0] == "C0000001"), strict=True))
    assert (zhang["preferred_language"], zhang["dialect"], zhang["vulnerability_flags"]) == (
        "mandarin",
        "puxian",
        "elderly",
    )


def test_an_export_holds_only_the_branches_the_user_sees(world: World) -> None:
    import_examples(world.admin, "customers")

    content = _export(world.manager_b, "customers").decode("utf-8-sig")

    assert "C0000001" not in content
    assert content.splitlines() == [",".join(example_rows("customers")[0])]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(world: World) -> None:
    rows = example_rows("customers")
    rows[1][3] = FORMULA
    run_import(world.admin, "customers", csv_bytes(rows))
    assert Customer.objects.get(number="C0000001").name == FORMULA

    csv_text = _export(world.admin, "customers").decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(_export(world.admin, "customers", "xlsx")))
    sheet = workbook.worksheets[0]
    names = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert "'=HYPERLINK" in csv_text
    assert ",=HYPERLINK" not in csv_text
    assert f"'{FORMULA}" in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_an_exported_file_imports_back_unchanged_for_a_role_with_identity(
    world: World,
) -> None:
    import_examples(world.admin, "customers")

    job = run_import(world.admin, "customers", _export(world.manager_a, "customers"))

    assert job.status == "done", job.report["errors"]
    assert job.report["unchanged"] == 3


def test_the_export_page_downloads_and_refuses_roles_without_the_permission(
    world: World,
) -> None:
    import_examples(world.admin, "customers")

    allowed = signed_in(world.manager_a).get("/exports/customers/?format=xlsx")
    refused = signed_in(world.teller_a).get("/exports/customers/")

    assert allowed.status_code == 200
    assert allowed["Content-Disposition"].startswith("attachment")
    assert refused.status_code == 403


def test_every_export_has_a_value_for_each_column_of_its_kind() -> None:
    from policydesk.imports.exports import SOURCES
    from policydesk.imports.specs import KINDS

    for kind, source in SOURCES.items():
        # Lookups read past the spec's columns (for masking) are allowed after them.
        assert len(source.fields) >= len(KINDS[kind].columns), kind


def test_a_contacts_export_with_guarded_cells_imports_back_without_duplicates(
    world: World,
) -> None:
    from policydesk.customers import services
    from policydesk.customers.models import ContactPoint

    import_examples(world.admin, "customers")
    holder = Customer.objects.get(number="C0000001")
    services.contact_add(customer=holder, kind="phone", raw="+8613812345678", by=None)
    exported = _export(world.manager_a, "contacts")
    assert "'+8613812345678" in exported.decode("utf-8-sig")  # guarded on the way out
    before = ContactPoint.objects.count()

    job = run_import(world.admin, "contacts", exported)

    assert job.status == "done", job.report["errors"]
    assert job.report["inserted"] == 0
    assert ContactPoint.objects.count() == before
    assert ContactPoint.objects.filter(raw="+8613812345678").count() == 1

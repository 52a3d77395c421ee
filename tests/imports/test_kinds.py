"""Every kind imports from its documented example, as CSV and as XLSX, and re-imports idle."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from policydesk.customers.models import (
    Consent,
    ContactDefect,
    ContactPoint,
    Customer,
    Household,
    Relation,
)
from policydesk.imports.docs import example_csv, render_markdown
from policydesk.imports.specs import KINDS
from policydesk.policies.models import (
    CollectionAttempt,
    Disbursement,
    Policy,
    PremiumDue,
    Product,
)
from tests.conftest import World

from .conftest import DOCS, csv_bytes, example, example_rows, import_examples, run_import

ORDER = list(KINDS)
MODELS = {
    "households": Household,
    "customers": Customer,
    "relations": Relation,
    "contacts": ContactPoint,
    "consents": Consent,
    "products": Product,
    "policies": Policy,
    "premiums": PremiumDue,
    "attempts": CollectionAttempt,
    "disbursements": Disbursement,
}


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ORDER)
def test_the_example_csv_of_each_kind_imports_and_re_imports_unchanged(
    world: World, kind: str
) -> None:
    import_examples(world.admin, *ORDER[: ORDER.index(kind)])

    first = run_import(world.admin, kind, example(kind))
    again = run_import(world.admin, kind, example(kind))

    assert first.status == "done", first.report["errors"]
    assert first.report["inserted"] == len(KINDS[kind].example)
    assert MODELS[kind].objects.count() == len(KINDS[kind].example)
    assert (again.report["inserted"], again.report["updated"]) == (0, 0)
    assert again.report["unchanged"] == len(KINDS[kind].example)


@pytest.mark.parametrize("kind", ORDER)
def test_the_example_of_each_kind_imports_from_xlsx(world: World, kind: str) -> None:
    import_examples(world.admin, *ORDER[: ORDER.index(kind)])

    job = run_import(world.admin, kind, xlsx_bytes(example_rows(kind)), f"{kind}.xlsx")

    assert job.status == "done", job.report["errors"]
    assert MODELS[kind].objects.count() == len(KINDS[kind].example)


def test_xlsx_dates_and_numbers_typed_as_cells_are_read(world: World) -> None:
    import datetime as dt

    rows: list[list[object]] = [list(r) for r in example_rows("customers")]
    rows[1][7] = dt.datetime(1949, 12, 31)  # noqa: DTZ001 -- a spreadsheet date cell has no zone
    rows[2][11] = 2
    job = run_import(world.admin, "customers", xlsx_bytes(rows), "customers.xlsx")  # type: ignore[arg-type]

    assert job.status == "done", job.report["errors"]
    assert Customer.objects.get(number="C0000001").birth_date == dt.date(1949, 12, 31)


def test_imported_phones_are_normalised_and_their_defects_found(world: World) -> None:
    import_examples(world.admin, "customers", "contacts")

    mobile = ContactPoint.objects.get(raw="13812345678")
    assert (mobile.e164, mobile.is_valid) == ("+8613812345678", True)
    assert ContactDefect.objects.filter(code="area_code_prefixed_mobile").exists()


def test_policies_refer_to_products_and_policyholders(world: World) -> None:
    import_examples(world.admin, "customers", "products", "policies")

    policy = Policy.objects.get(number="PL000000001")
    assert policy.product.code == "P-LIFE-20"
    assert policy.policyholder.number == "C0000001"
    assert policy.branch == world.branch_a
    assert Product.objects.get(code="P-LIFE-20").cooling_off_days == {"CN": 15}


def test_policies_carry_their_agent_and_intermediary_by_code(world: World) -> None:
    from policydesk.policies.models import Agent, Intermediary

    import_examples(world.admin, "customers", "products")
    Agent.objects.create(code="A001", name="黄业务", branch=world.branch_a)
    Intermediary.objects.create(code="ccb", name="建设银行", kind="bank")
    rows = example_rows("policies")
    header = rows[0]
    rows[1][header.index("agent_code")] = "A001"
    rows[2][header.index("intermediary_code")] = "ccb"
    job = run_import(world.admin, "policies", csv_bytes(rows))
    assert job.status == "done", job.report
    assert Policy.objects.get(number="PL000000001").agent.code == "A001"
    assert Policy.objects.get(number="PL000000002").intermediary.name == "建设银行"


def test_an_unknown_agent_code_refuses_the_file_naming_the_column(world: World) -> None:
    import_examples(world.admin, "customers", "products")
    rows = example_rows("policies")
    rows[1][rows[0].index("agent_code")] = "NOBODY"
    job = run_import(world.admin, "policies", csv_bytes(rows))
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.report["errors"]] == [(2, "agent_code")]
    assert not Policy.objects.exists()


def test_the_format_documentation_and_examples_match_the_specs() -> None:
    assert (DOCS / "import-formats.md").read_text(encoding="utf-8") == render_markdown()
    for spec in KINDS.values():
        path: Path = DOCS / "examples" / f"{spec.kind}.csv"
        assert path.read_text(encoding="utf-8") == example_csv(spec)

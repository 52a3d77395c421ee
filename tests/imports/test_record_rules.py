"""The import asks of policies and money events what policies.services asks of them: a
payment mode the product allows, a receipt signed once issued, a payment date exactly for
what was paid. Each refusal names its row and column."""

from __future__ import annotations

from policydesk.policies.models import PaymentMode
from tests.conftest import World

from .conftest import csv_bytes, example_rows, import_examples, run_import


def _refused(
    world: World, kind: str, column: str, value: str, row: int = 1
) -> list[tuple[int, str]]:
    rows = example_rows(kind)
    rows[row][rows[0].index(column)] = value
    job = run_import(world.admin, kind, csv_bytes(rows))
    assert job.status == "failed"
    return [(e["row"], e["column"]) for e in job.report["errors"]]


def test_a_payment_mode_the_product_does_not_allow_is_refused(world: World) -> None:
    import_examples(world.admin, "customers", "products")
    rows = example_rows("products")
    modes = rows[1][rows[0].index("payment_modes")].split(";")
    refused = next(m for m in PaymentMode.values if m not in modes)  # a mode, not this one's

    assert _refused(world, "policies", "payment_mode", refused) == [(2, "payment_mode")]


def test_a_receipt_signed_before_the_issue_is_refused(world: World) -> None:
    import_examples(world.admin, "customers", "products")

    assert _refused(world, "policies", "receipt_signed_date", "2024-03-01") == [
        (2, "receipt_signed_date")
    ]


def test_a_paid_premium_names_its_payment_day_and_only_a_paid_one_does(world: World) -> None:
    import_examples(world.admin, "customers", "products", "policies")

    assert _refused(world, "premiums", "paid_on", "", row=1) == [(2, "paid_on")]
    assert _refused(world, "premiums", "paid_on", "2025-03-06", row=2) == [(3, "paid_on")]


def test_a_paid_disbursement_names_its_payment_day(world: World) -> None:
    import_examples(world.admin, "customers", "products", "policies")

    assert _refused(world, "disbursements", "status", "paid") == [(2, "paid_on")]

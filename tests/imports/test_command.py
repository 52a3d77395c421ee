"""`policydesk import` and `policydesk export` on the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policydesk.customers.models import Customer
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows


def test_the_command_imports_a_file_with_a_progress_bar(world: World, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(example("customers"))
    out = io.StringIO()

    call_command("import", str(path), stdout=out, stderr=io.StringIO())

    assert "\r[" in out.getvalue()
    assert "100% 3/3 rows" in out.getvalue()
    assert "3 inserted" in out.getvalue()
    assert Customer.objects.count() == 3


def test_the_command_exits_1_with_the_report_on_a_bad_file(world: World, tmp_path: Path) -> None:
    rows = example_rows("customers")
    rows[2][7] = "not-a-date"
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes(rows))
    err = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import", str(path), "--kind", "customers", stdout=io.StringIO(), stderr=err)

    assert raised.value.returncode == 1
    assert "clients.csv, row 3, column birth_date" in err.getvalue()
    assert Customer.objects.count() == 0


def test_a_dry_run_on_the_command_line_writes_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(example("customers"))

    call_command("import", str(path), "--dry-run", stdout=io.StringIO())

    assert Customer.objects.count() == 0


def test_the_export_command_writes_a_file(world: World, tmp_path: Path) -> None:
    call_command("import", str(_example_file(tmp_path)), stdout=io.StringIO())
    target = tmp_path / "out.xlsx"

    call_command(
        "export", "customers", "--format", "xlsx", "--output", str(target), stdout=io.StringIO()
    )

    assert target.stat().st_size > 0


def _example_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes(example("customers"))
    return path

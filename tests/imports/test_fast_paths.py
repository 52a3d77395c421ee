"""The importer's shortcuts give what the plain paths give: cells read by position, JSON
values dumped once per chunk, the resident-ID check character from the digits' bytes."""

from __future__ import annotations

import pytest

from policydesk.customers.identity import resident_id_check_digit
from policydesk.customers.models import Customer
from policydesk.imports.apply import _copy_json
from policydesk.imports.readers import TableFile
from policydesk.imports.specs import KINDS
from policydesk.imports.validate import Report, parse_row, row_parser
from tests.conftest import World

from .conftest import csv_bytes, example_rows, run_import


def test_cells_are_read_by_their_header_position_in_any_column_order() -> None:
    spec = KINDS["customers"]
    header, first, *_ = example_rows("customers")
    order = list(reversed(range(len(header))))
    shuffled_header = [header[i] for i in order]
    shuffled_cells = [first[i] for i in order]

    by_position = row_parser(spec, shuffled_header)(2, shuffled_cells, Report("f.csv"))
    by_name = parse_row(spec, 2, dict(zip(header, first, strict=True)), Report("f.csv"))

    assert by_position is not None and by_name is not None
    assert by_position.values == by_name.values


def test_a_short_row_reads_its_missing_cells_as_blank_and_names_a_required_one() -> None:
    spec = KINDS["customers"]
    header = ["name", "number", "branch"]  # the required number's cell is missing below
    report = Report("short.csv")

    assert row_parser(spec, header)(7, ["张伟"], report) is None
    assert ("number", 7) in {(e["column"], e["row"]) for e in report.errors}


def test_the_table_file_gives_the_same_rows_as_dicts() -> None:
    table = TableFile(header=["a", "b"], cells=iter([(2, ["1", "2"]), (3, ["3"])]), rows_estimate=2)

    assert list(table.rows) == [(2, {"a": "1", "b": "2"}), (3, {"a": "3"})]


def test_json_values_repeated_in_a_chunk_are_written_as_each_one_alone() -> None:
    values = [[], ["elderly"], [], None, {"CN": 15}, ["elderly"], True, 1]

    assert _copy_json(values) == [
        "[]",
        '["elderly"]',
        "[]",
        "null",
        '{"CN": 15}',
        '["elderly"]',
        "true",
        "1",
    ]


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("35030219800101123", "4")],
)
def test_the_check_character_is_the_same_from_ascii_and_other_digits(
    first17: str, check: str
) -> None:
    full_width = "".join(chr(ord(ch) - ord("0") + ord("０")) for ch in first17)

    assert resident_id_check_digit(first17) == check
    assert resident_id_check_digit(full_width) == check


def test_a_file_mixing_stored_and_new_customers_merges_both(world: World) -> None:
    rows = example_rows("customers")
    assert run_import(world.admin, "customers", csv_bytes(rows[:2])).status == "done"

    job = run_import(world.admin, "customers", csv_bytes(rows))

    assert job.status == "done", job.report
    assert (job.report["inserted"], job.report["unchanged"]) == (len(rows) - 2, 1)
    assert Customer.objects.count() == len(rows) - 1

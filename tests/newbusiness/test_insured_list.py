"""The insured list of a group or batch application, imported from CSV or XLSX, all or
nothing, with a report naming row, column and reason."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from policydesk.core.errors import DomainError
from policydesk.newbusiness import services
from policydesk.newbusiness.models import InsuredMember
from tests import factories

from .conftest import Desk, register

HEADER = "name,id_type,id_number,birth_date,gender,sum_assured,premium\n"


def group(desk: Desk):  # type: ignore[no-untyped-def]
    return register(
        desk,
        source_system="short_term_group",
        channel="group",
        product=desk.group_product,
        payment_mode="single",
        payment_method="bank_transfer",
        term_years=1,
    )


def good_rows(n: int = 2) -> str:
    rows = []
    for index in range(n):
        number = factories.resident_id(sequence=100 + index)
        rows.append(f"Pupil {index},resident_id,{number},2015-03-0{index + 1},F,50000,80.00\n")
    return "".join(rows)


def test_a_valid_csv_becomes_the_insured_list(desk: Desk) -> None:
    application = group(desk)
    record = services.insured_list_import(
        application=application,
        file_name="pupils.csv",
        content=(HEADER + good_rows(3)).encode(),
        by=desk.world.teller_a,
    )
    assert record.accepted and record.errors == []
    members = list(InsuredMember.objects.filter(application=application))
    assert [m.row_number for m in members] == [2, 3, 4]
    assert members[0].premium == Decimal("80.00") and len(members[0].id_number_last4) == 4


def test_one_bad_row_refuses_the_whole_file_naming_row_column_and_reason(desk: Desk) -> None:
    application = group(desk)
    bad = "Pupil X,resident_id,350322201501019999,2015-13-01,Q,50000,80.001\n"
    record = services.insured_list_import(
        application=application,
        file_name="pupils.csv",
        content=(HEADER + good_rows(2) + bad).encode(),
        by=desk.world.teller_a,
    )
    assert not record.accepted
    problems = {(p["row"], p["column"]) for p in record.errors}
    assert {(4, "id_number"), (4, "birth_date"), (4, "gender"), (4, "premium")} <= problems
    assert all(p["message"] for p in record.errors)
    assert not InsuredMember.objects.exists()


def test_a_duplicate_id_number_is_named_with_the_first_row(desk: Desk) -> None:
    application = group(desk)
    rows = good_rows(1)
    record = services.insured_list_import(
        application=application,
        file_name="pupils.csv",
        content=(HEADER + rows + rows).encode(),
        by=desk.world.teller_a,
    )
    assert not record.accepted
    assert record.errors == [
        {"row": 3, "column": "id_number", "message": "The same ID number is on row 2."}
    ]


def test_an_xlsx_list_is_read_like_a_csv(desk: Desk) -> None:
    application = group(desk)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    for line in good_rows(2).strip().split("\n"):
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    record = services.insured_list_import(
        application=application,
        file_name="pupils.xlsx",
        content=buffer.getvalue(),
        by=desk.world.teller_a,
    )
    assert record.accepted, record.errors
    assert InsuredMember.objects.filter(application=application).count() == 2


def test_an_individual_application_has_no_insured_list(desk: Desk) -> None:
    application = register(desk)
    with pytest.raises(DomainError):
        services.insured_list_import(
            application=application,
            file_name="pupils.csv",
            content=(HEADER + good_rows(1)).encode(),
            by=desk.world.teller_a,
        )
    assert not InsuredMember.objects.exists()

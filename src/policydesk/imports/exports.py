"""Exports: the import columns, scoped to the user's branches, masked by role.

ID numbers are shown as their masked last four characters, phones and e-mails masked too,
unless the role grants customers.view_identity. Cells that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) are prefixed with a single quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from policydesk.core.access import can, require, scope_to_user, visible_branch_ids
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError
from policydesk.core.masking import mask_email, mask_value
from policydesk.customers.identity import masked, reveal
from policydesk.customers.models import (
    Consent,
    ContactKind,
    ContactPoint,
    Customer,
    Household,
    Relation,
)
from policydesk.policies.models import (
    CollectionAttempt,
    Disbursement,
    Policy,
    PremiumDue,
    Product,
)

from .specs import KINDS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
CHUNK = 2000


def neutralise(text: str) -> str:
    """Make a cell inert in spreadsheets (CSV injection): '=1+1 → '=1+1."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | Decimal | int):
        return str(value)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, dict):
        return ";".join(f"{key}:{number}" for key, number in value.items())
    return neutralise(str(value))


@dataclass(frozen=True)
class ExportSource:
    queryset: QuerySet[Any]
    branch_field: str | None  # None: not branch-scoped (products)
    fields: tuple[str, ...]  # values_list lookups, in the spec's column order
    # Further branches a row reveals, each of which must be visible too (both customers of
    # a relation).
    also_scoped_by: tuple[str, ...] = ()


SOURCES: dict[str, ExportSource] = {
    "customers": ExportSource(
        Customer.objects.all(),
        "branch",
        (
            "number",
            "branch__code",
            "kind",
            "name",
            "name_latin",
            "id_type",
            "id_number_encrypted",
            "birth_date",
            "gender",
            "occupation",
            "income_band",
            "dependants",
            "liabilities",
            "segment",
            "source_system",
            "household__number",
            "preferred_language__code",
            "dialect__code",
            "vulnerability_flags",
            "household__branch_id",  # read past the spec's columns: a hidden household is blank
            "id_number_last4",  # read past the spec's columns, for the masked form
        ),
    ),
    "households": ExportSource(
        Household.objects.all(), "branch", ("number", "branch__code", "name")
    ),
    "relations": ExportSource(
        Relation.objects.all(),
        "customer__branch",
        ("customer__number", "related__number", "kind"),
        also_scoped_by=("related__branch",),
    ),
    "contacts": ExportSource(
        ContactPoint.objects.all(),
        "customer__branch",
        ("customer__number", "kind", "raw", "phone_type", "is_primary", "source"),
    ),
    "consents": ExportSource(
        Consent.objects.all(),
        "customer__branch",
        ("customer__number", "purpose", "channel", "granted", "source", "evidence", "recorded_at"),
    ),
    "products": ExportSource(
        Product.objects.all(),
        None,
        (
            "code",
            "name",
            "name_en",
            "line",
            "term",
            "cooling_off_days",
            "payment_modes",
            "callback_required",
            "currency",
            "is_active",
        ),
    ),
    "policies": ExportSource(
        Policy.objects.all(),
        "branch",
        (
            "number",
            "product__code",
            "branch__code",
            "policyholder__number",
            "channel",
            "source_system",
            "jurisdiction",
            "status",
            "application_date",
            "issue_date",
            "receipt_signed_date",
            "cooling_off_end",
            "paid_to_date",
            "next_due_date",
            "term_years",
            "sum_assured",
            "premium",
            "currency",
            "payment_mode",
            "payment_method",
            "agent__code",
            "intermediary__code",
        ),
    ),
    "premiums": ExportSource(
        PremiumDue.objects.all(),
        "policy__branch",
        (
            "policy__number",
            "due_date",
            "amount",
            "currency",
            "status",
            "paid_on",
            "is_first_premium",
        ),
    ),
    "attempts": ExportSource(
        CollectionAttempt.objects.all(),
        "premium__policy__branch",
        (
            "premium__policy__number",
            "premium__due_date",
            "attempted_on",
            "method",
            "amount",
            "result",
            "bank_code",
        ),
    ),
    "disbursements": ExportSource(
        Disbursement.objects.all(),
        "policy__branch",
        (
            "policy__number",
            "kind",
            "due_date",
            "amount",
            "currency",
            "method",
            "status",
            "paid_on",
            "failure_reason",
        ),
    ),
}


def export_rows(kind: str, user: Any) -> Iterator[list[str]]:
    """The header, then one row per record the user may see, masked by role."""
    source = SOURCES[kind]
    queryset = source.queryset
    if source.branch_field is not None and user is not None:
        queryset = scope_to_user(queryset, user, branch_field=source.branch_field)
        for branch_field in source.also_scoped_by:
            queryset = scope_to_user(queryset, user, branch_field=branch_field)
    unmasked = user is None or can(user, "customers.view_identity")
    visible = None if user is None else visible_branch_ids(user)
    names = KINDS[kind].names
    yield names
    rows = queryset.order_by("pk").values_list(*source.fields)
    for values in rows.iterator(chunk_size=CHUNK):
        out = [cell(value) for value in values[: len(names)]]
        if kind == "customers":
            out[6] = neutralise(reveal(values[6])) if unmasked else masked(values[-1])
            if values[-2] is not None and visible is not None and values[-2] not in visible:
                # The household of another branch: blank, which keeps it on re-import.
                out[names.index("household_number")] = ""
        elif kind == "contacts" and not unmasked:
            raw = values[2]
            if values[1] == ContactKind.PHONE:
                out[2] = mask_value(raw)
            elif values[1] == ContactKind.EMAIL:
                out[2] = neutralise(mask_email(raw))
        yield out


@dataclass
class ExportFile:
    handle: IO[bytes]
    file_name: str
    content_type: str
    rows: int


def export_file(*, kind: str, file_format: str, by: Any) -> ExportFile:
    """Write an export to a temporary file and audit it (kind, row count, masked or not)."""
    if by is not None:
        require(by, "customers.export")
    if kind not in SOURCES:
        raise DomainError(_("Unknown kind %(kind)s.") % {"kind": kind}, field="kind")
    if file_format not in FORMATS:
        raise DomainError(_("The format is csv or xlsx."), field="format")
    handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=16 * 1024**2)  # noqa: SIM115
    rows = _write_xlsx(kind, by, handle) if file_format == "xlsx" else _write_csv(kind, by, handle)
    handle.seek(0)
    with transaction.atomic():
        audit_record(
            action="imports.export",
            actor=by,
            object_type="imports.export",
            object_id=kind,
            object_label=f"{kind}.{file_format}",
            after={
                "kind": kind,
                "format": file_format,
                "rows": rows,
                "masked": by is not None and not can(by, "customers.view_identity"),
            },
        )
    content_type = (
        "text/csv; charset=utf-8"
        if file_format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return ExportFile(handle, f"{kind}.{file_format}", content_type, rows)


def _write_csv(kind: str, user: Any, handle: IO[bytes]) -> int:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    count = -1
    for count, row in enumerate(export_rows(kind, user)):  # noqa: B007
        writer.writerow(row)
    text.detach()
    return max(count, 0)


def _write_xlsx(kind: str, user: Any, handle: IO[bytes]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    count = -1
    for count, row in enumerate(export_rows(kind, user)):  # noqa: B007
        # Every cell is written as text: nothing in an export is evaluated as a formula.
        sheet.append(row)
    workbook.save(handle)
    return max(count, 0)

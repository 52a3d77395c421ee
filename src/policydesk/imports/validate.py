"""Validation: cells to typed values, row checks, and per-chunk resolution of references.

Each kind has a handler that turns a chunk of parsed rows into records (model attribute →
value) ready for `apply.upsert`, resolving every reference (branch code, customer number,
product code, policy number) with one query per chunk, never one per row.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import visible_branch_ids
from policydesk.core.crypto import encrypt_text, search_hash
from policydesk.core.errors import DomainError
from policydesk.customers.contact_values import normalise_contact
from policydesk.customers.identity import validate_id_number
from policydesk.customers.models import Consent, ContactPoint, Customer, Household
from policydesk.org.models import Branch, Language
from policydesk.policies.models import (
    Agent,
    CollectionAttempt,
    Disbursement,
    Intermediary,
    Jurisdiction,
    Policy,
    PremiumDue,
    Product,
)

from .apply import UpsertPlan, in_values
from .exports import FORMULA_STARTS
from .policy_history import record_status_changes
from .specs import KINDS, Column, ColumnType, KindSpec

M = TypeVar("M", bound=Model)
MAX_ERRORS = 1000
TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "f"}


@dataclass
class Report:
    """Errors of one file: the first MAX_ERRORS kept, all of them counted."""

    file_name: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    invalid_rows: set[int] = field(default_factory=set)

    def add(self, row: int, column: str, reason: str) -> None:
        self.errors_total += 1
        self.invalid_rows.add(row)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                {"file": self.file_name, "row": row, "column": column, "reason": reason}
            )


@dataclass
class ParsedRow:
    number: int  # row number in the file; the header is row 1
    values: dict[str, Any]


def _nothing() -> None:
    return None


@dataclass
class ImportContext:
    user: Any  # the acting Staff, or None for the command line run by an operator
    report: Report
    now: dt.datetime = field(default_factory=timezone.now)
    # Stored customers whose contact quality a row changes without touching a contact point
    # (a new household makes a shared number a family's, not a defect).
    quality_affected: set[int] = field(default_factory=set)
    # Set by a handler's resolve: none of the chunk's business keys is stored yet, as its
    # lookup found (None: not looked up); the writer then skips its own look.
    fresh: bool | None = None
    # Called by a handler's resolve once its queries are done (set by the importer): the
    # chunk before is written then, while the handler builds its records, instead of
    # making the next chunk's queries wait for that write (see services._process).
    looked_up: Callable[[], None] = _nothing
    _branches: dict[str, int] | None = None
    _open: dict[str, int] | None = None
    _visible: frozenset[int] | bool | None = False

    @property
    def visible(self) -> frozenset[int] | None:
        """Branch ids the importer may write to; None for all."""
        if self._visible is False:
            self._visible = None if self.user is None else visible_branch_ids(self.user)
        return self._visible  # type: ignore[return-value]

    def can_see(self, branch_id: int) -> bool:
        return self.visible is None or branch_id in self.visible

    def open_branches(self) -> dict[str, int]:
        """Branch code → id of the branches the importer may write to: what `branch_id`
        accepts, for a lookup per row without a call (a code missing here goes to
        `branch_id` for its error)."""
        if self._open is None:
            self._open = {code: pk for code, pk in self._all_branches().items() if self.can_see(pk)}
        return self._open

    def _all_branches(self) -> dict[str, int]:
        if self._branches is None:
            self._branches = dict(Branch.objects.values_list("code", "id"))
        return self._branches

    def branch_id(self, row: ParsedRow, column: str) -> int | None:
        """The id of the row's branch code, or None with an error naming the column."""
        code = row.values[column]
        branch_id = self._all_branches().get(code)
        if branch_id is None or not self.can_see(branch_id):
            # Unknown and invisible answer alike, as everywhere else.
            self.report.add(
                row.number,
                column,
                _("Unknown branch %(code)s, or a branch you may not import into.") % {"code": code},
            )
            return None
        return branch_id


_TODAY: list[Any] = [0.0, None]


def _today() -> dt.date:
    """timezone.localdate(), looked up at most once a second (it costs more than a row)."""
    now = time.monotonic()
    if _TODAY[1] is None or now - _TODAY[0] >= 1.0:
        _TODAY[:] = [now, timezone.localdate()]
    return _TODAY[1]


def default_timezone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.POLICYDESK_DEFAULT_BRANCH_TIMEZONE)


def parse_cell(column: Column, text: str) -> Any:
    """Typed value of a non-empty cell; ValueError with a reader-facing reason otherwise."""
    kind = column.type
    if kind == ColumnType.TEXT:
        if column.max_length and len(text) > column.max_length:
            raise ValueError(_("longer than %(max)s characters") % {"max": column.max_length})
        return text
    if kind == ColumnType.CHOICE:
        if text not in column.choices:
            raise ValueError(
                _("%(value)s is not one of: %(choices)s")
                % {"value": text, "choices": ", ".join(column.choices)}
            )
        return text
    if kind == ColumnType.DATE:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": text}) from None
    if kind == ColumnType.DATETIME:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                _("%(value)s is not a date and time (ISO 8601)") % {"value": text}
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=default_timezone())
        return value.astimezone(dt.UTC)
    if kind == ColumnType.INTEGER:
        if not text.isdigit() or len(text) > 9:
            raise ValueError(_("%(value)s is not a whole number") % {"value": text})
        return int(text)
    if kind == ColumnType.DECIMAL:
        return parse_decimal(column, text)
    if kind == ColumnType.BOOLEAN:
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise ValueError(_("%(value)s is not true or false") % {"value": text})
    if kind == ColumnType.LIST:
        items = [item.strip() for item in text.split(";") if item.strip()]
        unknown = [item for item in items if column.choices and item not in column.choices]
        if unknown:
            raise ValueError(
                _("%(value)s is not one of: %(choices)s")
                % {"value": unknown[0], "choices": ", ".join(column.choices)}
            )
        return items
    if kind == ColumnType.MAPPING:
        mapping: dict[str, int] = {}
        for item in (part.strip() for part in text.split(";")):
            if not item:
                continue
            key, sep, number = item.partition(":")
            if not sep or not number.strip().isdigit():
                raise ValueError(_("%(value)s is not KEY:number") % {"value": item})
            mapping[key.strip()] = int(number)
        return mapping
    raise AssertionError(kind)  # every ColumnType is handled above


def parse_decimal(column: Column, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("%(value)s is not an amount") % {"value": text}) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_("%(value)s is not an amount of zero or more") % {"value": text})
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("%(value)s has more than two decimals") % {"value": text})
    if value >= Decimal(10) ** (column.max_digits - 2):
        raise ValueError(_("%(value)s is too large") % {"value": text})
    return value.quantize(Decimal("0.01"))


def header_errors(spec: KindSpec, header: list[str], report: Report) -> None:
    """Missing required columns, unknown and repeated columns: errors on row 1."""
    known = set(spec.names)
    for column in spec.columns:
        if column.required and column.name not in header:
            report.add(1, column.name, _("Required column is missing."))
    seen: set[str] = set()
    for name in header:
        if name in seen:
            report.add(1, name, _("Column appears twice."))
        seen.add(name)
        if name not in known:
            report.add(
                1,
                name or "?",
                _("Unknown column; the columns are: %(names)s") % {"names": ", ".join(spec.names)},
            )


def _plain_text(column: Column) -> bool:
    """A text column whose value is the cell itself (checked for length only)."""
    return column.type == ColumnType.TEXT


def _cell_parser(column: Column) -> Callable[[str], Any]:
    """A fast parser for the common case of a valid cell; parse_cell names the errors."""
    kind = column.type
    if kind == ColumnType.CHOICE:
        choices = frozenset(column.choices)

        def choice(text: str) -> Any:
            return text if text in choices else parse_cell(column, text)

        return choice
    if kind == ColumnType.DATE:

        def date(text: str) -> Any:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return parse_cell(column, text)

        return date
    if kind == ColumnType.INTEGER:

        def integer(text: str) -> Any:
            if len(text) <= 9 and text.isdigit():
                return int(text)
            return parse_cell(column, text)

        return integer
    if kind == ColumnType.DECIMAL:
        # "123.45" with no more whole digits than the column holds: the Decimal parse_decimal
        # returns (two decimals already, so quantize changes nothing); the rest goes there.
        whole_digits = column.max_digits - 2

        def amount(text: str) -> Any:
            whole, point, cents = text.partition(".")
            if (
                point
                and len(cents) == 2
                and 0 < len(whole) <= whole_digits
                and whole.isdigit()
                and cents.isdigit()
                and whole.isascii()
                and cents.isascii()
            ):
                return Decimal(text)
            return parse_cell(column, text)

        return amount
    return lambda text: parse_cell(column, text)


# A cell an export made inert ('=…, '+86…): read as the value it guards.
NEUTRALISED = tuple("'" + start for start in FORMULA_STARTS)

RowPlan = tuple[tuple[str, Column, int, int, Callable[[str], Any]], ...]
RowParser = Callable[[int, Sequence[str], Report], "ParsedRow | None"]


def _row_plan(spec: KindSpec, header: Sequence[str]) -> RowPlan:
    """Per column: name, column, position in the header (-1: absent, read as blank), max
    length for plain text (-1 otherwise), parser."""
    positions = {name: index for index, name in reversed(list(enumerate(header)))}
    return tuple(
        (
            c.name,
            c,
            positions.get(c.name, -1),
            c.max_length if _plain_text(c) else -1,
            _cell_parser(c),
        )
        for c in spec.columns
    )


def row_parser(spec: KindSpec, header: Sequence[str]) -> RowParser:
    """parse(number, cells, report) for the rows of a file with this header: cells in the
    header's order, as the readers yield them (a missing cell reads as blank)."""
    plan = _row_plan(spec, header)

    def parse(number: int, cells: Sequence[str], report: Report) -> ParsedRow | None:
        values: dict[str, Any] = {}
        ok = True
        size = len(cells)
        for name, column, position, max_length, parser in plan:
            text = cells[position] if 0 <= position < size else ""
            if text:
                text = text.strip()
                if text[:1] == "'" and text.startswith(NEUTRALISED):
                    text = text[1:]  # an export's guard against formulas, undone
            if not text:
                if column.required:
                    report.add(number, name, _("A value is required."))
                    ok = False
                values[name] = column.default
                continue
            if max_length >= 0 and (not max_length or len(text) <= max_length):
                values[name] = text  # the common case of a text cell, as parse_cell returns
                continue
            try:
                values[name] = parser(text)
            except ValueError as error:
                report.add(number, name, str(error))
                ok = False
        return ParsedRow(number, values) if ok else None

    return parse


def parse_row(
    spec: KindSpec, number: int, cells: dict[str, str], report: Report
) -> ParsedRow | None:
    """One row given as {column: text}; the importer parses a file with `row_parser`."""
    return row_parser(spec, list(cells))(number, list(cells.values()), report)


# --- Per-kind handlers ----------------------------------------------------------------


class Handler:
    """Row checks and reference resolution of one kind."""

    spec: KindSpec
    plan: UpsertPlan

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        return True

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        raise NotImplementedError

    def after_write(self, context: ImportContext) -> None:
        """Once the whole file is written (not for a refused file or a dry run)."""

    # Helpers shared by the handlers.
    @staticmethod
    def _visible_customers(numbers: Iterable[str], context: ImportContext) -> dict[str, int]:
        rows = in_values(Customer.objects.all(), "number", numbers).values_list(
            "number", "id", "branch_id"
        )
        return {number: pk for number, pk, branch in rows if context.can_see(branch)}

    @staticmethod
    def _visible_policies(numbers: Iterable[str], context: ImportContext) -> dict[str, int]:
        rows = in_values(Policy.objects.all(), "number", numbers).values_list(
            "number", "id", "branch_id"
        )
        return {number: pk for number, pk, branch in rows if context.can_see(branch)}

    @staticmethod
    def _visible_households(numbers: Iterable[str], context: ImportContext) -> dict[str, int]:
        rows = in_values(Household.objects.all(), "number", set(numbers) - {""}).values_list(
            "number", "id", "branch_id"
        )
        return {number: pk for number, pk, branch in rows if context.can_see(branch)}

    @staticmethod
    def _unknown(context: ImportContext, row: ParsedRow, column: str, what: str) -> None:
        context.report.add(
            row.number,
            column,
            _("Unknown %(what)s %(value)s, or one you may not see.")
            % {"what": what, "value": row.values[column]},
        )


def _fields(model: type[Model], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    skipped = {"id", *exclude}
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in skipped)


class CustomerHandler(Handler):
    spec = KINDS["customers"]
    plan = UpsertPlan(
        model=Customer,
        key=("number",),
        compare=(
            "kind",
            "branch_id",
            "name",
            "name_latin",
            "id_type",
            "id_number_hash",
            "id_number_last4",
            "birth_date",
            "gender",
            "occupation",
            "income_band",
            "dependants",
            "liabilities",
            "segment",
            "source_system",
            "household_id",
            "preferred_language_id",
            "dialect_id",
            "vulnerability_flags",
        ),
        # The ciphertext differs on every encryption (random nonce): compare the keyed hash
        # and keep the stored ciphertext when it matches, so a re-import changes nothing.
        also_update=("id_number_encrypted",),
        bulk=True,  # looked up by number only (unique)
    )

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        values = row.values
        try:
            values["id_number"] = validate_id_number(values["id_type"], values["id_number"])
        except DomainError as error:
            report.add(row.number, "id_number", error.message)
            return False
        if values["birth_date"] and values["birth_date"] > _today():
            report.add(row.number, "birth_date", _("The birth date is in the future."))
            return False
        return True

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        ids: dict[str, int] = {}
        existing: dict[str, tuple[Any, ...]] = {}
        for number, pk, stored_branch, hash_, encrypted, stored_household, *kept in in_values(
            Customer.objects.all(), "number", (row.values["number"] for row in rows)
        ).values_list(
            "number",
            "id",
            "branch_id",
            "id_number_hash",
            "id_number_encrypted",
            "household_id",
            # Kept when the file leaves them blank (stored[4:7]).
            "preferred_language_id",
            "dialect_id",
            "vulnerability_flags",
        ):
            ids[number] = pk
            existing[number] = (stored_branch, hash_, bytes(encrypted), stored_household, *kept)
        context.fresh = not existing
        languages = self._languages()
        households = self._visible_households(
            (row.values["household_number"] for row in rows), context
        )
        open_branches = context.open_branches()
        context.looked_up()
        records = []
        for row in rows:
            values = row.values
            branch_id = open_branches.get(values["branch"]) or context.branch_id(row, "branch")
            if branch_id is None:
                continue
            stored = existing.get(values["number"])
            if stored is not None and not context.can_see(stored[0]):
                context.report.add(
                    row.number, "number", _("This customer number is held by another branch.")
                )
                continue
            if values["household_number"]:
                household_id = households.get(values["household_number"])
                if household_id is None:
                    self._unknown(context, row, "household_number", _("household"))
                    continue
            else:
                # Blank keeps the household: a file from a system that knows no households
                # must not undo the ones linked in PolicyDesk.
                household_id = stored[3] if stored else None
            if stored is not None and stored[3] != household_id:
                context.quality_affected.add(ids[values["number"]])
            if values["preferred_language"] or values["dialect"]:
                service = self._service_needs(row, stored, languages, context)
                if service is None:
                    continue
            else:  # both blank, the common case: what _service_needs returns, without a call
                needs = stored[4:7] if stored else (None, None, [])
                flags = list(values["vulnerability_flags"] or needs[2] or [])
                service = (needs[0], needs[1], flags)
            hash_ = search_hash(values["id_number"])
            encrypted = (
                stored[2] if stored and stored[1] == hash_ else encrypt_text(values["id_number"])
            )
            records.append(
                {
                    "number": values["number"],
                    "kind": values["kind"],
                    "branch_id": branch_id,
                    "name": values["name"],
                    "name_latin": values["name_latin"],
                    "id_type": values["id_type"],
                    "id_number_encrypted": encrypted,
                    "id_number_hash": hash_,
                    "id_number_last4": values["id_number"][-4:],
                    "birth_date": values["birth_date"],
                    "gender": values["gender"],
                    "occupation": values["occupation"],
                    "income_band": values["income_band"],
                    "dependants": values["dependants"],
                    "liabilities": Decimal(values["liabilities"]),
                    "segment": values["segment"],
                    "source_system": values["source_system"],
                    "household_id": household_id,
                    "preferred_language_id": service[0],
                    "dialect_id": service[1],
                    "vulnerability_flags": service[2],
                    "created_at": context.now,
                    "updated_at": context.now,
                }
            )
        return records

    @staticmethod
    def _languages() -> dict[str, tuple[int, bool]]:
        """Language code → (id, is a dialect); a few dozen rows, read once per chunk."""
        return {
            code: (pk, is_dialect)
            for code, pk, is_dialect in Language.objects.values_list("code", "id", "is_dialect")
        }

    @staticmethod
    def _service_needs(
        row: ParsedRow,
        stored: tuple[Any, ...] | None,
        languages: dict[str, tuple[int, bool]],
        context: ImportContext,
    ) -> tuple[int | None, int | None, list[str]] | None:
        """Preferred language, dialect and vulnerability flags of a row: a blank cell keeps
        what is stored (a system that does not know them must not erase them), an unknown
        code is an error naming the column (and the row is left out: None)."""
        values = row.values
        kept = stored[4:7] if stored else (None, None, [])
        chosen: list[int | None] = []
        for position, (column, dialect) in enumerate(
            (("preferred_language", False), ("dialect", True))
        ):
            code = values[column]
            if not code:
                chosen.append(kept[position])
                continue
            found = languages.get(code)
            if found is None or (dialect and not found[1]):
                what = _("dialect") if dialect else _("language")
                context.report.add(
                    row.number,
                    column,
                    _("Unknown %(what)s %(value)s.") % {"what": what, "value": code},
                )
                return None
            chosen.append(found[0])
        flags = list(values["vulnerability_flags"] or kept[2] or [])
        return chosen[0], chosen[1], flags


class ContactHandler(Handler):
    spec = KINDS["contacts"]
    plan = UpsertPlan(
        model=ContactPoint,
        key=("customer_id", "kind", "raw"),
        compare=("phone_type", "e164", "is_valid", "is_primary", "source"),
        affected="customer_id",
    )

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        customers = self._visible_customers((r.values["customer_number"] for r in rows), context)
        records = []
        for row in rows:
            values = row.values
            customer_id = customers.get(values["customer_number"])
            if customer_id is None:
                self._unknown(context, row, "customer_number", _("customer"))
                continue
            raw, kind = values["value"], values["kind"]
            normalised = normalise_contact(kind, raw, values["phone_type"])
            records.append(
                {
                    "customer_id": customer_id,
                    "kind": kind,
                    "phone_type": normalised.phone_type,
                    "raw": raw,
                    "e164": normalised.e164,
                    "is_valid": normalised.is_valid,
                    "is_primary": values["is_primary"],
                    "source": values["source"],
                    "created_at": context.now,
                    "updated_at": context.now,
                }
            )
        return records


class ConsentHandler(Handler):
    spec = KINDS["consents"]
    # Consent rows are never changed (a withdrawal is a new row): insert only.
    plan = UpsertPlan(
        model=Consent,
        key=("customer_id", "purpose", "channel", "recorded_at"),
        compare=("granted", "source", "evidence"),
        touch=None,
        insert_only=True,
    )

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        customers = self._visible_customers((r.values["customer_number"] for r in rows), context)
        recorded = {
            (c, p, ch, at): (g, s, e)
            for c, p, ch, at, g, s, e in Consent.objects.filter(
                customer_id__in=set(customers.values()),
                recorded_at__in={r.values["recorded_at"] for r in rows},
            ).values_list(
                "customer_id", "purpose", "channel", "recorded_at", "granted", "source", "evidence"
            )
        }
        records = []
        for row in rows:
            values = row.values
            customer_id = customers.get(values["customer_number"])
            if customer_id is None:
                self._unknown(context, row, "customer_number", _("customer"))
                continue
            key = (customer_id, values["purpose"], values["channel"], values["recorded_at"])
            decision = (values["granted"], values["source"], values["evidence"])
            if key in recorded and recorded[key] != decision:
                context.report.add(
                    row.number,
                    "granted",
                    _(
                        "Differs from the consent recorded at this time; record a change as a "
                        "new row with a later recorded_at."
                    ),
                )
                continue
            records.append(
                {
                    "customer_id": customer_id,
                    "purpose": values["purpose"],
                    "channel": values["channel"],
                    "granted": values["granted"],
                    "source": values["source"],
                    "evidence": values["evidence"],
                    "recorded_at": values["recorded_at"],
                    "recorded_by_id": getattr(context.user, "pk", None),
                }
            )
        return records


class ProductHandler(Handler):
    spec = KINDS["products"]
    plan = UpsertPlan(
        model=Product, key=("code",), compare=_fields(Product, exclude=("code",)), touch=None
    )

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        unknown = set(row.values["cooling_off_days"]) - set(Jurisdiction.values)
        if unknown:
            report.add(
                row.number,
                "cooling_off_days",
                _("Unknown jurisdiction %(code)s.") % {"code": sorted(unknown)[0]},
            )
            return False
        return True

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        return [{name: row.values[name] for name in self.spec.names} for row in rows]


class PolicyHandler(Handler):
    spec = KINDS["policies"]
    plan = UpsertPlan(
        model=Policy,
        key=("number",),
        compare=(
            "product_id",
            "branch_id",
            "policyholder_id",
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
            "agent_id",
            "intermediary_id",
        ),
        affected="policyholder_id",
        bulk=True,  # looked up by number only (unique)
    )
    DATES = (
        "application_date",
        "issue_date",
        "receipt_signed_date",
        "cooling_off_end",
        "paid_to_date",
        "next_due_date",
    )

    def after_write(self, context: ImportContext) -> None:
        record_status_changes(context.now, getattr(context.user, "pk", None))

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        values = row.values
        if values["issue_date"] and values["issue_date"] < values["application_date"]:
            report.add(row.number, "issue_date", _("The issue date is before the application."))
            return False
        signed = values["receipt_signed_date"]
        if signed and (not values["issue_date"] or signed < values["issue_date"]):
            report.add(
                row.number,
                "receipt_signed_date",
                _("The receipt is signed before the policy was issued."),
            )
            return False
        return True

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        modes: dict[str, frozenset[str]] = {}
        products: dict[str, int] = {}
        for code, pk, allowed in in_values(
            Product.objects.all(), "code", {r.values["product_code"] for r in rows}
        ).values_list("code", "id", "payment_modes"):
            products[code] = pk
            modes[code] = frozenset(allowed or ())
        holders = self._visible_customers((r.values["policyholder_number"] for r in rows), context)
        agents = dict(
            in_values(
                Agent.objects.all(), "code", {r.values["agent_code"] for r in rows} - {""}
            ).values_list("code", "id")
        )
        intermediaries = dict(
            in_values(
                Intermediary.objects.all(),
                "code",
                {r.values["intermediary_code"] for r in rows} - {""},
            ).values_list("code", "id")
        )
        existing = dict(
            in_values(
                Policy.objects.all(), "number", (r.values["number"] for r in rows)
            ).values_list("number", "branch_id")
        )
        context.fresh = not existing
        open_branches = context.open_branches()
        context.looked_up()
        records = []
        for row in rows:
            values = row.values
            branch_id = open_branches.get(values["branch"]) or context.branch_id(row, "branch")
            product_id = products.get(values["product_code"])
            holder_id = holders.get(values["policyholder_number"])
            held_elsewhere = values["number"] in existing and not context.can_see(
                existing[values["number"]]
            )
            if product_id is None:
                self._unknown(context, row, "product_code", _("product"))
            elif values["payment_mode"] not in modes[values["product_code"]]:
                context.report.add(
                    row.number,
                    "payment_mode",
                    _("Product %(code)s cannot be paid %(mode)s.")
                    % {"code": values["product_code"], "mode": values["payment_mode"]},
                )
                product_id = None
            if holder_id is None:
                self._unknown(context, row, "policyholder_number", _("customer"))
            if held_elsewhere:
                context.report.add(
                    row.number, "number", _("This policy number is held by another branch.")
                )
            agent_id = agents.get(values["agent_code"]) if values["agent_code"] else None
            intermediary_id = (
                intermediaries.get(values["intermediary_code"])
                if values["intermediary_code"]
                else None
            )
            unknown_seller = False
            if values["agent_code"] and agent_id is None:
                self._unknown(context, row, "agent_code", _("agent"))
                unknown_seller = True
            if values["intermediary_code"] and intermediary_id is None:
                self._unknown(context, row, "intermediary_code", _("intermediary"))
                unknown_seller = True
            if (
                branch_id is None
                or product_id is None
                or holder_id is None
                or held_elsewhere
                or unknown_seller
            ):
                continue
            record = {name: values[name] for name in self.plan.compare if name in values}
            record.update(
                number=values["number"],
                agent_id=agent_id,
                intermediary_id=intermediary_id,
                product_id=product_id,
                branch_id=branch_id,
                policyholder_id=holder_id,
                created_at=context.now,
                updated_at=context.now,
            )
            records.append(record)
        return records


def _paid_on_checked(row: ParsedRow, report: Report, *, only_if_paid: bool) -> bool:
    """A paid row names the day it was paid (and, where `only_if_paid`, only a paid one
    does), as policies.services asks of the same records."""
    paid, day = row.values["status"] == "paid", row.values["paid_on"]
    if paid and day is None:
        report.add(row.number, "paid_on", _("Say when it was paid."))
        return False
    if only_if_paid and not paid and day is not None:
        report.add(row.number, "paid_on", _("Only a paid premium has a payment date."))
        return False
    return True


class PremiumHandler(Handler):
    spec = KINDS["premiums"]
    plan = UpsertPlan(
        model=PremiumDue,
        key=("policy_id", "due_date"),
        compare=("amount", "currency", "status", "paid_on", "is_first_premium"),
        touch=None,
    )

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        return _paid_on_checked(row, report, only_if_paid=True)

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        policies = self._visible_policies((r.values["policy_number"] for r in rows), context)
        records = []
        for row in rows:
            policy_id = policies.get(row.values["policy_number"])
            if policy_id is None:
                self._unknown(context, row, "policy_number", _("policy"))
                continue
            record = {name: row.values[name] for name in (*self.plan.compare, "due_date")}
            record["policy_id"] = policy_id
            records.append(record)
        return records


class AttemptHandler(Handler):
    spec = KINDS["attempts"]
    plan = UpsertPlan(
        model=CollectionAttempt,
        key=("premium_id", "attempted_on", "method"),
        compare=("amount", "result", "bank_code"),
        touch=None,
    )

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        policies = self._visible_policies((r.values["policy_number"] for r in rows), context)
        premiums = {
            (policy_id, due): pk
            for policy_id, due, pk in PremiumDue.objects.filter(
                policy_id__in=set(policies.values()),
                due_date__in={r.values["due_date"] for r in rows},
            ).values_list("policy_id", "due_date", "id")
        }
        records = []
        for row in rows:
            values = row.values
            policy_id = policies.get(values["policy_number"])
            if policy_id is None:
                self._unknown(context, row, "policy_number", _("policy"))
                continue
            premium_id = premiums.get((policy_id, values["due_date"]))
            if premium_id is None:
                context.report.add(
                    row.number, "due_date", _("The policy has no premium due on this date.")
                )
                continue
            record = {
                name: values[name]
                for name in ("attempted_on", "method", "amount", "result", "bank_code")
            }
            record["premium_id"] = premium_id
            records.append(record)
        return records


class DisbursementHandler(Handler):
    spec = KINDS["disbursements"]
    plan = UpsertPlan(
        model=Disbursement,
        key=("policy_id", "kind", "due_date"),
        compare=("amount", "currency", "method", "status", "paid_on", "failure_reason"),
        touch=None,
    )

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        return _paid_on_checked(row, report, only_if_paid=False)

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        policies = self._visible_policies((r.values["policy_number"] for r in rows), context)
        records = []
        for row in rows:
            policy_id = policies.get(row.values["policy_number"])
            if policy_id is None:
                self._unknown(context, row, "policy_number", _("policy"))
                continue
            record = {name: row.values[name] for name in (*self.plan.compare, "kind", "due_date")}
            record["policy_id"] = policy_id
            records.append(record)
        return records


# Households and relations have their own module, built on the helpers above.
from .handlers_household import HouseholdHandler, RelationHandler  # noqa: E402

HANDLERS: dict[str, Handler] = {
    handler.spec.kind: handler
    for handler in (
        HouseholdHandler(),
        CustomerHandler(),
        RelationHandler(),
        ContactHandler(),
        ConsentHandler(),
        ProductHandler(),
        PolicyHandler(),
        PremiumHandler(),
        AttemptHandler(),
        DisbursementHandler(),
    )
}

"""Set-based upsert of prepared records by business key.

PostgreSQL: COPY the chunk into a temporary staging table, then one
INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE (changed) RETURNING, so unchanged
rows are not written at all (their updated_at and ciphertext stay as they were).
Other databases: one lookup of the chunk's keys, then bulk_create for new rows and
bulk_create(update_conflicts=True) for changed ones.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model
from django.utils import timezone

COPY_BLOCK_ROWS = 5000


@dataclass(frozen=True)
class UpsertPlan:
    model: type[Model]
    key: tuple[str, ...]  # attnames of the business key (a unique constraint, unless insert_only)
    compare: tuple[str, ...]  # attnames whose change makes a row "updated"
    also_update: tuple[str, ...] = ()  # written with a change but not compared
    touch: str | None = "updated_at"  # set to now when a row changes
    insert_only: bool = False  # existing keys are left alone (no unique constraint to use)
    affected: str | None = None  # attname of the customer whose contact quality may change


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    affected_customers: set[int] = field(default_factory=set)

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.affected_customers |= other.affected_customers


def upsert(plan: UpsertPlan, records: Sequence[dict[str, Any]]) -> Counts:
    if not records:
        return Counts()
    if connection.vendor == "postgresql" and not plan.insert_only:
        return _upsert_postgresql(plan, records)
    return _upsert_generic(plan, records)


def _field_names(model: type[Model], attnames: Sequence[str]) -> list[str]:
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def _upsert_generic(plan: UpsertPlan, records: Sequence[dict[str, Any]]) -> Counts:
    model = plan.model
    first = plan.key[0]
    existing = {
        tuple(row[name] for name in plan.key): row
        for row in model._default_manager.filter(
            **{f"{first}__in": {record[first] for record in records}}
        ).values(*plan.key, *plan.compare)
    }
    new: list[Model] = []
    changed: list[Model] = []
    counts = Counts()
    now = timezone.now()
    for record in records:
        stored = existing.get(tuple(record[name] for name in plan.key))
        if stored is None:
            new.append(model(**record))
        elif plan.insert_only or all(stored[name] == record[name] for name in plan.compare):
            counts.unchanged += 1
            continue
        else:
            if plan.touch:
                record = {**record, plan.touch: now}
            changed.append(model(**record))
        if plan.affected:
            counts.affected_customers.add(record[plan.affected])
    if new:
        model._default_manager.bulk_create(new, batch_size=1000)
    if changed:
        updated = [*plan.compare, *plan.also_update, *([plan.touch] if plan.touch else [])]
        model._default_manager.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=_field_names(model, plan.key),
            update_fields=_field_names(model, updated),
        )
    counts.inserted, counts.updated = len(new), len(changed)
    return counts


# COPY text format: backslash, newline, carriage return and tab are escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format, as psycopg's write_row would send it."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return str(value).translate(_COPY_ESCAPES)


def _copy_json(values: list[Any]) -> list[str]:
    """JSON values as the jsonb text COPY reads (None is JSON null, as Jsonb(None) sends)."""
    return [json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES) for value in values]


def _copy_column(values: list[Any]) -> list[str]:
    """A column's values in COPY text format; plain text columns need only the escapes."""
    if all(type(value) is str for value in values):
        joined = "".join(values)
        if "\\" in joined or "\n" in joined or "\r" in joined or "\t" in joined:
            return [value.translate(_COPY_ESCAPES) for value in values]
        return values
    return [_copy_text(value) for value in values]


def _upsert_postgresql(plan: UpsertPlan, records: Sequence[dict[str, Any]]) -> Counts:
    model = plan.model
    table = model._meta.db_table
    columns_by_attname = {f.attname: f for f in model._meta.concrete_fields}
    # Django keeps defaults in Python, not in the schema: COPY must carry them for inserts.
    defaults = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in records[0] and not f.primary_key and f.has_default()
    }
    attnames = [*records[0], *defaults]
    json_flags = [isinstance(columns_by_attname[name], JSONField) for name in attnames]
    quote = connection.ops.quote_name
    cols = ", ".join(quote(columns_by_attname[name].column) for name in attnames)
    stage = quote(f"imports_stage_{table}")
    target = quote(table)

    def column(name: str) -> str:
        return quote(columns_by_attname[name].column)

    updated = [*plan.compare, *plan.also_update]
    assignments = [f"{column(name)} = EXCLUDED.{column(name)}" for name in updated]
    if plan.touch:
        assignments.append(f"{column(plan.touch)} = EXCLUDED.{column(plan.touch)}")
    compared_old = ", ".join(f"{target}.{column(name)}" for name in plan.compare)
    compared_new = ", ".join(f"EXCLUDED.{column(name)}" for name in plan.compare)
    affected = f", {target}.{column(plan.affected)}" if plan.affected else ", NULL"
    # Identifiers come from model metadata, never from the file: nothing here is user input.
    merge = (
        f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} "  # noqa: S608
        f"ON CONFLICT ({', '.join(column(name) for name in plan.key)}) DO UPDATE SET "
        f"{', '.join(assignments)} "
        f"WHERE ROW({compared_old}) IS DISTINCT FROM ROW({compared_new}) "
        f"RETURNING (xmax = 0){affected}"
    )
    with connection.cursor() as cursor:
        # ON COMMIT DROP: the staging table lives exactly as long as the import's transaction.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {cols} FROM {target} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        # The rows in COPY's text format, column by column (one type check per column when
        # the column is plain text), joined into one buffer: far cheaper than write_row.
        json_names = {name for name, is_json in zip(attnames, json_flags, strict=True) if is_json}
        tail = [
            _copy_json([value])[0] if name in json_names else _copy_text(value)
            for name, value in defaults.items()
        ]
        columns = [
            _copy_json([record[name] for record in records])
            if name in json_names
            else _copy_column([record[name] for record in records])
            for name in records[0]
        ]
        columns += [[value] * len(records) for value in tail]
        lines = ["\t".join(row) for row in zip(*columns, strict=True)]
        with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for start in range(0, len(lines), COPY_BLOCK_ROWS):
                copy.write("\n".join(lines[start : start + COPY_BLOCK_ROWS]) + "\n")
        cursor.execute(merge)
        written = cursor.fetchall()
    counts = Counts()
    counts.inserted = sum(1 for inserted, _ in written if inserted)
    counts.updated = len(written) - counts.inserted
    counts.unchanged = len(records) - len(written)
    if plan.affected:
        counts.affected_customers = {customer for _, customer in written}
    return counts

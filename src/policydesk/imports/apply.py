"""Set-based upsert of prepared records by business key.

PostgreSQL: COPY the chunk into a temporary staging table, then one
INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE (changed) RETURNING, so unchanged
rows are not written at all (their updated_at and ciphertext stay as they were). A chunk
none of whose keys is stored yet (the first load of a registry) is copied straight into the
table: half the writing, no conflict checks.
Other databases: one lookup of the chunk's keys, then bulk_create for new rows and
bulk_create(update_conflicts=True) for changed ones.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, JSONField, Model, QuerySet
from django.utils import timezone

COPY_BLOCK_ROWS = 5000
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class UpsertPlan:
    model: type[Model]
    key: tuple[str, ...]  # attnames of the business key (a unique constraint, unless insert_only)
    compare: tuple[str, ...]  # attnames whose change makes a row "updated"
    also_update: tuple[str, ...] = ()  # written with a change but not compared
    touch: str | None = "updated_at"  # set to now when a row changes
    insert_only: bool = False  # existing keys are left alone (no unique constraint to use)
    affected: str | None = None  # attname of the customer whose contact quality may change
    # A large file may drop the table's secondary indexes and build them at the end
    # (imports.bulk): only for kinds whose lookups use nothing but unique keys of the table.
    bulk: bool = False


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


def upsert(
    plan: UpsertPlan, records: Sequence[dict[str, Any]], *, fresh: bool | None = None
) -> Counts:
    """`fresh`: the caller has looked the records' keys up and found none stored (None:
    not known, looked up here when it matters)."""
    if not records:
        return Counts()
    if connection.vendor == "postgresql" and not plan.insert_only:
        return _upsert_postgresql(plan, records, fresh)
    return _upsert_generic(plan, records)


class ChunkWriter:
    """Writes chunks with `upsert`; on PostgreSQL from a second thread, so the database
    merges chunk k while Python reads and checks chunk k+1 (the thread waits on the socket
    with the GIL released, and the server works on the other core).

    One chunk at most is in flight. The thread uses the caller's connection, so the writes
    stay in the caller's transaction; the caller may query meanwhile (psycopg runs one
    statement at a time on a connection), its lookups for the next chunk then wait for the
    write before them. Use it as a context manager: leaving waits for the write in flight,
    also when the caller fails, so the transaction never ends under a running write.
    """

    def __init__(self, plan: UpsertPlan, *, threaded: bool | None = None) -> None:
        self.plan = plan
        self.counts = Counts()
        self._pending: Future[Counts] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._wrapper: BaseDatabaseWrapper | None = None
        if threaded is None:
            threaded = connection.vendor == "postgresql"
        if threaded:
            self._wrapper = connections[DEFAULT_DB_ALIAS]
            self._wrapper.inc_thread_sharing()
            self._executor = ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="import-writer",
                initializer=_use_connection,
                initargs=(self._wrapper,),
            )

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, records: Sequence[dict[str, Any]], *, fresh: bool | None = None) -> None:
        if self._executor is None:
            self.counts.add(upsert(self.plan, records, fresh=fresh))
            return
        self._collect()
        self._pending = self._executor.submit(upsert, self.plan, records, fresh=fresh)

    def finish(self) -> Counts:
        """The counts of every chunk written, once the last write is done (its error, if
        any, raised here)."""
        self._collect()
        return self.counts

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._wrapper is not None:
            self._wrapper.dec_thread_sharing()
            self._wrapper = None

    def _collect(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.counts.add(pending.result())


def _use_connection(wrapper: BaseDatabaseWrapper) -> None:
    """In the writer's thread: Django's connection is the caller's, not a new one."""
    connections[DEFAULT_DB_ALIAS] = wrapper


def in_values(queryset: QuerySet[M], field: str, values: Iterable[Any]) -> QuerySet[M]:
    """`field IN values` for a whole chunk as one parameter (a PostgreSQL array, a JSON array
    on SQLite) instead of thousands of placeholders (whose conversion cost more than the
    query). Text and whole numbers only."""
    values = list(set(values))
    if connection.vendor not in ("postgresql", "sqlite"):
        return queryset.filter(**{f"{field}__in": values})
    model_field = queryset.model._meta.get_field(field)
    assert isinstance(model_field, Field)  # noqa: S101 -- a concrete column, not a relation
    column = model_field.column
    table = queryset.model._meta.db_table
    # Identifiers come from model metadata; the values travel as one bound parameter.
    if connection.vendor == "sqlite":
        # SQLite: one JSON array read by json_each, not thousands of placeholders.
        return queryset.extra(  # noqa: S610
            where=[f'"{table}"."{column}" IN (SELECT value FROM json_each(%s))'],  # noqa: S608
            params=[json.dumps(values)],
        )
    literal, cast = array_literal(values)
    return queryset.extra(  # noqa: S610
        where=[f'"{table}"."{column}" = ANY(%s{cast})'], params=[literal]
    )


def _field_names(model: type[Model], attnames: Sequence[str]) -> list[str]:
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def _upsert_generic(plan: UpsertPlan, records: Sequence[dict[str, Any]]) -> Counts:
    model = plan.model
    first = plan.key[0]
    existing = {
        tuple(row[name] for name in plan.key): row
        for row in in_values(
            model._default_manager.all(), first, {record[first] for record in records}
        ).values(*plan.key, *plan.compare)
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    counts = Counts()
    now = timezone.now()
    for record in records:
        stored = existing.get(tuple(record[name] for name in plan.key))
        if stored is None:
            new.append(record)
        elif plan.insert_only or all(stored[name] == record[name] for name in plan.compare):
            counts.unchanged += 1
            continue
        else:
            if plan.touch and plan.touch not in record:  # the handler's own time if it set one
                record = {**record, plan.touch: now}
            changed.append(record)
        if plan.affected:
            counts.affected_customers.add(record[plan.affected])
    updated = [*plan.compare, *plan.also_update, *([plan.touch] if plan.touch else [])]
    if connection.vendor == "sqlite":
        _write_sqlite(plan, new, changed, updated)
    else:
        _write_orm(plan, new, changed, updated)
    counts.inserted, counts.updated = len(new), len(changed)
    return counts


def _write_orm(
    plan: UpsertPlan,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    updated: list[str],
) -> None:
    manager = plan.model._default_manager
    if new:
        manager.bulk_create([plan.model(**record) for record in new], batch_size=1000)
    if changed:
        manager.bulk_create(
            [plan.model(**record) for record in changed],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=_field_names(plan.model, plan.key),
            update_fields=_field_names(plan.model, updated),
        )


def _write_sqlite(
    plan: UpsertPlan,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    updated: list[str],
) -> None:
    """New rows by one executemany INSERT, changed ones by one executemany INSERT … ON
    CONFLICT DO UPDATE: what bulk_create sends, without a model instance per row."""
    model = plan.model
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    for records, conflict in ((new, ""), (changed, "update")):
        if not records:
            continue
        defaults = _python_defaults(model, records[0])
        names = list(records[0])
        attnames = [*names, *defaults]
        values = operator.itemgetter(*names)
        tail = list(defaults.values())
        rows = [[*values(record), *tail] for record in records]
        for index, name in enumerate(attnames):
            prep = _sqlite_prep(by_attname[name])
            if prep is not _same:  # one pass per column that needs converting
                for row in rows:
                    row[index] = prep(row[index])
        cols = ", ".join(quote(by_attname[name].column) for name in attnames)
        marks = ", ".join(["%s"] * len(attnames))
        # Identifiers come from model metadata, never from the file: nothing here is input.
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({marks})"  # noqa: S608
        if conflict:
            keys = ", ".join(quote(by_attname[name].column) for name in plan.key)
            sets = ", ".join(
                f"{quote(by_attname[name].column)} = excluded.{quote(by_attname[name].column)}"
                for name in updated
            )
            sql += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])


def _python_defaults(model: type[Model], record: dict[str, Any]) -> dict[str, Any]:
    """Django keeps defaults in Python, not in the schema: a raw INSERT must carry them."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in record and not f.primary_key and f.has_default()
    }


def _same(value: Any) -> Any:
    return value


def _sqlite_prep(field: Field[Any, Any]) -> Any:
    """The value sqlite3 is given for a field, as field.get_db_prep_save would make it.
    Text, numbers, booleans, bytes, dates and decimals pass as they are (sqlite3 and
    Django's adapters take them); datetimes (made naive in UTC) repeat within a chunk:
    cached."""
    internal = field.get_internal_type()
    if internal in _SQLITE_AS_IS:
        return _same
    if internal == "DateTimeField":
        cache: dict[Any, Any] = {}

        def datetime(value: Any) -> Any:
            if value not in cache:
                cache[value] = field.get_db_prep_save(value, connection)
            return cache[value]

        return datetime
    if internal == "JSONField":
        dumped: dict[str, Any] = {}  # most rows hold the same few values (no flags: [])

        def json_value(value: Any) -> Any:
            key = repr(value)
            if key not in dumped:
                if len(dumped) >= 64:
                    return field.get_db_prep_save(value, connection)
                dumped[key] = field.get_db_prep_save(value, connection)
            return dumped[key]

        return json_value
    return lambda value: field.get_db_prep_save(value, connection)


_SQLITE_AS_IS = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "BooleanField",
        "ForeignKey",
        "BinaryField",
        "DateField",
        # The importer has checked digits and places; Django's sqlite3 adapter writes str().
        "DecimalField",
    }
)


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
    # Most rows hold the same few values (an empty list of flags): each one dumped once.
    dumped: dict[str, str] = {}
    lines = []
    for value in values:
        key = repr(value)  # the same JSON value, the same repr
        text = dumped.get(key)
        if text is None:
            text = json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
            if len(dumped) < 64:
                dumped[key] = text
        lines.append(text)
    return lines


def _copy_column(values: list[Any]) -> list[str]:
    """A column's values in COPY text format, with one type check per column where the
    column holds one type (plain text needs only the escapes)."""
    types = set(map(type, values))
    if types == {str}:
        joined = "".join(values)
        if "\\" in joined or "\n" in joined or "\r" in joined or "\t" in joined:
            return [value.translate(_COPY_ESCAPES) for value in values]
        return values
    kinds = types - {type(None)}
    if len(kinds) == 1:
        (kind,) = kinds
        plain = _PLAIN_FORMATS.get(kind)
        if plain is not None:
            return ["\\N" if value is None else plain(value) for value in values]
    return [_copy_text(value) for value in values]


# Types whose text form needs no escaping: str() or isoformat() is what COPY reads.
_PLAIN_FORMATS: dict[type, Any] = {
    int: str,
    Decimal: str,
    float: str,
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    bytes: lambda value: "\\\\x" + value.hex(),  # bytea in hex, its backslash escaped
}


def _upsert_postgresql(
    plan: UpsertPlan, records: Sequence[dict[str, Any]], fresh: bool | None
) -> Counts:
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
    key = plan.key[0]
    with connection.cursor() as cursor:
        lines = _copy_lines(records, defaults, json_flags, attnames)
        if fresh is None and len(plan.key) == 1:
            fresh = not _any_stored(cursor, target, column(key), records, key)
        if fresh and len(plan.key) == 1:
            # None of the chunk's keys is stored: straight into the table. A writer adding
            # one of them meanwhile makes the COPY fail on the unique key, and the import
            # with it (rolled back, to be run again), never a duplicate.
            _copy(cursor, f"COPY {target} ({cols}) FROM STDIN", lines)
            counts = Counts(inserted=len(records))
            if plan.affected:
                counts.affected_customers = {record[plan.affected] for record in records}
            return counts
        # ON COMMIT DROP: the staging table lives exactly as long as the import's transaction.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {cols} FROM {target} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        _copy(cursor, f"COPY {stage} ({cols}) FROM STDIN", lines)
        cursor.execute(merge)
        written = cursor.fetchall()
    counts = Counts()
    counts.inserted = sum(1 for inserted, _ in written if inserted)
    counts.updated = len(written) - counts.inserted
    counts.unchanged = len(records) - len(written)
    if plan.affected:
        counts.affected_customers = {customer for _, customer in written}
    return counts


def _any_stored(
    cursor: Any, target: str, column: str, records: Sequence[dict[str, Any]], key: str
) -> bool:
    """Whether any of the records' keys is in the table (one index probe per key)."""
    # Identifiers come from model metadata; the keys travel as one array parameter.
    literal, cast = array_literal([record[key] for record in records])
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {target} WHERE {column} = ANY(%s{cast}))",  # noqa: S608
        [literal],
    )
    return bool(cursor.fetchone()[0])


def array_literal(values: Sequence[Any]) -> tuple[Any, str]:
    """A PostgreSQL array parameter and its cast: text and whole numbers as one array
    literal (built far faster than psycopg adapts a list of 20,000), anything else as the
    list itself."""
    if all(type(value) is str for value in values):
        quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
        return "{" + ",".join(f'"{value}"' for value in quoted) + "}", "::text[]"
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}", "::bigint[]"
    return list(values), ""


def _copy(cursor: Any, sql: str, lines: list[str]) -> None:
    with cursor.copy(sql) as copy:
        for start in range(0, len(lines), COPY_BLOCK_ROWS):
            copy.write("\n".join(lines[start : start + COPY_BLOCK_ROWS]) + "\n")


def _copy_lines(
    records: Sequence[dict[str, Any]],
    defaults: dict[str, Any],
    json_flags: list[bool],
    attnames: list[str],
) -> list[str]:
    """The rows in COPY's text format, column by column (one type check per column where it
    holds one type), joined per row: far cheaper than psycopg's write_row."""
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
    return ["\t".join(row) for row in zip(*columns, strict=True)]

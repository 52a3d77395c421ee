"""A large load builds the target table's secondary indexes once, at the end.

Growing a B-tree row by row with keys in random order (name, pinyin, the ID-number hash)
costs far more than sorting the finished column once: COPYing 200,000 stored customers into
an indexed copy of their table took 5.0 s, into an unindexed one 0.7 s, and building its
ten indexes afterwards 1.4 s (docs/benchmarks.md). So when a file holds at least
`IMPORT_BULK_MIN_ROWS` rows and at least as many as the table already holds, the import
drops the table's secondary indexes (not the primary key, not the unique ones its upsert and
its lookups rely on) inside its own transaction, writes, and creates them again from the
definitions it read, before its commit. Everything stays one transaction: a refused file,
an error or a crash rolls the indexes back with the rows (PostgreSQL and SQLite both have
transactional DDL).

The price is the lock: dropping an index locks its table against readers until the
import commits. A bulk load is for a go-live or a migration, not for the nightly feed; the
import waits at most `IMPORT_BULK_LOCK_TIMEOUT` for the lock and otherwise runs the normal
way. docs/decisions/0008-bulk-import-indexes.md gives the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model


@dataclass(frozen=True)
class DeferredIndexes:
    """The indexes dropped for a bulk load, to be built again before the commit."""

    table: str
    definitions: tuple[tuple[str, str], ...]  # (name, CREATE INDEX statement)

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                memory = settings.IMPORT_INDEX_BUILD_MEMORY
                cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
            for _name, statement in self.definitions:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                # Column statistics for the statements that follow in the same transaction
                # (the contact-quality refresh joins the new rows).
                cursor.execute(f"ANALYZE {connection.ops.quote_name(self.table)}")


def defer_indexes(model: type[Model], rows: int) -> DeferredIndexes | None:
    """Drop the table's secondary indexes when a file of `rows` rows is a bulk load for it;
    None (nothing dropped) otherwise. Call inside the import's transaction."""
    threshold = int(settings.IMPORT_BULK_MIN_ROWS)
    if threshold <= 0 or rows < threshold:
        return None
    return defer_table_indexes(model._meta.db_table, rows)


def defer_table_indexes(table: str, rows: int) -> DeferredIndexes | None:
    """defer_indexes for a table by name, whatever the threshold (bench/ times its own copy
    of a table this way)."""
    if connection.vendor not in ("postgresql", "sqlite"):
        return None
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Bounded: reads at most `rows` keys, so a table larger than the file stops early.
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) AS stored",  # noqa: S608
            [rows],
        )
        if cursor.fetchone()[0] >= rows:
            return None
        definitions = tuple(_secondary_indexes(cursor, table))
        if not definitions:
            return None
        previous = _lock_timeout(cursor, settings.IMPORT_BULK_LOCK_TIMEOUT)
        try:
            with transaction.atomic():  # a savepoint: a lock not granted leaves nothing
                for name, _statement in definitions:
                    cursor.execute(f"DROP INDEX {quote(name)}")
        except DatabaseError:
            return None
        finally:
            _lock_timeout(cursor, previous)
    return DeferredIndexes(table, definitions)


def _secondary_indexes(cursor: CursorWrapper, table: str) -> list[tuple[str, str]]:
    """Indexes that no constraint, primary key or unique rule stands on."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname",
            [table],
        )
        return list(cursor.fetchall())
    # SQLite: automatic indexes (of UNIQUE and PRIMARY KEY) carry no SQL and are kept.
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
        "AND sql IS NOT NULL ORDER BY name",
        [table],
    )
    return [
        (name, sql)
        for name, sql in cursor.fetchall()
        if not sql.lstrip().upper().startswith("CREATE UNIQUE")
    ]


def _lock_timeout(cursor: CursorWrapper, value: str) -> str:
    """PostgreSQL: set the transaction's lock timeout, returning the one it replaces (SQLite
    has one writer at a time and its own busy timeout)."""
    if connection.vendor != "postgresql":
        return value
    cursor.execute("SELECT current_setting('lock_timeout')")
    previous = str(cursor.fetchone()[0])
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [value])
    return previous

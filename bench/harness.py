"""Plumbing shared by the benchmarks: a dedicated database, timing and result records.

Each benchmark module runs in its own process (`python -m bench.<name> --db ... --json-out
...`), started by `bench.run_all`. The process gets a fresh database: a temporary SQLite
file, or the PostgreSQL database `policydesk_bench` (or `$POLICYDESK_BENCH_DB`) dropped and
created again (the audit table refuses DELETE, so starting over is the only clean slate).
The environment is set before `django.setup()`, so the project's settings pick the
benchmark database.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
# Which PostgreSQL database the benchmark drops and creates: another name lets two
# benchmarks run at the same time (POLICYDESK_BENCH_DB=policydesk_bench_search ...).
PG_BENCH_DB = os.environ.get("POLICYDESK_BENCH_DB", "policydesk_bench")
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", PG_BENCH_DB):
    raise SystemExit(f"POLICYDESK_BENCH_DB={PG_BENCH_DB!r}: lower-case letters, digits and _ only")
PG_BENCH_URL = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_BENCH_DB}"
DATABASES = ("sqlite", "postgres")


@dataclass
class Result:
    """One row of the results table: PolicyDesk against its raw baseline."""

    benchmark: str
    operation: str
    database: str
    n: int
    policydesk_s: float
    raw_s: float
    baseline: str
    queries_policydesk: int | None = None
    queries_raw: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.policydesk_s / self.raw_s if self.raw_s else float("inf")


# --- PostgreSQL ---------------------------------------------------------------------------


def postgres_problem() -> str | None:
    """None when the PostgreSQL server answers, otherwise why not."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(statement)


def recreate_postgres_db(name: str = PG_BENCH_DB) -> None:
    """Drop and create a benchmark database (a benchmark needing a second one names it)."""
    drop_postgres_db(name)
    # Code-point collation, as docs/decisions/0003-registry.md asks of a PolicyDesk database:
    # the name search's range condition relies on it.
    _postgres_admin(
        f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
        "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )


def drop_postgres_db(name: str = PG_BENCH_DB) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"database name {name!r}: lower-case letters, digits and _ only")
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The benchmark database ---------------------------------------------------------------


@contextmanager
def bench_database(db: str) -> Iterator[None]:
    """Point Django at a fresh database, migrate it and load the default data."""
    if db not in DATABASES:
        raise ValueError(f"unknown database {db!r}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "policydesk.settings"
    # DEBUG would record every query in connection.queries: memory and time not in production.
    os.environ["POLICYDESK_DEBUG"] = "false"
    os.environ.setdefault("POLICYDESK_LOG_LEVEL", "WARNING")
    tmpdir: Path | None = None
    if db == "sqlite":
        tmpdir = Path(tempfile.mkdtemp(prefix="policydesk-bench-"))
        os.environ.pop("DATABASE_URL", None)
        os.environ["POLICYDESK_SQLITE_PATH"] = str(tmpdir / "bench.sqlite3")
    else:
        recreate_postgres_db()
        os.environ["DATABASE_URL"] = PG_BENCH_URL

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup", stdout=io.StringIO())
        yield
    finally:
        connections.close_all()
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        elif os.environ.get("POLICYDESK_BENCH_KEEP") == "1":
            print(f"kept database {PG_BENCH_DB} (POLICYDESK_BENCH_KEEP=1)", file=sys.stderr)
        else:
            drop_postgres_db()


def analyze() -> None:
    """Refresh planner statistics after a bulk load, as autovacuum would on PostgreSQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Timing -------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    policydesk: Callable[[], object],
    raw: Callable[[], object],
    *,
    repetitions: int,
    warmup: int = 1,
) -> tuple[float, float]:
    """Median seconds of each, alternating the two so drift affects both alike."""
    for _ in range(warmup):
        policydesk()
        raw()
    pd_times: list[float] = []
    raw_times: list[float] = []
    for _ in range(repetitions):
        pd_times.append(timed(policydesk))
        raw_times.append(timed(raw))
    return statistics.median(pd_times), statistics.median(raw_times)


def count_queries(fn: Callable[[], object]) -> int:
    """How many SQL statements one call issues (run outside the timed sections)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def scaled(default: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(default * scale))


# --- Process entry point ------------------------------------------------------------------


def child_main(name: str, run: Callable[[str, float], list[Result]]) -> None:
    """`python -m bench.<name> --db sqlite|postgres [--scale N] [--json-out FILE]`."""
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    with bench_database(args.db):
        results = run(args.db, args.scale)
    payload = [asdict(result) for result in results]
    if args.json_out:
        args.json_out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    else:
        for result in results:
            print(
                f"{result.benchmark} | {result.operation} | {result.database} | n={result.n} | "
                f"{result.policydesk_s:.6f}s vs {result.raw_s:.6f}s | x{result.ratio:.2f}"
            )

"""Run every benchmark on SQLite and/or PostgreSQL and print PolicyDesk/raw ratios.

    python -m bench.run_all [--db sqlite|postgres|both] [--scale N] [--write-docs]

Each benchmark runs in its own process with its own fresh database (bench/harness.py), so
one cannot skew the other. `--scale` multiplies the default sizes (5,000 audit events,
100,000 staff); `--write-docs` rewrites docs/benchmarks.md with the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import (
    DATABASES,
    PG_HOST,
    PG_PORT,
    PROJECT_DIR,
    Result,
    postgres_problem,
    postgres_version,
)

BENCHMARKS = ("audit_append", "staff_list")
DOCS = PROJECT_DIR / "docs" / "benchmarks.md"


def run_child(name: str, db: str, scale: float) -> list[Result]:
    env = dict(os.environ)
    for variable in ("DATABASE_URL", "POLICYDESK_SQLITE_PATH"):
        env.pop(variable, None)  # the child points itself at its own database
    with tempfile.TemporaryDirectory(prefix="policydesk-bench-") as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, "-m", f"bench.{name}", "--db", db, "--scale", str(scale)]
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*command, "--json-out", str(out)], cwd=PROJECT_DIR, env=env, check=False
        )
        if completed.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench.{name} on {db} failed (exit {completed.returncode})")
        return [Result(**row) for row in json.loads(out.read_text(encoding="utf-8"))]


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown_table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def summary_rows(results: list[Result]) -> list[list[str]]:
    return [
        [
            r.benchmark,
            r.operation,
            r.database,
            f"{r.n:,}",
            fmt_time(r.policydesk_s),
            f"{fmt_time(r.raw_s)} ({r.baseline})",
            fmt_ratio(r.ratio),
        ]
        for r in results
    ]


SUMMARY_HEADERS = ["benchmark", "operation", "database", "n", "PolicyDesk", "raw baseline", "ratio"]


# --- The machine --------------------------------------------------------------------------


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _postgres_setting(name: str) -> str:
    import psycopg

    from bench.harness import PG_ADMIN_URL

    with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
        row = conn.execute(f"SHOW {name}").fetchone()
    return str(row[0]) if row else "?"


def machine_info(with_postgres: bool) -> dict[str, str]:
    import django
    import psycopg

    info = {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "load average at start (1/5/15 min)": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "sqlite": f"{sqlite3.sqlite_version} (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)",
    }
    if with_postgres:
        info["postgresql"] = (
            f"{postgres_version()} on {PG_HOST}:{PG_PORT} "
            f"(synchronous_commit={_postgres_setting('synchronous_commit')}, "
            f"shared_buffers={_postgres_setting('shared_buffers')})"
        )
    info["commit"] = _git_revision()
    return info


# --- docs/benchmarks.md -------------------------------------------------------------------

INTRO = """\
# Benchmarks

Generated by `python -m bench.run_all --write-docs` (`make bench` runs it without writing
this page). Every number below was measured by that command on the machine described at
the end; nothing is estimated. A benchmark is not a timed test: nothing here fails a build,
the numbers are for comparing a change against the raw-SQL baseline on the same machine.

How to read a ratio: **PolicyDesk time ÷ raw baseline time on the same database, in the
same process, on the same data**. 1x would mean PolicyDesk adds nothing over the bare SQL;
the ratio is the price of what PolicyDesk does on top (permission checks, the ORM, audit
hashing). Compare ratios between runs rather than absolute times, which move with the
machine's load; even ratios moved by up to half between consecutive runs on the shared
2-core machine below, so repeat a run before trusting a small difference.

Each benchmark runs in its own process against a fresh database (a temporary SQLite file,
or the PostgreSQL database `policydesk_bench`, dropped and created again), migrated and
loaded with `policydesk setup`, with `DEBUG` off.
"""

AUDIT_TEXT = """\
## audit_append: the audit trail

**Measured.** N calls of `core.audit.audit_record`, each in its own `transaction.atomic()`
as a service makes it (one event per write, so the audit's own `atomic` is a savepoint),
under a bound request context, with before/after snapshots of a staff record (names, role,
branch, languages, skills, e-mail, mobile and ID number to mask). One pass of N calls.

**Baselines.** The same N rows, read back from the audit table before timing, inserted into
scratch tables with the same columns, primary key, unique `hash` and the three indexes (but
no triggers): (a) one `cursor.executemany` in a single transaction; (b) one plain `INSERT`
per transaction, N commits, like the audited path.

**Reading it.** The ratio against (b) is the fair one: both pay one commit per event, so it
shows what the audit itself adds per event: serialising the append (PostgreSQL
`pg_advisory_xact_lock`, SQLite's `BEGIN IMMEDIATE`), reading the previous row's hash,
masking personal data and normalising before/after to JSON, the SHA-256 over the canonical
JSON, the savepoint, and the ORM `save()`. The statements column counts what reaches the
database per event, BEGIN and COMMIT included: savepoint, lock (PostgreSQL), last hash,
INSERT and release on top of the baseline's BEGIN, INSERT, COMMIT. The ratio against (a)
also contains the cost of committing every event, which a service cannot avoid since each
write is its own transaction; it says how far audited writes are from a bulk load, not how
slow the audit is. On PostgreSQL the commit (WAL flush, `synchronous_commit=on`) weighs on
both (b) and PolicyDesk, which keeps that ratio smaller; SQLite in WAL mode with
`synchronous=NORMAL` does not flush on commit, so the Python work weighs more there.
"""

STAFF_TEXT = """\
## staff_list: the scoped, keyset-paginated staff list

**Measured.** The list pages and the API use: `org.selectors.staff_page(user, after=...,
limit=50)` materialised with its joins (branch, team) and prefetches (languages, skills),
plus `core.pagination.bounded_count`. Population: 1 company, a city branch with 200 county
branches under it, 2 teams per county, 100,000 staff spread round-robin over the counties
(1 in 20 disabled), each with 1-2 languages and 0-2 skills; `ANALYZE` after the load.
Users: a counter manager of one county (branch scope in effect: the default matrix does not
let a front teller list staff, and a county has no branches under it), a counter manager of
the city branch (branch tree: 201 branch ids), and a head of customer service (company
scope). Each list operation is timed as a new request: the permission lookups cached on the
user are dropped first, so they are in the time. `bounded_count` is timed with them cached,
as it follows the page in the same request. Median of 9 repetitions after one warm-up,
PolicyDesk and raw alternating.

**Baseline.** The bare selection through the cursor, rows fetched as tuples:
`SELECT <staff columns> FROM org_staff WHERE branch_id IN (...) AND is_active AND id > %s
ORDER BY id LIMIT 51` (no branch condition for company scope), and
`SELECT COUNT(*) FROM (SELECT 1 FROM org_staff WHERE ... LIMIT 1001)`.

**Reading it.** The database plans of PolicyDesk's query and the raw one are the same index
walks (checked with `EXPLAIN` on this population), so the list ratio is Python and round
trips: the permission lookups (2 queries, 4 for a branch-tree role), the joins, the two
prefetch queries, and building about 50 staff, branch and team instances plus their
languages and skills, against fetching 51 tuples. The largest share is the two many-to-many
prefetches: Django builds a filtered queryset per staff member and relation to attach the
prefetched rows (measured separately, the same page without `prefetch_related` takes roughly
a third of the time). The ratio grows with what a page shows, not with the number of staff:
the deep page costs the same as page 1 (keyset, not OFFSET). For `bounded_count` Django
emits the same bounded subquery as the baseline (`SELECT COUNT(*) FROM (SELECT id ... LIMIT
1001)`), so the difference is building and compiling the queryset, a fixed cost per call:
the ratio is smaller where the query itself costs more. A branch count costs more than a
company count in both columns: it visits every staff row of the branch (about 500, scattered
over the table by the round-robin placement) to check `is_active`, while the company count
stops after 1,001 rows.
"""


def write_docs(results: list[Result], machine: dict[str, str], notes: list[str]) -> None:
    audit = [r for r in results if r.benchmark == "audit_append"]
    staff = [r for r in results if r.benchmark == "staff_list"]
    parts = [INTRO, "## Summary\n", markdown_table(SUMMARY_HEADERS, summary_rows(results), {3, 6})]
    if notes:
        parts.append("\n".join(f"> {note}" for note in notes))
    parts.append(AUDIT_TEXT)
    if audit:
        rows = [
            [
                r.database,
                f"{r.n:,}",
                r.baseline,
                fmt_time(r.policydesk_s),
                fmt_time(r.raw_s),
                fmt_ratio(r.ratio),
                f"{r.notes.get('per_event_us', 0):,.0f} µs",
                f"{r.raw_s / r.n * 1e6:,.0f} µs",
                f"{r.queries_policydesk} / {r.queries_raw if r.queries_raw is not None else '-'}",
            ]
            for r in audit
        ]
        headers = [
            "database",
            "events",
            "raw baseline",
            "PolicyDesk",
            "raw",
            "ratio",
            "PolicyDesk per event",
            "raw per row",
            "statements per event: PolicyDesk / raw",
        ]
        parts.append(markdown_table(headers, rows, {1, 3, 4, 5, 6, 7, 8}))
    parts.append(STAFF_TEXT)
    if staff:
        rows = [
            [
                r.operation,
                r.database,
                str(r.n),
                fmt_time(r.policydesk_s),
                fmt_time(r.raw_s),
                fmt_ratio(r.ratio),
                f"{r.queries_policydesk} / {r.queries_raw}",
            ]
            for r in staff
        ]
        headers = [
            "operation",
            "database",
            "pages",
            "PolicyDesk (median)",
            "raw (median)",
            "ratio",
            "queries PolicyDesk / raw",
        ]
        parts.append(markdown_table(headers, rows, {2, 3, 4, 5, 6}))
        population = staff[0].notes
        parts.append(
            f"Population: {population.get('staff', 0):,} staff in "
            f"{population.get('branches', 0)} branches; page size {population.get('page_size')}."
        )
    parts.append("## Machine\n")
    parts.append("\n".join(f"- **{key}**: {value}" for key, value in machine.items()))
    parts.append(
        "## Running\n\n"
        "```sh\n"
        "make bench                                     # both databases, print only\n"
        ".venv/bin/python -m bench.run_all --write-docs  # and rewrite this page\n"
        ".venv/bin/python -m bench.run_all --db sqlite --scale 0.1  # quick look\n"
        ".venv/bin/python -m bench.staff_list --db postgres  # one benchmark, one database\n"
        "```\n\n"
        "PostgreSQL is expected on 127.0.0.1:5432 as user `postgres` (trust auth); when it\n"
        "does not answer, its half is skipped with a message. The database\n"
        "`policydesk_bench` is dropped and created by each benchmark process: do not point\n"
        "it at data you keep."
    )
    DOCS.write_text("\n\n".join(part.rstrip("\n") for part in parts) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the default sizes")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be positive")

    databases = list(DATABASES) if args.db == "both" else [args.db]
    notes: list[str] = []
    if "postgres" in databases:
        problem = postgres_problem()
        if problem:
            message = f"PostgreSQL on {PG_HOST}:{PG_PORT} does not answer ({problem}); skipped."
            print(message)
            notes.append(message)
            databases.remove("postgres")
    if not databases:
        sys.exit("No database to benchmark.")
    if args.scale != 1:
        notes.append(f"Run with --scale {args.scale:g} (sizes differ from the defaults).")

    machine = machine_info(with_postgres="postgres" in databases)
    started = time.monotonic()
    results: list[Result] = []
    failures: list[str] = []
    for db in databases:
        for name in BENCHMARKS:
            print(f"== {name} on {db}", flush=True)
            try:
                results += run_child(name, db, args.scale)
            except RuntimeError as error:
                print(error, file=sys.stderr)
                failures.append(str(error))
    elapsed = time.monotonic() - started
    machine["load average at end (1/5/15 min)"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    machine["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine["total run time"] = f"{elapsed:.0f} s"

    print()
    if results:
        print(text_table(SUMMARY_HEADERS, summary_rows(results)))
    print(f"\n{elapsed:.0f} s in all.")
    if args.write_docs:
        if failures:
            print("Not writing docs/benchmarks.md: a benchmark failed.", file=sys.stderr)
        else:
            write_docs(results, machine, notes)
            print(f"Wrote {DOCS.relative_to(PROJECT_DIR)}.")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

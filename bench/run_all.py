"""Run every benchmark on SQLite and/or PostgreSQL and print PolicyDesk/raw ratios.

    python -m bench.run_all [--db sqlite|postgres|both] [--scale N] [--only NAME ...]
                            [--json-in FILE ...] [--write-docs]

Each benchmark runs in its own process with its own fresh database (bench/harness.py), so
one cannot skew the other. `--scale` multiplies the default sizes (5,000 audit events,
100,000 staff, 1,000,000 customers on PostgreSQL / 50,000 on SQLite); `--only` runs some
benchmarks; `--json-in` takes results a benchmark wrote with `--json-out` instead of running
it again. `--write-docs` rewrites docs/benchmarks.md with the results; the sections of
benchmarks not run this time are kept from the page as it was.
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

BENCHMARKS = ("audit_append", "staff_list", "registry_import")
# Benchmark names a module's results carry, by module (registry_import also times search).
RESULT_NAMES = {"registry_import": ("registry_import", "registry_search")}
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


REGISTRY_TEXT = """\
## registry_import: registry import and customer search

**Measured.** Two CSV files generated deterministically in the columns of
[import-formats.md](import-formats.md): N customers (valid resident IDs with their check
character, spread over 20 county branches) and 2N policies (two per customer, one product),
each imported as `policydesk import FILE` does it (`imports.services.import_start` +
`import_run` as the operator: parsing, row checks, the resident-ID check, the keyed hash and
AES-GCM encryption of every ID number, reference lookups, the set-based upsert, the
contact-quality refresh of the policyholders, one transaction, all-or-nothing). Between the
two files one mobile per customer is added by SQL, untimed, so the policies' quality refresh
works on customers with phones. Then `customers.selectors.customer_search` on the loaded
registry (ANALYZE first): 500 searches for a company-scoped user (head of service) and 500
for a branch-scoped one (front teller of one county, queries drawn from that county's
customers), the kinds in turn: exact full name, 2-character name prefix, mobile, resident
ID number, policy number, customer number. Each search counts from the call to the page's
rows read as the list shows them (branch, masked ID, phone, policy count); the user's cached
permission lookups are dropped before each, as a new request would.

**Baselines.** Import: the same file's rows into an unindexed table with the file's columns,
typed (text, date, integer, numeric): PostgreSQL `COPY ... FROM STDIN (FORMAT csv)` of the
file's bytes; SQLite `csv.reader` and one `executemany`. The ratio is import time ÷ raw
time; the speed fraction is its inverse (raw ÷ import), which the goal puts at 1/3 or more.
Search: the indexed lookup of each kind as one bare `SELECT c.id ... ORDER BY c.id LIMIT 26`
(name range on `customer_name_idx`, `number`, `id_number_hash`, `e164` joined to the
customer, policy `number` joined to the holder), with the branch condition for the teller.
Goal: p95 of `customer_search` at 20 ms or less at 1,000,000 customers.
"""


def _registry_parts(registry: list[Result]) -> list[str]:
    parts: list[str] = []
    imports = [r for r in registry if r.benchmark == "registry_import"]
    searches = [r for r in registry if r.benchmark == "registry_search"]
    if imports:
        rows = [
            [
                r.database,
                r.operation.split(" (")[0].removeprefix("import "),
                f"{r.n:,}",
                fmt_time(r.policydesk_s),
                f"{r.notes.get('rows_per_s', 0):,.0f}",
                r.baseline,
                fmt_time(r.raw_s),
                f"{r.notes.get('raw_rows_per_s', 0):,.0f}",
                fmt_ratio(r.ratio),
                f"{r.notes.get('speed_fraction', 0):.3f}"
                + (
                    " (goal met)" if r.notes.get("speed_fraction", 0) >= 1 / 3 else " (goal: 0.333)"
                ),
            ]
            for r in imports
        ]
        headers = [
            "database",
            "file",
            "rows",
            "import",
            "import rows/s",
            "raw baseline",
            "raw",
            "raw rows/s",
            "ratio",
            "speed fraction",
        ]
        parts.append(markdown_table(headers, rows, {2, 3, 4, 6, 7, 8, 9}))
    if searches:
        ms = 1e3
        rows = [
            [
                r.database,
                f"{r.notes.get('customers', 0):,}",
                str(r.notes.get("scope")),
                str(r.notes.get("kind")).replace("_", " "),
                str(r.n),
                f"{r.notes['pd_p50'] * ms:.1f}",
                f"**{r.notes['pd_p95'] * ms:.1f}**"
                if r.notes.get("kind") == "all"
                else f"{r.notes['pd_p95'] * ms:.1f}",
                f"{r.notes['pd_p99'] * ms:.1f}",
                f"{r.notes['raw_p50'] * ms:.2f} / {r.notes['raw_p95'] * ms:.2f}",
                fmt_ratio(r.ratio),
            ]
            for r in searches
        ]
        headers = [
            "database",
            "customers",
            "scope",
            "query kind",
            "searches",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "raw p50 / p95 ms",
            "p95 ratio",
        ]
        parts.append(markdown_table(headers, rows, {1, 4, 5, 6, 7, 8, 9}))
    return parts


def _old_page() -> str:
    return DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""


def _old_section(page: str, heading: str) -> str | None:
    """The section of the current page whose heading starts with `heading`, if any."""
    lines = page.splitlines()
    for start, line in enumerate(lines):
        if line.startswith(heading):
            end = next(
                (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                len(lines),
            )
            return "\n".join(lines[start:end]).rstrip()
    return None


def _old_summary_rows(page: str, names: set[str]) -> list[str]:
    return [line for line in page.splitlines() if line.split(" | ")[0][2:] in names]


def write_docs(
    results: list[Result],
    machine: dict[str, str],
    notes: list[str],
    *,
    kept: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Rewrite the page; the benchmarks in `kept` were not run: their text stays as it was."""
    page = _old_page()
    old_date = next(
        (
            line.split(":", 1)[1].strip()
            for line in page.splitlines()
            if line.startswith("- **date**")
        ),
        "an earlier run",
    )
    kept_names = {name for module in kept for name in RESULT_NAMES.get(module, (module,))}
    audit = [r for r in results if r.benchmark == "audit_append"]
    staff = [r for r in results if r.benchmark == "staff_list"]
    summary = markdown_table(SUMMARY_HEADERS, summary_rows(results), {3, 6})
    summary = "\n".join([*summary.splitlines(), *_old_summary_rows(page, kept_names)])
    parts = [INTRO, "## Summary\n", summary]
    if notes:
        parts.append("\n".join(f"> {note}" for note in notes))
    if kept:
        parts.append(
            f"> Not run this time, kept from the page of {old_date}: {', '.join(sorted(kept))}."
        )

    def keep(module: str, heading: str) -> bool:
        if module not in kept:
            return False
        old = _old_section(page, heading)
        if old:
            parts.append(old)
        return True

    if not keep("audit_append", "## audit_append"):
        _audit_parts(parts, audit)
    if not keep("staff_list", "## staff_list"):
        _staff_parts(parts, staff)
    if not keep("registry_import", "## registry_import"):
        parts.append(REGISTRY_TEXT)
        parts += _registry_parts([r for r in results if r.benchmark.startswith("registry_")])
    _machine_parts(parts, machine)
    DOCS.write_text("\n\n".join(part.rstrip("\n") for part in parts) + "\n", encoding="utf-8")


def _audit_parts(parts: list[str], audit: list[Result]) -> None:
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


def _staff_parts(parts: list[str], staff: list[Result]) -> None:
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


def _machine_parts(parts: list[str], machine: dict[str, str]) -> None:
    parts.append("## Machine\n")
    parts.append("\n".join(f"- **{key}**: {value}" for key, value in machine.items()))
    parts.append(
        "## Running\n\n"
        "```sh\n"
        "make bench                                     # both databases, print only\n"
        ".venv/bin/python -m bench.run_all --write-docs  # and rewrite this page\n"
        ".venv/bin/python -m bench.run_all --db sqlite --scale 0.1  # quick look\n"
        ".venv/bin/python -m bench.staff_list --db postgres  # one benchmark, one database\n"
        ".venv/bin/python -m bench.registry_import --db sqlite --customers 2000  # smoke run\n"
        "# one benchmark into this page, the other sections kept:\n"
        ".venv/bin/python -m bench.run_all --only registry_import --write-docs\n"
        "```\n\n"
        "PostgreSQL is expected on 127.0.0.1:5432 as user `postgres` (trust auth); when it\n"
        "does not answer, its half is skipped with a message. The database\n"
        "`policydesk_bench` is dropped and created by each benchmark process: do not point\n"
        "it at data you keep."
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the default sizes")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--json-in",
        action="append",
        type=Path,
        default=[],
        help="results a benchmark wrote with --json-out, used instead of running it",
    )
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
    selected = list(args.only or BENCHMARKS)
    loaded: set[tuple[str, str]] = set()  # (module, database) taken from --json-in
    for path in args.json_in:
        for row in json.loads(path.read_text(encoding="utf-8")):
            result = Result(**row)
            results.append(result)
            module = next(
                (m for m, names in RESULT_NAMES.items() if result.benchmark in names),
                result.benchmark,
            )
            loaded.add((module, result.database))
            if module not in selected:
                selected.append(module)
    if args.json_in:
        notes.append(
            "Some results were measured by a benchmark's own run (`--json-out`) and merged "
            "with `--json-in`; the machine below is the one that merged them."
        )
    for db in databases:
        for name in selected:
            if (name, db) in loaded:
                continue
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
            kept = {name for name in BENCHMARKS if name not in selected}
            write_docs(results, machine, notes, kept=kept)
            print(f"Wrote {DOCS.relative_to(PROJECT_DIR)}.")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()

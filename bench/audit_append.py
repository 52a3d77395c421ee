"""Audit appends: `audit_record` one event per transaction against raw INSERTs.

PolicyDesk: N calls of `core.audit.audit_record`, each inside its own `transaction.atomic()`
as a service does (so the inner atomic is a savepoint), under a bound request context, with
before/after snapshots of a staff record that carry personal data to mask.

Raw baselines, inserting the very rows the audit trail stored (read back before timing) into
scratch tables with the same columns and indexes but no triggers:
- `executemany`: all N rows in one `cursor.executemany`, one transaction;
- `INSERT per txn`: one plain INSERT per transaction, N commits, like the audited path.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from typing import Any

from bench.harness import Result, child_main, count_queries, scaled, timed

DEFAULT_EVENTS = 5_000
WARMUP_EVENTS = 20
TARGETS = 50
COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "branch_id",
    "before",
    "after",
    "request_id",
    "client_address",
    "previous_hash",
    "hash",
)
BULK_TABLE = "bench_audit_bulk"
ROWS_TABLE = "bench_audit_rows"
PROBE_TABLE = "bench_audit_probe"  # takes the one row inserted to count statements
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _people(rng: random.Random) -> tuple[Any, list[Any]]:
    """An acting administrator and the staff records the audited writes touch."""
    from policydesk.org.models import Branch, BranchKind, Company, Role, Staff, Team

    company = Company.objects.create(code="bench", name="基准保险股份有限公司")
    branch = Branch.objects.create(
        company=company, code="bench-city", name="基准市分公司", kind=BranchKind.CITY
    )
    branch.path = f"/{branch.pk}/"
    branch.save(update_fields=["path"])
    team = Team.objects.create(branch=branch, code="c01", name="1号柜台", kind="counter")
    actor = Staff.objects.create(
        username="bench-admin", role=Role.ADMINISTRATOR, company=company, branch=branch
    )
    roles = [Role.FRONT_TELLER, Role.BACK_OFFICE, Role.CALLBACK_AGENT, Role.CLAIMS_HANDLER]
    targets = [
        Staff.objects.create(
            username=f"staff{i:03d}",
            display_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            email=f"staff{i:03d}@bench.example.cn",
            role=rng.choice(roles),
            company=company,
            branch=branch,
            team=team,
        )
        for i in range(TARGETS)
    ]
    return actor, targets


def _payloads(count: int, targets: list[Any], rng: random.Random) -> list[tuple[Any, ...]]:
    """Precomputed (target, before, after, context) per call: the caller's work, not timed."""
    from policydesk.core.request_context import RequestContext
    from policydesk.org.models import Role

    roles = list(Role.values)
    payloads = []
    for _ in range(count):
        target = rng.choice(targets)
        before = {
            "username": target.username,
            "display_name": target.display_name,
            "email": target.email,
            "mobile_phone": f"13{rng.randrange(10**9):09d}",
            "id_number": f"35030219{rng.randrange(10**10):010d}",
            "role": target.role,
            "branch": target.branch_id,
            "team": target.team_id,
            "is_active": True,
            "languages": sorted(rng.sample(range(1, 7), 2)),
            "skills": sorted(rng.sample(range(1, 9), 3)),
        }
        after = dict(
            before,
            display_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            role=rng.choice(roles),
            skills=sorted(rng.sample(range(1, 9), 2)),
        )
        context = RequestContext(
            request_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            client_address=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        )
        payloads.append((target, before, after, context))
    return payloads


def _append(actor: Any, payloads: list[tuple[Any, ...]]) -> None:
    from django.db import transaction

    from policydesk.core.audit import audit_record
    from policydesk.core.request_context import bound_context

    for target, before, after, context in payloads:
        with bound_context(context), transaction.atomic():
            audit_record(
                action="org.staff.update", actor=actor, target=target, before=before, after=after
            )


def _create_scratch_tables() -> None:
    """Tables shaped like core_auditevent (columns, primary key, unique hash, indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (BULK_TABLE, ROWS_TABLE, PROBE_TABLE):
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE {table} (LIKE core_auditevent INCLUDING ALL)")
                continue
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'core_auditevent' "
                "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC"
            )
            for (ddl,) in cursor.fetchall():
                ddl = ddl.replace('"core_auditevent"', f'"{table}"')
                ddl = re.sub(r'CREATE INDEX "(\w+)"', rf'CREATE INDEX "{table}_\1"', ddl)
                cursor.execute(ddl)


def _stored_rows(count: int) -> list[tuple[Any, ...]]:
    """The last `count` audit rows exactly as stored, ready to insert again."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM core_auditevent ORDER BY id DESC LIMIT %s",
            [count],
        )
        rows = cursor.fetchall()
    rows.reverse()
    json_at = [COLUMNS.index("before"), COLUMNS.index("after")]
    prepared = []
    for row in rows:
        values = list(row)
        for index in json_at:
            if not isinstance(values[index], str | None):  # psycopg hands jsonb back decoded
                values[index] = json.dumps(values[index], ensure_ascii=False)
        prepared.append(tuple(values))
    return prepared


def _insert_sql(table: str) -> str:
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    return f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"


def _raw_executemany(rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_insert_sql(BULK_TABLE), rows)


def _raw_per_transaction(rows: list[tuple[Any, ...]], table: str = ROWS_TABLE) -> None:
    from django.db import connection, transaction

    sql = _insert_sql(table)
    with connection.cursor() as cursor:
        for row in rows:
            with transaction.atomic():
                cursor.execute(sql, row)


def run(db: str, scale: float) -> list[Result]:
    from django.db import connection

    from policydesk.core.audit import audit_verify

    events = scaled(DEFAULT_EVENTS, scale)
    rng = random.Random(20_260_101)
    actor, targets = _people(rng)
    warmup = _payloads(WARMUP_EVENTS, targets, rng)
    payloads = _payloads(events, targets, rng)
    _create_scratch_tables()

    queries_per_event = count_queries(lambda: _append(actor, warmup[:1]))
    _append(actor, warmup[1:])
    print(f"[audit_append/{db}] appending {events} events ...", flush=True)
    pd_seconds = timed(lambda: _append(actor, payloads))

    rows = _stored_rows(events)
    raw_statements = count_queries(lambda: _raw_per_transaction(rows[:1], PROBE_TABLE))
    bulk_seconds = timed(lambda: _raw_executemany(rows))
    per_row_seconds = timed(lambda: _raw_per_transaction(rows))

    with connection.cursor() as cursor:
        for table in (BULK_TABLE, ROWS_TABLE):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            (stored,) = cursor.fetchone()
            if stored != events:
                raise RuntimeError(f"{table} holds {stored} rows, expected {events}")
    verify = audit_verify()
    if not verify.ok or verify.checked < events + WARMUP_EVENTS:
        raise RuntimeError(f"audit chain does not verify after the benchmark: {verify}")
    notes = {
        "per_event_us": round(pd_seconds / events * 1e6, 1),
        "chain_verified_rows": verify.checked,
    }
    common = {"benchmark": "audit_append", "database": db, "n": events, "policydesk_s": pd_seconds}
    return [
        Result(
            operation="audit_record, 1 txn each",
            raw_s=bulk_seconds,
            baseline="executemany, 1 txn",
            queries_policydesk=queries_per_event,
            queries_raw=None,
            notes=notes,
            **common,
        ),
        Result(
            operation="audit_record, 1 txn each",
            raw_s=per_row_seconds,
            baseline="INSERT, 1 txn each",
            queries_policydesk=queries_per_event,
            queries_raw=raw_statements,
            notes=notes,
            **common,
        ),
    ]


if __name__ == "__main__":
    child_main("audit_append", run)

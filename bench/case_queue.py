"""Work queues and the clock sweep at scale, against raw SQL on the same data.

    python -m bench.case_queue --db postgres [--scale S] [--json-out FILE]

PostgreSQL only (the issue's target; SQLite answers the same queries but is not the
production database). Two databases are loaded the same way, by set-based SQL
(generate_series, not the services, so 3,000,000 cases and 15,000,000 timeline events load
in minutes), then `VACUUM (ANALYZE)` (the state autovacuum leaves after a bulk load):
`$POLICYDESK_BENCH_DB` with N cases (3,000,000 by default) and `$POLICYDESK_BENCH_DB_small`
with 10,000. Each holds:

- 1 company, a city branch with 20 county branches, 10 staff per county (a team each);
- 92 % finished cases (resolved or closed: the years of history a live system keeps), 8 %
  unfinished (open, escalated, waiting; a quarter of them breached), round-robin over the
  counties, a third of the unfinished ones assigned, one opened every 10 seconds; 5
  timeline events per case; the enquiry SLA policy's two clocks per unfinished case, due
  moments spread over the next 96 hours (the breached ones over the past 97);
- the state the services leave: warnings and breaches before the load's moment recorded on
  the clocks, the enquiry ladder's levels already passed applied (`CaseEscalation`, the
  case's level) and every unfinished case's `EscalationWatch` at its next pending moment.

- one busy teller of the first county holding its latest 60 unassigned unfinished cases at
  either size, so that "my cases" is the same page (50 rows, a count of 60) at both: a
  teller's workload does not grow with the company's history (the round-robin teller the
  page used to measure holds 16 open cases at 10,000 and 5,000 at 3,000,000).

Queues (p95 over RUNS runs per size and operation): the queue page's selector (`case_queue`
for a teller's own-branch "open", the busy teller's "my cases", a head of service's
company-wide "open" and "breached") with what cases/queue.html reads of each row, and the
API list (`GET /api/v1/cases?view=open` through the whole Django stack: middleware, session,
permission lookups, serialisation), called as a WSGI server calls the application (an environ
with the session cookie of a log-in, the body read and parsed, the response closed), not
through Django's test client. The user's cached permission lookups are dropped before
each run, as a new request would. The two databases are measured in alternating blocks in
the same process, PolicyDesk and raw alternating inside a block, so the machine's load
weighs on both sizes and both columns alike. Raw baseline: the same page as one bare
statement (the same columns, joins, WHERE, `ORDER BY id LIMIT 51`) with the same bounded
`COUNT(*)` as a scalar subquery, rows fetched as tuples.

Sweep: the `case-clock-sweep` job's two functions (`clocks.sweep`, then
`escalation.escalation_sweep`) over all unfinished cases at successive 5-minute moments
after the load (the job's interval), each run once (it writes), then once more at the last
moment (nothing left to do: the cost of looking). Raw baseline: one set-based SELECT of the
same selection (clocks due for a warning, clocks due for a breach, cases due for a ladder
level not yet applied), timed just before each run; the counts must match the run's.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import (
    PG_BENCH_DB,
    Result,
    child_main,
    drop_postgres_db,
    recreate_postgres_db,
    scaled,
)

DEFAULT_CASES = 3_000_000
SMALL = 10_000
COUNTIES = 20
STAFF_PER_COUNTY = 10
EVENTS_PER_CASE = 5
BLOCKS = 20  # alternations between the two databases (10 until 2026-12-03: see docs)
RUNS_PER_BLOCK = 40  # runs of each operation per block: RUNS in all per size
RUNS = BLOCKS * RUNS_PER_BLOCK
SWEEP_WINDOWS = 3
SWEEP_INTERVAL = dt.timedelta(minutes=5)
BUSY_CASES = 60  # the "my cases" teller's open cases, at either size: one full page
SPREAD_SECONDS = 96 * 3600  # due moments of the unfinished cases: the next 96 hours
CACHE_ATTRIBUTES = ("_pd_scope", "_pd_branch_ids", "_pd_actions")
UNFINISHED_SQL = "c.category NOT IN ('resolved', 'closed')"
SMALL_DB = f"{PG_BENCH_DB}_small"


# --- Population ---------------------------------------------------------------------------


def _setup_world() -> dict[str, Any]:
    from django.db import transaction

    from policydesk.cases.models import EscalationLevel, Process, ProcessState
    from policydesk.org.models import Branch, BranchKind, Company, Role, Staff, Team

    with transaction.atomic():
        company = Company.objects.create(code="bench", name="基准人寿")
        city = Branch.objects.create(
            company=company, code="city", name="市分公司", kind=BranchKind.CITY
        )
        city.path = f"/{city.pk}/"
        city.save(update_fields=["path"])
        counties = []
        for i in range(COUNTIES):
            county = Branch.objects.create(
                company=company,
                parent=city,
                code=f"c{i:02d}",
                name=f"第{i + 1}支公司",
                kind=BranchKind.COUNTY,
            )
            county.path = f"{city.path}{county.pk}/"
            county.save(update_fields=["path"])
            counties.append(county)
        staff: list[Staff] = []
        for county in counties:
            team = Team.objects.create(branch=county, code="counter", name="柜面", kind="team")
            for j in range(STAFF_PER_COUNTY):
                staff.append(
                    Staff.objects.create(
                        username=f"{county.code}-{j}",
                        role=Role.FRONT_TELLER,
                        company=company,
                        branch=county,
                        team=team,
                    )
                )
        head = Staff.objects.create(
            username="bench-head", role=Role.HEAD_OF_SERVICE, company=company, branch=city
        )
        busy = Staff.objects.create(
            username="c00-busy",
            role=Role.FRONT_TELLER,
            company=company,
            branch=counties[0],
            team=staff[0].team,
        )
    process = Process.objects.get(code="enquiry")
    states = {s.code: s for s in ProcessState.objects.filter(version=process.current_version)}
    # The shipped enquiry ladder (cases/processes/rules.toml): the resolution clock's breach,
    # then open for more than 120 hours. The population applies what passed before the load.
    levels = {
        level.number: level
        for level in EscalationLevel.objects.filter(ladder__process=process, is_active=True)
    }
    breach, age = levels[1], levels[2]
    if breach.threshold != "breach" or age.threshold != "age_over" or not age.age_hours:
        raise RuntimeError("bench.case_queue expects the shipped enquiry ladder")
    return {
        "counties": counties,
        "staff": staff,
        "teller": staff[0],
        "busy": busy,
        "head": head,
        "process": process,
        "states": states,
        "breach_level": breach,
        "age_level": age,
    }


def _populate(world: dict[str, Any], count: int, t0: dt.datetime) -> None:
    """Cases 1 … count, their events, clocks, applied levels and watches, as of t0."""
    from django.db import connection

    process = world["process"]
    states = world["states"]
    breach, age = world["breach_level"], world["age_level"]
    params = {
        "last": count,
        "t0": t0,
        "process": process.pk,
        "version": process.current_version_id,
        "policy": process.sla_policy_id,
        "counties": [c.pk for c in world["counties"]],
        "staff": [s.pk for s in world["staff"]],
        "teams": [s.team_id for s in world["staff"]],
        "s_open": states["open"].pk,
        "s_escalated": states["escalated"].pk,
        "s_waiting": states["waiting-customer"].pk,
        "s_answered": states["answered"].pk,
        "s_closed": states["closed"].pk,
        "spread": SPREAD_SECONDS,
        "breach_level": breach.pk,
        "breach_clock": breach.clock_code,
        "age_level": age.pk,
        "age": dt.timedelta(hours=age.age_hours),
        "busy": world["busy"].pk,
        "busy_branch": world["busy"].branch_id,
        "busy_cases": BUSY_CASES,
    }
    # g % 100: 0-3 open, 4-5 escalated, 6-7 waiting, 8-20 answered, the rest closed;
    # 2 and 5 breached (due in the past), the other unfinished ones due within 96 hours.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_case (
                id, number, process_id, process_version_id, state_id, category, channel,
                branch_id, team_id, assignee_id, subject, description, priority, classification,
                tags, root_cause, resolution, sla_policy_id, escalation_level, opened_at,
                first_response_at, resolved_at, closed_at, updated_at, next_due_at,
                next_warn_at, is_breached, first_contact_resolution, customer_id, policy_id,
                language_id, opened_by_id)
            SELECT g, 'ZX-' || lpad(g::text, 9, '0'), %(process)s, %(version)s,
                CASE WHEN g %% 100 < 4 THEN %(s_open)s WHEN g %% 100 < 6 THEN %(s_escalated)s
                     WHEN g %% 100 < 8 THEN %(s_waiting)s WHEN g %% 100 < 21 THEN %(s_answered)s
                     ELSE %(s_closed)s END,
                CASE WHEN g %% 100 < 6 THEN 'open' WHEN g %% 100 < 8 THEN 'waiting_customer'
                     WHEN g %% 100 < 21 THEN 'resolved' ELSE 'closed' END,
                (ARRAY['counter','phone','self_service','agent'])[1 + g %% 4],
                (%(counties)s::bigint[])[1 + g %% 20],
                (%(teams)s::bigint[])[1 + (g %% 20) * 10],
                CASE WHEN g %% 3 = 0 THEN (%(staff)s::bigint[])[1 + (g %% 20) * 10 + (g / 20) %% 10]
                     END,
                '咨询 ' || g, '', 2, '', '[]'::jsonb, '', '', %(policy)s, 0,
                %(t0)s - ((%(last)s - g) * interval '10 seconds'),
                NULL, NULL, NULL, %(t0)s, m.due, m.due - interval '12 hours',
                g %% 100 IN (2, 5), NULL, NULL, NULL, NULL, NULL
            FROM generate_series(1, %(last)s) AS g
            CROSS JOIN LATERAL (SELECT CASE
                WHEN g %% 100 IN (2, 5) THEN %(t0)s - interval '1 hour'
                    - ((g::bigint * 7919) %% %(spread)s) * interval '1 second'
                WHEN g %% 100 < 8 THEN %(t0)s
                    + (1 + (g::bigint * 7919) %% %(spread)s) * interval '1 second'
                END AS due) AS m
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO cases_caseevent (case_id, type, at, actor_id, visibility, body, parameters)
            SELECT 1 + (e / {EVENTS_PER_CASE}),
                (ARRAY['opened','clock_started','assigned','commented','transitioned'])
                    [1 + e %% {EVENTS_PER_CASE}],
                %(t0)s, NULL, 'internal', '', '{{}}'::jsonb
            FROM generate_series(0, %(last)s * {EVENTS_PER_CASE} - 1) AS e
            """,
            params,
        )
        # The clocks as the sweeps left them at t0: warnings and breaches passed, recorded.
        cursor.execute(
            f"""
            INSERT INTO cases_caseclock (case_id, target_id, code, name, mode, stops_on,
                pause_categories, is_regulatory, state, due_at, warn_at, is_running,
                stopped_at, met, warned_at, breached_at)
            SELECT c.id, t.id, t.code, t.name, t.mode, t.stops_on, t.pause_categories, false,
                '{{"events": []}}'::jsonb, c.next_due_at, c.next_warn_at, true, NULL, NULL,
                CASE WHEN c.next_warn_at <= %(t0)s THEN c.next_warn_at END,
                CASE WHEN c.next_due_at <= %(t0)s THEN c.next_due_at END
            FROM cases_case c CROSS JOIN cases_slatarget t
            WHERE t.policy_id = %(policy)s AND {UNFINISHED_SQL}
            """,
            params,
        )
        # The ladder's levels passed before t0, applied once each; the case's level.
        cursor.execute(
            f"""
            INSERT INTO cases_caseescalation (case_id, level_id, number, at, clock_code, reason)
            SELECT c.id, %(breach_level)s, 1, c.next_due_at, %(breach_clock)s, 'Level 1'
            FROM cases_case c WHERE {UNFINISHED_SQL} AND c.next_due_at <= %(t0)s
            UNION ALL
            SELECT c.id, %(age_level)s, 2, c.opened_at + %(age)s, '', 'Level 2'
            FROM cases_case c WHERE {UNFINISHED_SQL} AND c.opened_at + %(age)s <= %(t0)s
            """,
            params,
        )
        cursor.execute(
            f"""
            UPDATE cases_case c SET escalation_level = CASE
                WHEN c.opened_at + %(age)s <= %(t0)s THEN 2
                WHEN c.next_due_at <= %(t0)s THEN 1 ELSE 0 END
            WHERE {UNFINISHED_SQL}
            """,
            params,
        )
        # Each unfinished case's watch: the earliest moment of a level not applied yet.
        cursor.execute(
            f"""
            INSERT INTO cases_escalationwatch (case_id, next_check_at)
            SELECT c.id, LEAST(
                CASE WHEN c.next_due_at > %(t0)s THEN c.next_due_at END,
                CASE WHEN c.opened_at + %(age)s > %(t0)s THEN c.opened_at + %(age)s END)
            FROM cases_case c WHERE {UNFINISHED_SQL}
            """,
            params,
        )
        # The busy teller's own queue: the county's latest unassigned unfinished cases, as
        # many at either size.
        cursor.execute(
            f"""
            UPDATE cases_case SET assignee_id = %(busy)s WHERE id IN (
                SELECT c.id FROM cases_case c
                WHERE c.branch_id = %(busy_branch)s AND c.assignee_id IS NULL AND {UNFINISHED_SQL}
                ORDER BY c.id DESC LIMIT %(busy_cases)s)
            """,
            params,
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [count])
        cursor.execute("VACUUM (ANALYZE)")


def _use(name: str) -> None:
    """Point the default connection at another database (reconnects on the next query)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def _load(name: str, count: int, t0: dt.datetime, fresh: bool) -> dict[str, Any]:
    from django.core.management import call_command

    _use(name)
    if fresh:  # the harness migrated its own database; the second one is made here
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup", stdout=io.StringIO())
    started = time.perf_counter()
    world = _setup_world()
    _populate(world, count, t0)
    print(
        f"[case_queue] {name}: {count:,} cases, {count * EVENTS_PER_CASE:,} events loaded "
        f"and vacuumed in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return world


# --- Queue operations ---------------------------------------------------------------------


def _fresh(user: Any) -> None:
    for name in CACHE_ATTRIBUTES:
        if hasattr(user, name):
            delattr(user, name)


def _pd_queue(user: Any, view: str) -> Callable[[], tuple[int, int]]:
    from policydesk.cases.selectors import case_queue

    def run() -> tuple[int, int]:
        _fresh(user)
        queue = case_queue(user, view)
        for case in queue.page.items:  # what cases/queue.html reads of each row
            _ = (
                case.pk,
                case.number,
                case.subject,
                case.customer.name if case.customer else "",
                case.process.name,
                case.state.name,
                case.priority,
                str(case.assignee) if case.assignee else "",
                case.is_breached,
                case.next_due_at,
            )
        return len(queue.page.items), queue.count.value

    return run


# The columns the selector reads (cases.queue_rows.COLUMNS, with the related rows' ids), joined
# the same way.
RAW_COLUMNS = (
    "c.id, c.number, c.process_id, c.state_id, c.category, c.channel, c.branch_id, "
    "c.team_id, c.assignee_id, c.customer_id, c.subject, c.priority, c.next_due_at, "
    "c.is_breached, c.escalation_level, c.opened_at, p.id, p.code, p.name, s.id, s.code, "
    "s.name, a.id, a.username, a.display_name, cu.id, cu.name"
)


def _raw_queue(where: str, params: list[Any]) -> Callable[[], tuple[int, int]]:
    from django.db import connection

    sql = (
        f"SELECT {RAW_COLUMNS}, (SELECT COUNT(*) FROM (SELECT 1 FROM cases_case c "
        f"WHERE {where} LIMIT 1001) b) FROM cases_case c "
        "JOIN cases_process p ON p.id = c.process_id "
        "JOIN cases_processstate s ON s.id = c.state_id "
        "LEFT JOIN org_staff a ON a.id = c.assignee_id "
        "LEFT JOIN customers_customer cu ON cu.id = c.customer_id "
        f"WHERE {where} ORDER BY c.id LIMIT 51"
    )

    def run() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params + params)
            rows = cursor.fetchall()
        return min(len(rows), 50), min(int(rows[0][-1]), 1000) if rows else 0

    return run


def _api(
    user: Any, where: str, params: list[Any]
) -> tuple[Callable[[], tuple[int, int]], Callable[[], tuple[int, int]]]:
    """GET /api/v1/cases?view=open as a WSGI server calls the application: one environ with
    the session cookie, the body read, the response closed (Django's request_finished). Not
    Django's test client, which adds work no server does (a copy of the request for its
    signals, the cookie jar, the response's templates and context)."""
    import json
    import sys

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session["pd_login_at"] = time.time()  # the absolute session lifetime starts at log-in
    session.save()  # log-in linked it to its user: the request reads both at once
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    application = WSGIHandler()

    def run() -> tuple[int, int]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/api/v1/cases",
            "QUERY_STRING": "view=open",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": cookie,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status: list[str] = []
        response = application(environ, lambda line, headers: status.append(line))
        try:
            body = b"".join(response)
        finally:
            response.close()
        if not status[0].startswith("200"):
            raise RuntimeError(f"GET /api/v1/cases answered {status[0]}")
        page = json.loads(body)
        return len(page["items"]), int(page["count"])

    return run, _raw_request(session.session_key or "", where, params)


# The request's own SQL, written by hand: the session's row with its user, the branch and the
# role's scope, second-factor rule and grants (through the log-in's link, in one statement as
# PolicyDesk reads them), then the page.
RAW_SESSION_USER = """
SELECT d.session_data, u.id, u.password, u.is_active, u.role, u.branch_id, u.team_id,
       b.timezone, b.path, r.scope, r.requires_second_factor,
       (SELECT string_agg(g.action, chr(31)) FROM org_rolegrant g
        WHERE g.role = u.role AND g.granted)
FROM org_staffsession l
JOIN django_session d ON d.session_key = l.session_key AND d.expire_date > now()
JOIN org_staff u ON u.id = l.staff_id
LEFT JOIN org_branch b ON b.id = u.branch_id
LEFT JOIN org_rolescope r ON r.role = u.role
WHERE l.session_key = %s
"""


def _raw_request(session_key: str, where: str, params: list[Any]) -> Callable[[], tuple[int, int]]:
    """The API call's SQL as bare statements: the session with its user, then the page."""
    from django.db import connection

    page = _raw_queue(where, params)

    def run() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SESSION_USER, [session_key])
            if not cursor.fetchall():
                raise RuntimeError("the API session was not found")
        return page()

    return run


Shaped = Callable[[], tuple[int, int]]
# label, PolicyDesk, its raw baseline, and for the API the page's statement alone (reported
# beside the goal's baseline).
Operation = tuple[str, Shaped, Shaped, Shaped | None]


def _operations(world: dict[str, Any]) -> list[Operation]:
    teller, head, busy = world["teller"], world["head"], world["busy"]
    branch = teller.branch_id
    own_branch = f"c.branch_id = %s AND {UNFINISHED_SQL}"
    return [
        (
            "teller: own branch, open",
            _pd_queue(teller, "open"),
            _raw_queue(own_branch, [branch]),
            None,
        ),
        (
            "teller: my cases",
            _pd_queue(busy, "mine"),
            _raw_queue(
                f"c.branch_id = %s AND c.assignee_id = %s AND {UNFINISHED_SQL}",
                [busy.branch_id, busy.pk],
            ),
            None,
        ),
        ("head: company, open", _pd_queue(head, "open"), _raw_queue(UNFINISHED_SQL, []), None),
        (
            "head: company, breached",
            _pd_queue(head, "breached"),
            _raw_queue(f"c.is_breached AND {UNFINISHED_SQL}", []),
            None,
        ),
        (
            "API GET /cases?view=open (teller)",
            *_api(teller, own_branch, [branch]),
            _raw_queue(own_branch, [branch]),
        ),
    ]


def _timed(fn: Callable[[], tuple[int, int]]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _measure_queues(sizes: list[tuple[str, int, dict[str, Any]]], db: str) -> list[Result]:
    """Every operation on every database, in alternating blocks."""
    times: dict[tuple[int, str], tuple[list[float], list[float], list[float]]] = {}
    shape: dict[tuple[int, str], tuple[tuple[int, int], tuple[int, int]]] = {}
    loads: list[float] = [os.getloadavg()[0]]
    operations: dict[int, list[Operation]] = {}
    for block in range(BLOCKS):
        for name, size, world in sizes:
            _use(name)
            if size not in operations:
                operations[size] = _operations(world)  # the API's session lives in this db
            for label, pd, raw, bare in operations[size]:
                pd_shape, raw_shape = pd(), raw()  # warm-up after the reconnection
                if pd_shape != raw_shape or (bare is not None and bare() != pd_shape):
                    raise RuntimeError(f"{label} at {size}: {pd_shape} rows/count, raw {raw_shape}")
                shape[(size, label)] = (pd_shape, raw_shape)
                pd_times, raw_times, bare_times = times.setdefault((size, label), ([], [], []))
                for _ in range(RUNS_PER_BLOCK):
                    pd_times.append(_timed(pd))
                    raw_times.append(_timed(raw))
                    if bare is not None:
                        bare_times.append(_timed(bare))
        loads.append(os.getloadavg()[0])
        print(f"[case_queue/{db}] block {block + 1}/{BLOCKS}, load {loads[-1]:.1f}", flush=True)
    results = []
    for (size, label), (pd_times, raw_times, bare_times) in times.items():
        (rows, count), _ = shape[(size, label)]
        pd_p95 = statistics.quantiles(pd_times, n=20)[-1]
        raw_p95 = statistics.quantiles(raw_times, n=20)[-1]
        bare = {}
        if bare_times:
            bare_p95 = statistics.quantiles(bare_times, n=20)[-1]
            bare = {
                "page_statement_p95": bare_p95,
                "page_statement_p50": statistics.median(bare_times),
                "ratio_to_page_statement": pd_p95 / bare_p95,
            }
        print(
            f"[case_queue/{db}] {size:>9,} {label}: p95 {pd_p95 * 1e3:.2f} ms vs raw "
            f"{raw_p95 * 1e3:.2f} ms ({rows} rows, count {count})"
            + (f"; page statement alone {bare['page_statement_p95'] * 1e3:.2f} ms" if bare else ""),
            flush=True,
        )
        results.append(
            Result(
                benchmark="case_queue",
                operation=label,
                database=db,
                n=size,
                policydesk_s=pd_p95,
                raw_s=raw_p95,
                baseline=(
                    "the request's SQL by hand: the session with its user and role in one "
                    "SELECT, then the page as one SELECT … ORDER BY id LIMIT 51, bounded COUNT "
                    "inside (p95)"
                    if bare
                    else "the same page as one SELECT … ORDER BY id LIMIT 51, bounded COUNT "
                    "inside (p95)"
                ),
                notes={
                    "statistic": "p95",
                    "runs": len(pd_times),
                    "pd_p50": statistics.median(pd_times),
                    "raw_p50": statistics.median(raw_times),
                    "rows": rows,
                    "count": count,
                    "load_1min": [round(min(loads), 1), round(max(loads), 1)],
                    **bare,
                },
            )
        )
    return results


# --- The sweep ----------------------------------------------------------------------------


RAW_SWEEP = f"""
SELECT 'warn', k.id FROM cases_caseclock k
WHERE k.is_running AND k.warn_at <= %(t)s AND k.warned_at IS NULL AND k.due_at > %(t)s
UNION ALL
SELECT 'breach', k.id FROM cases_caseclock k
WHERE k.is_running AND k.due_at <= %(t)s AND k.breached_at IS NULL
UNION ALL
SELECT 'level', c.id FROM cases_case c
JOIN cases_caseclock k ON k.case_id = c.id AND k.code = %(breach_clock)s AND k.is_running
WHERE c.process_id = %(process)s AND {UNFINISHED_SQL} AND k.due_at <= %(t)s
  AND NOT EXISTS (SELECT 1 FROM cases_caseescalation e
                  WHERE e.case_id = c.id AND e.level_id = %(breach_level)s)
UNION ALL
SELECT 'level', c.id FROM cases_case c
WHERE c.process_id = %(process)s AND {UNFINISHED_SQL} AND c.opened_at <= %(t)s - %(age)s
  AND NOT EXISTS (SELECT 1 FROM cases_caseescalation e
                  WHERE e.case_id = c.id AND e.level_id = %(age_level)s)
"""


def _raw_sweep(world: dict[str, Any], at: dt.datetime) -> tuple[float, dict[str, int]]:
    """Median of 5 runs of the set-based selection, and what it selected."""
    from django.db import connection

    breach, age = world["breach_level"], world["age_level"]
    params = {
        "t": at,
        "process": world["process"].pk,
        "breach_clock": breach.clock_code,
        "breach_level": breach.pk,
        "age_level": age.pk,
        "age": dt.timedelta(hours=age.age_hours),
    }
    durations = []
    selected: dict[str, int] = {}
    for _ in range(5):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(RAW_SWEEP, params)
            rows = cursor.fetchall()
        durations.append(time.perf_counter() - started)
        selected = {"warn": 0, "breach": 0, "level": 0}
        for kind, _ in rows:
            selected[kind] += 1
    return statistics.median(durations), selected


def _pd_sweep(at: dt.datetime) -> tuple[float, dict[str, int]]:
    from django.db import connection

    from policydesk.cases import clocks, escalation

    statements = 0

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        started = time.perf_counter()
        counts = clocks.sweep(at)  # what jobs.clock_sweep runs, in its order
        escalated = escalation.escalation_sweep(at)
        elapsed = time.perf_counter() - started
    done = {
        "warn": counts["warned"],
        "breach": counts["breached"],
        "level": escalated["escalated"],
        "checked": escalated["checked"],
        "queries": statements,
    }
    return elapsed, done


def _measure_sweep(
    name: str, size: int, world: dict[str, Any], t0: dt.datetime, db: str
) -> list[Result]:
    _use(name)
    results = []
    runs: list[tuple[str, dt.datetime]] = [
        (f"sweep, {window * 5} min after the load", t0 + window * SWEEP_INTERVAL)
        for window in range(1, SWEEP_WINDOWS + 1)
    ]
    runs.append(("sweep again at the same moment (nothing to do)", runs[-1][1]))
    for label, at in runs:
        raw_s, selected = _raw_sweep(world, at)
        pd_s, done = _pd_sweep(at)
        same = all(done[kind] == selected[kind] for kind in ("warn", "breach", "level"))
        print(
            f"[case_queue/{db}] {size:>9,} {label}: {pd_s * 1e3:.1f} ms vs raw "
            f"{raw_s * 1e3:.1f} ms; warned {done['warn']}, breached {done['breach']}, "
            f"levels {done['level']} in {done['checked']} cases, {done['queries']} queries; "
            f"raw selected {selected}{'' if same else ' (DIFFERENT)'}",
            flush=True,
        )
        results.append(
            Result(
                benchmark="case_sweep",
                operation=label,
                database=db,
                n=size,
                policydesk_s=pd_s,
                raw_s=raw_s,
                baseline="one set-based SELECT of the same selection (median of 5)",
                queries_policydesk=done["queries"],
                queries_raw=1,
                notes={
                    "warned": done["warn"],
                    "breached": done["breach"],
                    "levels": done["level"],
                    "checked": done["checked"],
                    "selected": selected,
                    "same_selection": same,
                    "load_1min": round(os.getloadavg()[0], 1),
                },
            )
        )
    return results


def run(db: str, scale: float) -> list[Result]:
    if db != "postgres":
        print("[case_queue] PostgreSQL only; skipped on", db)
        return []
    from django.utils import timezone

    total = scaled(DEFAULT_CASES, scale, minimum=SMALL * 2)
    t0 = timezone.now().replace(microsecond=0)
    recreate_postgres_db(SMALL_DB)
    try:
        small = _load(SMALL_DB, SMALL, t0, fresh=True)
        large = _load(PG_BENCH_DB, total, t0, fresh=False)
        sizes = [(SMALL_DB, SMALL, small), (PG_BENCH_DB, total, large)]
        results = _measure_queues(sizes, db)
        for name, size, world in sizes:
            results += _measure_sweep(name, size, world, t0, db)
    finally:
        _use(PG_BENCH_DB)
        drop_postgres_db(SMALL_DB)
    return results


if __name__ == "__main__":
    child_main("case_queue", run)

"""Work queues at scale: `cases.selectors.case_queue` and the queue API against raw SQL.

    python -m bench.case_queue --db postgres [--scale S] [--json-out FILE]

PostgreSQL only (the issue's target; SQLite answers the same queries but is not the
production database). The population is written by set-based SQL (generate_series), not
through the services, so 3,000,000 cases and 15,000,000 timeline events load in minutes:

- 1 company, a city branch with 20 county branches, 10 staff per county (a team each);
- N cases (default 3,000,000): 92 % finished (resolved or closed, the years of history a
  live system accumulates), 8 % unfinished (open, waiting, a few breached), round-robin over
  the counties, a third of the unfinished ones assigned; 5 timeline events per case;
  two clocks per unfinished case;
- a small population of 10,000 cases built the same way first, so the same operations are
  measured at 10,000 and at N cases (the database grows between the two measurements).

Operations (each p95 over 200 runs, the user's cached permission lookups dropped first, as a
new request would): the queue page's selector (`case_queue` for the views a teller and a head
of service open: a teller's own branch "open" and "mine", the head's company-wide "open" and
"breached"), materialised with what the queue template reads, plus its bounded count; and the
API list (`GET /api/v1/cases?view=open` through the whole Django stack: middleware, session
authentication, permission lookups, serialisation). Raw baseline: the same page as one bare
`SELECT … ORDER BY id LIMIT 51` plus the bounded `COUNT(*)`, rows fetched as tuples.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import Result, analyze, child_main, scaled

DEFAULT_CASES = 3_000_000
SMALL = 10_000
COUNTIES = 20
STAFF_PER_COUNTY = 10
EVENTS_PER_CASE = 5
RUNS = 200
CACHE_ATTRIBUTES = ("_pd_scope", "_pd_branch_ids", "_pd_actions")


def _setup_world() -> dict[str, Any]:
    from django.db import transaction

    from policydesk.cases.models import Process, ProcessState
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
    process = Process.objects.get(code="enquiry")
    states = {s.code: s for s in ProcessState.objects.filter(version=process.current_version)}
    return {
        "counties": counties,
        "staff": staff,
        "teller": staff[0],
        "head": head,
        "process": process,
        "states": states,
    }


def _populate(world: dict[str, Any], start: int, count: int) -> None:
    """Cases start+1 … start+count, their events and clocks, in set-based SQL."""
    from django.db import connection

    process = world["process"]
    states = world["states"]
    counties = [c.pk for c in world["counties"]]
    staff = [s.pk for s in world["staff"]]
    teams = [s.team_id for s in world["staff"]]
    params = {
        "first": start + 1,
        "last": start + count,
        "process": process.pk,
        "version": process.current_version_id,
        "policy": process.sla_policy_id,
        "counties": counties,
        "staff": staff,
        "teams": teams,
        "s_open": states["open"].pk,
        "s_escalated": states["escalated"].pk,
        "s_waiting": states["waiting-customer"].pk,
        "s_answered": states["answered"].pk,
        "s_closed": states["closed"].pk,
    }
    # g % 100: 0-3 open, 4-5 escalated, 6-7 waiting, 8-20 answered, the rest closed.
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
                '咨询 ' || g, '', 2, '', '[]'::jsonb, '', '', %(policy)s,
                CASE WHEN g %% 100 = 1 THEN 1 ELSE 0 END,
                now() - ((%(last)s - g) * interval '10 seconds'),
                NULL, NULL, NULL, now(),
                CASE WHEN g %% 100 < 8 THEN now() + ((g %% 97) * interval '1 hour') END,
                CASE WHEN g %% 100 < 8 THEN now() + ((g %% 97 - 5) * interval '1 hour') END,
                g %% 100 IN (2, 5), NULL, NULL, NULL, NULL, NULL
            FROM generate_series(%(first)s, %(last)s) AS g
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO cases_caseevent (case_id, type, at, actor_id, visibility, body, parameters)
            SELECT %(first)s + (e / {EVENTS_PER_CASE}),
                (ARRAY['opened','clock_started','assigned','commented','transitioned'])
                    [1 + e %% {EVENTS_PER_CASE}],
                now(), NULL, 'internal', '', '{{}}'::jsonb
            FROM generate_series(0, (%(last)s - %(first)s + 1) * {EVENTS_PER_CASE} - 1) AS e
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO cases_caseclock (case_id, target_id, code, name, mode, stops_on,
                pause_categories, is_regulatory, state, due_at, warn_at, is_running,
                stopped_at, met, warned_at, breached_at)
            SELECT c.id, t.id, t.code, t.name, t.mode, t.stops_on, t.pause_categories, false,
                '{"events": []}'::jsonb, c.next_due_at, c.next_warn_at, true, NULL, NULL,
                NULL, NULL
            FROM cases_case c CROSS JOIN cases_slatarget t
            WHERE c.id BETWEEN %(first)s AND %(last)s AND t.policy_id = %(policy)s
              AND c.category NOT IN ('resolved', 'closed')
            """,
            params,
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [start + count]
        )
    analyze()


def _fresh(user: Any) -> None:
    for name in CACHE_ATTRIBUTES:
        if hasattr(user, name):
            delattr(user, name)


def _p95(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.quantiles(times, n=20)[-1]


def _pd_queue(user: Any, view: str) -> Callable[[], int]:
    from policydesk.cases.selectors import case_queue

    def run() -> int:
        _fresh(user)
        queue = case_queue(user, view)
        for case in queue.page.items:  # what cases/queue.html reads of each row
            _ = (
                case.number,
                case.subject,
                case.customer.name if case.customer else "",
                case.process.name,
                case.state.name,
                case.get_priority_display(),
                str(case.assignee) if case.assignee else "",
                case.is_breached,
                case.next_due_at,
            )
        return queue.count.value

    return run


def _raw_queue(where: str, params: list[Any]) -> Callable[[], int]:
    from django.db import connection

    from policydesk.cases.models import Case

    columns = ", ".join(f'c."{f.column}"' for f in Case._meta.concrete_fields)
    page = (
        f"SELECT {columns}, p.name, s.name FROM cases_case c "
        "JOIN cases_process p ON p.id = c.process_id JOIN cases_processstate s ON s.id = "
        f"c.state_id LEFT JOIN org_staff a ON a.id = c.assignee_id WHERE {where} "
        "ORDER BY c.id LIMIT 51"
    )
    count = f"SELECT COUNT(*) FROM (SELECT 1 FROM cases_case c WHERE {where} LIMIT 1001) b"

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(page, params)
            cursor.fetchall()
            cursor.execute(count, params)
            return int(cursor.fetchone()[0])

    return run


def _api(user: Any) -> Callable[[], int]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session["pd_login_at"] = time.time()  # the absolute session lifetime starts at log-in
    session.save()

    def run() -> int:
        response = client.get("/api/v1/cases", {"view": "open"})
        if response.status_code != 200:
            raise RuntimeError(f"GET /api/v1/cases answered {response.status_code}")
        return len(response.content)

    return run


UNFINISHED_SQL = "c.category NOT IN ('resolved', 'closed')"


def _measure(world: dict[str, Any], size: int, db: str) -> list[Result]:
    teller, head = world["teller"], world["head"]
    branch = teller.branch_id
    operations: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "teller: own branch, open",
            _pd_queue(teller, "open"),
            _raw_queue(f"c.branch_id = %s AND {UNFINISHED_SQL}", [branch]),
        ),
        (
            "teller: my cases",
            _pd_queue(teller, "mine"),
            _raw_queue(f"c.assignee_id = %s AND {UNFINISHED_SQL}", [teller.pk]),
        ),
        ("head: company, open", _pd_queue(head, "open"), _raw_queue(UNFINISHED_SQL, [])),
        (
            "head: company, breached",
            _pd_queue(head, "breached"),
            _raw_queue(f"c.is_breached AND {UNFINISHED_SQL}", []),
        ),
        (
            "API GET /cases?view=open (teller)",
            _api(teller),
            _raw_queue(f"c.branch_id = %s AND {UNFINISHED_SQL}", [branch]),
        ),
    ]
    results = []
    for name, pd, raw in operations:
        pd_p95, raw_p95 = _p95(pd), _p95(raw)
        print(
            f"[case_queue/{db}] {size:>9} {name}: {pd_p95 * 1e3:.2f} ms vs {raw_p95 * 1e3:.2f} ms",
            flush=True,
        )
        results.append(
            Result(
                benchmark="case_queue",
                operation=name,
                database=db,
                n=size,
                policydesk_s=pd_p95,
                raw_s=raw_p95,
                baseline="SELECT … ORDER BY id LIMIT 51 + bounded COUNT (p95)",
                notes={"statistic": "p95", "runs": RUNS},
            )
        )
    return results


def run(db: str, scale: float) -> list[Result]:
    if db != "postgres":
        print("[case_queue] PostgreSQL only; skipped on", db)
        return []
    total = scaled(DEFAULT_CASES, scale, minimum=SMALL * 2)
    world = _setup_world()
    started = time.perf_counter()
    _populate(world, 0, SMALL)
    results = _measure(world, SMALL, db)
    _populate(world, SMALL, total - SMALL)
    print(
        f"[case_queue/{db}] populated {total} cases, {total * EVENTS_PER_CASE} events in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    results += _measure(world, total, db)
    return results


if __name__ == "__main__":
    child_main("case_queue", run)

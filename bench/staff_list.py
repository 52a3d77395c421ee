"""The scoped staff list: `org.selectors.staff_page` and `bounded_count` against raw SQL.

Population (bulk-created, one precomputed password hash): 1 company, a city branch with 200
county branches under it, 2 teams per county branch, 100,000 staff spread round-robin over
the county branches (1 in 20 disabled), each with 1-2 languages and 0-2 skills.

Each list operation is timed as a page request does it: the acting user's cached
permission lookups are dropped first, so the role-grant / role-scope / branch-tree queries
are in the time, as are the joins (branch, team), the two prefetches (languages, skills)
and building the model instances. The raw baseline is the bare selection through the
cursor: `SELECT <staff columns> FROM org_staff WHERE branch_id IN (...) AND is_active AND
id > %s ORDER BY id LIMIT 51`, rows fetched as tuples.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from bench.harness import Result, analyze, child_main, compare, count_queries, scaled

DEFAULT_STAFF = 100_000
BRANCHES = 200
TEAMS_PER_BRANCH = 2
PAGE_SIZE = 50
WALK_PAGES = 10
REPETITIONS = 9
BATCH = 2_000
CACHE_ATTRIBUTES = ("_pd_scope", "_pd_branch_ids", "_pd_actions")


def _populate(staff_count: int, rng: random.Random) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from policydesk.org.models import (
        Branch,
        BranchKind,
        Company,
        Language,
        Role,
        Skill,
        Staff,
        Team,
        TeamKind,
    )

    with transaction.atomic():
        company = Company.objects.create(code="bench", name="基准保险股份有限公司")
        city = Branch.objects.create(
            company=company, code="city", name="莆田市分公司", kind=BranchKind.CITY
        )
        city.path = f"/{city.pk}/"
        city.save(update_fields=["path"])
        counties = Branch.objects.bulk_create(
            Branch(
                company=company,
                parent=city,
                code=f"county-{i:03d}",
                name=f"第{i + 1}支公司",
                kind=BranchKind.COUNTY,
            )
            for i in range(BRANCHES)
        )
        for branch in counties:
            branch.path = f"{city.path}{branch.pk}/"
        Branch.objects.bulk_update(counties, ["path"])
        teams = Team.objects.bulk_create(
            Team(
                branch=branch,
                code=f"t{t}",
                name=f"{t + 1}号柜台",
                kind=TeamKind.COUNTER if t else TeamKind.TEAM,
            )
            for branch in counties
            for t in range(TEAMS_PER_BRANCH)
        )
        languages = Language.objects.bulk_create(
            Language(code=code, name=code)
            for code in ("mandarin", "cantonese", "minnan", "puxian", "hakka", "english")
        )
        skills = Skill.objects.bulk_create(
            Skill(code=f"skill-{i}", name=f"技能{i}") for i in range(8)
        )

    password = make_password("bench-password-not-used")  # hashed once, shared by every row
    roles = [r for r in Role.values if r not in {Role.ADMINISTRATOR, Role.AUDITOR}]
    language_through = Staff.languages.through
    skill_through = Staff.skills.through
    for start in range(0, staff_count, BATCH):
        with transaction.atomic():
            batch = Staff.objects.bulk_create(
                Staff(
                    username=f"s{i:06d}",
                    password=password,
                    display_name=f"员工{i:06d}",
                    employee_number=f"E{i:07d}",
                    email=f"s{i:06d}@bench.example.cn",
                    role=roles[i % len(roles)],
                    company=company,
                    branch=counties[i % BRANCHES],
                    team=teams[(i % BRANCHES) * TEAMS_PER_BRANCH + (i // BRANCHES) % 2],
                    is_active=i % 20 != 7,
                )
                for i in range(start, min(start + BATCH, staff_count))
            )
            language_through.objects.bulk_create(
                language_through(staff_id=staff.pk, language_id=language.pk)
                for staff in batch
                for language in rng.sample(languages, rng.randint(1, 2))
            )
            skill_through.objects.bulk_create(
                skill_through(staff_id=staff.pk, skill_id=skill.pk)
                for staff in batch
                for skill in rng.sample(skills, rng.randint(0, 2))
            )
    analyze()
    branch_of_teller = counties[BRANCHES // 2]
    users = {
        # front_teller has no org.staff.view in the default matrix; counter_manager is the
        # branch-level role that may list staff (branch_tree scope: a county has no children).
        "branch": Staff.objects.create(
            username="bench-counter-manager",
            role=Role.COUNTER_MANAGER,
            company=company,
            branch=branch_of_teller,
        ),
        "tree": Staff.objects.create(
            username="bench-city-manager", role=Role.COUNTER_MANAGER, company=company, branch=city
        ),
        "company": Staff.objects.create(
            username="bench-head", role=Role.HEAD_OF_SERVICE, company=company, branch=city
        ),
    }
    ids = list(Staff.objects.order_by("id").values_list("id", flat=True))
    return {
        "users": users,
        "branch_ids": {
            "branch": [branch_of_teller.pk],
            "tree": sorted([city.pk, *(b.pk for b in counties)]),
            "company": None,
        },
        "deep_after": ids[int(len(ids) * 0.95)],
    }


def _fresh_request(user: Any) -> None:
    """Forget the permission lookups cached on the user, as a new request would."""
    for name in CACHE_ATTRIBUTES:
        if hasattr(user, name):
            delattr(user, name)


def _pd_walk(user: Any, *, after: int | None, pages: int) -> Callable[[], int]:
    from policydesk.org.selectors import staff_page

    def walk() -> int:
        cursor, seen = after, 0
        for _ in range(pages):
            _fresh_request(user)
            page = staff_page(user, after=cursor, limit=PAGE_SIZE)
            for staff in page.items:  # what the template reads; no query may be left lazy
                _ = (
                    staff.branch,
                    staff.team,
                    list(staff.languages.all()),
                    list(staff.skills.all()),
                )
            seen += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return seen

    return walk


def _raw_walk(branch_ids: list[int] | None, *, after: int | None, pages: int) -> Callable[[], int]:
    from django.db import connection

    from policydesk.org.models import Staff

    columns = ", ".join(connection.ops.quote_name(f.column) for f in Staff._meta.concrete_fields)
    where = ["is_active"]
    if branch_ids is not None:
        where.insert(0, f"branch_id IN ({', '.join(['%s'] * len(branch_ids))})")
    base = f"SELECT {columns} FROM org_staff WHERE {' AND '.join(where)}"

    def walk() -> int:
        cursor_id, seen = after, 0
        with connection.cursor() as cursor:
            for _ in range(pages):
                params: list[Any] = list(branch_ids or [])
                sql = base
                if cursor_id is not None:
                    sql += " AND id > %s"
                    params.append(cursor_id)
                cursor.execute(f"{sql} ORDER BY id LIMIT {PAGE_SIZE + 1}", params)
                rows = cursor.fetchall()
                has_more = len(rows) > PAGE_SIZE
                rows = rows[:PAGE_SIZE]
                seen += len(rows)
                cursor_id = rows[-1][0] if has_more else None
                if cursor_id is None:
                    break
        return seen

    return walk


def _pd_count(user: Any) -> Callable[[], int]:
    from policydesk.core.pagination import bounded_count
    from policydesk.org.selectors import staff_visible

    # Timed with the permission lookups cached on the user: in a page request the count
    # follows the page, which has loaded them (run()'s first, untimed call does the same).
    def count() -> int:
        return bounded_count(staff_visible(user)).value

    return count


def _raw_count(branch_ids: list[int] | None) -> Callable[[], int]:
    from django.db import connection

    from policydesk.core.pagination import COUNT_BOUND

    params: list[Any] = list(branch_ids or [])
    where = "is_active"
    if branch_ids is not None:
        where = f"branch_id IN ({', '.join(['%s'] * len(branch_ids))}) AND is_active"
    sql = (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM org_staff WHERE {where} "
        f"LIMIT {COUNT_BOUND + 1}) AS bounded"
    )

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (value,) = cursor.fetchone()
        return min(value, COUNT_BOUND)

    return count


def run(db: str, scale: float) -> list[Result]:
    staff_count = scaled(DEFAULT_STAFF, scale, minimum=BRANCHES)
    rng = random.Random(20_260_102)
    print(f"[staff_list/{db}] creating {staff_count} staff ...", flush=True)
    world = _populate(staff_count, rng)
    users, branch_ids = world["users"], world["branch_ids"]
    population = {"staff": staff_count, "branches": BRANCHES + 1, "page_size": PAGE_SIZE}

    cases: list[tuple[str, int, Callable[[], int], Callable[[], int], str]] = [
        (
            f"branch scope, pages 1-{WALK_PAGES}",
            WALK_PAGES,
            _pd_walk(users["branch"], after=None, pages=WALK_PAGES),
            _raw_walk(branch_ids["branch"], after=None, pages=WALK_PAGES),
            "SELECT ... branch_id IN (1 id) ... LIMIT 51, per page",
        ),
        (
            f"branch tree ({BRANCHES + 1} branches), page 1",
            1,
            _pd_walk(users["tree"], after=None, pages=1),
            _raw_walk(branch_ids["tree"], after=None, pages=1),
            f"SELECT ... branch_id IN ({BRANCHES + 1} ids) ... LIMIT 51",
        ),
        (
            "company scope, page 1",
            1,
            _pd_walk(users["company"], after=None, pages=1),
            _raw_walk(None, after=None, pages=1),
            "SELECT ... WHERE is_active ... LIMIT 51",
        ),
        (
            "company scope, deep page (after id at 95%)",
            1,
            _pd_walk(users["company"], after=world["deep_after"], pages=1),
            _raw_walk(None, after=world["deep_after"], pages=1),
            "SELECT ... is_active AND id > %s ... LIMIT 51",
        ),
        (
            "bounded_count, branch scope",
            1,
            _pd_count(users["branch"]),
            _raw_count(branch_ids["branch"]),
            "COUNT(*) FROM (SELECT 1 ... LIMIT 1001)",
        ),
        (
            "bounded_count, company scope",
            1,
            _pd_count(users["company"]),
            _raw_count(None),
            "COUNT(*) FROM (SELECT 1 ... LIMIT 1001)",
        ),
    ]
    results = []
    for operation, n, pd_fn, raw_fn, baseline in cases:
        pd_rows, raw_rows = pd_fn(), raw_fn()
        if pd_rows != raw_rows:
            raise RuntimeError(f"{operation}: PolicyDesk saw {pd_rows} rows, raw SQL {raw_rows}")
        pd_queries, raw_queries = count_queries(pd_fn), count_queries(raw_fn)
        pd_s, raw_s = compare(pd_fn, raw_fn, repetitions=REPETITIONS)
        print(f"[staff_list/{db}] {operation}: {pd_s * 1e3:.2f} ms vs {raw_s * 1e3:.2f} ms")
        results.append(
            Result(
                benchmark="staff_list",
                operation=operation,
                database=db,
                n=min(n, max(1, math.ceil(pd_rows / PAGE_SIZE))),  # pages actually fetched
                policydesk_s=pd_s,
                raw_s=raw_s,
                baseline=baseline,
                queries_policydesk=pd_queries,
                queries_raw=raw_queries,
                notes={**population, "rows": pd_rows, "repetitions": REPETITIONS},
            )
        )
    return results


if __name__ == "__main__":
    child_main("staff_list", run)

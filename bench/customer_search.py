"""Customer search at registry scale: `customers.selectors.customer_search` against raw SQL.

    python -m bench.customer_search --db sqlite|postgres [--customers N] [--scale S]
                                    [--json-out FILE] [--explain]

N defaults to 1,000,000 customers on both databases (times --scale), with two policies and
one mobile each. Population, without the importer (its speed is bench.registry_import's
subject): 1 company, a city branch with 20 county branches, 1 product; customers spread
round-robin over the counties, with Chinese names, their pinyin (`demo.names.latin_name`)
and unique resident ID numbers sealed as the registry stores them (AES-GCM ciphertext,
keyed hash, last four characters: `customers.identity.seal`), so ID lookups work. Rows go
in by PostgreSQL `COPY` / SQLite `executemany`, then `VACUUM (ANALYZE)` on PostgreSQL (the
state autovacuum leaves after a bulk load) and `ANALYZE` on SQLite.

Measured: `customer_search` for a company-scoped user (head of service) and a branch-scoped
one (front teller of one county, queries drawn from that county's customers), the query
kinds in turn: exact full name, 2-character name prefix, Latin-name prefix (surname and the
first letters of the given name, lower case), mobile, resident ID number, policy number,
customer number. Each search counts from the call to the page's rows read as the list
shows them (branch, masked ID, phone, policy count); the user's cached permission lookups
are dropped before each, as a new request would. Raw baseline, timed right after each
search on the same query: the bare indexed lookup of its kind as one statement,
`SELECT c.id ... ORDER BY c.id LIMIT 26`, with the branch condition for the teller.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from typing import Any

from bench.harness import DATABASES, Result, analyze, bench_database, count_queries

DEFAULT_CUSTOMERS = 1_000_000
POLICIES_PER_CUSTOMER = 2
COUNTIES = 20
QUERY_KINDS = (
    "name",
    "name_prefix",
    "latin_prefix",
    "phone",
    "id_number",
    "policy",
    "customer_number",
)
SEARCHES_PER_SCOPE = 100 * len(QUERY_KINDS)
CHECKED_PER_SCOPE = 10 * len(QUERY_KINDS)  # searches compared with the raw ids, untimed
WARMUP = 2 * len(QUERY_KINDS)
PASSES = 2  # the same searches again on the same data: a repeat before trusting a figure
PAGE = 25
BATCH = 20_000
SEED = 20_261_201
CACHE_ATTRIBUTES = ("_pd_scope", "_pd_branch_ids", "_pd_actions")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯鹏飞雪琳晨欣怡"
REGIONS = ("350302", "350303", "350304", "350305", "350322", "110105", "310104", "440305")
BIRTH_DAYS = 365 * 65  # birth dates 1940-2004


def customer_number(i: int) -> str:
    return f"C{i:08d}"


def policy_number(j: int) -> str:
    return f"PL{j:09d}"


def mobile(i: int) -> str:
    return f"139{i:08d}"


def resident_id(i: int) -> str:
    """A valid resident ID, unique per i (region, birth date and sequence from i)."""
    from policydesk.customers.identity import resident_id_check_digit

    birth = dt.date(1940, 1, 1) + dt.timedelta(days=i % BIRTH_DAYS)
    sequence = (i // BIRTH_DAYS) % 1000
    region = REGIONS[(i // (BIRTH_DAYS * 1000)) % len(REGIONS)]
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17)


def latin_prefix(latin: str) -> str:
    """What a teller types for a pinyin name: the surname and two letters, lower case."""
    surname, _, given = latin.partition(" ")
    return f"{surname} {given[:2]}".lower()


# --- Population ---------------------------------------------------------------------------


def _insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load rows: COPY on PostgreSQL, one executemany per batch on SQLite."""
    from django.db import connection, transaction

    names = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows are consistent by construction: skip the per-row foreign-key triggers
            # (most of COPY's time), for this transaction only.
            cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    connection.connection.executemany(sql, batch)
                    batch = []
            connection.connection.executemany(sql, batch)


def _constants(model: Any, given: Sequence[str], overrides: dict[str, Any]) -> dict[str, Any]:
    """Database values of the columns not in `given`: overrides, else the field default."""
    from django.db import connection

    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        if field.column in overrides:
            values[field.column] = overrides[field.column]
        elif field.get_internal_type() == "DateTimeField":
            values[field.column] = connection.ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC))
        else:
            values[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return values


def populate(customers: int) -> dict[str, Any]:
    """Company, branches, users, customers, policies and phones; returns what queries need."""
    from django.db import connection

    from policydesk.customers.identity import seal
    from policydesk.customers.models import ContactPoint, Customer
    from policydesk.demo.names import latin_name
    from policydesk.org.models import Branch, BranchKind, Company, Role, Staff
    from policydesk.policies.models import Policy, Product

    company = Company.objects.create(code="bench", name="基准保险股份有限公司")
    city = Branch.objects.create(
        company=company, code="city", name="莆田市分公司", kind=BranchKind.CITY
    )
    city.path = f"/{city.pk}/"
    city.save(update_fields=["path"])
    counties = []
    for index in range(COUNTIES):
        county = Branch.objects.create(
            company=company,
            parent=city,
            code=f"county-{index:02d}",
            name=f"第{index + 1}支公司",
            kind=BranchKind.COUNTY,
        )
        county.path = f"{city.path}{county.pk}/"
        county.save(update_fields=["path"])
        counties.append(county)
    product = Product.objects.create(
        code="P-LIFE-20",
        name="鑫福终身寿险",
        line="life",
        term="long",
        cooling_off_days={"CN": 15},
        payment_modes=["annual", "monthly", "single"],
    )
    teller_index = COUNTIES // 2
    users = {
        "company": Staff.objects.create(
            username="bench-head", role=Role.HEAD_OF_SERVICE, company=company, branch=city
        ),
        "branch": Staff.objects.create(
            username="bench-teller",
            role=Role.FRONT_TELLER,
            company=company,
            branch=counties[teller_index],
        ),
    }

    rng = random.Random(SEED)
    names: list[str] = []
    latin: list[str] = []
    ids: list[str] = []
    started = time.perf_counter()
    customer_columns = (
        "number",
        "branch_id",
        "name",
        "name_latin",
        "id_number_encrypted",
        "id_number_hash",
        "id_number_last4",
        "birth_date",
        "gender",
    )
    customer_fixed = _constants(
        Customer,
        customer_columns,
        {"kind": "person", "id_type": "resident_id", "vulnerability_flags": "[]"},
    )

    def customer_rows() -> Iterable[tuple[Any, ...]]:
        fixed = tuple(customer_fixed.values())
        for i in range(customers):
            surname = rng.choice(SURNAMES)
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
            number = resident_id(i)
            sealed = seal(number)
            names.append(surname + given)
            latin.append(latin_name(surname, given))
            ids.append(number)
            yield (
                customer_number(i),
                counties[i % COUNTIES].pk,
                names[-1],
                latin[-1],
                sealed.encrypted,
                sealed.hash,
                sealed.last4,
                f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                "MF"[int(number[16]) % 2],
                *fixed,
            )

    table = connection.ops.quote_name
    _insert(table(Customer._meta.db_table), [*customer_columns, *customer_fixed], customer_rows())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id), COUNT(*) FROM {Customer._meta.db_table}")
        first_id, last_id, stored = cursor.fetchone()
    if stored != customers or last_id - first_id + 1 != customers:
        raise RuntimeError(f"customers: {stored} stored, ids {first_id}-{last_id}")
    print(
        f"[customer_search] {customers:,} customers in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    started = time.perf_counter()
    phone_columns = ("customer_id", "raw", "e164")
    phone_fixed = _constants(
        ContactPoint,
        phone_columns,
        {"kind": "phone", "phone_type": "mobile", "is_valid": True, "is_primary": True},
    )
    fixed_phone = tuple(phone_fixed.values())
    _insert(
        table(ContactPoint._meta.db_table),
        [*phone_columns, *phone_fixed],
        ((first_id + i, mobile(i), "+86" + mobile(i), *fixed_phone) for i in range(customers)),
    )
    print(
        f"[customer_search] {customers:,} phones in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    started = time.perf_counter()
    policies = POLICIES_PER_CUSTOMER * customers
    statuses = ("in_force", "in_force", "in_force", "issued", "lapsed", "surrendered")
    policy_columns = ("number", "branch_id", "policyholder_id", "status")
    policy_fixed = _constants(
        Policy,
        policy_columns,
        {
            "product_id": product.pk,
            "channel": "agency",
            "source_system": "bench",
            "application_date": "2020-03-01",
            "issue_date": "2020-03-05",
            "sum_assured": "300000.00",
            "premium": "10000.00",
            "payment_mode": "annual",
            "payment_method": "auto_debit",
            "term_years": 20,
        },
    )
    fixed_policy = tuple(policy_fixed.values())
    _insert(
        table(Policy._meta.db_table),
        [*policy_columns, *policy_fixed],
        (
            (
                policy_number(j),
                counties[(j % customers) % COUNTIES].pk,
                first_id + j % customers,
                statuses[j % len(statuses)],
                *fixed_policy,
            )
            for j in range(policies)
        ),
    )
    print(
        f"[customer_search] {policies:,} policies in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that
        # lets the covering name indexes answer without visiting the table.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    else:
        analyze()
    print(f"[customer_search] VACUUM/ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)
    return {
        "customers": customers,
        "policies": policies,
        "first_id": first_id,
        "names": names,
        "latin": latin,
        "ids": ids,
        "users": users,
        "teller_index": teller_index,
        "teller_branch_id": counties[teller_index].pk,
    }


# --- Searches -----------------------------------------------------------------------------


def _queries(world: dict[str, Any], indexes: range, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query) for SEARCHES_PER_SCOPE searches, the kinds in turn."""
    out = []
    for k in range(SEARCHES_PER_SCOPE):
        kind = QUERY_KINDS[k % len(QUERY_KINDS)]
        i = rng.choice(indexes)
        if kind == "name":
            query = world["names"][i]
        elif kind == "name_prefix":
            query = world["names"][i][:2]
        elif kind == "latin_prefix":
            query = latin_prefix(world["latin"][i])
        elif kind == "phone":
            query = mobile(i)
        elif kind == "id_number":
            query = world["ids"][i]
        elif kind == "policy":
            query = policy_number(i + world["customers"] * rng.randrange(POLICIES_PER_CUSTOMER))
        else:
            query = customer_number(i)
        out.append((kind, query))
    return out


def raw_search(visible: list[int] | None) -> Callable[[str, str], list[int]]:
    """The indexed lookup of each kind as one bare statement (ids of the first page)."""
    from django.db import connection

    from policydesk.core.crypto import normalise_identifier, search_hash

    scope = name_scope = ""
    if visible is not None:
        scope = f" AND c.branch_id IN ({', '.join(['%s'] * len(visible))})"
        # As the search does: keep the planner on the name index, not the branch's rows.
        name_scope = scope.replace("c.branch_id", "c.branch_id + 0")
    limit = f" ORDER BY c.id LIMIT {PAGE + 1}"
    customer = "SELECT c.id FROM customers_customer c WHERE "
    statements = {
        "name": customer + "c.name >= %s AND c.name < %s",
        "latin": customer + "lower(c.name_latin) >= %s AND lower(c.name_latin) < %s",
        "number": customer + "c.number = %s",
        "hash": customer + "c.id_number_hash = %s",
        "phone": "SELECT c.id FROM customers_contactpoint p JOIN customers_customer c "
        "ON c.id = p.customer_id WHERE p.kind = 'phone' AND p.e164 = %s",
        "policy": "SELECT c.id FROM policies_policy p JOIN customers_customer c "
        "ON c.id = p.policyholder_id WHERE p.number = %s",
    }

    def search(kind: str, query: str) -> list[int]:
        if kind in ("name", "name_prefix"):
            sql, params = statements["name"], [query, query + "\U0010ffff"]
        elif kind == "latin_prefix":
            sql, params = statements["latin"], [query, query + "\U0010ffff"]
        elif kind == "phone":
            sql, params = statements["phone"], ["+86" + query]
        elif kind == "id_number":
            sql, params = statements["hash"], [search_hash(normalise_identifier(query))]
        elif kind == "policy":
            sql, params = statements["policy"], [query]
        else:
            sql, params = statements["number"], [query]
        where = name_scope if kind in ("name", "name_prefix", "latin_prefix") else scope
        with connection.cursor() as cursor:
            cursor.execute(sql + where + limit, [*params, *(visible or [])])
            return [row[0] for row in cursor.fetchall()][:PAGE]

    return search


def _fresh_request(user: Any) -> None:
    """Forget the permission lookups cached on the user, as a new request would."""
    for name in CACHE_ATTRIBUTES:
        if hasattr(user, name):
            delattr(user, name)


def _pd_search(user: Any) -> Callable[[str], list[int]]:
    from policydesk.customers.selectors import customer_search

    def search(query: str) -> list[int]:
        _fresh_request(user)
        page = customer_search(user, query, limit=PAGE)
        for row in page.items:  # what the result list shows; nothing may be left lazy
            _ = (row.customer.branch.name, row.masked_id, row.phone, row.policies)
        return [row.customer.pk for row in page.items]

    return search


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _explain(user: Any, queries: list[tuple[str, str]]) -> None:
    """Print the database's plan of the search statement, one query of each kind."""
    from django.db import connection

    from policydesk.customers.selectors import search_statement

    analyse = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    seen: set[str] = set()
    for kind, query in queries:
        if kind in seen:
            continue
        seen.add(kind)
        _fresh_request(user)
        statement = search_statement(user, query, after=None, limit=PAGE)
        print(f"--- {kind}: {query!r}")
        if statement is None:
            print("(no statement)")
            continue
        with connection.cursor() as cursor:
            cursor.execute(analyse + statement[0], statement[1])
            for row in cursor.fetchall():
                print("   ", row[-1])


def measure(world: dict[str, Any], db: str, *, explain: bool = False) -> list[Result]:
    rng = random.Random(SEED + 1)
    results: list[Result] = []
    teller_index = world["teller_index"]
    scopes = (
        ("company", world["users"]["company"], range(world["customers"]), None),
        (
            "branch",
            world["users"]["branch"],
            range(teller_index, world["customers"], COUNTIES),
            [world["teller_branch_id"]],
        ),
    )
    for scope, user, indexes, visible in scopes:
        queries = _queries(world, indexes, rng)
        if explain:
            _explain(user, queries)
        pd, raw = _pd_search(user), raw_search(visible)
        mismatches: dict[str, int] = {}
        for kind, query in queries[:CHECKED_PER_SCOPE]:  # same rows as the bare lookup?
            if pd(query) != raw(kind, query):
                mismatches[kind] = mismatches.get(kind, 0) + 1
        if mismatches:
            print(f"[customer_search/{db}] {scope}: not the raw lookup's rows: {mismatches}")
        statements = {
            kind: count_queries(functools.partial(pd, query))
            for kind, query in dict(reversed(queries[: len(QUERY_KINDS)])).items()
        }
        for kind, query in queries[:WARMUP]:
            pd(query)
            raw(kind, query)
        times: dict[str, dict[str, list[float]]] = {k: {"pd": [], "raw": []} for k in QUERY_KINDS}
        found = dict.fromkeys(QUERY_KINDS, 0)
        load_before = os.getloadavg()[0]
        for kind, query in queries:
            start = time.perf_counter()
            ids = pd(query)
            middle = time.perf_counter()
            raw(kind, query)
            end = time.perf_counter()
            found[kind] += bool(ids)
            times[kind]["pd"].append(middle - start)
            times[kind]["raw"].append(end - middle)
        load_after = os.getloadavg()[0]
        if sum(found.values()) < len(queries) / 2:
            raise RuntimeError(f"{scope}: only {found} searches found anything")
        every = {
            "pd": [t for slot in times.values() for t in slot["pd"]],
            "raw": [t for slot in times.values() for t in slot["raw"]],
        }
        for kind, slot in [*times.items(), ("all", every)]:
            pd_p95 = percentile(slot["pd"], 95)
            print(
                f"[customer_search/{db}] {scope} {kind}: p95 {pd_p95 * 1e3:.1f} ms, "
                f"raw p95 {percentile(slot['raw'], 95) * 1e3:.2f} ms",
                flush=True,
            )
            results.append(
                Result(
                    benchmark="customer_search",
                    operation=f"{scope} scope, {kind.replace('_', ' ')} (p95)",
                    database=db,
                    n=len(slot["pd"]),
                    policydesk_s=pd_p95,
                    raw_s=percentile(slot["raw"], 95),
                    baseline="indexed lookup, 1 SELECT (p95)",
                    queries_policydesk=statements.get(kind, max(statements.values())),
                    queries_raw=1,
                    notes={
                        "scope": scope,
                        "kind": kind,
                        "customers": world["customers"],
                        "policies": world["policies"],
                        **{f"pd_p{p}": percentile(slot["pd"], p) for p in (50, 95, 99)},
                        **{f"raw_p{p}": percentile(slot["raw"], p) for p in (50, 95, 99)},
                        "pd_mean": statistics.fmean(slot["pd"]),
                        "load_1min": [round(load_before, 2), round(load_after, 2)],
                        "found": found.get(kind, sum(found.values())),
                        "not_as_raw": mismatches.get(kind, sum(mismatches.values())),
                        "checked": CHECKED_PER_SCOPE // (1 if kind == "all" else len(QUERY_KINDS)),
                    },
                )
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.customer_search")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--customers", type=int, help="default 1,000,000 (times --scale)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the default size")
    parser.add_argument("--explain", action="store_true", help="print each kind's query plan")
    parser.add_argument(
        "--passes", type=int, default=PASSES, help="measure the same searches this many times"
    )
    parser.add_argument("--json-out", type=str)
    args = parser.parse_args()
    customers = args.customers or max(1_000, round(DEFAULT_CUSTOMERS * args.scale))
    with bench_database(args.db):
        world = populate(customers)
        passes = [
            measure(world, args.db, explain=args.explain and n == 0)
            for n in range(max(1, args.passes))
        ]
    # The last pass is reported; every pass's p95 goes with it, to show how far they agree.
    results = passes[-1]
    for index, result in enumerate(results):
        result.notes["p95_by_pass"] = [run[index].policydesk_s for run in passes]
        result.notes["load_by_pass"] = [run[index].notes["load_1min"] for run in passes]
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump([asdict(result) for result in results], handle, indent=2)
    for result in results:
        print(
            f"{result.benchmark} | {result.operation} | {result.database} | n={result.n} | "
            f"{result.policydesk_s * 1e3:.2f} ms vs {result.raw_s * 1e3:.2f} ms | "
            f"x{result.ratio:.1f} | {result.queries_policydesk} queries"
        )


if __name__ == "__main__":
    main()

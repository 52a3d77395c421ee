"""Account monitoring at book scale: the monitoring run over N policies against the same
selections written as plain set-based SQL.

    python -m bench.monitoring_run --db postgres [--scale S] [--json-out FILE]

PostgreSQL only (the population is PostgreSQL SQL). N defaults to 2,000,000 policies
(1,000,000 customers, two policies each; times --scale). The book is generated in the database with
generate_series (no Python loop per row), in proportions close to the seed report: 70 %
auto-debit; 2 % in grace, 3 % lapsed, 1 % reinstated, 3 % surrendered; every policy a paid
premium and a next one (unpaid when the policy is in grace); auto-debit attempts on the
recent premiums (failures by reason on the unpaid ones); bank mandates with 3 % missing,
2 % revoked and 5 % dormant accounts; survival benefits on 10 % of the book (10 % of the
past ones bounced); a lapse-risk score per policy; 17 % of the customers in segments with
periodic reviews; 10 % short-term products; 25 % monthly premiums.

Measured, on the same database:
- the monitoring run (`monitoring.services.monitoring_run_now`: the clearances — one
  UPDATE per rule and clearance closing the open items whose condition has cleared — then
  every rule's INSERT ... SELECT ... ON CONFLICT DO NOTHING into the indexed work-item
  table, the lapse-notice deadlines by the holiday calendar, owners round-robin), first on
  the empty worklist (everything inserted, nothing to clear) and then again after 10 % of
  the premiums the reminders are about were paid (nothing new; those reminders close);
- the raw baseline: the same selections as hand-written set-based SQL, each materialised
  with CREATE TEMP TABLE ... AS SELECT (the rows and columns the run inserts, with the
  risk-score join for the priority), in one transaction; for the second run also the
  clearances' selections (the open items each clearance closes, its condition taken from
  monitoring/clearing.py as a SELECT) on the state the second run starts from.
The row counts of each rule are compared (they must match) and reported in notes, and so
are the items each clearance closes against the baseline's.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from bench.harness import Result, analyze, child_main, scaled

DEFAULT_POLICIES = 2_000_000
COUNTIES = 20
AS_OF = dt.date(2026, 11, 16)


def _columns(model: Any, exprs: dict[str, str]) -> tuple[list[str], list[str], list[Any]]:
    """Every concrete column: its SQL expression from `exprs`, else a constant parameter."""
    from django.db import connection

    columns, values, params = [], [], []
    now = dt.datetime.now(dt.UTC)
    for field in model._meta.concrete_fields:
        if field.column in exprs:
            columns.append(field.column)
            values.append(exprs[field.column].replace("%", "%%"))  # beside the %s parameters
            continue
        if field.primary_key:
            continue
        columns.append(field.column)
        values.append("%s")
        if field.get_internal_type() == "DateTimeField":
            params.append(now)
        else:
            params.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values, params


def insert_select(model: Any, exprs: dict[str, str], source: str, params: list[Any]) -> None:
    from django.db import connection, transaction

    columns, values, constants = _columns(model, exprs)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source.replace('%', '%%')}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Consistent by construction: skip the per-row foreign-key triggers while loading.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, [*constants, *params])


def _date(offset_sql: str) -> str:
    """AS_OF plus an integer SQL expression of days."""
    return f"(DATE '{AS_OF.isoformat()}' + ({offset_sql}))"


def _series(n: int) -> str:
    return f"generate_series(1, {int(n)}) AS g(i)"


def populate(policies: int) -> dict[str, Any]:
    from policydesk.customers.models import Customer
    from policydesk.monitoring.models import LapseModel, PolicyRiskScore
    from policydesk.org.models import Branch, BranchKind, Company, Role, Staff
    from policydesk.policies.models import (
        BankMandate,
        CollectionAttempt,
        Disbursement,
        Policy,
        PolicyStatusChange,
        PremiumDue,
        Product,
    )

    company = Company.objects.create(code="bench", name="基准保险股份有限公司")
    city = Branch.objects.create(
        company=company, code="city", name="莆田市分公司", kind=BranchKind.CITY
    )
    counties = [
        Branch.objects.create(
            company=company,
            parent=city,
            code=f"county-{i:02d}",
            name=f"第{i + 1}支公司",
            kind=BranchKind.COUNTY,
        )
        for i in range(COUNTIES)
    ]
    for county in counties:
        for k in range(2):
            Staff.objects.create(
                username=f"rm-{county.code}-{k}",
                role=Role.RELATIONSHIP_MANAGER,
                company=company,
                branch=county,
            )
    life = Product.objects.create(
        code="P-LIFE-20",
        name="鑫福终身寿险",
        line="life",
        term="long",
        cooling_off_days={"CN": 15},
        payment_modes=["annual", "monthly", "single", "quarterly"],
    )
    accident = Product.objects.create(
        code="P-ACC-1",
        name="意外伤害保险",
        line="accident",
        term="short",
        cooling_off_days={"CN": 15},
        payment_modes=["annual"],
    )
    branch_array = "ARRAY[" + ",".join(str(c.pk) for c in counties) + "]"
    customers = policies // 2
    started = time.perf_counter()
    # Customers: segments mass 70 %, affluent 10 %, hnw 2 %, senior 5 %, rural 13 %.
    segment = (
        "CASE WHEN i % 100 < 10 THEN 'affluent' WHEN i % 100 < 12 THEN 'hnw' "
        "WHEN i % 100 < 17 THEN 'senior' WHEN i % 100 < 30 THEN 'rural' ELSE 'mass' END"
    )
    insert_select(
        Customer,
        {
            "id": "i",
            "number": "'C' || lpad(i::text, 9, '0')",
            "kind": "'person'",
            "branch_id": f"({branch_array})[1 + i % {COUNTIES}]",
            "name": "'客户' || i::text",
            "id_type": "'resident_id'",
            "id_number_hash": "md5(i::text)",
            "id_number_last4": "lpad((i % 10000)::text, 4, '0')",
            "birth_date": "DATE '1950-01-01' + (i % 18000)",
            "segment": segment,
        },
        _series(customers),
        [],
    )
    # Policies: status by i % 100; payment mode by i % 20; method by i % 10.
    status = (
        "CASE WHEN i % 100 < 2 THEN 'in_grace' WHEN i % 100 < 5 THEN 'lapsed' "
        "WHEN i % 100 < 6 THEN 'reinstated' WHEN i % 100 < 9 THEN 'surrendered' "
        "ELSE 'in_force' END"
    )
    mode = (
        "CASE WHEN i % 20 < 12 THEN 'annual' WHEN i % 20 < 17 THEN 'monthly' "
        "WHEN i % 20 < 19 THEN 'single' ELSE 'quarterly' END"
    )
    method = (
        "CASE WHEN i % 10 < 7 THEN 'auto_debit' WHEN i % 10 < 9 THEN 'cash' "
        "ELSE 'bank_transfer' END"
    )
    short = "(i % 10 = 3)"
    insert_select(
        Policy,
        {
            "id": "i",
            "number": "'PL' || lpad(i::text, 10, '0')",
            "product_id": f"CASE WHEN {short} THEN {accident.pk} ELSE {life.pk} END",
            "branch_id": f"({branch_array})[1 + ((i + 1) / 2) % {COUNTIES}]",
            "policyholder_id": "(i + 1) / 2",
            "channel": "'agency'",
            "status": status,
            "application_date": f"DATE '{AS_OF}' - (30 + i % 3650)",
            "issue_date": (
                f"CASE WHEN {short} THEN DATE '{AS_OF}' - (i % 365) "
                f"ELSE DATE '{AS_OF}' - (20 + i % 3650) END"
            ),
            "term_years": f"CASE WHEN {short} THEN 1 ELSE 20 END",
            "sum_assured": "100000",
            "premium": "CASE WHEN i % 20 BETWEEN 12 AND 16 THEN 300 ELSE 3600 END",
            "payment_mode": mode,
            "payment_method": method,
            "next_due_date": _date("i * 37 % 365 - 60"),
        },
        _series(policies),
        [],
    )
    # Premiums: last year's (paid) and the next one: due from 60 days ago to 305 ahead,
    # unpaid when due in the future or the policy is in grace.
    insert_select(
        PremiumDue,
        {
            "policy_id": "i",
            "due_date": _date("i * 37 % 365 - 425"),
            "amount": "3600",
            "status": "'paid'",
            "paid_on": _date("i * 37 % 365 - 425"),
        },
        _series(policies),
        [],
    )
    next_status = (
        "CASE WHEN i * 37 % 365 - 60 >= 0 THEN 'due' WHEN i % 100 < 2 THEN 'overdue' "
        "ELSE 'paid' END"
    )
    insert_select(
        PremiumDue,
        {
            "id": f"{policies} + i",
            "policy_id": "i",
            "due_date": _date("i * 37 % 365 - 60"),
            "amount": "3600",
            "status": next_status,
            "paid_on": (
                "CASE WHEN i * 37 % 365 - 60 < 0 AND i % 100 >= 2 "
                f"THEN {_date('i * 37 % 365 - 60')} END"
            ),
        },
        _series(policies),
        [],
    )
    # Auto-debit attempts on the next premium once due: failures by reason if unpaid.
    result = (
        "CASE WHEN i % 100 >= 2 THEN 'success' WHEN i % 7 < 3 THEN 'insufficient_funds' "
        "WHEN i % 7 < 5 THEN 'account_changed' WHEN i % 7 < 6 THEN 'account_closed' "
        "ELSE 'other' END"
    )
    insert_select(
        CollectionAttempt,
        {
            "premium_id": f"{policies} + i",
            "attempted_on": _date("i * 37 % 365 - 60"),
            "method": "'auto_debit'",
            "amount": "3600",
            "result": result,
        },
        f"{_series(policies)} WHERE i % 10 < 7 AND i * 37 % 365 - 60 < 0",
        [],
    )
    mandate_status = (
        "CASE WHEN i % 100 BETWEEN 40 AND 42 THEN 'missing' "
        "WHEN i % 100 BETWEEN 43 AND 44 THEN 'revoked' ELSE 'active' END"
    )
    insert_select(
        BankMandate,
        {
            "policy_id": "i",
            "bank_name": "'农村信用社'",
            "account_encrypted": "'\\x00'::bytea",
            "account_last4": "lpad((i % 10000)::text, 4, '0')",
            "status": mandate_status,
            "is_dormant": "(i % 20 = 7)",
        },
        f"{_series(policies)} WHERE i % 10 <> 7 AND i % 10 <> 8",
        [],
    )
    payout_status = (
        "CASE WHEN i % 400 >= 200 THEN 'scheduled' WHEN i % 10 = 4 THEN 'failed' ELSE 'paid' END"
    )
    insert_select(
        Disbursement,
        {
            "policy_id": "i",
            "kind": "'survival_benefit'",
            "due_date": _date("i % 400 - 200"),
            "amount": "2000",
            "method": "CASE WHEN i % 3 = 0 THEN 'cash' ELSE 'bank_transfer' END",
            "status": payout_status,
        },
        f"{_series(policies)} WHERE i % 10 = 4",
        [],
    )
    for to_status, offset, condition in (
        ("in_grace", "i % 900 + 60", "i % 100 BETWEEN 2 AND 5"),
        ("lapsed", "i % 900", "i % 100 BETWEEN 2 AND 5"),
        ("reinstated", "i % 900 - 30", "i % 100 = 5"),
        ("surrendered", "i % 900", "i % 100 BETWEEN 6 AND 8"),
    ):
        insert_select(
            PolicyStatusChange,
            {
                "policy_id": "i",
                "from_status": "''",
                "to_status": f"'{to_status}'",
                "changed_on": _date(f"-({offset})"),
                "reason": "''",
            },
            f"{_series(policies)} WHERE {condition}",
            [],
        )
    model = LapseModel.objects.create(as_of=AS_OF, is_current=True)
    insert_select(
        PolicyRiskScore,
        {
            "policy_id": "i",
            "model_id": str(model.pk),
            "score": "(i::bigint * 7919 % 1000) / 1000.0",
        },
        _series(policies),
        [],
    )
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("customers_customer", "policies_policy", "policies_premiumdue"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    return {"customers": customers, "populate_s": round(time.perf_counter() - started, 1)}


# The same selections in plain PostgreSQL, written apart from monitoring/rules.py.
RAW = {
    "premium_due": """
        SELECT p.id, d.due_date AS period, p.policyholder_id, p.branch_id,
               round(3 * (1 + coalesce(s.score, 0.5)) * 10) AS priority, d.amount
        FROM policies_premiumdue d JOIN policies_policy p ON p.id = d.policy_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE d.status = 'due' AND NOT d.is_first_premium
          AND d.due_date BETWEEN DATE :as_of AND DATE :as_of + 15
          AND p.status IN ('in_force', 'in_grace', 'reinstated')""",
    "debit_failure": """
        SELECT p.id, d.due_date AS period, a.result, p.policyholder_id, p.branch_id,
               round(7 * (1 + coalesce(s.score, 0.5)) * 10) AS priority, d.amount
        FROM (SELECT DISTINCT ON (premium_id) * FROM policies_collectionattempt
              WHERE attempted_on <= DATE :as_of
              ORDER BY premium_id, attempted_on DESC, id DESC) a
        JOIN policies_premiumdue d ON d.id = a.premium_id
        JOIN policies_policy p ON p.id = d.policy_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE a.method = 'auto_debit' AND a.result <> 'success' AND a.result <> 'mandate_missing'
          AND a.attempted_on >= DATE :as_of - 60 AND d.status IN ('due', 'overdue')
          AND p.status IN ('in_force', 'in_grace', 'reinstated')""",
    "mandate_drive": """
        SELECT p.id, coalesce(m.status, 'none') AS reason, p.policyholder_id, p.branch_id,
               round(5 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM policies_policy p LEFT JOIN policies_bankmandate m ON m.policy_id = p.id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE p.payment_method = 'auto_debit' AND p.payment_mode <> 'single'
          AND p.status IN ('in_force', 'in_grace', 'reinstated')
          AND (m.id IS NULL OR m.status IN ('missing', 'revoked', 'failed'))""",
    "grace": """
        SELECT p.id, d.due_date AS period, d.due_date + 60 AS deadline, p.policyholder_id,
               p.branch_id, round(9 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM policies_premiumdue d JOIN policies_policy p ON p.id = d.policy_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE d.status IN ('due', 'overdue') AND d.due_date < DATE :as_of
          AND d.due_date >= DATE :as_of - 60 AND p.payment_mode <> 'single'
          AND p.status IN ('in_force', 'in_grace', 'reinstated')""",
    "lapses": """
        SELECT p.id, c.changed_on AS period, p.policyholder_id, p.branch_id,
               c.changed_on >= DATE :as_of - 20 AS needs_notice,
               round(10 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM (SELECT DISTINCT ON (policy_id) policy_id, changed_on
              FROM policies_policystatuschange WHERE to_status = 'lapsed'
              ORDER BY policy_id, changed_on DESC) c
        JOIN policies_policy p ON p.id = c.policy_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE p.status = 'lapsed' AND c.changed_on <= DATE :as_of
          AND c.changed_on >= DATE :as_of - INTERVAL '2 years'""",
    "survival_benefit": """
        SELECT p.id, o.due_date AS period, o.amount, p.policyholder_id, p.branch_id,
               CASE WHEN o.status IN ('failed', 'returned') THEN 'transfer_failed'
                    WHEN m.id IS NULL THEN 'no_account' WHEN m.is_dormant THEN 'dormant_account'
                    WHEN m.status IN ('revoked', 'failed') THEN 'outdated_account'
                    WHEN o.method = 'cash' THEN 'cash_chosen' ELSE 'transfer_ready' END
                    AS reason,
               round(6 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM policies_disbursement o JOIN policies_policy p ON p.id = o.policy_id
        LEFT JOIN policies_bankmandate m ON m.policy_id = p.id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE o.kind = 'survival_benefit'
          AND ((o.status = 'scheduled' AND o.due_date BETWEEN DATE :as_of AND DATE :as_of + 30)
               OR (o.status IN ('failed', 'returned') AND o.due_date >= DATE :as_of - 365))""",
    "short_term_renewal": """
        SELECT p.id, (p.issue_date + make_interval(years => p.term_years))::date AS period,
               p.policyholder_id, p.branch_id,
               round(6 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM policies_policy p JOIN policies_product pr ON pr.id = p.product_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE pr.term = 'short' AND p.status IN ('in_force', 'in_grace', 'reinstated')
          AND (p.issue_date + make_interval(years => p.term_years))::date
              BETWEEN DATE :as_of AND DATE :as_of + 30""",
    "annual_conversion": """
        SELECT p.id, p.policyholder_id, p.branch_id, p.premium * 12 AS amount,
               round(2 * (1 + coalesce(s.score, 0.5)) * 10) AS priority
        FROM policies_policy p JOIN policies_product pr ON pr.id = p.product_id
        LEFT JOIN monitoring_policyriskscore s ON s.policy_id = p.id
        WHERE p.payment_mode = 'monthly' AND p.status IN ('in_force', 'reinstated')
          AND p.issue_date <= DATE :as_of - 365 AND pr.payment_modes ? 'annual'""",
    "account_review": """
        SELECT c.id, c.branch_id, c.segment FROM customers_customer c
        WHERE c.kind = 'person' AND c.segment IN ('affluent', 'hnw', 'senior')
          AND EXISTS (SELECT 1 FROM policies_policy p WHERE p.policyholder_id = c.id
                      AND p.status IN ('in_force', 'in_grace', 'reinstated'))
          AND NOT EXISTS (SELECT 1 FROM monitoring_accountreview r WHERE r.customer_id = c.id
                          AND r.reviewed_on >= CASE c.segment WHEN 'hnw' THEN DATE '2026-07-01'
                                                    ELSE DATE '2026-01-01' END)""",
}


def raw_selections() -> dict[str, int]:
    """Materialise each selection in a temporary table; return the rows of each."""
    from django.db import connection, transaction

    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for name, sql in RAW.items():
            cursor.execute(
                f"CREATE TEMP TABLE raw_{name} ON COMMIT DROP AS "
                + sql.replace(":as_of", f"'{AS_OF.isoformat()}'")
            )
            counts[name] = max(0, cursor.rowcount)
    return counts


def _item(
    rule: str,
    *,
    due_in: str,
    reason: str = "''",
    period: str = "r.period",
    customer: str = "r.policyholder_id",
    policy: str = "r.id",
    deadline: str = "NULL::date",
    amount: str = "NULL::numeric",
    priority: str = "r.priority",
    where: str = "TRUE",
) -> tuple[str, str]:
    """One rule's rows of a selection (`r`) as work-item columns (ITEM_COLUMNS), and which."""
    as_of = f"DATE '{AS_OF.isoformat()}'"
    values = (
        f"{rule}, {reason}, {period}, {customer}, {policy}, r.branch_id, {priority}, "
        f"{as_of} + ({due_in}), {deadline}, {amount}, 'CNY', 'open', '', '', '', now()"
    )
    return values, where


ITEM_COLUMNS = (
    "rule, reason, period, customer_id, policy_id, branch_id, priority, due_on, deadline, "
    "amount, currency, status, outcome, outcome_note, cleared_by, created_at"
)
NEW_YEAR = f"DATE '{AS_OF.year}-01-01'"
# Each plain selection's rows written as the work items the run stores (the due delays of
# monitoring.rules.RULES; no owner: the run's round-robin owner is left out, which favours
# the baseline; the lapse notice's deadline as 14 days, the run counts 10 working days).
ITEMS: dict[str, list[tuple[str, str]]] = {
    "premium_due": [_item("'premium_due'", due_in="5", deadline="r.period", amount="r.amount")],
    "debit_failure": [
        _item(
            "CASE WHEN r.result IN ('account_closed', 'account_changed') "
            "THEN 'bank_account_change' ELSE 'debit_retry' END",
            due_in="CASE WHEN r.result IN ('account_closed', 'account_changed') THEN 3 ELSE 2 END",
            reason="r.result",
            deadline="r.period + 60",
            amount="r.amount",
        )
    ],
    "mandate_drive": [_item("'mandate_drive'", due_in="10", reason="r.reason", period=NEW_YEAR)],
    "grace": [_item("'grace'", due_in="2", deadline="r.deadline")],
    "lapses": [
        _item("'reinstatement'", due_in="14", deadline="(r.period + INTERVAL '2 years')::date"),
        _item("'lapse_notice'", due_in="1", deadline="r.period + 14", where="r.needs_notice"),
    ],
    "survival_benefit": [
        _item(
            "'survival_benefit'",
            due_in="5",
            reason="r.reason",
            deadline="r.period",
            amount="r.amount",
        )
    ],
    "short_term_renewal": [_item("'short_term_renewal'", due_in="7", deadline="r.period")],
    "annual_conversion": [
        _item("'annual_conversion'", due_in="30", period=NEW_YEAR, amount="r.amount")
    ],
    "account_review": [
        _item(
            "'account_review'",
            due_in="30",
            reason="r.segment",
            period="CASE r.segment WHEN 'hnw' THEN DATE '2026-07-01' ELSE DATE '2026-01-01' END",
            customer="r.id",
            policy="NULL::bigint",
            priority="60",  # the customer rule's weight 4 at the default risk 0.5
        )
    ],
}


def raw_items() -> tuple[float, int]:
    """Seconds for the plain selections to write the work items they stand for into an
    empty copy of the work-item table (its indexes and unique keys; logged, like the real
    one): one INSERT ... SELECT per rule in one transaction, the commit included. The rows
    written are returned with the time."""
    from django.db import connection, transaction

    from policydesk.monitoring.models import WorkItem

    table = WorkItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_workitem_raw")
        cursor.execute(f"CREATE TABLE bench_workitem_raw (LIKE {table} INCLUDING ALL)")
    written = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for name, items in ITEMS.items():
            source = RAW[name].replace(":as_of", f"'{AS_OF.isoformat()}'")
            for values, where in items:
                cursor.execute(
                    f"INSERT INTO bench_workitem_raw ({ITEM_COLUMNS}) "
                    f"SELECT {values} FROM ({source}) r WHERE {where}"
                )
                written += max(0, cursor.rowcount)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_workitem_raw")
    return seconds, written


def raw_clearances() -> dict[str, int]:
    """The clearances' selections: the open items each would close, as temporary tables."""
    from django.db import connection, transaction

    from policydesk.monitoring.clearing import clearances

    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for index, clearance in enumerate(clearances()):
            cursor.execute(
                f"CREATE TEMP TABLE raw_clear_{index} ON COMMIT DROP AS "
                f"SELECT w.id FROM monitoring_workitem w WHERE w.status = 'open' "
                f"AND w.rule = %s AND {clearance.condition}",
                [clearance.rule],
            )
            counts[clearance.rule] = counts.get(clearance.rule, 0) + max(0, cursor.rowcount)
    return counts


def settle_reminded_premiums() -> int:
    """The book moves on: a tenth of the premiums the reminders are about get paid."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE policies_premiumdue SET status = 'paid', paid_on = %s "
            "WHERE status = 'due' AND NOT is_first_premium AND due_date >= %s "
            "AND due_date <= %s AND id %% 10 = 0",
            [AS_OF, AS_OF, AS_OF + dt.timedelta(days=15)],
        )
        return max(0, cursor.rowcount)


def _grouped(created: dict[str, int]) -> dict[str, int]:
    return {
        "premium_due": created.get("premium_due", 0),
        "debit_failure": created.get("debit_retry", 0) + created.get("bank_account_change", 0),
        "mandate_drive": created.get("mandate_drive", 0),
        "grace": created.get("grace", 0),
        "lapses": created.get("reinstatement", 0),
        "survival_benefit": created.get("survival_benefit", 0),
        "short_term_renewal": created.get("short_term_renewal", 0),
        "annual_conversion": created.get("annual_conversion", 0),
        "account_review": created.get("account_review", 0),
    }


def copy_into_indexed_table() -> float:
    """Seconds to write the rows the first run stored into an empty copy of the work-item
    table (its indexes and unique keys, a logged table like the real one), commit included:
    what the durable, indexed worklist costs a bulk write, with nothing to select."""
    from django.db import connection, transaction

    from policydesk.monitoring.models import WorkItem

    table = WorkItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_workitem_copy")
        cursor.execute(f"CREATE TABLE bench_workitem_copy (LIKE {table} INCLUDING ALL)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO bench_workitem_copy SELECT * FROM {table}")
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_workitem_copy")
    return seconds


def run(db: str, scale: float) -> list[Result]:
    from django.db import connection

    from policydesk.monitoring.services import monitoring_run_now

    if db != "postgres":
        raise SystemExit("bench.monitoring_run runs on PostgreSQL (--db postgres)")
    n = scaled(DEFAULT_POLICIES, scale, minimum=1000)
    facts = populate(n)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analyze()
    # Baseline twice before the first run (the first warms the cache); the better counts.
    raw_selections()
    started = time.perf_counter()
    raw_counts = raw_selections()
    raw_first_s = time.perf_counter() - started
    raw_items_s, raw_written = raw_items()
    started = time.perf_counter()
    first = monitoring_run_now(as_of=AS_OF)
    first_s = time.perf_counter() - started
    copy_s = copy_into_indexed_table()
    settled = settle_reminded_premiums()
    # The second run's baseline on the state it starts from: the selections again (they
    # now meet a full worklist in no table of theirs) and the clearances' selections.
    started = time.perf_counter()
    raw_selections()
    clear_counts = raw_clearances()
    raw_second_s = time.perf_counter() - started
    started = time.perf_counter()
    second = monitoring_run_now(as_of=AS_OF)
    second_s = time.perf_counter() - started
    grouped = _grouped(first.created)
    mismatched = {k: (grouped[k], v) for k, v in raw_counts.items() if grouped[k] != v}
    expected_closed = {rule: n for rule, n in clear_counts.items() if n}
    notes = {
        **facts,
        "work_items_created": first.created_total,
        "by_rule": first.created,
        "raw_rows": raw_counts,
        "lapse_notices": first.created.get("lapse_notice", 0),
        "mismatched_rules": mismatched,
        "raw_first_s": round(raw_first_s, 3),
        "raw_items_s": round(raw_items_s, 3),
        "raw_items_written": raw_written,
        "items_mismatch": raw_written != first.created_total,
        "copy_into_indexed_s": round(copy_s, 3),
    }
    second_notes = {
        "work_items_created": second.created_total,
        "premiums_settled": settled,
        "closed_by_rule": second.closed,
        "raw_closed_by_rule": expected_closed,
        "closed_mismatch": second.closed != expected_closed,
        "raw_second_s": round(raw_second_s, 3),
    }
    first_op = "first run: every rule inserts its work items"

    def result(
        operation: str, pd_s: float, raw_s: float, baseline: str, notes: dict[str, Any]
    ) -> Result:
        return Result(
            benchmark="monitoring_run",
            operation=operation,
            database=db,
            n=n,
            policydesk_s=pd_s,
            raw_s=raw_s,
            baseline=baseline,
            notes=notes,
        )

    return [
        result(
            first_op,
            first_s,
            raw_items_s,
            "the same work items written by plain SQL: one INSERT ... SELECT per rule into an "
            "empty copy of the work-item table (indexes, unique keys, logged)",
            notes,
        ),
        result(
            first_op,
            first_s,
            raw_first_s,
            "the selections alone, not the goal's: the same selections as plain SQL, "
            "CREATE TEMP TABLE AS SELECT (no WAL, no index, nothing kept)",
            {**notes, "judged": False},
        ),
        result(
            "second run: nothing new, the paid premiums' reminders close",
            second_s,
            raw_second_s,
            "the same selections and the clearances' selections as plain SQL, "
            "CREATE TEMP TABLE AS SELECT",
            second_notes,
        ),
    ]


if __name__ == "__main__":
    child_main("monitoring_run", run)

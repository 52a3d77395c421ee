"""The monitoring rules as set-based SQL: one INSERT ... SELECT per rule, inserting only the
work items that do not exist yet (ON CONFLICT DO NOTHING against the unique (rule, policy,
period) key), so a run is idempotent and incremental. Both databases run the same statements
but for date arithmetic, which `_plus_days` / `_plus_years` spell per dialect.

Every selection reads only its own rows: `rule_selects` gives the bare SELECTs (what the
benchmark sets against hand-written SQL), `rule_insert` wraps one into the INSERT.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from policydesk.customers.models import Customer
from policydesk.policies.models import (
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Policy,
    PolicyStatusChange,
    PremiumDue,
    Product,
)

from .models import AccountReview, PolicyRiskScore, Rule, WorkItem
from .needs import segment_assumptions

LIVE = ("in_force", "in_grace", "reinstated")
PREMIUM_REMINDER_DAYS = 15  # a reminder for premiums due within this many days
FAILURE_LOOKBACK_DAYS = 60  # debit failures of unpaid premiums this recent
GRACE_DAYS = 60  # 宽限期
LAPSE_NOTICE_LOOKBACK_DAYS = 20  # lapses this recent still need their notice
LAPSE_NOTICE_WORKING_DAYS = 10
PAYOUT_HORIZON_DAYS = 30  # payouts due within this many days
FAILED_PAYOUT_LOOKBACK_DAYS = 365
RENEWAL_HORIZON_DAYS = 30
CONVERSION_MIN_DAYS_IN_FORCE = 365
DEFAULT_RISK = 0.5  # a policy the model has not scored yet


@dataclass(frozen=True)
class RuleSpec:
    weight: int  # priority = weight × (1 + lapse-risk score) × 10
    due_in_days: int  # the work item is due this many days after the run


RULES: dict[str, RuleSpec] = {
    Rule.PREMIUM_DUE: RuleSpec(weight=3, due_in_days=5),
    Rule.DEBIT_RETRY: RuleSpec(weight=7, due_in_days=2),
    Rule.BANK_ACCOUNT_CHANGE: RuleSpec(weight=8, due_in_days=3),
    Rule.MANDATE_DRIVE: RuleSpec(weight=5, due_in_days=10),
    Rule.GRACE: RuleSpec(weight=9, due_in_days=2),
    Rule.LAPSE_NOTICE: RuleSpec(weight=10, due_in_days=1),
    Rule.REINSTATEMENT: RuleSpec(weight=6, due_in_days=14),
    Rule.SURVIVAL_BENEFIT: RuleSpec(weight=6, due_in_days=5),
    Rule.MATURITY: RuleSpec(weight=7, due_in_days=5),
    Rule.SHORT_TERM_RENEWAL: RuleSpec(weight=6, due_in_days=7),
    Rule.ANNUAL_CONVERSION: RuleSpec(weight=2, due_in_days=30),
    Rule.ACCOUNT_REVIEW: RuleSpec(weight=4, due_in_days=30),
}

# The columns every selection yields, in this order.
COLUMNS = (
    "rule",
    "reason",
    "period",
    "customer_id",
    "policy_id",
    "branch_id",
    "priority",
    "due_on",
    "deadline",
    "amount",
    "currency",
)


def table(model: Any) -> str:
    return str(model._meta.db_table)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def plus_days(column: str, days: int) -> str:
    if _postgres():
        return f"({column} + {int(days)})"
    return f"date({column}, '{int(days):+d} days')"


def plus_years(column: str, years_column: str) -> str:
    if _postgres():
        return f"({column} + make_interval(years => {years_column}))::date"
    return f"date({column}, '+' || {years_column} || ' years')"


def in_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # constants of this module only


def _priority(rule: str, score_column: str | None) -> str:
    weight = RULES[rule].weight
    score = f"COALESCE({score_column}, {DEFAULT_RISK})" if score_column else str(DEFAULT_RISK)
    return f"CAST(ROUND({weight} * (1 + {score}) * 10) AS INTEGER)"


@dataclass(frozen=True)
class Selection:
    rule: str
    sql: str
    params: list[Any]


def _policy_select(
    rule: str,
    *,
    reason: str,
    period: str,
    amount: str,
    currency: str,
    deadline: str,
    source: str,
    where: str,
    params: list[Any],
    as_of: dt.date,
) -> Selection:
    """A selection of policies: the common columns around the rule's own FROM and WHERE."""
    due_on = as_of + dt.timedelta(days=RULES[rule].due_in_days)
    sql = (
        f"SELECT '{rule}' AS rule, {reason} AS reason, {period} AS period, "  # noqa: S608
        f"p.policyholder_id AS customer_id, p.id AS policy_id, p.branch_id AS branch_id, "
        f"{_priority(rule, 'rs.score')} AS priority, %s AS due_on, {deadline} AS deadline, "
        f"{amount} AS amount, {currency} AS currency "
        f"FROM {source} "
        f"LEFT JOIN {table(PolicyRiskScore)} rs ON rs.policy_id = p.id "
        f"WHERE {where}"
    )
    return Selection(rule, sql, [due_on, *params])


def _premium_due(as_of: dt.date) -> Selection:
    return _policy_select(
        Rule.PREMIUM_DUE,
        reason="p.payment_method",
        period="d.due_date",
        amount="d.amount",
        currency="d.currency",
        deadline="d.due_date",
        source=f"{table(PremiumDue)} d JOIN {table(Policy)} p ON p.id = d.policy_id",
        where=(
            f"d.status = 'due' AND d.is_first_premium = %s AND d.due_date >= %s "
            f"AND d.due_date <= %s AND p.status IN ({in_list(LIVE)})"
        ),
        params=[False, as_of, as_of + dt.timedelta(days=PREMIUM_REMINDER_DAYS)],
        as_of=as_of,
    )


def _debit_failure(rule: str, results: Sequence[str], as_of: dt.date) -> Selection:
    """The latest auto-debit attempt of a premium still unpaid, when it failed for one of
    `results` (a later attempt of any result supersedes it)."""
    attempts = table(CollectionAttempt)
    return _policy_select(
        rule,
        reason="a.result",
        period="d.due_date",
        amount="d.amount",
        currency="d.currency",
        deadline=plus_days("d.due_date", GRACE_DAYS),
        source=(
            f"{attempts} a JOIN {table(PremiumDue)} d ON d.id = a.premium_id "
            f"JOIN {table(Policy)} p ON p.id = d.policy_id"
        ),
        where=(
            f"a.method = 'auto_debit' AND a.result IN ({in_list(results)}) "  # noqa: S608
            f"AND a.attempted_on >= %s AND a.attempted_on <= %s "
            f"AND d.status IN ('due', 'overdue') AND p.status IN ({in_list(LIVE)}) "
            f"AND NOT EXISTS (SELECT 1 FROM {attempts} b WHERE b.premium_id = a.premium_id "
            f"AND (b.attempted_on > a.attempted_on "
            f"OR (b.attempted_on = a.attempted_on AND b.id > a.id)))"
        ),
        params=[as_of - dt.timedelta(days=FAILURE_LOOKBACK_DAYS), as_of],
        as_of=as_of,
    )


def _mandate_drive(as_of: dt.date) -> Selection:
    selection = _policy_select(
        Rule.MANDATE_DRIVE,
        reason="COALESCE(m.status, 'none')",
        period="%s",
        amount="p.premium",
        currency="p.currency",
        deadline="p.next_due_date",
        source=(f"{table(Policy)} p LEFT JOIN {table(BankMandate)} m ON m.policy_id = p.id"),
        where=(
            f"p.payment_method = 'auto_debit' AND p.payment_mode <> 'single' "
            f"AND p.status IN ({in_list(LIVE)}) "
            f"AND (m.id IS NULL OR m.status IN ('missing', 'revoked', 'failed'))"
        ),
        params=[],
        as_of=as_of,
    )
    return _with_period(selection, dt.date(as_of.year, 1, 1))


def _grace(as_of: dt.date) -> Selection:
    return _policy_select(
        Rule.GRACE,
        reason="p.payment_method",
        period="d.due_date",
        amount="d.amount",
        currency="d.currency",
        deadline=plus_days("d.due_date", GRACE_DAYS),
        source=f"{table(PremiumDue)} d JOIN {table(Policy)} p ON p.id = d.policy_id",
        where=(
            f"d.status IN ('due', 'overdue') AND d.due_date < %s AND d.due_date >= %s "
            f"AND p.status IN ({in_list(LIVE)}) AND p.payment_mode <> 'single'"
        ),
        params=[as_of, as_of - dt.timedelta(days=GRACE_DAYS)],
        as_of=as_of,
    )


def _latest_lapse(since: dt.date) -> tuple[str, list[Any]]:
    changes = table(PolicyStatusChange)
    return (
        f"{table(Policy)} p JOIN {changes} c ON c.policy_id = p.id AND c.to_status = 'lapsed' "  # noqa: S608
        f"AND c.changed_on >= %s AND NOT EXISTS (SELECT 1 FROM {changes} c2 "
        f"WHERE c2.policy_id = p.id AND c2.to_status = 'lapsed' AND c2.changed_on > c.changed_on)",
        [since],
    )


def _lapse_notice(as_of: dt.date) -> Selection:
    source, source_params = _latest_lapse(as_of - dt.timedelta(days=LAPSE_NOTICE_LOOKBACK_DAYS))
    selection = _policy_select(
        Rule.LAPSE_NOTICE,
        reason="''",
        period="c.changed_on",
        amount="p.premium",
        currency="p.currency",
        # Monday–Friday approximation; services.fix_lapse_notice_deadlines applies the
        # branch's holiday calendar to the rows just inserted.
        deadline=plus_days("c.changed_on", 14),
        source=source,
        where="p.status = 'lapsed' AND c.changed_on <= %s",
        params=[as_of],
        as_of=as_of,
    )
    return Selection(selection.rule, selection.sql, [selection.params[0], *source_params, as_of])


def _reinstatement(as_of: dt.date) -> Selection:
    try:
        window_start = as_of.replace(year=as_of.year - 2)
    except ValueError:  # 29 February
        window_start = dt.date(as_of.year - 2, 2, 28)
    source, source_params = _latest_lapse(window_start)
    selection = _policy_select(
        Rule.REINSTATEMENT,
        reason="''",
        period="c.changed_on",
        amount="p.premium",
        currency="p.currency",
        deadline=plus_years("c.changed_on", "2"),
        source=source,
        where="p.status = 'lapsed' AND c.changed_on <= %s",
        params=[as_of],
        as_of=as_of,
    )
    return Selection(selection.rule, selection.sql, [selection.params[0], *source_params, as_of])


def _payout(rule: str, kind: str, as_of: dt.date) -> Selection:
    """Payouts due soon (push bank transfer over cash) and transfers that failed; the reason
    flags the account: dormant, outdated (revoked or refused), none, cash chosen, ready."""
    reason = (
        "CASE WHEN o.status IN ('failed', 'returned') THEN 'transfer_failed' "
        "WHEN m.id IS NULL THEN 'no_account' "
        "WHEN m.is_dormant THEN 'dormant_account' "
        "WHEN m.status IN ('revoked', 'failed') THEN 'outdated_account' "
        "WHEN o.method = 'cash' THEN 'cash_chosen' ELSE 'transfer_ready' END"
    )
    return _policy_select(
        rule,
        reason=reason,
        period="o.due_date",
        amount="o.amount",
        currency="o.currency",
        deadline="o.due_date",
        source=(
            f"{table(Disbursement)} o JOIN {table(Policy)} p ON p.id = o.policy_id "
            f"LEFT JOIN {table(BankMandate)} m ON m.policy_id = p.id"
        ),
        where=(
            "o.kind = %s AND ((o.status = 'scheduled' AND o.due_date >= %s AND o.due_date <= %s) "
            "OR (o.status IN ('failed', 'returned') AND o.due_date >= %s))"
        ),
        params=[
            kind,
            as_of,
            as_of + dt.timedelta(days=PAYOUT_HORIZON_DAYS),
            as_of - dt.timedelta(days=FAILED_PAYOUT_LOOKBACK_DAYS),
        ],
        as_of=as_of,
    )


def _short_term_renewal(as_of: dt.date) -> Selection:
    end = plus_years("p.issue_date", "p.term_years")
    return _policy_select(
        Rule.SHORT_TERM_RENEWAL,
        reason="p.payment_method",
        period=end,
        amount="p.premium",
        currency="p.currency",
        deadline=end,
        source=f"{table(Policy)} p JOIN {table(Product)} pr ON pr.id = p.product_id",
        where=(
            f"pr.term = 'short' AND p.status IN ({in_list(LIVE)}) AND p.issue_date IS NOT NULL "
            f"AND {end} >= %s AND {end} <= %s"
        ),
        params=[as_of, as_of + dt.timedelta(days=RENEWAL_HORIZON_DAYS)],
        as_of=as_of,
    )


def _annual_conversion(as_of: dt.date) -> Selection | None:
    products = [
        pk
        for pk, modes in Product.objects.values_list("pk", "payment_modes")
        if isinstance(modes, list) and "annual" in modes
    ]
    if not products:
        return None
    marks = ", ".join(["%s"] * len(products))
    selection = _policy_select(
        Rule.ANNUAL_CONVERSION,
        reason="p.payment_method",
        period="%s",
        amount="p.premium * 12",
        currency="p.currency",
        deadline="p.next_due_date",
        source=f"{table(Policy)} p",
        where=(
            f"p.payment_mode = 'monthly' AND p.status IN ('in_force', 'reinstated') "
            f"AND p.issue_date <= %s AND p.product_id IN ({marks})"
        ),
        params=[as_of - dt.timedelta(days=CONVERSION_MIN_DAYS_IN_FORCE), *products],
        as_of=as_of,
    )
    return _with_period(selection, dt.date(as_of.year, 1, 1))


def review_period(as_of: dt.date, every_months: int) -> dt.date:
    """The first day of the review window holding `as_of` (windows start in January)."""
    month_index = (as_of.month - 1) // every_months * every_months
    return dt.date(as_of.year, month_index + 1, 1)


def _account_reviews(as_of: dt.date) -> Selection | None:
    """Customers of a segment with periodic reviews, holding a live policy, not reviewed
    since the start of the segment's current window: one selection for every segment."""
    policies, reviews = table(Policy), table(AccountReview)
    rule = Rule.ACCOUNT_REVIEW
    due_on = as_of + dt.timedelta(days=RULES[rule].due_in_days)
    windows = {
        segment: (
            review_period(as_of, a.review_every_months),
            _add_months(review_period(as_of, a.review_every_months), a.review_every_months)
            - dt.timedelta(days=1),
        )
        for segment, a in sorted(segment_assumptions().items())
        if a.review_every_months > 0
    }
    if not windows:
        return None
    segments = list(windows)
    when_start = " ".join("WHEN %s THEN %s" for _ in segments)
    start_params = [value for s in segments for value in (s, windows[s][0])]
    end_params = [value for s in segments for value in (s, windows[s][1])]
    marks = ", ".join(["%s"] * len(segments))
    sql = (
        f"SELECT '{rule}' AS rule, c.segment AS reason, "  # noqa: S608
        f"CASE c.segment {when_start} END AS period, "
        f"c.id AS customer_id, CAST(NULL AS BIGINT) AS policy_id, c.branch_id AS branch_id, "
        f"{_priority(rule, None)} AS priority, %s AS due_on, "
        f"CASE c.segment {when_start} END AS deadline, "
        f"CAST(NULL AS NUMERIC) AS amount, 'CNY' AS currency "
        f"FROM {table(Customer)} c WHERE c.segment IN ({marks}) AND c.kind = 'person' "
        f"AND EXISTS (SELECT 1 FROM {policies} p WHERE p.policyholder_id = c.id "
        f"AND p.status IN ({in_list(LIVE)})) "
        f"AND NOT EXISTS (SELECT 1 FROM {reviews} r WHERE r.customer_id = c.id "
        f"AND r.reviewed_on >= CASE c.segment {when_start} END)"
    )
    params = [*start_params, due_on, *end_params, *segments, *start_params]
    return Selection(rule, sql, params)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


def _with_period(selection: Selection, period: dt.date) -> Selection:
    """Put a constant period (the year) in the `%s AS period` placeholder."""
    # The period placeholder is the first %s of the statement: before due_on's.
    return Selection(selection.rule, selection.sql, [period, *selection.params])


def rule_selects(as_of: dt.date) -> list[Selection]:
    """Every rule's SELECT, in the order the run applies them."""
    selections: list[Selection | None] = [
        _premium_due(as_of),
        _debit_failure(Rule.DEBIT_RETRY, ("insufficient_funds", "other"), as_of),
        _debit_failure(Rule.BANK_ACCOUNT_CHANGE, ("account_closed", "account_changed"), as_of),
        _mandate_drive(as_of),
        _grace(as_of),
        _lapse_notice(as_of),
        _reinstatement(as_of),
        _payout(Rule.SURVIVAL_BENEFIT, "survival_benefit", as_of),
        _payout(Rule.MATURITY, "maturity", as_of),
        _short_term_renewal(as_of),
        _annual_conversion(as_of),
        _account_reviews(as_of),
    ]
    return [s for s in selections if s is not None]


def owner_expression(managers: dict[int, list[int]]) -> str:
    """SQL choosing the owner of a new item: a relationship manager of its branch,
    round-robin by customer (so a customer's items share one manager); NULL without one."""
    if not managers:
        return "CAST(NULL AS BIGINT)"
    branches = []
    for branch_id, ids in sorted(managers.items()):
        picks = " ".join(f"WHEN {index} THEN {int(staff)}" for index, staff in enumerate(ids))
        branches.append(f"WHEN {int(branch_id)} THEN CASE s.customer_id %% {len(ids)} {picks} END")
    return f"CASE s.branch_id {' '.join(branches)} END"


def rule_insert(
    selection: Selection, *, run_id: int | None, now: dt.datetime, owner_sql: str
) -> int:
    """Insert the selection's missing work items; return how many were inserted.

    ON CONFLICT DO NOTHING on the idempotence key (the one partial unique index the rule
    writes into) skips what exists. When the rule has items already, an anti-join skips
    them first (one hash join instead of an index probe per row: the nightly case). When
    it has none — the first run, a backfill — the anti-join is left out: on a freshly
    vacuumed empty table PostgreSQL plans it as a nested loop over a sequential scan of
    the work items, which within the statement re-reads every row inserted so far
    (quadratic: minutes per rule at 2,000,000 policies)."""
    columns = ", ".join(COLUMNS)
    items = table(WorkItem)
    if selection.rule == Rule.ACCOUNT_REVIEW:
        same = "w.policy_id IS NULL AND w.customer_id = s.customer_id"
        key = "(rule, period, customer_id) WHERE policy_id IS NULL"
    else:
        same = "w.policy_id = s.policy_id"
        key = "(rule, period, policy_id) WHERE policy_id IS NOT NULL"
    skip_existing = "TRUE"
    if WorkItem.objects.filter(rule=selection.rule).exists():
        skip_existing = (
            f"NOT EXISTS (SELECT 1 FROM {items} w WHERE {same} "  # noqa: S608
            f"AND w.rule = s.rule AND w.period = s.period)"
        )
    sql = (
        f"INSERT INTO {items} ({columns}, owner_id, status, outcome, outcome_note, "  # noqa: S608
        f"cleared_by, run_id, created_at) "
        f"SELECT {', '.join(f's.{c}' for c in COLUMNS)}, {owner_sql}, 'open', '', '', '', "
        f"%s, %s FROM ({selection.sql}) s WHERE {skip_existing} ON CONFLICT {key} DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id, now, *selection.params])
        return max(0, cursor.rowcount)

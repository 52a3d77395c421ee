"""Work items whose condition has cleared close themselves on the next run (system-closed).

Each clearance is one set-based UPDATE over the open items of one rule: the premium was
paid, a later auto-debit succeeded, a mandate is on file, the policy was reinstated, the
payout was paid, the policy was renewed or left monthly premiums, the account was reviewed,
the bank-account-change servicing item is done — outcome "condition cleared" (or "bank
account updated" for the servicing item) with `cleared_by` saying what the run saw. Items
whose rule no longer applies at all (the policy lapsed, ended or stopped paying by
auto-debit) close as "no longer needed". Only open items are touched, so a second run
changes nothing; `closed_by_run` marks the item as closed by the system, not by a person.

Clearances of a rule apply in order: the first that holds wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from policydesk.policies.models import (
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Policy,
    PremiumDue,
)
from policydesk.servicing.models import ServicingItem

from .models import AccountReview, Cleared, ItemStatus, Outcome, Rule, WorkItem
from .rules import LIVE, RENEWAL_HORIZON_DAYS, in_list, plus_days, plus_years, table

# What a premium is once it no longer waits for money.
SETTLED_PREMIUM = ("paid", "waived")
# Statuses a lapse item still makes sense in (lapsed), or is cleared by (back in force).
BACK_IN_FORCE = ("reinstated", "in_force", "in_grace")


@dataclass(frozen=True)
class Clearance:
    rule: str
    cleared_by: str
    outcome: str
    condition: str  # SQL over the open work item `w`


def _policy(where: str) -> str:
    return f"EXISTS (SELECT 1 FROM {table(Policy)} p WHERE p.id = w.policy_id AND ({where}))"  # noqa: S608


def _premium_settled() -> str:
    return (
        f"EXISTS (SELECT 1 FROM {table(PremiumDue)} d WHERE d.policy_id = w.policy_id "  # noqa: S608
        f"AND d.due_date = w.period AND d.status IN ({in_list(SETTLED_PREMIUM)}))"
    )


def _debit_succeeded() -> str:
    return (
        f"EXISTS (SELECT 1 FROM {table(CollectionAttempt)} a "  # noqa: S608
        f"JOIN {table(PremiumDue)} d ON d.id = a.premium_id "
        f"WHERE d.policy_id = w.policy_id AND d.due_date = w.period AND a.result = 'success')"
    )


def _servicing_done() -> str:
    return (
        f"w.servicing_item_id IN (SELECT si.id FROM {table(ServicingItem)} si "  # noqa: S608
        f"WHERE si.done_at IS NOT NULL)"
    )


def _payout_paid(kind: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {table(Disbursement)} o WHERE o.policy_id = w.policy_id "  # noqa: S608
        f"AND o.kind = '{kind}' AND o.due_date = w.period AND o.status = 'paid')"
    )


def _renewed() -> str:
    """The term was extended past the renewal date, or the policyholder holds a newer
    policy of the same product issued around it."""
    policies = table(Policy)
    extended = _policy(f"{plus_years('p.issue_date', 'p.term_years')} > w.period")
    successor = (
        f"EXISTS (SELECT 1 FROM {policies} p JOIN {policies} n "  # noqa: S608
        f"ON n.policyholder_id = p.policyholder_id AND n.product_id = p.product_id "
        f"AND n.id <> p.id WHERE p.id = w.policy_id "
        f"AND n.issue_date >= {plus_days('w.period', -RENEWAL_HORIZON_DAYS)} "
        f"AND n.status IN ({in_list(('issued', *LIVE))}))"
    )
    return f"({extended} OR {successor})"


def _cleared(rule: str, cleared_by: str, condition: str) -> Clearance:
    return Clearance(rule, cleared_by, Outcome.CONDITION_CLEARED, condition)


def _gone(rule: str, condition: str) -> Clearance:
    return Clearance(rule, Cleared.NO_LONGER_APPLIES, Outcome.NOT_NEEDED, condition)


def clearances() -> list[Clearance]:
    """Every rule's clearances, in the order they apply."""
    not_live = _policy(f"p.status NOT IN ({in_list(LIVE)})")
    premium_rules = (Rule.PREMIUM_DUE, Rule.DEBIT_RETRY, Rule.BANK_ACCOUNT_CHANGE, Rule.GRACE)
    found: list[Clearance] = [
        Clearance(
            Rule.BANK_ACCOUNT_CHANGE,
            Cleared.ACCOUNT_CHANGED,
            Outcome.ACCOUNT_UPDATED,
            _servicing_done(),
        ),
        _cleared(Rule.DEBIT_RETRY, Cleared.DEBIT_SUCCEEDED, _debit_succeeded()),
        _cleared(Rule.BANK_ACCOUNT_CHANGE, Cleared.DEBIT_SUCCEEDED, _debit_succeeded()),
    ]
    for rule in premium_rules:
        found.append(_cleared(rule, Cleared.PREMIUM_PAID, _premium_settled()))
    for rule in premium_rules:
        found.append(_gone(rule, not_live))
    mandates = table(BankMandate)
    found += [
        _cleared(
            Rule.MANDATE_DRIVE,
            Cleared.MANDATE_ON_FILE,
            f"EXISTS (SELECT 1 FROM {mandates} m WHERE m.policy_id = w.policy_id "  # noqa: S608
            "AND m.status IN ('active', 'pending'))",
        ),
        _gone(
            Rule.MANDATE_DRIVE,
            _policy(
                f"p.status NOT IN ({in_list(LIVE)}) OR p.payment_method <> 'auto_debit' "
                "OR p.payment_mode = 'single'"
            ),
        ),
    ]
    for rule in (Rule.LAPSE_NOTICE, Rule.REINSTATEMENT):
        found.append(
            _cleared(rule, Cleared.REINSTATED, _policy(f"p.status IN ({in_list(BACK_IN_FORCE)})"))
        )
        found.append(
            _gone(rule, _policy(f"p.status NOT IN ({in_list(('lapsed', *BACK_IN_FORCE))})"))
        )
    found += [
        _cleared(Rule.SURVIVAL_BENEFIT, Cleared.PAYOUT_PAID, _payout_paid("survival_benefit")),
        _cleared(Rule.MATURITY, Cleared.PAYOUT_PAID, _payout_paid("maturity")),
        _cleared(Rule.SHORT_TERM_RENEWAL, Cleared.RENEWED, _renewed()),
        _gone(Rule.SHORT_TERM_RENEWAL, not_live),
        _cleared(Rule.ANNUAL_CONVERSION, Cleared.CONVERTED, _policy("p.payment_mode <> 'monthly'")),
        _gone(Rule.ANNUAL_CONVERSION, _policy("p.status NOT IN ('in_force', 'reinstated')")),
        _cleared(
            Rule.ACCOUNT_REVIEW,
            Cleared.REVIEWED,
            f"EXISTS (SELECT 1 FROM {table(AccountReview)} r "  # noqa: S608
            "WHERE r.customer_id = w.customer_id AND r.reviewed_on >= w.period)",
        ),
        _gone(
            Rule.ACCOUNT_REVIEW,
            f"NOT EXISTS (SELECT 1 FROM {table(Policy)} p "  # noqa: S608
            f"WHERE p.policyholder_id = w.customer_id AND p.status IN ({in_list(LIVE)}))",
        ),
    ]
    return found


def clearance_apply(clearance: Clearance, *, run_id: int, now: dt.datetime) -> int:
    """Close the rule's open items the clearance holds for; return how many.

    One clearance a statement: a lone EXISTS is planned as a semi-join, a probe per item
    for a rule with few open items and a hash join for one with many (OR-ing a rule's
    clearances into one statement made PostgreSQL hash whole tables for every rule)."""
    sql = (
        f"UPDATE {table(WorkItem)} AS w SET status = %s, outcome = %s, cleared_by = %s, "  # noqa: S608
        f"closed_at = %s, closed_by_run_id = %s "
        f"WHERE w.status = %s AND w.rule = %s AND {clearance.condition}"
    )
    params: list[Any] = [
        ItemStatus.DONE,
        clearance.outcome,
        clearance.cleared_by,
        now,
        run_id,
        ItemStatus.OPEN,
        clearance.rule,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(0, cursor.rowcount)

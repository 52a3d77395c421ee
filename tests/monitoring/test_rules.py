"""Each monitoring rule selects exactly the policies that need its work item."""

from __future__ import annotations

import datetime as dt

from policydesk.monitoring.models import Rule, WorkItem
from policydesk.monitoring.services import monitoring_run_now
from tests import factories
from tests.conftest import World

from .conftest import AS_OF, Book, attempt, lapse, make_policy, mandate, payout, premium


def items(rule: str) -> list[WorkItem]:
    return list(WorkItem.objects.filter(rule=rule).order_by("id"))


def test_a_premium_due_within_fifteen_days_gets_a_reminder(book: Book) -> None:
    soon, later = make_policy(book), make_policy(book)
    premium(soon, AS_OF + dt.timedelta(days=10))
    premium(later, AS_OF + dt.timedelta(days=40))
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.PREMIUM_DUE)
    assert item.policy_id == soon.pk
    assert item.deadline == AS_OF + dt.timedelta(days=10)
    assert item.amount == soon.premium


def test_a_paid_premium_gets_no_reminder(book: Book) -> None:
    premium(make_policy(book), AS_OF + dt.timedelta(days=5), status="paid")
    monitoring_run_now(as_of=AS_OF)
    assert items(Rule.PREMIUM_DUE) == []


def test_insufficient_funds_asks_for_a_reminder_and_retry(book: Book) -> None:
    policy = make_policy(book)
    due = premium(policy, AS_OF - dt.timedelta(days=5), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=5), "insufficient_funds")
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.DEBIT_RETRY)
    assert (item.policy_id, item.reason) == (policy.pk, "insufficient_funds")
    assert item.deadline == due.due_date + dt.timedelta(days=60)
    assert items(Rule.BANK_ACCOUNT_CHANGE) == []


def test_a_closed_or_changed_account_asks_for_a_bank_account_change(book: Book) -> None:
    closed, changed = make_policy(book), make_policy(book)
    for policy, result in ((closed, "account_closed"), (changed, "account_changed")):
        due = premium(policy, AS_OF - dt.timedelta(days=3), status="overdue")
        attempt(due, AS_OF - dt.timedelta(days=3), result)
    monitoring_run_now(as_of=AS_OF)
    found = {(item.policy_id, item.reason) for item in items(Rule.BANK_ACCOUNT_CHANGE)}
    assert found == {(closed.pk, "account_closed"), (changed.pk, "account_changed")}
    assert items(Rule.DEBIT_RETRY) == []


def test_only_the_latest_attempt_of_a_premium_counts(book: Book) -> None:
    policy = make_policy(book)
    due = premium(policy, AS_OF - dt.timedelta(days=20), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=20), "insufficient_funds")
    attempt(due, AS_OF - dt.timedelta(days=10), "account_closed")
    monitoring_run_now(as_of=AS_OF)
    assert items(Rule.DEBIT_RETRY) == []
    assert [i.reason for i in items(Rule.BANK_ACCOUNT_CHANGE)] == ["account_closed"]


def test_a_failed_debit_of_a_premium_paid_since_needs_nothing(book: Book) -> None:
    policy = make_policy(book)
    due = premium(policy, AS_OF - dt.timedelta(days=20), status="paid")
    attempt(due, AS_OF - dt.timedelta(days=20), "insufficient_funds")
    monitoring_run_now(as_of=AS_OF)
    assert items(Rule.DEBIT_RETRY) == []


def test_an_auto_debit_policy_without_a_usable_mandate_joins_the_mandate_drive(
    book: Book,
) -> None:
    missing, none, fine = make_policy(book), make_policy(book), make_policy(book)
    mandate(missing, "missing")
    mandate(fine, "active")
    cash = make_policy(book, payment_method="cash")
    monitoring_run_now(as_of=AS_OF)
    found = {(item.policy_id, item.reason) for item in items(Rule.MANDATE_DRIVE)}
    assert found == {(missing.pk, "missing"), (none.pk, "none")}
    assert cash.pk not in {item.policy_id for item in items(Rule.MANDATE_DRIVE)}
    assert {item.period for item in items(Rule.MANDATE_DRIVE)} == {dt.date(2026, 1, 1)}


def test_an_unpaid_premium_inside_sixty_days_counts_down_the_grace_period(book: Book) -> None:
    inside, expired = make_policy(book), make_policy(book)
    premium(inside, AS_OF - dt.timedelta(days=45), status="overdue")
    premium(expired, AS_OF - dt.timedelta(days=75), status="overdue")
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.GRACE)
    assert item.policy_id == inside.pk
    assert item.deadline == AS_OF + dt.timedelta(days=15)


def test_a_recent_lapse_needs_its_notice_within_ten_working_days(book: Book) -> None:
    recent, old = make_policy(book), make_policy(book)
    lapse(recent, dt.date(2026, 11, 9))  # a Monday
    lapse(old, dt.date(2026, 6, 1))
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.LAPSE_NOTICE)
    assert item.policy_id == recent.pk
    assert item.deadline == dt.date(2026, 11, 23)  # ten working days after 9 November


def test_the_lapse_notice_deadline_skips_public_holidays(book: Book) -> None:
    policy = make_policy(book)
    lapse(policy, dt.date(2026, 9, 28))  # National Day week follows
    monitoring_run_now(as_of=dt.date(2026, 10, 9))
    [item] = items(Rule.LAPSE_NOTICE)
    assert item.deadline is not None and item.deadline > dt.date(2026, 10, 12)


def test_a_lapsed_policy_is_reinstatable_for_two_years(book: Book) -> None:
    within, beyond = make_policy(book), make_policy(book)
    lapse(within, dt.date(2025, 3, 10))
    lapse(beyond, dt.date(2024, 10, 1))
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.REINSTATEMENT)
    assert item.policy_id == within.pk
    assert item.deadline == dt.date(2027, 3, 10)


def test_a_payout_due_flags_a_dormant_account_and_a_cash_choice(book: Book) -> None:
    dormant, cash, ready = make_policy(book), make_policy(book), make_policy(book)
    mandate(dormant, dormant=True)
    mandate(ready)
    payout(dormant, AS_OF + dt.timedelta(days=10))
    payout(cash, AS_OF + dt.timedelta(days=12), method="cash")
    payout(ready, AS_OF + dt.timedelta(days=20))
    payout(ready, AS_OF + dt.timedelta(days=90), kind="maturity")
    monitoring_run_now(as_of=AS_OF)
    found = {(i.policy_id, i.reason) for i in items(Rule.SURVIVAL_BENEFIT)}
    assert found == {
        (dormant.pk, "dormant_account"),
        (cash.pk, "no_account"),
        (ready.pk, "transfer_ready"),
    }
    assert items(Rule.MATURITY) == []


def test_a_failed_maturity_transfer_is_followed_up(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy, dormant=True)
    payout(policy, AS_OF - dt.timedelta(days=40), kind="maturity", status="failed")
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.MATURITY)
    assert item.reason == "transfer_failed"


def test_a_short_term_policy_ending_within_thirty_days_is_offered_renewal(
    book: Book, world: World
) -> None:
    short = factories.product("ACC-1Y", line="accident", term="short")
    ending = make_policy(book, product_=short, issue_date=dt.date(2025, 12, 1))
    make_policy(book, product_=short, issue_date=dt.date(2026, 3, 1))
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.SHORT_TERM_RENEWAL)
    assert (item.policy_id, item.period) == (ending.pk, dt.date(2026, 12, 1))


def test_a_monthly_policy_a_year_in_force_is_offered_annual_premiums(book: Book) -> None:
    eligible = make_policy(book, payment_mode="monthly", payment_method="cash")
    make_policy(
        book,
        payment_mode="monthly",
        payment_method="cash",
        issue_date=dt.date(2026, 6, 1),
        application_date=dt.date(2026, 5, 20),
    )
    make_policy(book, payment_mode="annual", payment_method="cash")
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.ANNUAL_CONVERSION)
    assert item.policy_id == eligible.pk
    assert item.amount == eligible.premium * 12


def test_an_affluent_customer_not_reviewed_this_year_is_due_a_review(
    book: Book, world: World
) -> None:
    make_policy(book, payment_method="cash")
    mass = factories.customer(world.branch_a, segment="mass")
    factories.policy(mass, product_=book.product, payment_method="cash")
    monitoring_run_now(as_of=AS_OF)
    [item] = items(Rule.ACCOUNT_REVIEW)
    assert (item.customer_id, item.policy_id) == (book.customer.pk, None)
    assert item.period == dt.date(2026, 1, 1)


def test_items_go_round_robin_to_the_relationship_managers_of_the_branch(
    book: Book, world: World
) -> None:
    other = factories.customer(world.branch_a)
    first = make_policy(book)
    second = factories.policy(other, product_=book.product)
    for policy in (first, second):
        premium(policy, AS_OF + dt.timedelta(days=3))
    monitoring_run_now(as_of=AS_OF)
    owners = {item.customer_id: item.owner_id for item in items(Rule.PREMIUM_DUE)}
    assert set(owners.values()) == {book.rm.pk, book.rm2.pk}
    assert book.rm_b.pk not in owners.values()


def test_priority_is_the_rule_weight_times_the_risk_score(book: Book) -> None:
    from policydesk.monitoring.models import LapseModel, PolicyRiskScore

    risky, safe = make_policy(book), make_policy(book)
    model = LapseModel.objects.create(as_of=AS_OF, is_current=True)
    PolicyRiskScore.objects.create(policy=risky, model=model, score=0.9)
    PolicyRiskScore.objects.create(policy=safe, model=model, score=0.1)
    for policy in (risky, safe):
        premium(policy, AS_OF + dt.timedelta(days=3))
    monitoring_run_now(as_of=AS_OF)
    priority = {item.policy_id: item.priority for item in items(Rule.PREMIUM_DUE)}
    assert priority == {risky.pk: 57, safe.pk: 33}  # weight 3 × (1 + score) × 10

"""Work items whose condition has cleared close themselves on the next run: outcome
"condition cleared" (or "no longer needed" when the rule no longer applies), marked as
closed by the run, once — a further run changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policydesk.core.models import AuditEvent
from policydesk.monitoring.kpis import monitoring_kpis
from policydesk.monitoring.models import (
    AccountReview,
    Cleared,
    ItemStatus,
    MonitoringRun,
    Outcome,
    Rule,
    WorkItem,
)
from policydesk.monitoring.services import monitoring_run_now, work_item_close
from policydesk.policies.models import Disbursement, Policy, PremiumDue
from tests import factories

from .conftest import AS_OF, Book, attempt, lapse, make_policy, mandate, payout, premium

NEXT_DAY = AS_OF + dt.timedelta(days=1)


def item(rule: str, policy: Policy | None = None) -> WorkItem:
    found = WorkItem.objects.filter(rule=rule)
    if policy is not None:
        found = found.filter(policy=policy)
    return found.get()


def assert_cleared(rule: str, cleared_by: str, run: MonitoringRun, **where: Any) -> None:
    closed = WorkItem.objects.filter(rule=rule, **where).get()
    assert (closed.status, closed.outcome, closed.cleared_by) == (
        ItemStatus.DONE,
        Outcome.CONDITION_CLEARED,
        cleared_by,
    )
    assert closed.closed_by_run_id == run.pk and closed.closed_by_id is None
    assert closed.closed_automatically
    assert run.closed.get(rule) == 1
    again = monitoring_run_now(as_of=NEXT_DAY)
    assert rule not in again.closed  # idempotent: nothing more to close
    assert WorkItem.objects.filter(rule=rule, **where).count() == 1  # and not raised again


def test_a_paid_premium_closes_its_reminder(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF + dt.timedelta(days=10))
    monitoring_run_now(as_of=AS_OF)
    assert item(Rule.PREMIUM_DUE).status == ItemStatus.OPEN
    PremiumDue.objects.filter(pk=due.pk).update(status="paid", paid_on=AS_OF)
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.PREMIUM_DUE, Cleared.PREMIUM_PAID, run)


def test_a_debit_that_succeeds_on_retry_closes_the_retry_item(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF - dt.timedelta(days=5), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=5), "insufficient_funds")
    monitoring_run_now(as_of=AS_OF)
    attempt(due, AS_OF, "success")
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.DEBIT_RETRY, Cleared.DEBIT_SUCCEEDED, run)


def test_a_premium_paid_another_way_closes_the_bank_account_item(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF - dt.timedelta(days=3), status="overdue")
    attempt(due, AS_OF - dt.timedelta(days=3), "account_changed")
    monitoring_run_now(as_of=AS_OF)
    PremiumDue.objects.filter(pk=due.pk).update(status="paid", paid_on=AS_OF)
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.BANK_ACCOUNT_CHANGE, Cleared.PREMIUM_PAID, run)


def test_a_mandate_on_file_closes_the_mandate_drive(book: Book) -> None:
    policy = make_policy(book)
    monitoring_run_now(as_of=AS_OF)
    assert item(Rule.MANDATE_DRIVE).reason == "none"
    mandate(policy, "pending")
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.MANDATE_DRIVE, Cleared.MANDATE_ON_FILE, run)


def test_a_premium_paid_in_grace_closes_the_countdown(book: Book) -> None:
    policy = make_policy(book, payment_method="cash")
    due = premium(policy, AS_OF - dt.timedelta(days=45), status="overdue")
    monitoring_run_now(as_of=AS_OF)
    PremiumDue.objects.filter(pk=due.pk).update(status="paid", paid_on=AS_OF)
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.GRACE, Cleared.PREMIUM_PAID, run)


def test_a_lapse_ends_the_grace_countdown_as_no_longer_needed(book: Book) -> None:
    policy = make_policy(book, payment_method="cash")
    premium(policy, AS_OF - dt.timedelta(days=45), status="overdue")
    monitoring_run_now(as_of=AS_OF)
    lapse(policy, AS_OF)
    run = monitoring_run_now(as_of=AS_OF)
    grace = item(Rule.GRACE)
    assert (grace.status, grace.outcome, grace.cleared_by) == (
        ItemStatus.DONE,
        Outcome.NOT_NEEDED,
        Cleared.NO_LONGER_APPLIES,
    )
    assert grace.closed_by_run_id == run.pk
    assert item(Rule.LAPSE_NOTICE, policy).status == ItemStatus.OPEN  # the lapse takes over


def test_a_reinstatement_closes_the_lapse_notice_and_the_reinstatement_item(
    book: Book,
) -> None:
    policy = make_policy(book, payment_method="cash")
    lapse(policy, AS_OF - dt.timedelta(days=5))
    monitoring_run_now(as_of=AS_OF)
    Policy.objects.filter(pk=policy.pk).update(status="reinstated")
    run = monitoring_run_now(as_of=AS_OF)
    for rule in (Rule.LAPSE_NOTICE, Rule.REINSTATEMENT):
        closed = item(rule)
        assert (closed.outcome, closed.cleared_by) == (
            Outcome.CONDITION_CLEARED,
            Cleared.REINSTATED,
        )
        assert closed.closed_by_run_id == run.pk
    assert run.closed[Rule.LAPSE_NOTICE] == run.closed[Rule.REINSTATEMENT] == 1


def test_a_paid_survival_benefit_closes_its_item(book: Book) -> None:
    policy = make_policy(book, payment_method="cash")
    mandate(policy, dormant=True)
    due = payout(policy, AS_OF + dt.timedelta(days=10))
    monitoring_run_now(as_of=AS_OF)
    Disbursement.objects.filter(pk=due.pk).update(status="paid")
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.SURVIVAL_BENEFIT, Cleared.PAYOUT_PAID, run)


def test_a_failed_maturity_paid_at_last_closes_its_item(book: Book) -> None:
    policy = make_policy(book, payment_method="cash")
    due = payout(policy, AS_OF - dt.timedelta(days=40), kind="maturity", status="failed")
    monitoring_run_now(as_of=AS_OF)
    Disbursement.objects.filter(pk=due.pk).update(status="paid")
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.MATURITY, Cleared.PAYOUT_PAID, run)


def test_a_renewal_closes_the_short_term_renewal_item(book: Book) -> None:
    short = factories.product("ACC-1Y", line="accident", term="short")
    ending = make_policy(book, product_=short, issue_date=dt.date(2025, 12, 1))
    monitoring_run_now(as_of=AS_OF)
    assert item(Rule.SHORT_TERM_RENEWAL).policy_id == ending.pk
    make_policy(book, product_=short, issue_date=dt.date(2026, 12, 1))  # the renewal
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.SHORT_TERM_RENEWAL, Cleared.RENEWED, run, policy=ending)


def test_a_term_extended_past_the_end_counts_as_renewed(book: Book) -> None:
    short = factories.product("ACC-1Y", line="accident", term="short")
    ending = make_policy(book, product_=short, issue_date=dt.date(2025, 12, 1))
    monitoring_run_now(as_of=AS_OF)
    Policy.objects.filter(pk=ending.pk).update(term_years=2)
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.SHORT_TERM_RENEWAL, Cleared.RENEWED, run)


def test_leaving_monthly_premiums_closes_the_conversion_offer(book: Book) -> None:
    policy = make_policy(book, payment_mode="monthly", payment_method="cash")
    monitoring_run_now(as_of=AS_OF)
    Policy.objects.filter(pk=policy.pk).update(payment_mode="annual")
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.ANNUAL_CONVERSION, Cleared.CONVERTED, run)


def test_a_review_recorded_closes_the_periodic_review_item(book: Book) -> None:
    make_policy(book, payment_method="cash")
    monitoring_run_now(as_of=AS_OF)
    AccountReview.objects.create(
        customer=book.customer,
        branch_id=book.customer.branch_id,
        trigger="life_event",
        life_event="child_born",
        reviewed_on=AS_OF,
    )
    run = monitoring_run_now(as_of=AS_OF)
    assert_cleared(Rule.ACCOUNT_REVIEW, Cleared.REVIEWED, run)


def test_an_item_closed_by_a_person_is_left_alone(book: Book) -> None:
    policy = make_policy(book)
    mandate(policy)
    due = premium(policy, AS_OF + dt.timedelta(days=10))
    monitoring_run_now(as_of=AS_OF)
    work_item_close(item=item(Rule.PREMIUM_DUE), outcome="reminded", by=book.rm)
    PremiumDue.objects.filter(pk=due.pk).update(status="paid", paid_on=AS_OF)
    run = monitoring_run_now(as_of=AS_OF)
    kept = item(Rule.PREMIUM_DUE)
    assert (kept.outcome, kept.closed_by_id, kept.closed_by_run_id) == (
        Outcome.REMINDED,
        book.rm.pk,
        None,
    )
    assert Rule.PREMIUM_DUE not in run.closed


def test_each_batch_is_audited_once_and_the_kpi_counts_system_closes_apart(
    book: Book,
) -> None:
    first, second = make_policy(book), make_policy(book)
    for policy in (first, second):
        mandate(policy)
    dues = [premium(p, AS_OF + dt.timedelta(days=3)) for p in (first, second)]
    monitoring_run_now(as_of=AS_OF)
    PremiumDue.objects.filter(pk__in=[d.pk for d in dues]).update(status="paid")
    run = monitoring_run_now(as_of=AS_OF)
    [event] = AuditEvent.objects.filter(action="monitoring.item.close_cleared")
    assert event.after == {
        "rule": "premium_due",
        "cleared_by": "premium_paid",
        "outcome": "condition_cleared",
        "count": 2,
    }
    assert str(run.pk) == str(event.object_id)
    work_item_close(item=item(Rule.ACCOUNT_REVIEW), outcome="reviewed", by=book.rm)
    rates = {rate.code: rate for rate in monitoring_kpis(book.rm).rates}
    # The review item (due in 30 days) closed by a person today is on time; the two
    # reminders the run closed count apart, in neither numerator nor denominator.
    assert (rates["items_on_time"].numerator, rates["items_on_time"].denominator) == (1, 1)
    closed_by_run = rates["items_closed_automatically"]
    assert (closed_by_run.numerator, closed_by_run.denominator) == (2, 3)

"""Monitoring KPIs: lapse and surrender rates by reason, over the policies exposed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from policydesk.monitoring.kpis import monitoring_kpis
from policydesk.policies.models import Policy, PolicyStatusChange
from tests.monitoring.conftest import Book, make_policy


def _end(policy: Policy, status: str, reason: str, on: dt.date) -> None:
    PolicyStatusChange.objects.create(
        policy=policy, from_status="in_force", to_status=status, changed_on=on, reason=reason
    )
    Policy.objects.filter(pk=policy.pk).update(status=status)


def test_lapse_and_surrender_rates_by_reason_share_the_exposure(book: Book) -> None:
    today = timezone.localdate()
    recent = today - dt.timedelta(days=30)
    policies = [make_policy(book) for _ in range(10)]  # in force
    _end(policies[0], "lapsed", "premium unpaid", recent)
    _end(policies[1], "lapsed", "premium unpaid", recent)
    _end(policies[2], "lapsed", "moved abroad", recent)
    _end(policies[3], "surrendered", "needs cash", recent)
    _end(policies[4], "surrendered", "needs cash", today - dt.timedelta(days=400))  # too old
    result = monitoring_kpis(book.rm, as_of=today)
    # Exposed: 5 still live + 3 lapsed + 1 surrendered in the year (the old surrender is not).
    by_reason = {(e.status, e.reason): e for e in result.ended_by_reason}
    assert set(by_reason) == {
        ("lapsed", "premium unpaid"),
        ("lapsed", "moved abroad"),
        ("surrendered", "needs cash"),
    }
    unpaid = by_reason[("lapsed", "premium unpaid")]
    assert (unpaid.numerator, unpaid.denominator) == (2, 9)
    assert str(unpaid.percent) == "22.2"
    rates = {rate.code: rate for rate in result.rates}
    assert (rates["lapse_rate"].numerator, rates["lapse_rate"].denominator) == (3, 9)
    lapse_reasons = sum(e.numerator for e in result.ended_by_reason if e.status == "lapsed")
    assert lapse_reasons == rates["lapse_rate"].numerator  # the reasons add up to the rate
    assert rates["surrender_rate"].numerator == 1


def test_another_branch_sees_none_of_them(book: Book) -> None:
    today = timezone.localdate()
    _end(make_policy(book), "lapsed", "premium unpaid", today - dt.timedelta(days=3))
    assert monitoring_kpis(book.rm_b, as_of=today).ended_by_reason == []
    assert [e.reason for e in monitoring_kpis(book.rm, as_of=today).ended_by_reason] == [
        "premium unpaid"
    ]

"""KPIs of account monitoring over the last twelve months, for the user's branches.

Each rate is numerator / denominator in percent (None when the denominator is 0); each
is one aggregate query, so the page costs a fixed number of queries at any size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from policydesk.core.access import require, scope_to_user
from policydesk.policies.models import (
    CollectionAttempt,
    Disbursement,
    Policy,
    PolicyStatusChange,
    PremiumDue,
)

from .models import ItemStatus, Outcome, Rule, WorkItem


@dataclass(frozen=True)
class Rate:
    code: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        value = Decimal(100 * self.numerator) / Decimal(self.denominator)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class EndedRate(Rate):
    """Lapses or surrenders of one reason over the year, as a share of the policies exposed
    (live now, or ended in the year): the same denominator as the overall rates, so the
    reasons of one status add up to its rate."""

    status: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Kpis:
    since: dt.date
    until: dt.date
    rates: list[Rate]
    ended_by_reason: list[EndedRate]  # the 20 largest, by status then policies
    live_policies: int


def _scoped(queryset: Any, user: Any, field: str) -> Any:
    return scope_to_user(queryset, user, branch_field=field)


def _persistency(user: Any, as_of: dt.date, months: int) -> Rate:
    """Policies issued in the year that ended `months` months ago still in force `months`
    months after issue (not lapsed or surrendered by then)."""
    cohort_end = as_of - dt.timedelta(days=round(months * 30.44))
    cohort_start = cohort_end - dt.timedelta(days=365)
    cohort = _scoped(
        Policy.objects.filter(issue_date__gt=cohort_start, issue_date__lte=cohort_end).exclude(
            status__in=("cancelled_cooling_off", "claim_terminated", "declined", "withdrawn")
        ),
        user,
        "branch",
    )
    ended_early = PolicyStatusChange.objects.filter(
        policy=OuterRef("pk"),
        to_status__in=("lapsed", "surrendered"),
        changed_on__lte=F("policy__issue_date") + dt.timedelta(days=round(months * 30.44)),
    )
    totals = cohort.aggregate(n=Count("id"), kept=Count("id", filter=~Q(Exists(ended_early))))
    return Rate(f"persistency_{months}", totals["kept"], totals["n"])


def monitoring_kpis(user: Any, *, as_of: dt.date | None = None) -> Kpis:
    require(user, "monitoring.view")
    as_of = as_of or timezone.localdate()
    since = as_of - dt.timedelta(days=365)
    debited = CollectionAttempt.objects.filter(
        premium=OuterRef("pk"), method="auto_debit", result="success"
    )
    by_auto_debit = CollectionAttempt.objects.filter(premium=OuterRef("pk"), method="auto_debit")
    renewal = _scoped(
        PremiumDue.objects.filter(
            Exists(by_auto_debit), is_first_premium=False, due_date__gt=since, due_date__lte=as_of
        ),
        user,
        "policy__branch",
    )
    renewal_totals = renewal.aggregate(n=Count("id"), ok=Count("id", filter=Q(Exists(debited))))
    first = _scoped(
        PremiumDue.objects.filter(
            is_first_premium=True, status="paid", paid_on__gt=since, paid_on__lte=as_of
        ),
        user,
        "policy__branch",
    )
    first_totals = first.aggregate(n=Count("id"), auto=Count("id", filter=Q(Exists(debited))))
    survival = _scoped(
        Disbursement.objects.filter(
            kind="survival_benefit", due_date__gt=since, due_date__lte=as_of
        ).exclude(status="scheduled"),
        user,
        "policy__branch",
    )
    survival_totals = survival.aggregate(
        n=Count("id"),
        transfer=Count("id", filter=Q(method="bank_transfer", status="paid")),
    )
    conversion = _scoped(
        WorkItem.objects.filter(rule=Rule.ANNUAL_CONVERSION, status=ItemStatus.DONE),
        user,
        "branch",
    ).aggregate(n=Count("id"), ok=Count("id", filter=Q(outcome=Outcome.CONVERTED)))
    # Done on time counts what people closed; items the run closed by itself (their
    # condition cleared) are counted apart, neither on time nor late.
    closed = _scoped(
        WorkItem.objects.filter(status=ItemStatus.DONE, closed_at__date__gt=since),
        user,
        "branch",
    ).aggregate(
        n=Count("id"),
        by_people=Count("id", filter=Q(closed_by_run__isnull=True)),
        on_time=Count("id", filter=Q(closed_by_run__isnull=True, closed_at__date__lte=F("due_on"))),
    )
    live = _scoped(
        Policy.objects.filter(status__in=("in_force", "in_grace", "reinstated")), user, "branch"
    ).count()
    ended_in_year = _scoped(
        PolicyStatusChange.objects.filter(
            to_status__in=("lapsed", "surrendered"), changed_on__gt=since, changed_on__lte=as_of
        ),
        user,
        "policy__branch",
    )
    totals = ended_in_year.aggregate(
        lapsed=Count("id", filter=Q(to_status="lapsed")),
        surrendered=Count("id", filter=Q(to_status="surrendered")),
    )
    lapsed, surrendered = totals["lapsed"], totals["surrendered"]
    exposed = live + lapsed + surrendered
    ended = (
        ended_in_year.values("to_status", "reason")
        .annotate(n=Count("id"))
        .order_by("to_status", "-n", "reason")[:20]
    )
    rates = [
        Rate("renewal_auto_debit_success", renewal_totals["ok"], renewal_totals["n"]),
        Rate("first_premium_auto_debit", first_totals["auto"], first_totals["n"]),
        Rate("survival_benefit_transfer", survival_totals["transfer"], survival_totals["n"]),
        _persistency(user, as_of, 13),
        _persistency(user, as_of, 25),
        Rate("lapse_rate", lapsed, exposed),
        Rate("surrender_rate", surrendered, exposed),
        Rate("monthly_to_annual", conversion["ok"], conversion["n"]),
        Rate("items_on_time", closed["on_time"], closed["by_people"]),
        Rate("items_closed_automatically", closed["n"] - closed["by_people"], closed["n"]),
    ]
    return Kpis(
        since=since,
        until=as_of,
        rates=rates,
        ended_by_reason=[
            EndedRate(
                f"{row['to_status']}_rate",
                row["n"],
                exposed,
                status=row["to_status"],
                reason=row["reason"] or "—",
            )
            for row in ended
        ],
        live_policies=live,
    )

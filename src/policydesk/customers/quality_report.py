"""Open contact-quality defects counted by defect, channel and intermediary.

The seed branch lost callbacks mostly on bancassurance business (mobiles forced into the
office-phone field, intermediary policies without any phone); counting defects by channel and
intermediary shows the sales side where to collect better contact details.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from policydesk.core.access import require, scope_to_user
from policydesk.policies.models import TERMINAL_STATUSES, PolicyStatus

from .models import ContactDefect, DefectCode

NO_POLICY = "none"
LIVE_STATUSES = sorted(set(PolicyStatus.values) - set(TERMINAL_STATUSES))


@dataclass(frozen=True)
class DefectCount:
    code: str
    channel: str  # a policies.Channel value, or "none" for customers without a live policy
    intermediary: str  # the intermediary's name, "" when sold without one
    customers: int


def defect_counts(user: Any) -> list[DefectCount]:
    """Customers with an open defect, per (defect, channel, intermediary) of their policies.

    A defect of a contact counts once for every channel and intermediary through which the
    customer holds a live policy; a "no reachable number" defect counts for its own policy.
    """
    require(user, "customers.view")
    open_defects = scope_to_user(
        ContactDefect.objects.filter(resolved_at__isnull=True),
        user,
        branch_field="customer__branch",
    )
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    per_policy = (
        open_defects.filter(policy__isnull=False)
        .values_list("code", "policy__channel", "policy__intermediary__name")
        .annotate(customers=Count("customer_id", distinct=True))
    )
    for code, channel, intermediary, customers in per_policy:
        counts[(code, channel, intermediary or "")] += customers
    per_contact = (
        open_defects.filter(contact__isnull=False)
        .filter(
            Q(customer__policies_held__isnull=True)
            | Q(customer__policies_held__status__in=LIVE_STATUSES)
        )
        .values_list(
            "code",
            "customer__policies_held__channel",
            "customer__policies_held__intermediary__name",
        )
        .annotate(customers=Count("customer_id", distinct=True))
    )
    for code, channel, intermediary, customers in per_contact:
        counts[(code, channel or NO_POLICY, intermediary or "")] += customers
    # Customers whose policies have all ended: the join above keeps none of their rows.
    ended_only = (
        open_defects.filter(contact__isnull=False, customer__policies_held__isnull=False)
        .exclude(customer__policies_held__status__in=LIVE_STATUSES)
        .values_list("code")
        .annotate(customers=Count("customer_id", distinct=True))
    )
    for code, customers in ended_only:
        counts[(code, NO_POLICY, "")] += customers
    return sorted(
        (
            DefectCount(code, channel, intermediary, n)
            for (code, channel, intermediary), n in counts.items()
        ),
        key=lambda row: (row.code, -row.customers, row.channel, row.intermediary),
    )


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: int
    percent: float  # of the largest bar, for the bar's drawn length


def bars_by_defect(rows: list[DefectCount]) -> list[ChartBar]:
    """Totals per defect for the chart, largest first, labelled in the active language."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.code] += row.customers
    largest = max(totals.values(), default=0) or 1
    labels = dict(DefectCode.choices)
    return [
        ChartBar(label=str(labels.get(code, code)), value=value, percent=100 * value / largest)
        for code, value in sorted(totals.items(), key=lambda item: -item[1])
    ]

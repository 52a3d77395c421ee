"""Eligibility rules of the servicing catalogue: named rule codes with parameters.

The catalogue (data) picks and parameterises rules, e.g.
`{ rule = "lapsed_within_days", days = 730 }`; each rule is a Python function here that
answers None (the policy qualifies) or the reason it does not, in words a teller can read
to the customer. `check_eligibility` returns every reason, so a refusal names them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from policydesk.policies import lifecycle
from policydesk.policies.models import (
    DisbursementStatus,
    MandateStatus,
    PaymentMode,
    Policy,
    PolicyStatus,
)


@dataclass(frozen=True)
class Refusal:
    rule: str
    reason: str


Rule = Callable[[Policy, dt.date, dict[str, Any]], str | None]


def _status_label(value: str) -> str:
    try:
        return str(PolicyStatus(value).label)
    except ValueError:
        return value


def policy_status_in(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    statuses = [str(status) for status in params.get("statuses", [])]
    if policy.status in statuses:
        return None
    return _("The policy is %(status)s; this item needs it to be %(allowed)s.") % {
        "status": _status_label(policy.status),
        "allowed": ", ".join(_status_label(status) for status in statuses),
    }


def within_cooling_off(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    if policy.cooling_off_end is None:
        return _("The policy has no cooling-off period on file (receipt not signed).")
    if today > policy.cooling_off_end:
        return _("The cooling-off period ended on %(date)s.") % {
            "date": policy.cooling_off_end.isoformat()
        }
    return None


def after_cooling_off(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    if policy.cooling_off_end is not None and today <= policy.cooling_off_end:
        return _(
            "The policy is still in its cooling-off period (until %(date)s): cancel it instead."
        ) % {"date": policy.cooling_off_end.isoformat()}
    return None


def lapse_date(policy: Policy) -> dt.date | None:
    change = (
        policy.status_changes.filter(to_status=PolicyStatus.LAPSED)
        .order_by("-changed_on", "-id")
        .first()
    )
    return change.changed_on if change else None


def lapsed_within_days(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    lapsed_on = lapse_date(policy)
    if policy.status != PolicyStatus.LAPSED or lapsed_on is None:
        return _("The policy has not lapsed.")
    days = int(params.get("days", 730))
    # The two-year window of the lifecycle (29 February runs to 1 March), or a shorter one.
    deadline = min(lifecycle.reinstatement_deadline(lapsed_on), lapsed_on + dt.timedelta(days))
    if today > deadline:
        return _("The policy lapsed on %(lapsed)s; it could be reinstated until %(date)s.") % {
            "lapsed": lapsed_on.isoformat(),
            "date": deadline.isoformat(),
        }
    return None


def next_anniversary(policy: Policy, today: dt.date) -> dt.date | None:
    """The first policy anniversary (of the issue date) after `today`."""
    start = policy.issue_date
    if start is None:
        return None
    for year in range(max(today.year, start.year), today.year + 2):
        try:
            candidate = start.replace(year=year)
        except ValueError:  # issued on 29 February
            candidate = dt.date(year, 3, 1)
        if candidate > today and candidate > start:
            return candidate
    return None


def at_anniversary(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    within = int(params.get("within_days", 60))
    anniversary = next_anniversary(policy, today)
    if anniversary is None:
        return _("The policy has no issue date, so no anniversary.")
    if (anniversary - today).days > within:
        return _(
            "The change takes effect at the next anniversary (%(date)s); apply within "
            "%(days)s days before it."
        ) % {"date": anniversary.isoformat(), "days": within}
    return None


def mode_is(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    modes = [str(mode) for mode in params.get("modes", [])]
    if policy.payment_mode in modes:
        return None
    return _("The policy is paid %(mode)s; this item is for %(allowed)s.") % {
        "mode": PaymentMode(policy.payment_mode).label,
        "allowed": ", ".join(str(PaymentMode(mode).label) for mode in modes),
    }


def term_is(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    term = str(params.get("term", "long"))
    if policy.product.term == term:
        return None
    return _("This item is only for %(term)s policies.") % {
        "term": _("long-term") if term == "long" else _("short-term")
    }


def has_bank_mandate(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    mandate = getattr(policy, "mandate", None)
    if mandate is None or mandate.status != MandateStatus.ACTIVE:
        return _("The policy has no active bank account on file: change the account first.")
    if mandate.is_dormant:
        return _("The policy's bank account is dormant: change the account first.")
    return None


def has_disbursement_due(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    kind = str(params.get("kind", "survival_benefit"))
    due = policy.disbursements.filter(
        kind=kind,
        due_date__lte=today,
        status__in=[DisbursementStatus.SCHEDULED, DisbursementStatus.FAILED],
    ).exists()
    if due:
        return None
    return _("No unpaid benefit of this kind has fallen due on the policy.")


def term_end(policy: Policy) -> dt.date | None:
    if policy.issue_date is None:
        return None
    try:
        return policy.issue_date.replace(year=policy.issue_date.year + policy.term_years)
    except ValueError:
        return dt.date(policy.issue_date.year + policy.term_years, 3, 1)


def term_ended(policy: Policy, today: dt.date, params: dict[str, Any]) -> str | None:
    end = term_end(policy)
    if end is None or today < end:
        return _("The policy reaches the end of its term on %(date)s.") % {
            "date": end.isoformat() if end else "—"
        }
    return None


RULES: dict[str, Rule] = {
    "policy_status_in": policy_status_in,
    "within_cooling_off": within_cooling_off,
    "after_cooling_off": after_cooling_off,
    "lapsed_within_days": lapsed_within_days,
    "at_anniversary": at_anniversary,
    "mode_is": mode_is,
    "term_is": term_is,
    "has_bank_mandate": has_bank_mandate,
    "has_disbursement_due": has_disbursement_due,
    "term_ended": term_ended,
}


def check_rules(rules: Any) -> list[str]:
    """Problems of a catalogue entry's rules (unknown rule codes), for the sync and edits."""
    problems: list[str] = []
    if not isinstance(rules, list):
        return [_("rules must be a list")]
    for index, entry in enumerate(rules):
        if not isinstance(entry, dict) or entry.get("rule") not in RULES:
            problems.append(
                _("rules[%(index)s] names no known rule (known: %(known)s)")
                % {"index": index, "known": ", ".join(sorted(RULES))}
            )
    return problems


def check_eligibility(policy: Policy, rules: list[dict[str, Any]], today: dt.date) -> list[Refusal]:
    """Every rule the policy fails, with its reason; empty when the policy qualifies."""
    refusals: list[Refusal] = []
    for entry in rules:
        code = str(entry.get("rule", ""))
        params = {key: value for key, value in entry.items() if key != "rule"}
        rule = RULES.get(code)
        if rule is None:
            refusals.append(Refusal(code, _("Unknown eligibility rule %(code)s.") % {"code": code}))
            continue
        reason = rule(policy, today, params)
        if reason is not None:
            refusals.append(Refusal(code, reason))
    return refusals

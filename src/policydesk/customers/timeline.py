"""The customer's one merged timeline, assembled from "timeline sources".

A source is a function taking a `TimelineContext` (the customer and what the 360 view already
loaded: visible policies with their money events, contacts, consents) and returning entries.
Sources here read only the loaded data, so they cost no query. Later apps (cases, callbacks,
counter visits, campaigns) register their own source with `register_source`, from their
AppConfig.ready(); such a source may run one bounded query of its own, scoped to the
context's `visible_branch_ids`, so the 360 view's query count stays independent of how many
policies or events a customer has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Consent, ContactPoint, Customer

# How many entries the 360 shows; older entries remain on the policy pages.
TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime  # aware; for a date-only event, midnight UTC of that day
    kind: str  # stable code: "policy_status", "consent", "premium", "collection", ...
    title: str
    detail: str = ""
    url: str = ""
    date_only: bool = False


@dataclass(frozen=True)
class TimelineContext:
    customer: Customer
    user: Any
    visible_branch_ids: frozenset[int] | None  # None: the whole company
    policies: Sequence[Any] = ()  # policies.Policy with money events prefetched
    contacts: Sequence[ContactPoint] = ()
    consents: Sequence[Consent] = ()
    extra: dict[str, Any] = field(default_factory=dict)


TimelineSource = Callable[[TimelineContext], Iterable[TimelineEntry]]
TIMELINE_SOURCES: list[TimelineSource] = []


def register_source(source: TimelineSource) -> TimelineSource:
    """Add a source (usable as a decorator); registering one twice has no effect."""
    if source not in TIMELINE_SOURCES:
        TIMELINE_SOURCES.append(source)
    return source


def on_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def build_timeline(context: TimelineContext, *, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """Every source's entries, newest first, at most `limit` of them."""
    entries: list[TimelineEntry] = []
    for source in TIMELINE_SOURCES:
        entries.extend(source(context))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


@register_source
def policy_status_changes(context: TimelineContext) -> Iterable[TimelineEntry]:
    for policy in context.policies:
        url = reverse("policies:detail", args=[policy.pk])
        for change in policy.status_changes.all():
            yield TimelineEntry(
                at=on_day(change.changed_on),
                kind="policy_status",
                title=_("Policy %(number)s: %(status)s")
                % {"number": policy.number, "status": change.get_to_status_display()},
                detail=change.reason,
                url=url,
                date_only=True,
            )


@register_source
def money_events(context: TimelineContext) -> Iterable[TimelineEntry]:
    for policy in context.policies:
        url = reverse("policies:detail", args=[policy.pk])
        for premium in policy.premiums.all():
            if premium.paid_on:
                yield TimelineEntry(
                    at=on_day(premium.paid_on),
                    kind="premium",
                    title=_("Policy %(number)s: premium of %(amount)s %(currency)s paid")
                    % {
                        "number": policy.number,
                        "amount": premium.amount,
                        "currency": premium.currency,
                    },
                    url=url,
                    date_only=True,
                )
            for attempt in premium.attempts.all():
                yield TimelineEntry(
                    at=on_day(attempt.attempted_on),
                    kind="collection",
                    title=_("Policy %(number)s: collection of %(amount)s: %(result)s")
                    % {
                        "number": policy.number,
                        "amount": attempt.amount,
                        "result": attempt.get_result_display(),
                    },
                    detail=attempt.bank_code,
                    url=url,
                    date_only=True,
                )
        for payout in policy.disbursements.all():
            yield TimelineEntry(
                at=on_day(payout.paid_on or payout.due_date),
                kind="disbursement",
                title=_("Policy %(number)s: %(kind)s of %(amount)s %(currency)s: %(status)s")
                % {
                    "number": policy.number,
                    "kind": payout.get_kind_display(),
                    "amount": payout.amount,
                    "currency": payout.currency,
                    "status": payout.get_status_display(),
                },
                detail=payout.failure_reason,
                url=url,
                date_only=True,
            )


@register_source
def consent_decisions(context: TimelineContext) -> Iterable[TimelineEntry]:
    for consent in context.consents:
        template = (
            _("Consent granted: %(purpose)s by %(channel)s")
            if consent.granted
            else _("Consent withdrawn: %(purpose)s by %(channel)s")
        )
        yield TimelineEntry(
            at=consent.recorded_at,
            kind="consent",
            title=template
            % {
                "purpose": consent.get_purpose_display(),
                "channel": consent.get_channel_display(),
            },
            detail=consent.source,
        )


@register_source
def contact_changes(context: TimelineContext) -> Iterable[TimelineEntry]:
    for contact in context.contacts:
        yield TimelineEntry(
            at=contact.created_at,
            kind="contact",
            title=_("Contact added: %(kind)s") % {"kind": contact.get_kind_display()},
            detail=contact.source,
        )
        if contact.updated_at > contact.created_at + dt.timedelta(seconds=1):
            yield TimelineEntry(
                at=contact.updated_at,
                kind="contact",
                title=_("Contact changed: %(kind)s") % {"kind": contact.get_kind_display()},
            )

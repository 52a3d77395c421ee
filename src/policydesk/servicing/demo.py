"""Demo servicing (保全): the seed branch's year of 26,491 items (DOMAIN.md §1).

Finished history is written set-based (`bulk_historic_cases`, then the items with their case
ids): its moments and KPI fields are computed on the branch's working calendar, but **no
effect is replayed on the policies** — the registry's policies stay as the policy demo made
them. A few dozen items at the end of the period go through the services with past `at`
times, so their clocks run as in real use.

The mix follows the seed report: contact and bank-account changes, monthly → annual
conversions and survival benefits are the bulk; surrenders of participating products are
blamed on mis-selling and exaggerated returns, of protection products on unaffordable
premiums. Items are received mostly by the five front tellers, at the counter.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from policydesk.cases import clocks
from policydesk.cases.process_services import processes_sync
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.errors import DomainError
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import TERMINAL_STATUSES, Policy, ProductLine

from . import services
from .models import ServicingItem, ServicingItemType, SurrenderReason

SEED_TOTAL = 26491
OPEN_ITEMS = 36
# Share of the year's items by catalogue code (the seed report's servicing mix, inferred).
MIX: dict[str, float] = {
    "contact-change": 0.24,
    "bank-account-change": 0.21,
    "survival-benefit": 0.20,
    "payment-mode-change": 0.13,
    "beneficiary-change": 0.045,
    "surrender": 0.05,
    "reinstatement": 0.03,
    "policy-loan": 0.035,
    "cooling-off-cancellation": 0.02,
    "maturity": 0.02,
    "policyholder-change": 0.01,
}
CHANNELS = (("counter", 0.88), ("bancassurance", 0.05), ("agent", 0.04), ("phone", 0.03))
PARTICIPATING_REASONS = (
    (SurrenderReason.MIS_SELLING, 0.35),
    (SurrenderReason.EXAGGERATED_RETURNS, 0.3),
    (SurrenderReason.DISSATISFIED_DIVIDENDS, 0.2),
    (SurrenderReason.NEED_CASH, 0.15),
)
PROTECTION_REASONS = (
    (SurrenderReason.UNAFFORDABLE_PREMIUM, 0.6),
    (SurrenderReason.NEED_CASH, 0.2),
    (SurrenderReason.MIS_SELLING, 0.1),
    (SurrenderReason.BETTER_ELSEWHERE, 0.1),
)
OTHER_REASONS = ((SurrenderReason.NEED_CASH, 0.6), (SurrenderReason.OTHER, 0.4))
PROTECTION_LINES = {
    ProductLine.HEALTH,
    ProductLine.CRITICAL_ILLNESS,
    ProductLine.MEDICAL,
    ProductLine.ACCIDENT,
    ProductLine.LIFE,
}
EMPTY = {"servicing_items": 0, "historic": 0, "open": 0}


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    values = [value for value, _ in weighted]
    return rng.choices(values, weights=[weight for _, weight in weighted])[0]


class _Days:
    """The branch's working days of the period, indexed, for fast "n working days later"."""

    def __init__(self, calendar: WorkingCalendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
        self.days: list[dt.date] = []
        for day in calendar.working_days_after(first - dt.timedelta(days=1)):
            if day > last + dt.timedelta(days=60):
                break
            self.days.append(day)
        self.index = {day: position for position, day in enumerate(self.days)}
        self.until = sum(1 for day in self.days if day <= last)

    def at(self, position: int, rng: random.Random) -> dt.datetime:
        """A moment in counter hours (08:30–17:00 local) of the position-th working day."""
        day = self.days[min(position, len(self.days) - 1)]
        minutes = 8 * 60 + 30 + rng.randint(0, 8 * 60)
        local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
        return local.replace(tzinfo=self.calendar.zone).astimezone(dt.UTC)

    def end(self, position: int) -> dt.datetime:
        return self.calendar.end_of_day(self.days[min(position, len(self.days) - 1)])


def _staff(branch: Branch) -> tuple[list[Staff], list[Staff], Staff | None]:
    people = list(Staff.objects.filter(branch=branch, is_active=True).order_by("username"))
    tellers = [s for s in people if s.role == Role.FRONT_TELLER][:5]
    others = [s for s in people if s.role in (Role.BACK_OFFICE, Role.COUNTER_MANAGER)]
    approver = next((s for s in people if s.role == Role.BACK_OFFICE), None) or next(
        (s for s in people if s.role == Role.COUNTER_MANAGER), None
    )
    return tellers, others, approver


def servicing_demo(
    *, branch: Branch, seed: int, as_of: dt.date, scale: float = 1.0
) -> dict[str, int]:
    """Create round(26,491 × scale) servicing items at `branch` in the operations period of
    `as_of`. A branch that has servicing items already gets none (all counts zero)."""
    if ServicingItem.objects.filter(case__branch=branch).exists():
        return dict(EMPTY)
    total = round(SEED_TOTAL * scale)
    if total <= 0:
        return dict(EMPTY)
    processes_sync()
    services.catalogue_sync()
    rng = random.Random(seed)  # noqa: S311 — demo data, not security
    first, last = operations_period(as_of)
    tellers, others, approver = _staff(branch)
    if not tellers or approver is None:
        raise DomainError("The demo branch needs front tellers and a back office.")
    policies = list(
        Policy.objects.filter(branch=branch)
        .exclude(status__in=TERMINAL_STATUSES)
        .values_list("id", "policyholder_id", "product__line", "number")
        .order_by("id")
    )
    if not policies:
        raise DomainError("The demo branch has no policies.")
    days = _Days(clocks.calendar_for(branch), first, last)
    types = {t.code: t for t in ServicingItemType.objects.all()}
    # The open items first: whatever they fall short of (too few policies that qualify),
    # the history makes up, so the total is exact.
    live = _open_items(branch, rng, days, tellers, approver, min(OPEN_ITEMS, total))
    with transaction.atomic():
        historic = _history(
            branch, rng, days, types, policies, tellers, others, approver, total - live
        )
    return {"servicing_items": historic + live, "historic": historic, "open": live}


def _history(
    branch: Branch,
    rng: random.Random,
    days: _Days,
    types: dict[str, ServicingItemType],
    policies: list[tuple[int, int, str, str]],
    tellers: list[Staff],
    others: list[Staff],
    approver: Staff,
    count: int,
) -> int:
    if count <= 0:
        return 0
    codes = list(MIX)
    weights = [MIX[code] for code in codes]
    cases: list[HistoricCase] = []
    rows: list[ServicingItem] = []
    # History ends a week before the period does: the last days belong to the open items.
    span = max(1, days.until - 6)
    for _ in range(count):
        code = rng.choices(codes, weights=weights)[0]
        item_type = types[code]
        policy_id, holder_id, line, number = policies[rng.randrange(len(policies))]
        receiver = rng.choice(tellers) if rng.random() < 0.92 or not others else rng.choice(others)
        day = rng.randrange(span)
        received = days.at(day, rng)
        complete = rng.random() < 0.86
        steps: list[tuple[str, dt.datetime]] = []
        item = ServicingItem(
            item_type=item_type,
            policy_id=policy_id,
            applicant_role=item_type.applicant_roles[0],
            documents=item_type.document_codes if complete else [],
            received_at=received,
            is_historic=True,
        )
        if complete:
            item.accept_due_at = days.end(day + services.ACCEPT_DAYS)
            accept_day = day + _pick(rng, ((0, 0.7), (1, 0.18), (2, 0.09), (3, 0.03)))
            accepted = max(received, days.at(accept_day, rng))
            item.accepted_at = accepted
            item.accepted_on_time = accepted <= item.accept_due_at
            steps.append(("review", accepted))
        else:
            item.notice_due_at = days.end(day + services.NOTICE_DAYS)
            notice_day = day + _pick(rng, ((0, 0.5), (1, 0.2), (3, 0.2), (5, 0.07), (6, 0.03)))
            notice = max(received, days.at(notice_day, rng))
            item.correction_notice_at = notice
            item.accepted_on_time = notice <= item.notice_due_at
            steps.append(("correction", notice))
            if rng.random() < 0.12:  # never came back
                steps.append(("cancelled", days.at(notice_day + 15, rng)))
                item.cancelled_at = steps[-1][1]
                _keep(cases, rows, branch, item, steps, receiver, approver, number, holder_id)
                continue
            accept_day = notice_day + rng.randint(1, 8)
            accepted = max(notice, days.at(accept_day, rng))
            item.accepted_at = accepted
            item.documents = item_type.document_codes
            steps.append(("review", accepted))
        if rng.random() < 0.03:
            steps.append(
                ("cancelled" if rng.random() < 0.6 else "declined", days.at(accept_day + 1, rng))
            )
            item.cancelled_at = steps[-1][1]
            _keep(cases, rows, branch, item, steps, receiver, approver, number, holder_id)
            continue
        approve_day = accept_day + _pick(rng, ((0, 0.6), (1, 0.3), (2, 0.1)))
        approved = max(item.accepted_at, days.at(approve_day, rng))
        item.approved_at = approved
        start_day = approve_day
        if item_type.needs_payment:
            steps.append(("awaiting-payment", approved))
            start_day = approve_day + rng.randint(0, 4)
            item.paid_at = max(approved, days.at(start_day, rng))
            steps.append(("processing", item.paid_at))
        else:
            steps.append(("processing", approved))
        started = item.paid_at or approved
        item.complete_due_at = days.end(start_day + services.COMPLETE_DAYS)
        done_day = start_day + _pick(
            rng, ((0, 0.45), (1, 0.2), (2, 0.13), (3, 0.09), (5, 0.09), (6, 0.03), (8, 0.01))
        )
        done = max(started, days.at(done_day, rng))
        item.done_at = done
        item.completed_on_time = done <= item.complete_due_at
        item.duration_working_days = days.index[days.calendar.local_date(done)] - day
        steps.append(("done", done))
        if item_type.money != "none":
            item.amount = Decimal(rng.choice((1200, 3000, 5600, 8800, 15000, 26000)))
        if code == "surrender":
            item.surrender_reason = _pick(
                rng,
                PARTICIPATING_REASONS
                if line == ProductLine.PARTICIPATING
                else PROTECTION_REASONS
                if line in PROTECTION_LINES
                else OTHER_REASONS,
            )
        _keep(cases, rows, branch, item, steps, receiver, approver, number, holder_id)
    ids = bulk_historic_cases(process_code=services.PROCESS_CODE, items=cases)
    for row, case_id in zip(rows, ids, strict=True):
        row.case_id = case_id
    ServicingItem.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _keep(
    cases: list[HistoricCase],
    rows: list[ServicingItem],
    branch: Branch,
    item: ServicingItem,
    steps: list[tuple[str, dt.datetime]],
    receiver: Staff,
    approver: Staff,
    number: str,
    holder_id: int,
) -> None:
    cases.append(
        HistoricCase(
            branch=branch,
            subject=f"{item.item_type.name} {number}",
            opened_at=item.received_at,
            channel=_pick(random.Random(item.received_at.timestamp()), CHANNELS),  # noqa: S311
            steps=steps,
            opened_by_id=receiver.pk,
            assignee_id=approver.pk if item.approved_at else receiver.pk,
            customer_id=holder_id,
            policy_id=item.policy_id,
            classification=item.item_type.code,
        )
    )
    rows.append(item)


def _open_items(
    branch: Branch,
    rng: random.Random,
    days: _Days,
    tellers: list[Staff],
    approver: Staff,
    count: int,
) -> int:
    """Items of the period's last week through the services, left at different steps."""
    candidates = list(
        Policy.objects.filter(branch=branch, status__in=("in_force", "reinstated"))
        .select_related("product", "branch")
        .order_by("-id")[: count * 4]
    )
    made = 0
    for policy in candidates:
        if made >= count:
            break
        teller = tellers[made % len(tellers)]
        day = days.until - 1 - (made % 5)
        received = days.at(day, rng)
        scenario = made % 6
        code, details = (
            ("contact-change", {"kind": "phone", "value": f"139{rng.randint(10000000, 99999999)}"})
            if scenario % 2 == 0
            else (
                "bank-account-change",
                {
                    "bank_name": "农村信用社",
                    "account_number": f"622848{rng.randint(10**9, 10**10 - 1)}",
                },
            )
        )
        documents = [d["code"] for d in services.item_type_by_code(code).documents]
        if scenario == 1:
            documents = documents[:1]  # incomplete: waits for the correction notice
        try:
            item = services.servicing_item_apply(
                policy=policy,
                item_code=code,
                applicant_role="policyholder",
                channel="counter",
                details=details,
                documents=documents,
                by=teller,
                at=received,
            )
            if scenario >= 2:
                item = services.servicing_item_accept(
                    item=item, by=teller, at=received + dt.timedelta(hours=1)
                )
            if scenario >= 4:
                item = services.servicing_item_approve(
                    item=item, by=approver, at=received + dt.timedelta(hours=3)
                )
            if scenario == 5:
                services.servicing_item_complete(
                    item=item, by=approver, at=received + dt.timedelta(hours=5)
                )
        except DomainError:
            continue
        made += 1
    clocks.sweep()
    return made

"""Demo new business (契约): the seed branch's year of 8,164 applications (DOMAIN.md §1) —
4,887 individual long-term (core system V8), 2,814 short-term card policies and 463
short-term group / batch applications.

Finished history is written set-based (`bulk_historic_cases`, then the applications with
their case ids, and the defect notices): its moments are computed on the branch's working
calendar; issued applications link a registry policy of the branch when one of the right
term is free (its policyholder, product, amounts, agent and channel are taken over), else
they stand alone. A few dozen applications at the end of the period go through the services
with past `at` times, left at different stages, so their clocks run, some are stalled on the
radar and some sit on the withdrawal list.

The mix follows the seed report: defects at initial review (alterations, product name or
address not in standard form, bank account missing for transfer, minor insured without
guardian signature, missing signatures), medical exams for part of the long-term business,
premiums the customer will not pay (withdrawn, 撤单), returns (退单) for uncorrected or
altered forms; card and group business is issued the same or the next day.
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
from policydesk.core.access import can
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.errors import DomainError
from policydesk.customers.models import Customer
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import Agent, Intermediary, Policy, Product, Term

from . import services
from .models import Application, Defect, DefectNotice, ExitKind, ScanResult, SourceSystem

SEED_COUNTS: dict[str, int] = {
    SourceSystem.LONG_TERM_CORE: 4887,
    SourceSystem.SHORT_TERM_CARD: 2814,
    SourceSystem.SHORT_TERM_GROUP: 463,
}
OPEN_SHARE: dict[str, int] = {
    SourceSystem.LONG_TERM_CORE: 16,
    SourceSystem.SHORT_TERM_CARD: 5,
    SourceSystem.SHORT_TERM_GROUP: 3,
}
EMPTY = {
    "applications": 0,
    "long_term_core": 0,
    "short_term_card": 0,
    "short_term_group": 0,
    "historic": 0,
    "open": 0,
}
RECEIVED_CHANNELS = (("counter", 0.86), ("bancassurance", 0.07), ("agent", 0.05), ("phone", 0.02))
SALES_CHANNELS: dict[str, tuple[tuple[str, float], ...]] = {
    SourceSystem.LONG_TERM_CORE: (
        ("agency", 0.62),
        ("bancassurance", 0.3),
        ("broker", 0.05),
        ("direct", 0.03),
    ),
    SourceSystem.SHORT_TERM_CARD: (("agency", 0.7), ("bancassurance", 0.2), ("direct", 0.1)),
    SourceSystem.SHORT_TERM_GROUP: (("group", 1.0),),
}
# Initial-review defects as the seed report names them (shares inferred).
DEFECTS = (
    ("altered-sum-assured", 0.06),
    ("altered-premium", 0.05),
    ("altered-product-name", 0.04),
    ("altered-term", 0.04),
    ("product-name-nonstandard", 0.16),
    ("address-nonstandard", 0.17),
    ("bank-account-missing", 0.16),
    ("minor-without-guardian", 0.1),
    ("signature-missing", 0.17),
    ("documents-missing", 0.05),
)
DEFECT_RATE: dict[str, float] = {
    SourceSystem.LONG_TERM_CORE: 0.13,
    SourceSystem.SHORT_TERM_CARD: 0.03,
    SourceSystem.SHORT_TERM_GROUP: 0.06,
}
WITHDRAW_REASONS = (
    ("premium-refused", 0.55),
    ("collection-failed", 0.2),
    ("customer-changed-mind", 0.15),
    ("duplicate", 0.05),
    ("requirements-not-met", 0.05),
)
DECLINE_REASONS = (
    ("health", 0.6),
    ("occupation", 0.15),
    ("non-disclosure", 0.15),
    ("over-limit", 0.1),
)
POSTPONE_REASONS = (("recent-illness", 0.5), ("pending-tests", 0.35), ("pregnancy", 0.15))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class _Days:
    """The branch's working days of the period (and 60 days after), indexed."""

    def __init__(self, calendar: WorkingCalendar, first: dt.date, last: dt.date) -> None:
        self.calendar = calendar
        self.days: list[dt.date] = []
        for day in calendar.working_days_after(first - dt.timedelta(days=1)):
            if day > last + dt.timedelta(days=60):
                break
            self.days.append(day)
        self.until = sum(1 for day in self.days if day <= last)

    def at(
        self, position: int, rng: random.Random, *, not_before: dt.datetime | None = None
    ) -> dt.datetime:
        """A moment in counter hours (08:30–17:00 local) of the position-th working day."""
        day = self.days[max(0, min(position, len(self.days) - 1))]
        minutes = 8 * 60 + 30 + rng.randint(0, 8 * 60 + 30)
        local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
        moment = local.replace(tzinfo=self.calendar.zone).astimezone(dt.UTC)
        if not_before is not None and moment <= not_before:
            moment = not_before + dt.timedelta(minutes=rng.randint(5, 90))
        return moment


def _staff(branch: Branch) -> tuple[list[Staff], list[Staff]]:
    people = list(Staff.objects.filter(branch=branch, is_active=True).order_by("username"))
    tellers = [s for s in people if s.role == Role.FRONT_TELLER][:5]
    back = [s for s in people if s.role == Role.BACK_OFFICE]
    return tellers, back


def newbusiness_demo(
    *, branch: Branch, seed: int, as_of: dt.date, scale: float = 1.0
) -> dict[str, int]:
    """Create round(4,887 × scale) long-term, round(2,814 × scale) card and round(463 ×
    scale) group applications at `branch` in the operations period of `as_of`. A branch
    that has applications already gets none (all counts zero)."""
    if Application.objects.filter(case__branch=branch).exists():
        return dict(EMPTY)
    totals = {source: round(count * scale) for source, count in SEED_COUNTS.items()}
    if sum(totals.values()) <= 0:
        return dict(EMPTY)
    processes_sync()
    rng = random.Random(seed)  # noqa: S311 — demo data, not security
    first, last = operations_period(as_of)
    tellers, back = _staff(branch)
    if not tellers or not back:
        raise DomainError("The demo branch needs front tellers and a back office.")
    if not (can(back[0], services.PROCESS) and can(back[0], services.UNDERWRITE)):
        # The open applications go through the services as the back office would.
        raise DomainError(
            "The permission matrix grants the back office no newbusiness.process / "
            "newbusiness.underwrite: sync org/permission_matrix.toml first."
        )
    world = _World.load(branch, first, last)
    days = _Days(clocks.calendar_for(branch), first, last)
    counts = dict(EMPTY)
    opened = 0
    for source, total in totals.items():
        live = _open_applications(
            branch, rng, days, world, tellers, back[0], source, min(OPEN_SHARE[source], total // 4)
        )
        with transaction.atomic():
            historic = _history(branch, rng, days, world, tellers, back, source, total - live)
        counts[source] = live + historic
        counts["historic"] += historic
        opened += live
    counts["open"] = opened
    counts["applications"] = sum(counts[source] for source in totals)
    return counts


class _World:
    """What the applications draw on: products, customers, agents, free registry policies."""

    def __init__(self) -> None:
        self.products: dict[str, list[Product]] = {}
        self.people: list[int] = []
        self.organisations: list[int] = []
        self.agents: list[Agent] = []
        self.banks: list[Intermediary] = []
        self.policies: dict[str, list[Policy]] = {}

    @classmethod
    def load(cls, branch: Branch, first: dt.date, last: dt.date) -> _World:
        world = cls()
        products = list(Product.objects.filter(is_active=True).order_by("code"))
        group_ids = set(
            Policy.objects.filter(branch=branch, channel="group").values_list(
                "product_id", flat=True
            )
        )
        long = [p for p in products if p.term == Term.LONG]
        short = [p for p in products if p.term == Term.SHORT]
        group = [p for p in short if p.pk in group_ids] or short
        card = [p for p in short if p.pk not in group_ids] or short
        if not long or not short:
            raise DomainError("The demo needs long-term and short-term products.")
        world.products = {
            SourceSystem.LONG_TERM_CORE: long,
            SourceSystem.SHORT_TERM_CARD: card,
            SourceSystem.SHORT_TERM_GROUP: group,
        }
        customers = Customer.objects.filter(branch=branch)
        world.people = list(
            customers.filter(kind="person").order_by("id").values_list("id", flat=True)[:20000]
        )
        world.organisations = (
            list(
                customers.filter(kind="organisation")
                .order_by("id")
                .values_list("id", flat=True)[:2000]
            )
            or world.people
        )
        if not world.people:
            raise DomainError("The demo branch has no customers.")
        world.agents = list(Agent.objects.filter(branch=branch, is_active=True).order_by("code"))
        world.banks = list(Intermediary.objects.filter(kind="bank").order_by("code"))
        linked = set(Application.objects.exclude(policy=None).values_list("policy_id", flat=True))
        pool = (
            Policy.objects.filter(branch=branch, application_date__range=(first, last))
            .exclude(pk__in=linked)
            .select_related("product")
            .order_by("id")
        )
        by_source: dict[str, list[Policy]] = {source: [] for source in SEED_COUNTS}
        for policy in pool[:20000]:
            if policy.product.term == Term.LONG:
                by_source[SourceSystem.LONG_TERM_CORE].append(policy)
            elif policy.channel == "group":
                by_source[SourceSystem.SHORT_TERM_GROUP].append(policy)
            else:
                by_source[SourceSystem.SHORT_TERM_CARD].append(policy)
        world.policies = by_source
        return world

    def product(self, rng: random.Random, source: str) -> Product:
        return rng.choice(self.products[source])

    def mode(self, product: Product, source: str) -> str:
        modes = list(product.payment_modes) or ["annual"]
        if source != SourceSystem.LONG_TERM_CORE:
            return "single" if "single" in modes else modes[0]
        return "annual" if "annual" in modes else modes[0]


def _amounts(rng: random.Random, source: str) -> tuple[Decimal, Decimal, int]:
    if source == SourceSystem.LONG_TERM_CORE:
        sum_assured = Decimal(rng.choice((50000, 100000, 150000, 200000, 300000, 500000)))
        return (
            sum_assured,
            (sum_assured * Decimal(rng.choice(("0.03", "0.045", "0.06")))).quantize(
                Decimal("0.01")
            ),
            rng.choice((10, 15, 20, 30)),
        )
    if source == SourceSystem.SHORT_TERM_CARD:
        return (
            Decimal(rng.choice((50000, 100000, 200000))),
            Decimal(rng.choice((50, 100, 150, 200))),
            1,
        )
    return Decimal(rng.choice((20000, 50000))), Decimal(rng.choice((3000, 8000, 16000, 40000))), 1


class _Track:
    """One historic application's steps on the working-day axis."""

    def __init__(
        self, days: _Days, rng: random.Random, day: int, received: dt.datetime, app: Application
    ) -> None:
        self.days, self.rng, self.app = days, rng, app
        self.position, self.moment = day, received
        self.steps: list[tuple[str, dt.datetime]] = []

    def step(self, state: str, after_days: int) -> dt.datetime:
        self.position += after_days
        self.moment = self.days.at(self.position, self.rng, not_before=self.moment)
        self.steps.append((state, self.moment))
        return self.moment

    def end(self, kind: str, reason: str, state: str, after_days: int) -> None:
        at = self.step(state, after_days)
        self.app.exit_kind, self.app.exit_reason, self.app.exited_at = kind, reason, at


def _history(
    branch: Branch,
    rng: random.Random,
    days: _Days,
    world: _World,
    tellers: list[Staff],
    back: list[Staff],
    source: str,
    count: int,
) -> int:
    if count <= 0:
        return 0
    cases: list[HistoricCase] = []
    rows: list[Application] = []
    notices: list[tuple[int, DefectNotice, list[str]]] = []
    span = max(1, days.until - 10)  # the last days belong to the open applications
    pool = world.policies[source]
    long_term = source == SourceSystem.LONG_TERM_CORE
    for _ in range(count):
        receiver = (
            rng.choice(tellers) if rng.random() < 0.93 or len(back) == 0 else rng.choice(back)
        )
        underwriter = rng.choice(back)
        day = rng.randrange(span)
        received = days.at(day, rng)
        policy = pool.pop() if pool and rng.random() < 0.9 else None
        sum_assured, premium, term = _amounts(rng, source)
        if policy is not None:
            product, applicant_id = policy.product, policy.policyholder_id
            sum_assured, premium, term = policy.sum_assured, policy.premium, policy.term_years
            channel = policy.channel if policy.channel else _pick(rng, SALES_CHANNELS[source])
            agent_id, intermediary_id = policy.agent_id, policy.intermediary_id
            mode, method = policy.payment_mode, policy.payment_method
        else:
            product = world.product(rng, source)
            applicant_id = rng.choice(
                world.organisations if source == SourceSystem.SHORT_TERM_GROUP else world.people
            )
            channel = _pick(rng, SALES_CHANNELS[source])
            agent_id = rng.choice(world.agents).pk if world.agents and channel == "agency" else None
            intermediary_id = (
                rng.choice(world.banks).pk if world.banks and channel == "bancassurance" else None
            )
            mode, method = (
                world.mode(product, source),
                rng.choice(("auto_debit", "bank_transfer", "cash")),
            )
        app = Application(
            source_system=source,
            channel=channel,
            agent_id=agent_id,
            intermediary_id=intermediary_id,
            product=product,
            applicant_id=applicant_id,
            insured_id=None if source == SourceSystem.SHORT_TERM_GROUP else applicant_id,
            sum_assured=sum_assured,
            premium=premium,
            currency=product.currency,
            term_years=term,
            payment_mode=mode,
            payment_method=method,
            received_at=received,
            received_by=receiver,
        )
        track = _Track(days, rng, day, received, app)
        step, end = track.step, track.end
        step("data-entry", 0)
        step("initial-review", 0 if rng.random() < 0.8 else 1)
        defect_codes: list[str] = []
        if rng.random() < DEFECT_RATE[source]:
            defect_codes = sorted(
                {_pick(rng, DEFECTS) for _ in range(1 if rng.random() < 0.7 else 2)}
            )
            notice_at = step(
                "correction", _pick(rng, ((0, 0.55), (1, 0.2), (2, 0.12), (4, 0.08), (6, 0.05)))
            )
            notice = DefectNotice(sent_at=notice_at, sent_by=receiver, text="")
            if rng.random() < 0.16:
                altered = any(code.startswith("altered-") for code in defect_codes)
                end(
                    ExitKind.REFUNDED,
                    "key-field-altered" if altered else "defects-not-corrected",
                    "refunded",
                    rng.randint(3, 12),
                )
                notices.append((len(rows), notice, defect_codes))
                _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
                continue
            notice.corrected_at = step("initial-review", rng.randint(1, 6))
            notices.append((len(rows), notice, defect_codes))
        step("scan-qc", 0)
        app.scan_result = ScanResult.PASSED
        app.scan_checked_at = step("underwriting", 0 if rng.random() < 0.9 else 1)
        if rng.random() < 0.03:
            app.scan_note = "第3页影像模糊，已重扫"
        if long_term and rng.random() < 0.16:
            app.exam_required = True
            ordered = step("medical-exam", rng.randint(0, 2))
            app.exam_appointment_at = ordered + dt.timedelta(days=rng.randint(2, 7))
            app.exam_place = rng.choice(("县医院体检中心", "市第一医院体检科", "妇幼保健院"))
            if rng.random() < 0.06:
                end(ExitKind.WITHDRAWN, "exam-not-attended", "withdrawn", rng.randint(8, 15))
                _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
                continue
            app.exam_report_received_at = step("post-exam-underwriting", rng.randint(3, 9))
            decision = _pick(rng, ((2, 0.4), (5, 0.3), (9, 0.17), (13, 0.08), (17, 0.05)))
            roll = rng.random()
            if roll < 0.1:
                end(ExitKind.DECLINED, _pick(rng, DECLINE_REASONS), "declined", decision)
                _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
                continue
            if roll < 0.16:
                end(ExitKind.POSTPONED, _pick(rng, POSTPONE_REASONS), "postponed", decision)
                _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
                continue
            app.accepted_at = step("awaiting-premium", decision)
        else:
            if long_term and rng.random() < 0.015:
                end(ExitKind.DECLINED, _pick(rng, DECLINE_REASONS), "declined", rng.randint(1, 4))
                _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
                continue
            app.accepted_at = step(
                "awaiting-premium",
                _pick(rng, ((0, 0.5), (1, 0.25), (2, 0.12), (4, 0.08), (7, 0.05)))
                if long_term
                else 0,
            )
        withdraw_share = 0.085 if long_term else 0.02
        if rng.random() < withdraw_share:
            reason = _pick(rng, WITHDRAW_REASONS)
            if reason in ("premium-refused", "collection-failed"):
                app.premium_refused_at = days.at(
                    track.position + rng.randint(1, 3), rng, not_before=track.moment
                )
                app.collection_failures = 2 if reason == "collection-failed" else 0
                track.moment = app.premium_refused_at
            end(
                ExitKind.WITHDRAWN,
                reason,
                "withdrawn",
                _pick(rng, ((3, 0.3), (5, 0.3), (8, 0.2), (12, 0.15), (20, 0.05))),
            )
            _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
            continue
        paid = step(
            "premium-received",
            _pick(rng, ((0, 0.55), (1, 0.2), (2, 0.12), (4, 0.1), (8, 0.03))) if long_term else 0,
        )
        app.premium_received_on = days.calendar.local_date(paid)
        if policy is None and rng.random() < 0.01:
            end(ExitKind.REFUNDED, "wrong-product", "refunded", 1)
            _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=None)
            continue
        app.issued_at = step(
            "issued",
            _pick(rng, ((0, 0.35), (1, 0.3), (2, 0.15), (3, 0.1), (5, 0.07), (9, 0.03)))
            if long_term
            else (0 if rng.random() < 0.8 else 1),
        )
        app.policy_id = policy.pk if policy else None
        delivered = step("delivered", rng.randint(1, 8) if long_term else 0)
        app.delivered_at = delivered
        app.receipt_signed_on = days.calendar.local_date(delivered)
        cooling = product.cooling_off_days.get("CN")
        if cooling:
            app.cooling_off_end = app.receipt_signed_on + dt.timedelta(days=int(cooling))
        if long_term:
            app.callback_done_at = step("callback-done", rng.randint(1, 8))
        app.archived_at = step("archived", rng.randint(1, 6))
        _keep(cases, rows, branch, app, track.steps, receiver, underwriter, policy_id=app.policy_id)
    ids = bulk_historic_cases(process_code=services.PROCESS_CODE, items=cases)
    for row, case_id in zip(rows, ids, strict=True):
        row.case_id = case_id
    Application.objects.bulk_create(rows, batch_size=2000)
    made_notices = []
    for index, notice, _codes in notices:
        notice.application = rows[index]
        notice.text = "一次性告知：" + "；".join(_codes)
        made_notices.append(notice)
    DefectNotice.objects.bulk_create(made_notices, batch_size=2000)
    Defect.objects.bulk_create(
        (
            Defect(notice=notice, code=code)
            for notice, (_i, _n, codes) in zip(made_notices, notices, strict=True)
            for code in codes
        ),
        batch_size=2000,
    )
    return len(rows)


def _keep(
    cases: list[HistoricCase],
    rows: list[Application],
    branch: Branch,
    app: Application,
    steps: list[tuple[str, dt.datetime]],
    receiver: Staff,
    underwriter: Staff,
    *,
    policy_id: int | None,
) -> None:
    app.stage, app.stage_entered_at = steps[-1][0], steps[-1][1]
    cases.append(
        HistoricCase(
            branch=branch,
            subject=f"{SourceSystem(app.source_system).label} · {app.product.name}",
            opened_at=app.received_at,
            channel=_pick(random.Random(app.received_at.timestamp()), RECEIVED_CHANNELS),  # noqa: S311
            steps=steps,
            opened_by_id=receiver.pk,
            assignee_id=underwriter.pk
            if app.accepted_at or app.exit_kind in ("declined", "postponed")
            else receiver.pk,
            customer_id=app.applicant_id,
            policy_id=policy_id,
            classification=app.source_system,
            resolution=app.exit_reason,
        )
    )
    rows.append(app)


# --- Open applications, through the services -----------------------------------------------

# Where each open application is left (scenario → the steps taken).
SCENARIOS = (
    "received",
    "data-entry",
    "initial-review",
    "correction",
    "scan-qc",
    "underwriting",
    "medical-exam",
    "post-exam-underwriting",
    "awaiting-premium",
    "premium-refused",
    "collection-failed",
    "premium-received",
    "issued",
    "delivered",
)


def _open_applications(
    branch: Branch,
    rng: random.Random,
    days: _Days,
    world: _World,
    tellers: list[Staff],
    underwriter: Staff,
    source: str,
    count: int,
) -> int:
    made = 0
    for index in range(count):
        teller = tellers[index % len(tellers)]
        clerk = teller if can(teller, services.PROCESS) else underwriter
        # Received in the period's last weeks, every step still inside the period.
        day = max(0, days.until - 12 - rng.randint(0, 12))
        received = days.at(day, rng)
        product = world.product(rng, source)
        sum_assured, premium, term = _amounts(rng, source)
        channel = _pick(rng, SALES_CHANNELS[source])
        applicant = Customer.objects.get(
            pk=rng.choice(
                world.organisations if source == SourceSystem.SHORT_TERM_GROUP else world.people
            )
        )
        application = services.application_register(
            branch=branch,
            source_system=source,
            channel=channel,
            product=product,
            applicant=applicant,
            sum_assured=sum_assured,
            premium=premium,
            payment_mode=world.mode(product, source),
            payment_method="auto_debit" if source == SourceSystem.LONG_TERM_CORE else "cash",
            agent=rng.choice(world.agents) if world.agents and channel == "agency" else None,
            intermediary=rng.choice(world.banks)
            if world.banks and channel == "bancassurance"
            else None,
            term_years=term,
            received_channel=_pick(rng, RECEIVED_CHANNELS),
            by=clerk,
            at=received,
        )
        scenario = (
            SCENARIOS[index % len(SCENARIOS)]
            if source == SourceSystem.LONG_TERM_CORE
            else (
                "received",
                "initial-review",
                "awaiting-premium",
                "premium-refused",
                "issued",
                "delivered",
            )[index % 6]
        )
        _walk(application, scenario, rng, days, day, clerk, underwriter, index)
        made += 1
    return made


def _walk(
    application: Application,
    scenario: str,
    rng: random.Random,
    days: _Days,
    day: int,
    clerk: Staff,
    underwriter: Staff,
    index: int,
) -> None:
    position = day
    moment = application.received_at

    def next_at(after: int = 0) -> dt.datetime:
        nonlocal position, moment
        position += after
        moment = days.at(position, rng, not_before=moment)
        return moment

    if scenario == "received":
        return
    application = services.application_step(
        application=application, step="start-entry", by=clerk, at=next_at()
    )
    if scenario == "data-entry":
        return
    application = services.application_step(
        application=application, step="entry-done", by=clerk, at=next_at()
    )
    if scenario == "initial-review":
        return
    if scenario == "correction":
        services.application_review(
            application=application,
            defects=[
                ("bank-account-missing", "选择银行转账但未填写账号"),
                ("signature-missing", ""),
            ],
            by=clerk,
            at=next_at(1),
        )
        return
    application = services.application_review(
        application=application, defects=[], by=clerk, at=next_at()
    )
    if scenario == "scan-qc":
        services.application_scan_qc(
            application=application, passed=False, note="第2页影像模糊", by=clerk, at=next_at()
        )
        return
    application = services.application_scan_qc(
        application=application, passed=True, by=clerk, at=next_at()
    )
    if scenario == "underwriting":
        services.requirement_raise(
            application=application,
            kind="health_declaration",
            note="补充高血压问卷",
            by=underwriter,
            at=next_at(1),
        )
        return
    if scenario in ("medical-exam", "post-exam-underwriting"):
        at = next_at(1)
        application = services.application_order_exam(
            application=application,
            appointment_at=at + dt.timedelta(days=3),
            place="县医院体检中心",
            by=underwriter,
            at=at,
        )
        if scenario == "post-exam-underwriting":
            services.application_exam_report(application=application, by=underwriter, at=next_at(5))
        return
    application = services.application_accept(application=application, by=underwriter, at=next_at())
    if scenario == "awaiting-premium":
        return
    if scenario in ("premium-refused", "collection-failed"):
        services.application_premium_problem(
            application=application,
            refused=scenario == "premium-refused",
            note="客户表示暂不缴费" if scenario == "premium-refused" else "账户余额不足",
            by=clerk,
            at=next_at(1),
        )
        if scenario == "collection-failed":
            services.application_premium_problem(
                application=application, refused=False, note="账户余额不足", by=clerk, at=next_at(1)
            )
        return
    application = services.application_premium_received(
        application=application,
        received_on=days.calendar.local_date(next_at()),
        by=clerk,
        at=moment,
    )
    if scenario == "premium-received":
        return
    application = services.application_issue(
        application=application,
        policy_number=f"NB{application.received_at:%Y}{application.pk:08d}",
        by=underwriter,
        at=next_at(1),
    )
    if scenario == "issued":
        if index % 3 == 0:
            services.application_remind(
                application=application, by=clerk, note="催回执", at=next_at(3)
            )
        return
    at = next_at(2)
    services.application_deliver(
        application=application, receipt_signed_on=days.calendar.local_date(at), by=clerk, at=at
    )

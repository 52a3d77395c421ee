"""Demo claims of the seed branch: the year's 2,708 claims (柜面年终总结: 理赔案件2708件).

Finished history is written set-based (`demo.historic_cases.bulk_historic_cases` for the cases
and their timelines, `bulk_create` for the claims, documents, investigations, deductions and
payments); a few dozen claims still in progress at the end of the period go through the
services with past `at` times, so their clocks, timelines and audit rows are what real use
writes. The mix follows the seed: mostly medical and mostly small (fast track, same day),
reported at the counter by the five front tellers and the claims handler, and one
investigator (of the city branch) for every investigation — who cannot keep up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from policydesk.cases import clocks
from policydesk.claims import services
from policydesk.core.business_time import WorkingCalendar
from policydesk.demo.historic_cases import HistoricCase, bulk_historic_cases
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import (
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    Policy,
    PolicyStatus,
)

from .models import (
    ApprovalOutcome,
    Claim,
    ClaimApproval,
    ClaimDocument,
    ClaimPayment,
    ClaimType,
    Complexity,
    Decision,
    Deduction,
    DeductionReason,
    Investigation,
    InvestigationConclusion,
)

SEED_CLAIMS = 2708
OPEN_CLAIMS = 24
SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# (type, weight): the county counter's claims are mostly medical (附加意外医疗, 住院医疗).
TYPES = (
    (ClaimType.MEDICAL, 72),
    (ClaimType.HOSPITAL_CASH, 10),
    (ClaimType.ACCIDENT, 8),
    (ClaimType.CRITICAL_ILLNESS, 5),
    (ClaimType.DISABILITY, 2),
    (ClaimType.DEATH, 2),
    (ClaimType.PREMIUM_WAIVER, 1),
)
DESCRIPTIONS = {
    ClaimType.MEDICAL: ("门诊治疗急性肠胃炎", "意外扭伤门诊治疗", "住院治疗肺炎", "骨折住院手术"),
    ClaimType.HOSPITAL_CASH: ("住院7天申请津贴", "住院5天申请津贴"),
    ClaimType.ACCIDENT: ("骑电动车摔伤", "工地意外受伤"),
    ClaimType.CRITICAL_ILLNESS: ("确诊恶性肿瘤", "急性心肌梗塞"),
    ClaimType.DISABILITY: ("交通事故致残评定", "意外致手指伤残"),
    ClaimType.DEATH: ("因病身故", "意外身故"),
    ClaimType.PREMIUM_WAIVER: ("投保人重疾豁免保费",),
}
INSURED_STATES = [
    PolicyStatus.IN_FORCE,
    PolicyStatus.IN_GRACE,
    PolicyStatus.ISSUED,
    PolicyStatus.REINSTATED,
    PolicyStatus.LAPSED,
    PolicyStatus.CLAIM_TERMINATED,
    PolicyStatus.MATURED,
    PolicyStatus.SURRENDERED,
]


@dataclass
class Plan:
    """One historic claim: its facts, its path and the moments of each step."""

    policy: Policy
    claim_type: str
    amount: Decimal
    reported_at: dt.datetime
    reporter: Staff
    event_date: dt.date
    outcome: str  # paid, declined, withdrawn
    fast_track: bool
    complex_: bool
    investigated: bool
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)
    covered: Decimal = Decimal(0)
    deductions: list[tuple[str, Decimal, str]] = field(default_factory=list)
    paid_on: dt.date | None = None


def _weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([item for item, _ in items], weights=[w for _, w in items])[0]


def _moment(rng: random.Random, day: dt.date, *, after: dt.datetime | None = None) -> dt.datetime:
    hour = rng.choice((8, 9, 9, 10, 10, 11, 14, 15, 15, 16))
    moment = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=SHANGHAI)
    if after is not None and moment <= after:
        moment = after + dt.timedelta(minutes=rng.randint(5, 90))
    return moment


def _amount(rng: random.Random, claim_type: str, small: bool) -> Decimal:
    if claim_type == ClaimType.MEDICAL:
        value = rng.uniform(80, 2900) if small else rng.uniform(3100, 48000)
    elif claim_type == ClaimType.HOSPITAL_CASH:
        value = rng.choice((100, 150, 200)) * rng.randint(3, 15)
    elif claim_type == ClaimType.ACCIDENT:
        value = rng.uniform(1000, 60000)
    elif claim_type == ClaimType.CRITICAL_ILLNESS:
        value = rng.choice((50000, 100000, 200000, 300000))
    elif claim_type == ClaimType.DISABILITY:
        value = rng.uniform(5000, 120000)
    elif claim_type == ClaimType.DEATH:
        value = rng.choice((20000, 50000, 100000, 600000))
    else:
        value = rng.uniform(2000, 20000)
    return Decimal(str(round(value, 2))).quantize(CENT)


def _staff(branch: Branch, role: str) -> list[Staff]:
    return list(Staff.objects.filter(branch=branch, role=role, is_active=True).order_by("username"))


def _investigator(branch: Branch) -> Staff | None:
    people = services.investigators_for(branch)
    return people[0] if people else None


def claims_demo(*, branch: Branch, seed: int, as_of: dt.date, scale: float = 1.0) -> dict[str, int]:
    """Create round(2708 × scale) claims of `branch` reported in the operations period of
    `as_of`; nothing when the branch has claims already (a second call returns zeros)."""
    counts = {"claims": 0, "historic": 0, "open": 0, "investigations": 0, "payments": 0}
    if Claim.objects.filter(case__branch=branch).exists():
        return counts
    total = round(SEED_CLAIMS * scale)
    if total <= 0:
        return counts
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
    services.authority_limits_sync()
    tellers = _staff(branch, Role.FRONT_TELLER)
    handlers = _staff(branch, Role.CLAIMS_HANDLER)
    investigator = _investigator(branch)
    head = Staff.objects.filter(role=Role.HEAD_OF_SERVICE, is_active=True).order_by("id").first()
    if not handlers or investigator is None:
        raise ValueError("The demo branch needs a claims handler and an investigator.")
    handler = handlers[0]
    reporters = [*tellers] * 7 + [handler] * 3 if tellers else [handler]
    policies = list(
        Policy.objects.filter(branch=branch, status__in=INSURED_STATES)
        .select_related("policyholder")
        .order_by("id")[:4000]
    )
    if not policies:
        raise ValueError("The demo branch needs policies.")
    first_day, last_day = operations_period(as_of)
    calendar = clocks.calendar_for(branch)
    working_days = [
        first_day + dt.timedelta(days=n)
        for n in range((last_day - first_day).days + 1)
        if calendar.is_working_day(first_day + dt.timedelta(days=n))
    ]
    open_count = min(total, max(1, round(OPEN_CLAIMS * min(scale, 1.0))))
    historic_count = total - open_count
    with transaction.atomic():
        plans = [
            _plan(rng, calendar, working_days, policies, reporters) for _ in range(historic_count)
        ]
        plans.sort(key=lambda plan: plan.reported_at)
        made = _write_history(plans, branch=branch, handler=handler, investigator=investigator)
        counts["historic"] = len(plans)
        counts["investigations"] += made["investigations"]
        counts["payments"] += made["payments"]
    opened = _open_claims(
        rng,
        count=open_count,
        branch=branch,
        policies=policies,
        reporters=reporters,
        handler=handler,
        investigator=investigator,
        head=head,
        working_days=working_days,
    )
    counts["open"] = opened["open"]
    counts["investigations"] += opened["investigations"]
    counts["payments"] += opened["payments"]
    counts["claims"] = counts["historic"] + counts["open"]
    return counts


def _eligible(policies: Sequence[Policy], day: dt.date, rng: random.Random) -> Policy:
    for _ in range(20):
        policy = rng.choice(policies)
        if policy.application_date < day:
            return policy
    return min(policies, key=lambda p: p.application_date)


def _plan(
    rng: random.Random,
    calendar: WorkingCalendar,
    working_days: list[dt.date],
    policies: Sequence[Policy],
    reporters: Sequence[Staff],
) -> Plan:
    day = rng.choice(working_days)
    claim_type = _weighted(rng, TYPES)
    small = claim_type == ClaimType.MEDICAL and rng.random() < 0.72
    amount = _amount(rng, claim_type, small)
    policy = _eligible(policies, day, rng)
    reported = _moment(rng, day)
    event = max(
        policy.application_date + dt.timedelta(days=1), day - dt.timedelta(days=rng.randint(1, 25))
    )
    roll = rng.random()
    outcome = "withdrawn" if roll < 0.02 else "declined" if roll < 0.06 else "paid"
    complex_ = claim_type in (
        ClaimType.CRITICAL_ILLNESS,
        ClaimType.DEATH,
        ClaimType.DISABILITY,
    ) or (not small and rng.random() < 0.15)
    investigated = (complex_ and rng.random() < 0.7) or (not small and rng.random() < 0.05)
    fast_track = small and not investigated and rng.random() < 0.95
    plan = Plan(
        policy=policy,
        claim_type=claim_type,
        amount=amount,
        reported_at=reported,
        reporter=rng.choice(list(reporters)),
        event_date=min(event, day),
        outcome=outcome,
        fast_track=fast_track,
        complex_=complex_ or investigated,
        investigated=investigated,
    )
    _path(rng, plan, calendar.working_days_after)
    return plan


WorkingDays = Callable[[dt.date], Iterator[dt.date]]


def _nth_working_day(working: WorkingDays, day: dt.date, n: int) -> dt.date:
    it = working(day)
    result = day
    for _ in range(n):
        result = next(it)
    return result


def _path(rng: random.Random, plan: Plan, working: WorkingDays) -> None:
    at = plan.reported_at
    steps: list[tuple[str, dt.datetime]] = []

    def step(code: str, moment: dt.datetime) -> dt.datetime:
        steps.append((code, moment))
        return moment

    at = step("accepted", at + dt.timedelta(minutes=rng.randint(2, 20)))
    if plan.outcome == "withdrawn":
        day = _nth_working_day(working, at.date(), rng.randint(0, 4))
        step("withdrawn", _moment(rng, day, after=at))
        plan.steps = steps
        return
    at = step("registered", at + dt.timedelta(minutes=rng.randint(5, 60)))
    if plan.investigated:
        at = step("investigating", at + dt.timedelta(minutes=rng.randint(10, 120)))
        # One investigator for the whole county: 1–6 weeks.
        at = step(
            "calculating", _moment(rng, at.date() + dt.timedelta(days=rng.randint(6, 42)), after=at)
        )
    elif plan.fast_track:
        at = step("calculating", at + dt.timedelta(minutes=rng.randint(10, 90)))
    else:
        day = _nth_working_day(working, at.date(), rng.choice((0, 1, 1, 2, 2, 3, 4, 6)))
        at = step("calculating", _moment(rng, day, after=at))
    if plan.outcome == "declined":
        at = step("declined", at + dt.timedelta(minutes=rng.randint(30, 300)))
        late = rng.random() < 0.1
        notice = at + dt.timedelta(days=rng.randint(4, 6) if late else rng.randint(0, 2), hours=1)
        step("denial-notified", notice)
        plan.steps = steps
        return
    covered = plan.amount if rng.random() < 0.7 else (plan.amount * Decimal("0.9")).quantize(CENT)
    deductions: list[tuple[str, Decimal, str]] = []
    if plan.claim_type == ClaimType.MEDICAL:
        if rng.random() < 0.5 and covered > 200:
            deductions.append((DeductionReason.DEDUCTIBLE, Decimal("100.00"), "年度免赔额"))
        if rng.random() < 0.3:
            share = (covered * Decimal("0.1")).quantize(CENT)
            if share > 0:
                deductions.append((DeductionReason.NOT_COVERED, share, "自费药品"))
    plan.covered = covered
    plan.deductions = [d for d in deductions if d[1] < covered]
    if plan.fast_track:
        at = step("approved", at + dt.timedelta(minutes=rng.randint(10, 60)))
        at = step("agreed", at + dt.timedelta(minutes=rng.randint(5, 30)))
        same_day = rng.random() < 0.9
        paid = (
            at + dt.timedelta(minutes=rng.randint(20, 120))
            if same_day
            else _moment(rng, _nth_working_day(working, at.date(), 1), after=at)
        )
    else:
        at = step("approved", at + dt.timedelta(hours=rng.randint(1, 20)))
        at = step("agreed", at + dt.timedelta(minutes=rng.randint(10, 120)))
        paid = _moment(
            rng, at.date() + dt.timedelta(days=rng.choice((1, 2, 3, 3, 5, 7, 9, 12))), after=at
        )
    step("paid", paid)
    plan.paid_on = paid.astimezone(SHANGHAI).date()
    plan.steps = steps


def _write_history(
    plans: list[Plan], *, branch: Branch, handler: Staff, investigator: Staff
) -> dict[str, int]:
    items = [
        HistoricCase(
            branch=branch,
            subject=f"{ClaimType(plan.claim_type).label} · {plan.policy.number}",
            opened_at=plan.reported_at,
            channel="counter",
            steps=plan.steps,
            opened_by_id=plan.reporter.pk,
            assignee_id=handler.pk,
            customer_id=plan.policy.policyholder_id,
            policy_id=plan.policy.pk,
            team_code="claims",
            classification=plan.claim_type,
        )
        for plan in plans
    ]
    case_ids = bulk_historic_cases(process_code=services.PROCESS_CODE, items=items)
    calendar = clocks.calendar_for(branch)
    used = set(
        Disbursement.objects.filter(kind=DisbursementKind.CLAIM).values_list(
            "policy_id", "due_date"
        )
    )
    claims: list[Claim] = []
    for plan, case_id in zip(plans, case_ids, strict=True):
        moments = dict(plan.steps)
        registered = moments.get("registered")
        decided = moments.get("agreed") or moments.get("declined") or moments.get("withdrawn")
        decision = {"paid": Decision.PAID, "declined": Decision.DECLINED}.get(
            plan.outcome, Decision.WITHDRAWN
        )
        local_day = calendar.local_date(plan.reported_at)
        if plan.complex_:
            decision_due = calendar.end_of_day(local_day + dt.timedelta(days=30))
        else:
            decision_due = calendar.end_of_day(
                _nth_working_day(calendar.working_days_after, local_day, 5)
            )
        payable = plan.covered - sum((d[1] for d in plan.deductions), Decimal(0))
        paid_at = moments.get("paid")
        agreed = moments.get("agreed")
        claims.append(
            Claim(
                case_id=case_id,
                policy=plan.policy,
                claimant_id=plan.policy.policyholder_id,
                insured_id=plan.policy.policyholder_id,
                claim_type=plan.claim_type,
                event_date=plan.event_date,
                reported_at=plan.reported_at,
                reported_by=plan.reporter,
                claimed_amount=plan.amount,
                currency="CNY",
                facts_clear=plan.fast_track,
                complexity=Complexity.COMPLEX if plan.complex_ else Complexity.SIMPLE,
                complex_reason="需调查核实" if plan.complex_ else "",
                is_fast_track=plan.fast_track,
                # End of the report's local day (services.fast_track_due, without a
                # calendar read per claim).
                fast_track_due_at=(calendar.end_of_day(local_day) if plan.fast_track else None),
                documents_notice_at=plan.reported_at + dt.timedelta(minutes=1),
                documents_complete_at=registered,
                registered_at=registered,
                covered_amount=plan.covered if plan.outcome == "paid" else None,
                deductions_total=plan.covered - payable if plan.outcome == "paid" else None,
                payable_amount=payable if plan.outcome == "paid" else None,
                calculated_at=moments.get("approved"),
                calculated_by=handler if plan.outcome == "paid" else None,
                approved_at=moments.get("approved"),
                approved_by=handler if plan.outcome == "paid" else None,
                decision=decision,
                decided_at=decided,
                decided_on_time=(
                    bool(decided and decided <= decision_due)
                    if decision != Decision.WITHDRAWN
                    else None
                ),
                denial_reason="不属于保险责任范围" if plan.outcome == "declined" else "",
                denial_notified_at=moments.get("denial-notified"),
                denial_notice_on_time=(
                    moments["denial-notified"]
                    <= calendar.end_of_day(
                        calendar.local_date(moments["declined"]) + dt.timedelta(days=3)
                    )
                    if "denial-notified" in moments
                    else None
                ),
                withdrawal_reason="客户已在其他保险公司获赔" if plan.outcome == "withdrawn" else "",
                paid_amount=payable if paid_at else None,
                paid_at=paid_at,
                payment_on_time=(
                    paid_at
                    <= calendar.end_of_day(calendar.local_date(agreed) + dt.timedelta(days=10))
                    if paid_at and agreed
                    else None
                ),
            )
        )
    Claim.objects.bulk_create(claims, batch_size=1000)
    documents: list[ClaimDocument] = []
    investigations: list[Investigation] = []
    deductions: list[Deduction] = []
    approvals: list[ClaimApproval] = []
    disbursements: list[Disbursement] = []
    paid_claims: list[tuple[Claim, Plan]] = []
    for claim, plan in zip(claims, plans, strict=True):
        names = services.DEFAULT_DOCUMENTS.get(plan.claim_type, services.GENERIC_DOCUMENTS)  # type: ignore[call-overload]
        for name in names[:3]:
            documents.append(
                ClaimDocument(
                    claim=claim,
                    name=name,
                    requested_at=claim.documents_notice_at or claim.reported_at,
                    received_at=claim.documents_complete_at,
                )
            )
        moments = dict(plan.steps)
        if plan.investigated and "investigating" in moments:
            investigations.append(
                Investigation(
                    claim=claim,
                    investigator=investigator,
                    reason="核实就诊记录及出险经过",
                    requested_by=handler,
                    requested_at=moments["investigating"],
                    findings="经医院及现场调查，情况属实"
                    if plan.outcome == "paid"
                    else "存在既往症，不属于保险责任",
                    conclusion=(
                        InvestigationConclusion.CONFIRMED
                        if plan.outcome == "paid"
                        else InvestigationConclusion.NOT_CONFIRMED
                    ),
                    concluded_at=moments["calculating"],
                )
            )
        for reason, amount, note in plan.deductions:
            deductions.append(Deduction(claim=claim, reason=reason, amount=amount, note=note))
        if plan.outcome in ("paid", "declined"):
            approvals.append(
                ClaimApproval(
                    claim=claim,
                    approver=handler,
                    role=handler.role,
                    amount=claim.payable_amount or claim.claimed_amount,
                    outcome=ApprovalOutcome.APPROVED
                    if plan.outcome == "paid"
                    else ApprovalOutcome.DECLINED,
                    at=moments.get("approved") or moments["declined"],
                )
            )
        if claim.paid_at and plan.paid_on and claim.paid_amount:
            day = plan.paid_on
            while (plan.policy.pk, day) in used:
                day += dt.timedelta(days=1)
            used.add((plan.policy.pk, day))
            disbursements.append(
                Disbursement(
                    policy=plan.policy,
                    kind=DisbursementKind.CLAIM,
                    due_date=day,
                    amount=claim.paid_amount,
                    currency="CNY",
                    method="bank_transfer"
                    if plan.amount > 1000 or len(paid_claims) % 3
                    else "cash",
                    status=DisbursementStatus.PAID,
                    paid_on=day,
                )
            )
            paid_claims.append((claim, plan))
    ClaimDocument.objects.bulk_create(documents, batch_size=2000)
    Investigation.objects.bulk_create(investigations, batch_size=1000)
    Deduction.objects.bulk_create(deductions, batch_size=2000)
    ClaimApproval.objects.bulk_create(approvals, batch_size=2000)
    Disbursement.objects.bulk_create(disbursements, batch_size=1000)
    ClaimPayment.objects.bulk_create(
        [
            ClaimPayment(
                claim=claim,
                disbursement=disbursement,
                amount=disbursement.amount,
                currency="CNY",
                method=disbursement.method,
                is_advance=False,
                paid_on=disbursement.due_date,
                recorded_by=handler,
                recorded_at=claim.paid_at or claim.reported_at,
            )
            for (claim, _plan), disbursement in zip(paid_claims, disbursements, strict=True)
        ],
        batch_size=1000,
    )
    return {"investigations": len(investigations), "payments": len(disbursements)}


# --- In progress at the end of the period, through the services -----------------------------

# Where each open claim stands, interleaved so that a small demo still has every kind.
OPEN_STAGES = (
    "fast-track",
    "investigating",
    "agreed",
    "reported",
    "calculating",
    "referred",
    "advance",
    "investigating",
    "declined",
    "accepted",
    "fast-track",
    "investigating",
    "agreed",
    "advance",
    "calculating",
    "fast-track",
    "referred",
    "investigating",
    "reported",
    "agreed",
    "investigating",
    "advance",
    "fast-track",
    "investigating",
)


def _open_claims(
    rng: random.Random,
    *,
    count: int,
    branch: Branch,
    policies: Sequence[Policy],
    reporters: Sequence[Staff],
    handler: Staff,
    investigator: Staff,
    head: Staff | None,
    working_days: list[dt.date],
) -> dict[str, int]:
    made = {"open": 0, "investigations": 0, "payments": 0}
    recent = working_days[-18:]
    older = [day for day in working_days if day.month in (7, 8)] or working_days[:20]
    stages = OPEN_STAGES
    for index in range(count):
        stage = stages[index % len(stages)]
        day = rng.choice(older if stage == "advance" else recent)
        reported = _moment(rng, day)
        policy = _eligible(policies, day, rng)
        small = stage in ("fast-track", "reported", "accepted")
        claim_type = ClaimType.MEDICAL if small or rng.random() < 0.6 else ClaimType.ACCIDENT
        if stage == "referred":
            amount = Decimal(rng.choice(("12800.00", "26500.00", "58000.00")))
        elif stage == "advance":
            claim_type = ClaimType.DISABILITY
            amount = Decimal(rng.choice(("36000.00", "80000.00")))
        else:
            amount = _amount(rng, claim_type, small)
        if stage == "declined":
            # Declined by the claims handler, within the handler's own authority.
            amount = min(amount, Decimal("9600.00"))
        reporter = rng.choice(list(reporters))
        if amount > services.FAST_TRACK_LIMIT and reporter.role != Role.CLAIMS_HANDLER:
            reporter = handler
        with transaction.atomic():
            claim = services.claim_report(
                policy=policy,
                claimant=None,
                claim_type=claim_type,
                event_date=max(
                    policy.application_date + dt.timedelta(days=1),
                    day - dt.timedelta(days=rng.randint(1, 10)),
                ),
                claimed_amount=amount,
                description=rng.choice(DESCRIPTIONS[claim_type]),
                by=reporter,
                at=reported,
            )
            made["open"] += 1
            at = reported + dt.timedelta(minutes=rng.randint(3, 40))
            names = services.DEFAULT_DOCUMENTS.get(claim_type, services.GENERIC_DOCUMENTS)
            services.claim_request_documents(claim=claim, documents=names[:4], by=reporter, at=at)
            if stage == "reported":
                continue
            at += dt.timedelta(minutes=10)
            services.claim_accept(claim=claim, by=handler, at=at)
            if stage == "accepted":
                continue
            at += dt.timedelta(minutes=20)
            complex_ = stage in ("investigating", "advance") and rng.random() < 0.8
            services.claim_register(
                claim=claim,
                facts_clear=stage == "fast-track",
                complexity=Complexity.COMPLEX if complex_ else Complexity.SIMPLE,
                complex_reason="需调查核实既往病史" if complex_ else "",
                by=handler,
                at=at,
            )
            if stage == "fast-track":
                continue
            if stage in ("investigating", "advance"):
                at += dt.timedelta(minutes=30)
                services.claim_investigate(
                    claim=claim,
                    investigator=investigator,
                    reason="核实出险经过及就诊记录",
                    by=handler,
                    at=at,
                )
                made["investigations"] += 1
                if stage == "advance" and index % 2 == 0:
                    advance_at = at + dt.timedelta(days=services.ADVANCE_PAYMENT_DAYS + 1)
                    services.claim_advance_pay(
                        claim=claim,
                        amount=(amount * Decimal("0.3")).quantize(CENT),
                        method="bank_transfer",
                        reason="医疗费用部分已确定",
                        by=handler,
                        at=advance_at,
                    )
                    made["payments"] += 1
                continue
            at += dt.timedelta(hours=2)
            if stage == "declined":
                services.claim_decline(
                    claim=claim, reason="出险时保单处于等待期内", by=handler, at=at
                )
                continue
            services.claim_calculate(
                claim=claim, covered_amount=amount, deductions=[], by=handler, at=at
            )
            if stage == "calculating":
                continue
            at += dt.timedelta(hours=1)
            approver = handler if amount <= services.FAST_TRACK_LIMIT else head
            if stage == "referred" or approver is None:
                with contextlib.suppress(services.AuthorityExceeded):
                    services.claim_approve(claim=claim, by=handler, at=at)
                continue
            try:
                services.claim_approve(claim=claim, by=approver, at=at)
            except services.AuthorityExceeded:
                continue
            services.claim_close_paid(claim=claim, by=handler, at=at + dt.timedelta(minutes=30))
    return made

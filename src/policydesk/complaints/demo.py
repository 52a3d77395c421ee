"""Demo complaints: about 60 over the last months for the demo branches, built through the
services with past `at` timestamps, so every clock, event and audit row is what real use
would have written.

The mix: every root cause; some still open, some in appraisal (clock paused), some complex,
some extended with senior approval, decided on time and late (breached), notified, reviewed,
withdrawn, and a few taken to the external body of the branch's region. A step whose moment
lies after `now` is not taken, so recent complaints are still in progress.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.utils import timezone

from policydesk.cases import clocks
from policydesk.cases import services as case_services
from policydesk.core.errors import DomainError
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import Policy

from . import services
from .models import Complaint, ExternalBody, RootCause

CHANNELS = ["counter"] * 5 + ["phone"] * 3 + ["bancassurance", "agent", "self_service"]
SUBJECTS = {
    "mis-selling": "业务员未说明退保损失",
    "exaggerated-returns": "销售时承诺分红收益8%",
    "service-delay": "保全变更超过十天未办结",
    "staff-attitude": "柜面人员态度生硬",
    "system-error": "短信通知金额错误",
    "product-design": "等待期条款不合理",
    "claims-dispute": "住院医疗理赔金额有异议",
    "premium-auto-debit": "续期保费重复扣款",
    "policy-servicing": "银行账户变更未生效",
    "privacy": "未经同意收到营销电话",
    "other": "营业厅排队时间过长",
}
BODY_BY_REGION = {
    "CN": ExternalBody.CN_REGULATOR,
    "HK": ExternalBody.HK_ICB,
    "SG": ExternalBody.SG_FIDREC,
}


def _staff(branch: Branch, role: str) -> Staff | None:
    return Staff.objects.filter(branch=branch, role=role, is_active=True).order_by("id").first()


def _head() -> Staff | None:
    return Staff.objects.filter(role=Role.HEAD_OF_SERVICE, is_active=True).order_by("id").first()


def complaints_demo(
    *,
    branches: Sequence[Branch],
    now: dt.datetime | None = None,
    count: int = 60,
    seed: int = 2026,
) -> list[Complaint]:
    """Log and work `count` complaints spread over `branches` in the last ~150 days.

    Each branch needs an active front teller (logs) and counter manager (decides); the head
    of service approves extensions. Complainants are policyholders of the branch's policies.
    Idempotent only in the sense of being deterministic: call it once on a fresh demo.
    """
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 — demo data, not security
    causes = list(RootCause.objects.filter(is_active=True).order_by("position", "id"))
    head = _head()
    if not causes or head is None:
        raise DomainError("The demo needs the root causes and a head of service.")
    made: list[Complaint] = []
    people = []
    for branch in branches:
        teller = _staff(branch, Role.FRONT_TELLER)
        manager = _staff(branch, Role.COUNTER_MANAGER) or head
        policies = list(
            Policy.objects.filter(branch=branch)
            .select_related("policyholder", "agent", "intermediary")
            .order_by("id")[:300]
        )
        if teller is not None and policies:
            people.append((branch, teller, manager, policies))
    if not people:
        raise DomainError("The demo branches need tellers and policies.")
    for index in range(count):
        branch, teller, manager, policies = people[index % len(people)]
        cause = causes[index % len(causes)]
        policy = rng.choice(policies)
        age = rng.randint(2, 150)
        logged_at = (now - dt.timedelta(days=age)).replace(
            hour=1 + rng.randint(0, 7), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
        )
        channel = "regulator" if index % 17 == 5 else rng.choice(CHANNELS)
        complaint = services.complaint_log(
            channel=channel,
            branch=branch,
            customer=policy.policyholder,
            policy=policy,
            subject=SUBJECTS.get(cause.code, cause.name),
            description=f"客户反映：{SUBJECTS.get(cause.code, cause.name)}。保单 {policy.number}。",
            root_cause=cause if index % 4 else None,
            regulator_reference=f"JG-{logged_at:%Y%m%d}-{index:03d}"
            if channel == "regulator"
            else "",
            regulator_received_on=(logged_at - dt.timedelta(days=1)).date()
            if channel == "regulator"
            else None,
            by=teller,
            at=logged_at,
        )
        _work(complaint, index, rng, logged_at, now, teller, manager, head, cause)
        made.append(complaint)
    # Breaches of the complaints still open past their deadline are recorded as the sweep
    # would have recorded them.
    clocks.sweep(now)
    return made


def _work(
    complaint: Complaint,
    index: int,
    rng: random.Random,
    logged_at: dt.datetime,
    now: dt.datetime,
    teller: Staff,
    manager: Staff,
    head: Staff,
    cause: RootCause,
) -> None:
    """Walk one complaint along its scenario (index % 10) while the steps lie in the past."""
    scenario = index % 10
    case = complaint.case

    def day(days: float) -> dt.datetime:
        return logged_at + dt.timedelta(days=days)

    def step(at: dt.datetime, action: Callable[[], object]) -> bool:
        if at > now:
            return False
        action()
        return True

    if scenario == 0:
        return  # just logged
    if not step(day(0.1), lambda: _accept(complaint, teller, manager, day(0.1), cause)):
        return
    if not step(day(1), lambda: _investigate(complaint, teller, day(1))):
        return
    if scenario == 1:
        return  # under investigation
    if scenario in (2, 3, 4):
        reason = "涉及多张保单及多名销售人员，情况复杂"
        if not step(
            day(3),
            lambda: services.complaint_set_complex(
                complaint=complaint, is_complex=True, reason=reason, by=manager, at=day(3)
            ),
        ):
            return
    if scenario == 2:
        step(
            day(5),
            lambda: case_services.case_transition(
                case=case,
                transition_code="to-appraisal",
                comment="委托第三方医学鉴定伤残等级",
                by=manager,
                at=day(5),
            ),
        )
        return  # in appraisal: the regulatory clock is paused
    if scenario == 4 and not step(
        day(25),
        lambda: services.complaint_extend(
            complaint=complaint,
            days=30,
            reason="需调取银行流水，经总公司审批再延长30日",
            by=head,
            at=day(25),
        ),
    ):
        return
    decided_after = {3: 24, 4: 45, 5: 9, 6: 19 + rng.randint(0, 6), 7: 7, 8: 12, 9: 4}[scenario]
    at = day(decided_after + rng.random() / 2)
    outcome = (
        "withdrawn" if scenario == 9 else rng.choice(["upheld", "partly_upheld", "not_upheld"])
    )
    if not step(at, lambda: _decide(complaint, manager, at, outcome)):
        return
    if scenario == 9:
        return
    notified_at = at + dt.timedelta(days=1)
    if not step(
        notified_at,
        lambda: services.complaint_notify(
            complaint=complaint,
            channel=rng.choice(["letter", "phone", "sms"]),
            notice_text="经核查，现将处理决定告知如下。",
            by=manager,
            at=notified_at,
        ),
    ):
        return
    if scenario == 7:
        requested = notified_at + dt.timedelta(days=10)
        if not step(
            requested,
            lambda: services.complaint_review_request(
                complaint=complaint,
                reason="客户对处理结果不满意，申请复核",
                by=teller,
                requested_at=requested,
            ),
        ):
            return
        reviewed = requested + dt.timedelta(days=rng.choice((12, 20, 33)))
        step(
            reviewed,
            lambda: services.complaint_review_decide(
                complaint=complaint,
                outcome=rng.choice(["upheld", "not_upheld"]),
                resolution="复核维持原处理决定" if rng.random() < 0.5 else "复核后全额退还保费",
                by=head,
                at=reviewed,
            ),
        )
    if scenario == 8:
        filed = notified_at + dt.timedelta(days=14)
        region = complaint.case.branch.calendar_region
        step(
            filed,
            lambda: services.escalation_record(
                complaint=complaint,
                body=BODY_BY_REGION.get(region, ExternalBody.CN_REGULATOR),
                office="监管分局" if region == "CN" else "",
                reference=f"EX-{index:04d}",
                filed_on=filed.date(),
                amount_claimed=Decimal(rng.choice((8000, 25000, 200000))),
                by=manager,
                at=filed,
            ),
        )


def _accept(
    complaint: Complaint, teller: Staff, manager: Staff, at: dt.datetime, cause: RootCause
) -> None:
    case = complaint.case
    case_services.case_checklist_mark(case=case, item_code="identity", done=True, by=teller, at=at)
    case_services.case_transition(case=case, transition_code="accept", by=teller, at=at)
    if complaint.root_cause is None:
        # Named once accepted, by the manager (tellers only log; complaints.manage classifies).
        services.complaint_set_root_cause(complaint=complaint, root_cause=cause, by=manager, at=at)
        complaint.refresh_from_db()


def _investigate(complaint: Complaint, teller: Staff, at: dt.datetime) -> None:
    case_services.case_transition(
        case=complaint.case, transition_code="investigate", by=teller, at=at
    )


def _decide(complaint: Complaint, manager: Staff, at: dt.datetime, outcome: str) -> None:
    for item in ("evidence", "salesperson-heard"):
        case_services.case_checklist_mark(
            case=complaint.case, item_code=item, done=True, by=manager, at=at
        )
    compensation = None if outcome in ("not_upheld", "withdrawn") else Decimal("1200.00")
    services.complaint_decide(
        complaint=complaint,
        outcome=outcome,
        resolution="客户撤诉" if outcome == "withdrawn" else "经调查核实，按合同约定处理",
        compensation_amount=compensation,
        by=manager,
        at=at,
    )

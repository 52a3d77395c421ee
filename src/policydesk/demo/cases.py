"""Demo cases: two months of enquiries at the demo branches, through the case services.

Deterministic for a seed. Every case is opened, worked and answered with the services and
past timestamps, so its timeline, clocks and audit trail are what real work would leave:
about three in four enquiries answered at the first contact (the insurance FCR benchmark is
76 %), the rest escalated to the back office and answered within days, a few still open and
some of those past their clock.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from policydesk.cases import clocks, services
from policydesk.cases.models import Case, Process
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Staff

SUBJECTS = (
    ("续期保费扣款日期", "When is the renewal premium debited", "已告知扣款日及账户要求"),
    ("犹豫期有多长", "How long is the cooling-off period", "已说明犹豫期15天及退保规则"),
    ("生存金如何领取", "How to collect the survival benefit", "已说明银行转账领取方式"),
    ("保单借款额度", "Policy loan limit", "已告知可借额度及利率"),
    ("变更银行账户需要哪些材料", "Documents to change the bank account", "已列明所需材料"),
    ("分红实现率查询", "Dividend realisation rate", "已提供历年分红实现率"),
    ("理赔需要哪些材料", "Documents for a medical claim", "已列明理赔材料清单"),
    ("月缴改年缴", "Monthly to annual payment", "已说明周年日变更规则"),
)
CHANNELS = ("counter", "counter", "phone", "phone", "phone", "self_service", "agent")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _working_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choice((8, 9, 9, 10, 10, 11, 14, 14, 15, 16))
    minute = rng.randrange(0, 60)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def load_demo_cases(*, seed: int, per_branch: int = 120, days: int = 60) -> int:
    """Open `per_branch` enquiries at each demo county branch; return how many were made.

    Does nothing when demo enquiries exist already (a second `make demo` keeps them).
    """
    process = Process.objects.filter(code="enquiry").first()
    if process is None or Case.objects.filter(process=process).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
    made = 0
    today = timezone.localdate()
    for branch in Branch.objects.filter(code__in=("xy", "lc")).order_by("code"):
        staff = list(Staff.objects.filter(branch=branch, is_active=True).order_by("id"))
        customers = list(Customer.objects.filter(branch=branch).order_by("id")[:500])
        if not staff:
            continue
        for _ in range(per_branch):
            day = today - dt.timedelta(days=rng.randrange(1, days))
            if day.weekday() >= 5:
                day -= dt.timedelta(days=day.weekday() - 4)
            opened = _working_moment(rng, day)
            agent = rng.choice(staff)
            subject, _, answer = rng.choice(SUBJECTS)
            case = services.case_open(
                process=process,
                channel=rng.choice(CHANNELS),
                branch=branch,
                subject=subject,
                customer=rng.choice(customers) if customers else None,
                by=None,
                at=opened,
            )
            services.case_assign(case=case, assignee=agent, by=None, at=opened)
            _work(rng, case, agent, answer, opened)
            made += 1
    clocks.sweep()
    return made


def _work(rng: random.Random, case: Case, agent: Staff, answer: str, opened: dt.datetime) -> None:
    roll = rng.random()
    now = timezone.now()
    if roll < 0.76:
        at = opened + dt.timedelta(minutes=rng.randrange(3, 20))
        services.case_update(case=case, by=agent, changes={"resolution": answer}, at=at)
        services.case_transition(case=case, transition_code="answer-now", by=agent, at=at)
        services.case_transition(case=case, transition_code="close", by=agent, at=at)
        return
    at = opened + dt.timedelta(minutes=rng.randrange(5, 30))
    services.case_transition(
        case=case, transition_code="escalate", comment="需查询档案后答复", by=agent, at=at
    )
    if roll > 0.93:
        return  # still open: some of these are past their two working days
    answered = at + dt.timedelta(hours=rng.choice((2, 5, 20, 26, 50, 75, 120)))
    if answered >= now:
        return
    services.case_comment(case=case, body=answer, visibility="customer", by=agent, at=answered)
    services.case_update(case=case, by=agent, changes={"resolution": answer}, at=answered)
    services.case_transition(case=case, transition_code="answer", by=agent, at=answered)

"""Demo account monitoring for one branch: the money events the rules need (only where the
population lacks them), a monitoring run, a trained lapse-risk model, and a few contacts,
closed work items and account reviews made through the services with past times.

The population (policydesk.demo.money / payouts) already writes auto-debit failures by
reason, dormant payout accounts, grace periods, lapses and reinstatements in the seed's
proportions; this adds a handful of each only when a branch has none, so every rule shows.
A second call finds its run and creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from policydesk.core.errors import DomainError
from policydesk.customers.models import Customer, RiskProfile
from policydesk.org.models import Branch, Role, Staff
from policydesk.policies.models import (
    BankMandate,
    CollectionAttempt,
    Disbursement,
    Policy,
    PolicyStatusChange,
    PremiumDue,
)

from . import services
from .models import ItemStatus, MonitoringRun, Outcome, Rule, WorkItem

DEMO_MARK = "demo"
REVIEWS = 6
LIFE_EVENTS = 2
CONTACTS = 12
CLOSED_ITEMS = 20
CONTENT = (
    "电话提醒续期保费，客户表示本周内存入足额资金",  # reminded to fund the account
    "短信通知代扣失败，请客户更新银行卡",  # asked for the new card
    "上门送达失效通知书，说明两年内可申请复效",  # lapse notice and reinstatement
    "提醒客户生存金改为银行转账领取",  # survival benefit by transfer
    "客户咨询月缴改年缴，已说明年缴优惠",  # monthly to annual
)
RECOMMENDATIONS = (
    "寿险保障缺口较大，建议增加定期寿险保额",
    "子女教育金尚未准备，建议配置教育年金",
    "医疗保障不足，建议补充百万医疗险",
)
ZEROS = {
    "money_events": 0,
    "work_items": 0,
    "scored_policies": 0,
    "communications": 0,
    "closed_items": 0,
    "reviews": 0,
    "life_events": 0,
}


def _live(branch: Branch) -> list[Policy]:
    return list(
        Policy.objects.filter(branch=branch, status__in=("in_force", "reinstated"))
        .exclude(payment_mode="single")
        .order_by("id")[:400]
    )


def _top_up(branch: Branch, rng: random.Random, as_of: dt.date) -> int:
    """Add the money events a branch lacks; return how many rows were written."""
    added = 0
    live = _live(branch)
    if not live:
        return 0
    failures = CollectionAttempt.objects.filter(
        premium__policy__branch=branch, method="auto_debit", premium__status__in=("due", "overdue")
    )
    for result in ("insufficient_funds", "account_closed", "account_changed"):
        if failures.filter(result=result).exists():
            continue
        for policy in rng.sample(live, min(3, len(live))):
            due = as_of - dt.timedelta(days=rng.randint(3, 25))
            premium, _ = PremiumDue.objects.get_or_create(
                policy=policy,
                due_date=due,
                defaults={
                    "amount": policy.premium,
                    "status": "overdue",
                    "currency": policy.currency,
                },
            )
            CollectionAttempt.objects.get_or_create(
                premium=premium,
                attempted_on=due,
                method="auto_debit",
                defaults={"amount": policy.premium, "result": result},
            )
            added += 2
    dormant_payouts = Disbursement.objects.filter(
        policy__branch=branch, policy__mandate__is_dormant=True, kind="survival_benefit"
    )
    if not dormant_payouts.exists():
        for policy in rng.sample(live, min(3, len(live))):
            BankMandate.objects.update_or_create(
                policy=policy,
                defaults={
                    "bank_name": "中国建设银行",
                    "account_encrypted": b"",
                    "account_last4": f"{rng.randrange(10000):04d}",
                    "status": "active",
                    "is_dormant": True,
                },
            )
            Disbursement.objects.get_or_create(
                policy=policy,
                kind="survival_benefit",
                due_date=as_of + dt.timedelta(days=rng.randint(5, 25)),
                defaults={
                    "amount": Decimal("2000.00"),
                    "method": "bank_transfer",
                    "status": "scheduled",
                },
            )
            added += 2
    if not PolicyStatusChange.objects.filter(policy__branch=branch, to_status="lapsed").exists():
        for policy in rng.sample(live, min(3, len(live))):
            lapsed_on = as_of - dt.timedelta(days=rng.randint(2, 12))
            PolicyStatusChange.objects.create(
                policy=policy,
                from_status=policy.status,
                to_status="in_grace",
                changed_on=lapsed_on - dt.timedelta(days=60),
                reason="续期保费未缴",
            )
            PolicyStatusChange.objects.create(
                policy=policy,
                from_status="in_grace",
                to_status="lapsed",
                changed_on=lapsed_on,
                reason="宽限期满未缴费",
            )
            Policy.objects.filter(pk=policy.pk).update(status="lapsed")
            added += 2
    return added


def _manager(branch: Branch) -> Staff | None:
    return (
        Staff.objects.filter(branch=branch, role=Role.RELATIONSHIP_MANAGER, is_active=True)
        .order_by("id")
        .first()
    )


def _moment(rng: random.Random, as_of: dt.date, days_back: int) -> dt.datetime:
    day = as_of - dt.timedelta(days=days_back)
    return dt.datetime.combine(
        day, dt.time(9 + rng.randint(0, 7), rng.randint(0, 59)), tzinfo=dt.UTC
    )


def monitoring_demo(*, branch: Branch, seed: int, as_of: dt.date) -> dict[str, int]:
    """Build the branch's account-monitoring demo; a second call creates nothing."""
    if MonitoringRun.objects.filter(as_of=as_of, detail=f"{DEMO_MARK}:{branch.code}").exists():
        return dict(ZEROS)
    rng = random.Random(seed)  # noqa: S311 - demo data, deterministic by seed
    counts = dict(ZEROS)
    with transaction.atomic():
        counts["money_events"] = _top_up(branch, rng, as_of)
    run = services.monitoring_run_now(as_of=as_of)
    MonitoringRun.objects.filter(pk=run.pk).update(detail=f"{DEMO_MARK}:{branch.code}")
    counts["work_items"] = run.created_total
    try:
        services.lapse_model_train(as_of=as_of, by=None)
    except DomainError:
        pass  # a population without lapses trains nothing; the page says so
    else:
        from .models import PolicyRiskScore

        counts["scored_policies"] = PolicyRiskScore.objects.filter(policy__branch=branch).count()
    manager = _manager(branch)
    if manager is None:
        return counts
    items = list(
        WorkItem.objects.filter(branch=branch, status=ItemStatus.OPEN)
        .exclude(rule=Rule.ACCOUNT_REVIEW)
        .order_by("-priority", "id")[: CONTACTS + CLOSED_ITEMS]
    )
    now = timezone.now()
    for index, item in enumerate(items[:CONTACTS]):
        at = min(now, _moment(rng, as_of, rng.randint(0, 6)))
        services.communication_log(
            customer=item.customer,
            channel=rng.choice(("phone", "sms", "visit", "wechat")),
            content=CONTENT[index % len(CONTENT)],
            outcome=rng.choice(("reached", "reached", "no_answer", "call_back")),
            next_contact_on=at.date() + dt.timedelta(days=rng.randint(1, 14)),
            work_item=item,
            at=at,
            by=manager,
        )
        counts["communications"] += 1
    outcomes: dict[str, str] = {
        Rule.PREMIUM_DUE: Outcome.REMINDED,
        Rule.DEBIT_RETRY: Outcome.RETRY_SCHEDULED,
        Rule.BANK_ACCOUNT_CHANGE: Outcome.ACCOUNT_UPDATED,
        Rule.MANDATE_DRIVE: Outcome.MANDATE_SIGNED,
        Rule.GRACE: Outcome.PAID,
        Rule.LAPSE_NOTICE: Outcome.NOTICE_SENT,
        Rule.REINSTATEMENT: Outcome.DECLINED,
        Rule.SURVIVAL_BENEFIT: Outcome.TRANSFER_ARRANGED,
        Rule.MATURITY: Outcome.TRANSFER_ARRANGED,
        Rule.SHORT_TERM_RENEWAL: Outcome.RENEWED,
        Rule.ANNUAL_CONVERSION: Outcome.CONVERTED,
    }
    for item in items[CONTACTS:]:
        services.work_item_close(
            item=item,
            outcome=outcomes.get(item.rule, Outcome.NOT_NEEDED),
            note="",
            by=manager,
            at=min(now, _moment(rng, as_of, rng.randint(0, 3))),
        )
        counts["closed_items"] += 1
    profiled = RiskProfile.objects.filter(customer__branch=branch).values("customer_id")
    customers = list(
        Customer.objects.filter(pk__in=profiled, kind="person").order_by("id")[: REVIEWS * 3]
    )
    for customer in rng.sample(customers, min(REVIEWS, len(customers))):
        life_event = rng.random() < 0.3
        try:
            services.account_review_record(
                customer=customer,
                trigger="life_event" if life_event else "periodic",
                life_event=rng.choice(("child_born", "new_home", "marriage")) if life_event else "",
                recommendations=rng.choice(RECOMMENDATIONS),
                decision=rng.choice(("accepted", "partly", "declined", "pending")),
                actions=[{"kind": "new_application", "note": "补充保障"}]
                if rng.random() < 0.5
                else [],
                reviewed_on=as_of - dt.timedelta(days=rng.randint(1, 60)),
                by=manager,
            )
        except DomainError:
            continue
        counts["reviews"] += 1
    # Life events reported by the manager: each asks for an account review.
    reviewed = set(
        WorkItem.objects.filter(rule=Rule.ACCOUNT_REVIEW).values_list("customer_id", flat=True)
    )
    for customer in [c for c in customers if c.pk not in reviewed][:LIFE_EVENTS]:
        try:
            services.life_event_report(
                customer=customer,
                event=rng.choice(("child_born", "new_home", "retirement", "new_job")),
                occurred_on=as_of - dt.timedelta(days=rng.randint(1, 20)),
                note="客户来电告知",  # the customer called to say so
                by=manager,
            )
        except DomainError:
            continue
        counts["life_events"] += 1
    return counts

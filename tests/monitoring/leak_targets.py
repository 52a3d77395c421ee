"""Branch-A objects of account monitoring for the cross-branch leak walk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from policydesk.customers.services import risk_profile_record
from policydesk.monitoring.models import (
    AccountReview,
    Communication,
    ModelTraining,
    MonitoringRun,
    RunStatus,
    WorkItem,
)
from policydesk.policies.models import PremiumDue


def leak_targets(
    world: Any, staff_a: Any, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    PremiumDue.objects.create(
        policy=policy_a, due_date=dt.date(2026, 12, 1), amount=Decimal("5000.00"), status="due"
    )
    item = WorkItem.objects.create(
        rule="bank_account_change",
        reason="account_closed",
        period=dt.date(2026, 11, 1),
        customer=customer_a,
        policy=policy_a,
        branch=world.branch_a,
        due_on=dt.date(2026, 11, 20),
        outcome_note=f"{secret} item note",
    )
    Communication.objects.create(
        customer=customer_a,
        branch=world.branch_a,
        work_item=item,
        channel="phone",
        content=f"{secret} call",
        outcome="reached",
        next_contact_on=dt.date(2026, 1, 2),
    )
    risk_profile_record(
        customer=customer_a,
        annual_income=Decimal("120000.00"),
        dependants=1,
        liabilities=Decimal("0.00"),
        risk_appetite="balanced",
        assessed_on=dt.date(2026, 1, 5),
        notes=f"{secret} profile",
        by=None,
    )
    review = AccountReview.objects.create(
        customer=customer_a,
        branch=world.branch_a,
        trigger="periodic",
        reviewed_on=dt.date(2026, 2, 1),
        assessment={"lines": [], "total_gap": "0"},
        recommendations=f"{secret} recommendation",
    )
    run = MonitoringRun.objects.create(as_of=dt.date(2026, 11, 1), status=RunStatus.SUCCEEDED)
    # A retraining is company-wide (no branch's data): it names none of branch A's rows.
    training = ModelTraining.objects.create(
        as_of=dt.date(2026, 11, 1), status=RunStatus.FAILED, detail="too few policies"
    )
    return {
        "work_item_id": str(item.pk),
        "account_review_id": str(review.pk),
        "monitoring_run_id": str(run.pk),
        "training_id": str(training.pk),
    }

"""Branch-A callback objects for the cross-branch leak walk (tests/core)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from policydesk.callbacks.models import (
    CallbackAttempt,
    CallbackScript,
    CallbackTask,
    CallbackTrigger,
    RetryPolicy,
)
from policydesk.callbacks.services import config_sync


def leak_targets(
    world: Any, staff_a: Any, customer_a: Any, policy_a: Any, secret: str
) -> dict[str, str]:
    config_sync()
    trigger = CallbackTrigger.objects.get(code="new-policy")
    task = CallbackTask.objects.create(
        branch=world.branch_a,
        policy=policy_a,
        customer=customer_a,
        trigger=trigger,
        script=CallbackScript.objects.get(code="default"),
        occasion_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 16),
        cooling_off_end=dt.date(2026, 3, 16),
        fallback_reference=f"{secret}-LETTER",
        defect_codes=["no_reachable_number"],
    )
    CallbackAttempt.objects.create(
        task=task,
        at=timezone.now(),
        by=staff_a,
        number_dialled="13912345678",
        outcome="no_answer",
        notes=f"{secret} callback note",
    )
    return {
        "callback_task_id": str(task.pk),
        "retry_policy_id": str(RetryPolicy.objects.get(code="standard").pk),
        "callback_trigger_id": str(trigger.pk),
    }

"""Failed calls count towards the retry policy; after the last one the task falls back to a
letter or a visit with a signed receipt, tracked until the receipt returns."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackTask, RetryPolicy
from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent

from .conftest import SIGNED, Desk, local


def fail(task: CallbackTask, day: int, outcome: str = "no_answer") -> CallbackTask:
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome=outcome,
        by=task.assignee,  # type: ignore[arg-type]
        at=local(SIGNED + dt.timedelta(days=day), 10),
    )
    task.refresh_from_db()
    return task


def test_each_failed_call_waits_the_hours_its_outcome_asks(desk: Desk) -> None:
    task = fail(desk.task_for(desk.sale()), 1, "refused")
    assert task.failed_attempts == 1
    assert task.status == "open"
    assert task.next_attempt_at == local(SIGNED + dt.timedelta(days=3), 10)  # 48 hours


def test_after_three_failed_calls_the_task_falls_back_to_a_letter(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    for day in (1, 2, 3):
        task = fail(task, day, "no_answer" if day < 3 else "invalid_number")
    assert task.status == "fallback_due"
    assert task.fallback_kind == "letter"
    assert task.attempts_count == 3
    assert task.next_attempt_at is None


def test_a_dialect_barrier_does_not_use_up_an_attempt(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="dialect_barrier",
        language=desk.puxian,
        by=task.assignee,  # type: ignore[arg-type]
        at=local(SIGNED + dt.timedelta(days=1), 10),
    )
    task.refresh_from_db()
    assert task.failed_attempts == 0
    assert task.attempts_count == 1


def test_the_head_of_service_changes_the_retry_policy(desk: Desk) -> None:
    policy = RetryPolicy.objects.get(code="standard")
    services.retry_policy_update(
        retry_policy=policy,
        max_attempts=1,
        retry_after_hours={"no_answer": 2},
        fallback="visit",
        quiet_start=dt.time(20, 0),
        quiet_end=dt.time(9, 0),
        by=desk.head,
    )
    task = fail(desk.task_for(desk.sale()), 1)
    assert task.status == "fallback_due"
    assert task.fallback_kind == "visit"
    # An edited policy is not overwritten by the shipped file.
    services.config_sync()
    assert RetryPolicy.objects.get(code="standard").max_attempts == 1


def test_an_agent_cannot_change_the_retry_policy(desk: Desk) -> None:
    from django.core.exceptions import PermissionDenied

    policy = RetryPolicy.objects.get(code="standard")
    with pytest.raises(PermissionDenied):
        services.retry_policy_update(
            retry_policy=policy,
            max_attempts=9,
            retry_after_hours={},
            fallback="letter",
            quiet_start=dt.time(21, 0),
            quiet_end=dt.time(9, 0),
            by=desk.agent,
        )
    assert RetryPolicy.objects.get(code="standard").max_attempts == 3


def _fallen_back(desk: Desk) -> CallbackTask:
    task = desk.task_for(desk.sale())
    for day in (1, 2, 3):
        task = fail(task, day)
    return task


def test_a_letter_is_sent_and_its_signed_receipt_completes_the_callback(desk: Desk) -> None:
    task = _fallen_back(desk)
    agent = task.assignee
    assert agent is not None
    services.callback_fallback_send(
        task=task,
        kind="letter",
        reference="EMS1234",
        by=agent,
        at=local(SIGNED + dt.timedelta(days=4), 10),
    )
    task.refresh_from_db()
    assert task.status == "fallback_sent"
    returned = local(SIGNED + dt.timedelta(days=10), 10)
    services.callback_fallback_return(task=task, receipt_signed=True, by=agent, at=returned)
    task.refresh_from_db()
    assert task.status == "succeeded"
    assert task.succeeded_at == returned
    assert AuditEvent.objects.filter(action="callbacks.fallback.return").count() == 1


def test_a_receipt_returned_unsigned_fails_the_callback(desk: Desk) -> None:
    task = _fallen_back(desk)
    agent = task.assignee
    assert agent is not None
    services.callback_fallback_send(task=task, kind="visit", reference="V-9", by=agent)
    services.callback_fallback_return(task=task, receipt_signed=False, by=agent)
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.succeeded_at is None


def test_a_letter_needs_a_reference_and_nothing_is_written_without_one(desk: Desk) -> None:
    task = _fallen_back(desk)
    with pytest.raises(DomainError) as refused:
        services.callback_fallback_send(task=task, kind="letter", reference=" ", by=desk.agent)
    assert refused.value.field == "reference"
    task.refresh_from_db()
    assert task.status == "fallback_due"


def test_no_phone_attempt_is_recorded_once_the_task_fell_back(desk: Desk) -> None:
    task = _fallen_back(desk)
    with pytest.raises(DomainError) as refused:
        fail(task, 4)
    assert refused.value.code == "callback_task_state"
    assert task.attempts.count() == 3

"""No callbacks between 21:00 and 09:00 in the branch's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackAttempt
from policydesk.core.errors import DomainError

from .conftest import SIGNED, Desk, local

DAY = SIGNED + dt.timedelta(days=2)


@pytest.mark.parametrize(("hour", "minute"), [(21, 0), (23, 30), (3, 0), (8, 59)])
def test_a_call_in_the_quiet_hours_is_refused_and_nothing_is_written(
    desk: Desk, hour: int, minute: int
) -> None:
    task = desk.task_for(desk.sale())
    with pytest.raises(DomainError) as refused:
        services.callback_attempt_record(
            task=task,
            number_dialled="13812345678",
            outcome="no_answer",
            by=task.assignee,  # type: ignore[arg-type]
            at=local(DAY, hour, minute),
        )
    assert refused.value.code == "quiet_hours"
    assert refused.value.field == "at"
    assert not CallbackAttempt.objects.exists()
    task.refresh_from_db()
    assert task.attempts_count == 0


def test_a_call_at_nine_in_the_morning_is_allowed(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    attempt = services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="no_answer",
        by=task.assignee,  # type: ignore[arg-type]
        at=local(DAY, 9, 0),
    )
    assert attempt.pk is not None


def test_a_retry_that_would_fall_in_the_quiet_hours_waits_for_the_morning(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    # No answer at 19:00; the standard policy retries after 4 hours, 23:00: next day 09:00.
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="no_answer",
        by=task.assignee,  # type: ignore[arg-type]
        at=local(DAY, 19, 0),
    )
    task.refresh_from_db()
    assert task.next_attempt_at == local(DAY + dt.timedelta(days=1), 9, 0)


def test_quiet_hours_follow_the_branchs_time_zone(desk: Desk) -> None:
    branch = desk.world.branch_a
    branch.timezone = "Asia/Hong_Kong"
    retry = desk.task_for(desk.sale()).trigger.retry_policy
    # 13:30 UTC is 21:30 in Hong Kong (and in Shanghai) but 14:30 in London.
    moment = dt.datetime(2026, 9, 3, 13, 30, tzinfo=dt.UTC)
    assert services.is_quiet(moment, branch, retry)
    branch.timezone = "Europe/London"
    assert not services.is_quiet(moment, branch, retry)


def test_a_call_cannot_be_recorded_in_the_future(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        services.callback_attempt_record(
            task=task,
            number_dialled="13812345678",
            outcome="no_answer",
            by=task.assignee,  # type: ignore[arg-type]
            at=tomorrow.replace(hour=3),  # 11:00 in Xianyou
        )
    assert refused.value.field == "at"
    assert not CallbackAttempt.objects.exists()

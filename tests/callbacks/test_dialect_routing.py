"""A customer who understands only the local dialect is called by a seat that speaks it: a
"language or dialect barrier" re-queues the task instead of closing it."""

from __future__ import annotations

import datetime as dt

from policydesk.callbacks import selectors, services
from policydesk.callbacks.models import CallbackTask

from .conftest import SIGNED, Desk, local


def barrier(desk: Desk, task: CallbackTask, **extra: object) -> CallbackTask:
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="dialect_barrier",
        by=desk.agent,
        at=local(SIGNED + dt.timedelta(days=1), 10),
        **extra,  # type: ignore[arg-type]
    )
    task.refresh_from_db()
    return task


def test_a_puxian_only_customer_is_routed_to_a_puxian_seat_from_the_start(desk: Desk) -> None:
    task = desk.task_for(desk.sale(dialect_only=True))
    assert task.language_needed == desk.puxian
    assert task.assignee == desk.dialect_agent


def test_a_dialect_barrier_requeues_the_task_to_an_agent_with_that_dialect(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    CallbackTask.objects.filter(pk=task.pk).update(assignee=desk.agent)
    task.refresh_from_db()
    task = barrier(desk, task, language=desk.puxian)
    assert task.status == "open"  # not closed
    assert task.assignee == desk.dialect_agent
    assert task.language_needed == desk.puxian
    assert "dialect_barrier" in task.defect_codes
    attempt = task.attempts.get()
    assert attempt.outcome == "dialect_barrier"
    assert attempt.language == desk.puxian


def test_the_customers_recorded_dialect_is_taken_when_the_agent_names_none(desk: Desk) -> None:
    policy = desk.sale()
    policy.policyholder.dialect = desk.puxian
    policy.policyholder.save()
    task = desk.task_for(policy)
    task = barrier(desk, task)
    assert task.language_needed == desk.puxian


def test_with_no_seat_for_the_dialect_the_task_waits_in_the_team_queue(desk: Desk) -> None:
    desk.dialect_agent.is_active = False
    desk.dialect_agent.save()
    task = desk.task_for(desk.sale())
    task = barrier(desk, task, language=desk.puxian)
    assert task.assignee is None
    assert task.team == desk.callbacks_team
    assert task.status == "open"
    dialect_queue = selectors.task_queue(desk.head, view="dialect")
    assert [t.pk for t in dialect_queue.items] == [task.pk]


def test_queues_are_ordered_by_due_day_then_success_likelihood(desk: Desk) -> None:
    later = desk.task_for(desk.sale(signed=SIGNED + dt.timedelta(days=2)))
    prefixed = desk.task_for(desk.sale(phone="059413812345670", phone_type="fixed_line"))
    clean = desk.task_for(desk.sale(phone="13812345671"))
    page = selectors.task_queue(desk.head, view="open", now=local(SIGNED, 10))
    assert [t.pk for t in page.items] == [clean.pk, prefixed.pk, later.pk]
    assert clean.score > prefixed.score


def test_a_second_agent_gets_the_next_task_when_the_first_has_more(desk: Desk) -> None:
    first = desk.task_for(desk.sale(phone="13812345672"))
    second = desk.task_for(desk.sale(phone="13812345673"))
    assert {first.assignee_id, second.assignee_id} == {desk.agent.pk, desk.dialect_agent.pk}


def test_the_success_likelihood_is_explained_by_its_parts() -> None:
    base = services.success_likelihood(
        defect_codes=[],
        language_needed_id=None,
        assignee_language_ids=[],
        failed_attempts=0,
        hour=10,
    )
    prefixed = services.success_likelihood(
        defect_codes=["area_code_prefixed_mobile"],
        language_needed_id=None,
        assignee_language_ids=[],
        failed_attempts=0,
        hour=10,
    )
    dialect_unmatched = services.success_likelihood(
        defect_codes=[], language_needed_id=7, assignee_language_ids=[1], failed_attempts=0, hour=10
    )
    dialect_matched = services.success_likelihood(
        defect_codes=[], language_needed_id=7, assignee_language_ids=[7], failed_attempts=0, hour=10
    )
    evening = services.success_likelihood(
        defect_codes=[],
        language_needed_id=None,
        assignee_language_ids=[],
        failed_attempts=0,
        hour=19,
    )
    retried = services.success_likelihood(
        defect_codes=[],
        language_needed_id=None,
        assignee_language_ids=[],
        failed_attempts=2,
        hour=10,
    )
    assert (base, prefixed, dialect_unmatched, dialect_matched, evening, retried) == (
        85,
        40,
        55,
        80,
        90,
        65,
    )

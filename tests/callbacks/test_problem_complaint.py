"""A callback that finds a problem opens a mis-selling complaint on the case engine: its
15-working-day clock runs and someone other than the salesperson owns it."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.callbacks import services
from policydesk.callbacks.models import CallbackAttempt
from policydesk.cases.models import CaseClock
from policydesk.complaints.models import Complaint
from policydesk.core.errors import DomainError
from policydesk.org.models import Role
from tests import factories

from .conftest import ALL_YES, SIGNED, Desk, local

# Tuesday 8 September 2026, 10:00 in Xianyou.
CALLED = local(SIGNED + dt.timedelta(days=7), 10)


def problem(desk: Desk, **answers: str) -> Complaint:
    task = desk.task_for(desk.sale())
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="problem_found",
        answers={**ALL_YES, **answers},
        notes="The agent said the policy is a savings account with 6% a year.",
        by=desk.agent,
        at=CALLED,
    )
    task.refresh_from_db()
    assert task.status == "problem"
    assert task.complaint is not None
    return task.complaint


def test_a_problem_opens_a_complaint_with_a_fifteen_working_day_clock(desk: Desk) -> None:
    complaint = problem(desk, **{"surrender-loss": "no"})
    case = complaint.case
    assert case.process.code == "complaint"
    assert case.channel == "phone"
    assert case.sla_policy is not None and case.sla_policy.code == "callback-problem"
    clock = CaseClock.objects.get(case=case, code="callback-problem-resolution")
    assert clock.mode == "working_days"
    assert clock.is_regulatory
    # 15 working days after Tuesday 8 September, by the State Council schedule: Sunday 20
    # September is a make-up working day, Friday 25 (Mid-Autumn) a holiday; the clock ends
    # at 24:00 of Tuesday 29 September.
    assert clock.due_at is not None
    due_local = clock.due_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert due_local == local(dt.date(2026, 9, 30), 0)
    # The 2020 complaint clocks run beside it.
    assert set(case.clocks.values_list("code", flat=True)) >= {
        "first-response",
        "internal-resolution",
        "regulatory-decision",
        "callback-problem-resolution",
    }
    assert "Loss on surrender understood" in case.description


def test_the_complaint_goes_to_the_complaints_team_not_to_the_salesperson(desk: Desk) -> None:
    # The salesperson also works in the complaints team (same code as the agent's).
    factories.staff(
        Role.COUNTER_MANAGER,
        desk.world.branch_a,
        username="AG-7",
        display_name="Agent Zheng",
        team=desk.complaints_team,
    )
    complaint = problem(desk)
    assert complaint.agent == desk.salesperson
    assert complaint.case.assignee == desk.handler
    assert complaint.case.team == desk.complaints_team


def test_a_problem_needs_a_note_and_nothing_is_written_without_one(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    with pytest.raises(DomainError) as refused:
        services.callback_attempt_record(
            task=task,
            number_dialled="13812345678",
            outcome="problem_found",
            by=desk.agent,
            at=CALLED,
        )
    assert refused.value.field == "notes"
    assert not Complaint.objects.exists()
    assert not CallbackAttempt.objects.exists()


def test_a_success_needs_every_confirmation(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    partial = {k: v for k, v in ALL_YES.items() if k != "cooling-off"}
    with pytest.raises(DomainError) as refused:
        services.callback_attempt_record(
            task=task,
            number_dialled="13812345678",
            outcome="success",
            answers=partial,
            by=desk.agent,
            at=CALLED,
        )
    assert refused.value.code == "confirmation_missing"
    task.refresh_from_db()
    assert task.status == "open"
    assert not CallbackAttempt.objects.exists()


def test_an_unconfirmed_item_cannot_be_recorded_as_another_outcome(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    with pytest.raises(DomainError) as refused:
        services.callback_attempt_record(
            task=task,
            number_dialled="13812345678",
            outcome="refused",
            answers={"identity": "yes", "read-terms": "no"},
            by=desk.agent,
            at=CALLED,
        )
    assert refused.value.code == "problem_not_recorded"
    assert not Complaint.objects.exists()


def test_a_single_premium_policy_is_not_asked_about_instalments(desk: Desk) -> None:
    task = desk.task_for(desk.sale(payment_mode="single"))
    answers = {k: v for k, v in ALL_YES.items() if k != "instalments"}
    services.callback_attempt_record(
        task=task,
        number_dialled="13812345678",
        outcome="success",
        answers=answers,
        by=desk.agent,
        at=CALLED,
    )
    task.refresh_from_db()
    assert task.status == "succeeded"
    assert task.succeeded_at == CALLED

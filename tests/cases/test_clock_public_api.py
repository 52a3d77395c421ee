"""The engine's system-side clock changes (cases.clocks.sla_policy_switch, clock_stop,
clock_switch_spec): what process apps' rules do to a case's clocks without a person's
cases.sla.extend decision."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.cases import clocks, services
from policydesk.cases.models import Case, CaseEvent, EventType, Process, SlaPolicy
from policydesk.core.models import AuditEvent
from policydesk.core.sla_clock import ClockError, ClockSpec
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def _complaint(world: World, complaint: Process) -> Case:
    return services.case_open(
        process=complaint,
        channel="phone",
        branch=world.branch_a,
        subject="Callback found a problem",
        by=world.teller_a,
        at=MONDAY_10,
    )


def _events(case: Case, code: str) -> list[dict[str, object]]:
    return list(case.clocks.get(code=code).state["events"])


def test_switching_the_sla_policy_starts_only_the_targets_it_adds_and_keeps_running_clocks(
    world: World, complaint: Process
) -> None:
    case = _complaint(world, complaint)
    before = {code: _events(case, code) for code in case.clocks.values_list("code", flat=True)}
    problem = SlaPolicy.objects.get(code="callback-problem")
    later = MONDAY_10 + dt.timedelta(hours=2)

    started = clocks.sla_policy_switch(case=case, policy=problem, at=later, by=None)

    assert [clock.code for clock in started] == ["callback-problem-resolution"]
    case.refresh_from_db()
    assert case.sla_policy_id == problem.pk
    # The complaint's own clocks are untouched: same events, nothing retargeted.
    for code, events in before.items():
        assert _events(case, code) == events
    assert not case.events.filter(type=EventType.CLOCK_RETARGETED).exists()
    resolution = case.clocks.get(code="callback-problem-resolution")
    assert resolution.is_running and resolution.due_at is not None
    assert case.events.filter(
        type=EventType.CLOCK_STARTED, parameters__clock="callback-problem-resolution"
    ).exists()
    # The review clock starts in the review state only; a system switch audits nothing.
    assert not case.clocks.filter(code="review-decision").exists()
    assert not AuditEvent.objects.filter(action="cases.sla.change").exists()
    assert case.next_due_at == min(c.due_at for c in case.clocks.all() if c.is_running)


def test_switching_again_to_the_same_policy_starts_nothing(
    world: World, complaint: Process
) -> None:
    case = _complaint(world, complaint)
    problem = SlaPolicy.objects.get(code="callback-problem")
    clocks.sla_policy_switch(case=case, policy=problem, at=MONDAY_10, by=None)
    count = case.clocks.count()
    assert clocks.sla_policy_switch(case=case, policy=problem, at=MONDAY_10, by=None) == []
    assert case.clocks.count() == count


def test_a_system_stop_records_met_and_its_reason_once(world: World, complaint: Process) -> None:
    case = _complaint(world, complaint)
    at = MONDAY_10 + dt.timedelta(hours=1)

    assert clocks.clock_stop(case, "internal-resolution", at=at, by=None, reason="notice sent")

    clock = case.clocks.get(code="internal-resolution")
    assert not clock.is_running and clock.stopped_at == at and clock.met is True
    met = case.events.get(type=EventType.CLOCK_MET, parameters__clock="internal-resolution")
    assert met.parameters["reason"] == "notice sent" and met.parameters["late_seconds"] == 0
    case.refresh_from_db()
    running = [c.due_at for c in case.clocks.all() if c.is_running and c.due_at]
    assert case.next_due_at == min(running)
    # A second stop, or a clock the case does not have: nothing happens.
    assert not clocks.clock_stop(case, "internal-resolution", at=at, by=None)
    assert not clocks.clock_stop(case, "no-such-clock", at=at, by=None)
    assert case.events.filter(type=EventType.CLOCK_MET).count() == 1


def test_switching_a_clock_to_another_unit_keeps_what_it_counted(
    world: World, complaint: Process
) -> None:
    case = _complaint(world, complaint)
    clock = case.clocks.get(code="regulatory-decision")
    at = MONDAY_10 + dt.timedelta(days=2)
    spec = ClockSpec.working_days(5, code="regulatory-decision")

    switched = clocks.clock_switch_spec(case=case, clock=clock, spec=spec, at=at, by=None)

    assert switched.mode == "working_days"
    state = clocks.clock_state(switched, clocks.calendar_for(case.branch))
    assert state.spec.target == 5 and state.is_running
    # Counted in working days from the start on Monday the 30th: the fifth working day after
    # it is Monday 7 December, the clock is due at its end (local midnight).
    assert switched.due_at == dt.datetime(2026, 12, 8, tzinfo=SHANGHAI)
    event = CaseEvent.objects.get(case=case, type=EventType.CLOCK_RETARGETED)
    assert event.parameters["days"] == 5 and event.parameters["mode"] == "working_days"


def test_a_stopped_clock_cannot_be_switched_and_nothing_is_written(
    world: World, complaint: Process
) -> None:
    case = _complaint(world, complaint)
    clocks.clock_stop(case, "regulatory-decision", at=MONDAY_10, by=None)
    clock = case.clocks.get(code="regulatory-decision")
    events = list(clock.state["events"])
    with pytest.raises(ClockError):
        clocks.clock_switch_spec(
            case=case,
            clock=clock,
            spec=ClockSpec.working_days(5, code="regulatory-decision"),
            at=MONDAY_10 + dt.timedelta(hours=1),
            by=None,
        )
    clock.refresh_from_db()
    assert clock.state["events"] == events
    assert not case.events.filter(type=EventType.CLOCK_RETARGETED).exists()

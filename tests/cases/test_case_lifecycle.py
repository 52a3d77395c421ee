"""A case from opening to closing: states, guards, timeline, first response, FCR."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.cases import services
from policydesk.cases.guards import GuardsFailed
from policydesk.cases.models import Case, CaseEvent, EventType, Process, StateCategory
from policydesk.core.errors import DomainError, NotVisible, PermissionRefused
from policydesk.core.models import AuditEvent
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # before "now"


def open_complaint(world: World, complaint: Process, **extra: object) -> Case:
    return services.case_open(
        process=complaint,
        channel="counter",
        branch=world.branch_a,
        subject="Agent promised 8% returns",
        by=world.teller_a,
        at=MONDAY_10,
        **extra,  # type: ignore[arg-type]
    )


def test_it_opens_a_case_in_the_initial_state_with_a_number_and_its_clocks(
    world: World, complaint: Process
) -> None:
    case = open_complaint(world, complaint)
    assert case.state.code == "logged"
    assert case.category == StateCategory.OPEN
    assert case.number == f"TS-2026-{case.pk:07d}"
    assert case.process_version == complaint.current_version
    codes = set(case.clocks.values_list("code", flat=True))
    # The review clock starts only when a review is asked for.
    assert codes == {"first-response", "internal-resolution", "regulatory-decision"}
    assert case.events.filter(type=EventType.OPENED).count() == 1
    assert AuditEvent.objects.filter(action="cases.open", object_id=str(case.pk)).exists()


def test_it_refuses_a_step_while_the_checklist_is_not_done_and_changes_nothing(
    world: World, complaint: Process
) -> None:
    case = open_complaint(world, complaint)
    with pytest.raises(GuardsFailed) as refused:
        services.case_transition(case=case, transition_code="accept", by=world.teller_a)
    assert refused.value.field == "checklist"
    assert "identity" not in refused.value.message  # names the item by its text
    case.refresh_from_db()
    assert case.state.code == "logged"
    assert not case.events.filter(type=EventType.TRANSITIONED).exists()


def test_it_moves_through_the_complaint_process_once_every_guard_holds(
    world: World, complaint: Process
) -> None:
    case = open_complaint(world, complaint)
    services.case_checklist_mark(case=case, item_code="identity", done=True, by=world.teller_a)
    services.case_transition(case=case, transition_code="accept", by=world.teller_a)
    with pytest.raises(GuardsFailed) as refused:
        services.case_transition(case=case, transition_code="investigate", by=world.teller_a)
    assert refused.value.field == "classification"
    services.case_update(case=case, by=world.teller_a, changes={"classification": "mis-selling"})
    case = services.case_transition(case=case, transition_code="investigate", by=world.teller_a)
    assert case.state.code == "investigating"
    for item in ("evidence", "salesperson-heard"):
        services.case_checklist_mark(case=case, item_code=item, done=True, by=world.manager_a)
    services.case_update(
        case=case,
        by=world.manager_a,
        changes={"resolution": "Refund of first premium", "root_cause": "mis-selling"},
    )
    # A teller's role does not grant cases.decide; the counter manager's does.
    with pytest.raises(GuardsFailed):
        services.case_transition(case=case, transition_code="decide", by=world.teller_a)
    case = services.case_transition(case=case, transition_code="decide", by=world.manager_a)
    assert case.category == StateCategory.RESOLVED
    assert case.resolved_at is not None
    assert case.first_contact_resolution is False


def test_a_step_that_needs_a_comment_says_so(world: World, complaint: Process) -> None:
    case = open_complaint(world, complaint)
    services.case_checklist_mark(case=case, item_code="identity", done=True, by=world.teller_a)
    services.case_transition(case=case, transition_code="accept", by=world.teller_a)
    services.case_update(case=case, by=world.teller_a, changes={"classification": "delay"})
    services.case_transition(case=case, transition_code="investigate", by=world.teller_a)
    with pytest.raises(GuardsFailed) as refused:
        services.case_transition(case=case, transition_code="ask-customer", by=world.teller_a)
    assert refused.value.field == "comment"


def test_an_unknown_step_is_refused_by_name(world: World, complaint: Process) -> None:
    case = open_complaint(world, complaint)
    with pytest.raises(DomainError) as refused:
        services.case_transition(case=case, transition_code="close", by=world.teller_a)
    assert refused.value.code == "transition_unknown"


def test_the_first_customer_visible_comment_is_the_first_response(
    world: World, complaint: Process
) -> None:
    case = open_complaint(world, complaint)
    services.case_comment(
        case=case, body="Checking", by=world.teller_a, at=MONDAY_10 + dt.timedelta(minutes=5)
    )
    case.refresh_from_db()
    assert case.first_response_at is None
    services.case_comment(
        case=case,
        body="We have your complaint",
        visibility="customer",
        by=world.teller_a,
        at=MONDAY_10 + dt.timedelta(hours=1),
    )
    case.refresh_from_db()
    assert case.first_response_at is not None
    clock = case.clocks.get(code="first-response")
    assert clock.stopped_at is not None and clock.met is True


def test_an_enquiry_answered_on_the_spot_counts_as_first_contact_resolution(
    world: World, enquiry: Process
) -> None:
    case = services.case_open(
        process=enquiry,
        channel="phone",
        branch=world.branch_a,
        subject="Cooling-off length",
        by=world.teller_a,
    )
    services.case_update(case=case, by=world.teller_a, changes={"resolution": "15 days"})
    case = services.case_transition(case=case, transition_code="answer-now", by=world.teller_a)
    assert case.first_contact_resolution is True
    assert not case.clocks.filter(stopped_at__isnull=True).exists()


def test_an_escalated_enquiry_is_not_first_contact_resolution(
    world: World, enquiry: Process
) -> None:
    case = services.case_open(
        process=enquiry,
        channel="phone",
        branch=world.branch_a,
        subject="Dividend history",
        by=world.teller_a,
    )
    services.case_transition(
        case=case, transition_code="escalate", comment="Needs records", by=world.teller_a
    )
    services.case_update(case=case, by=world.teller_a, changes={"resolution": "Sent the table"})
    case = services.case_transition(case=case, transition_code="answer", by=world.teller_a)
    assert case.first_contact_resolution is False


def test_staff_of_another_branch_cannot_open_or_move_cases_there(
    world: World, complaint: Process
) -> None:
    with pytest.raises(NotVisible):
        services.case_open(
            process=complaint,
            channel="counter",
            branch=world.branch_a,
            subject="x",
            by=world.teller_b,
        )
    case = open_complaint(world, complaint)
    with pytest.raises(NotVisible):
        services.case_comment(case=case, body="peek", by=world.teller_b)
    assert not CaseEvent.objects.filter(case=case, type=EventType.COMMENTED).exists()


def test_an_auditor_may_not_open_cases(world: World, complaint: Process) -> None:
    with pytest.raises(PermissionRefused):
        services.case_open(
            process=complaint,
            channel="counter",
            branch=world.branch_a,
            subject="x",
            by=world.auditor,
        )
    assert not Case.objects.exists()


def test_a_branch_calendar_beats_its_region_default_and_adds_its_own_holidays(
    world: World,
) -> None:
    from policydesk.cases.clocks import calendar_for
    from policydesk.cases.models import BusinessCalendar

    BusinessCalendar.objects.create(
        code="cn-default", name="CN", region="CN", is_region_default=True
    )
    BusinessCalendar.objects.create(
        code="branch-a",
        name="A",
        region="CN",
        branch=world.branch_a,
        extra_holidays=["2026-12-24"],
    )
    assert not calendar_for(world.branch_a).is_working_day(dt.date(2026, 12, 24))
    assert calendar_for(world.branch_b).is_working_day(dt.date(2026, 12, 24))

"""Escalation ladders: thresholds, actions, the timeline, idempotence and the sweep's cost.

Cases open on a Monday in 2030 so the moments are in the future whatever day the suite
runs: the event-driven check at opening (real time) finds nothing due, and each test moves
`now` past the moment it is about.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from policydesk.cases import escalation, rules_services, services
from policydesk.cases.models import (
    Case,
    CaseEscalation,
    CaseEvent,
    EscalationLadder,
    EscalationLevel,
    EscalationWatch,
    EventType,
    Notification,
    Priority,
    Process,
)
from policydesk.core.models import AuditEvent
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World, signed_in

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
OPENED = dt.datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Monday, no holiday near


def ladder_with(world: World, process: Process, *levels: dict[str, Any]) -> EscalationLadder:
    ladder = rules_services.ladder_create(process=process, name="Complaint ladder", by=world.head)
    for number, values in enumerate(levels, start=1):
        rules_services.level_create(
            ladder=ladder, values={"number": number, **values}, by=world.head
        )
    return ladder


def open_complaint(world: World, complaint: Process, at: dt.datetime = OPENED) -> Case:
    return services.case_open(
        process=complaint,
        channel="counter",
        branch=world.branch_a,
        subject="Agent promised 8% returns",
        by=world.teller_a,
        at=at,
    )


def escalated_events(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(type=EventType.ESCALATED).order_by("id"))


def test_half_the_internal_target_elapsed_notifies_the_assignee(
    world: World, complaint: Process
) -> None:
    ladder_with(
        world,
        complaint,
        {
            "clock_code": "internal-resolution",
            "threshold": "percent_elapsed",
            "percent": 50,
            "action": "notify",
            "notify": "assignee",
        },
    )
    case = open_complaint(world, complaint)
    services.case_assign(case=case, assignee=world.teller_a, by=world.manager_a, at=OPENED)
    # 10 working days: half is 5 working days after Monday 4 March (Tue-Fri, then Monday 11),
    # counted when Monday 11 March ends (local midnight).
    before = dt.datetime(2030, 3, 11, 23, 30, tzinfo=SHANGHAI)
    after = dt.datetime(2030, 3, 12, 0, 30, tzinfo=SHANGHAI)
    assert escalation.escalation_sweep(before)["escalated"] == 0
    assert not Notification.objects.exists()
    assert escalation.escalation_sweep(after)["escalated"] == 1
    notice = Notification.objects.get()
    assert notice.recipient == world.teller_a and notice.case_id == case.pk
    assert notice.read_at is None and case.number in notice.text
    (event,) = escalated_events(case)
    assert event.parameters["clock"] == "internal-resolution"
    assert event.parameters["threshold"] == "percent_elapsed"
    assert "50%" in event.body
    case.refresh_from_db()
    assert case.escalation_level == 1


def test_the_regulatory_warning_raises_priority_and_tells_the_branch_manager(
    world: World, complaint: Process
) -> None:
    ladder_with(
        world,
        complaint,
        {
            "clock_code": "regulatory-decision",
            "threshold": "warning",
            "action": "raise_priority",
            "notify": "branch_manager",
        },
    )
    case = open_complaint(world, complaint)
    clock = case.clocks.get(code="regulatory-decision")
    assert clock.warn_at is not None
    assert escalation.escalation_sweep(clock.warn_at - dt.timedelta(minutes=1))["escalated"] == 0
    escalation.escalation_sweep(clock.warn_at + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    assert list(Notification.objects.values_list("recipient", flat=True)) == [world.manager_a.pk]
    (event,) = escalated_events(case)
    assert event.parameters["priority_before"] == Priority.NORMAL
    assert event.parameters["clock_name"] == clock.name
    assert AuditEvent.objects.filter(action="cases.escalate", object_id=str(case.pk)).exists()


def test_a_breach_escalates_to_the_branch_manager_who_takes_the_case(
    world: World, complaint: Process
) -> None:
    ladder_with(
        world,
        complaint,
        {
            "clock_code": "regulatory-decision",
            "threshold": "breach",
            "action": "escalate_to_manager",
        },
    )
    case = open_complaint(world, complaint)
    services.case_assign(case=case, assignee=world.teller_a, by=world.manager_a, at=OPENED)
    due = case.clocks.get(code="regulatory-decision").due_at
    assert due is not None
    assert escalation.escalation_sweep(due - dt.timedelta(seconds=1))["escalated"] == 0
    escalation.escalation_sweep(due + dt.timedelta(minutes=5))
    case.refresh_from_db()
    assert case.assignee == world.manager_a
    assigned = case.events.filter(type=EventType.ASSIGNED).order_by("-id").first()
    assert assigned is not None and "past its deadline" in assigned.body
    assert AuditEvent.objects.filter(action="cases.assign", object_id=str(case.pk)).count() == 2


def test_without_a_manager_in_the_branch_the_parent_branchs_manager_is_escalated_to(
    world: World, complaint: Process
) -> None:
    branch_c = factories.branch("branch-c", parent=world.city)
    city_manager = factories.staff(Role.COUNTER_MANAGER, world.city, username="city_manager")
    teller_c = factories.staff(Role.FRONT_TELLER, branch_c, username="teller_c")
    ladder_with(world, complaint, {"threshold": "breach", "action": "escalate_to_manager"})
    case = services.case_open(
        process=complaint, channel="phone", branch=branch_c, subject="Late", by=teller_c, at=OPENED
    )
    due = case.clocks.get(code="first-response").due_at
    assert due is not None
    escalation.escalation_sweep(due + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.assignee == city_manager
    assert case.escalations.get().clock_code == "first-response"  # the first clock to breach


def test_a_case_older_than_the_age_is_reassigned_to_the_role(
    world: World, complaint: Process
) -> None:
    ladder_with(
        world,
        complaint,
        {
            "threshold": "age_over",
            "age_hours": 48,
            "action": "reassign",
            "role": Role.BACK_OFFICE,
            "notify": "nobody",
        },
    )
    back_office = factories.staff(Role.BACK_OFFICE, world.branch_a, username="back_a")
    factories.staff(Role.BACK_OFFICE, world.branch_b, username="back_b")
    case = open_complaint(world, complaint)
    escalation.escalation_sweep(OPENED + dt.timedelta(hours=47))
    assert not case.escalations.exists()
    escalation.escalation_sweep(OPENED + dt.timedelta(hours=49))
    case.refresh_from_db()
    assert case.assignee == back_office
    (event,) = escalated_events(case)
    assert event.parameters["clock"] == "" and "48 hours" in event.body
    assert list(Notification.objects.values_list("recipient", flat=True)) == [back_office.pk]


def test_the_sweep_run_twice_creates_nothing_new(world: World, complaint: Process) -> None:
    ladder_with(
        world,
        complaint,
        {"threshold": "age_over", "age_hours": 1, "action": "notify"},
        {"threshold": "age_over", "age_hours": 2, "action": "raise_priority"},
    )
    cases = [open_complaint(world, complaint) for _ in range(3)]
    later = OPENED + dt.timedelta(hours=3)
    assert escalation.escalation_sweep(later)["escalated"] == 6

    def counts() -> tuple[int, int, int, int]:
        return (
            CaseEscalation.objects.count(),
            CaseEvent.objects.count(),
            Notification.objects.count(),
            AuditEvent.objects.count(),
        )

    before = counts()
    assert escalation.escalation_sweep(later)["escalated"] == 0
    assert escalation.escalation_sweep(later + dt.timedelta(days=1))["escalated"] == 0
    assert counts() == before
    for case in cases:
        case.refresh_from_db()
        assert case.priority == Priority.HIGH  # raised once, not once per run


def test_a_level_already_due_applies_at_the_clock_change_without_waiting_for_the_sweep(
    world: World, complaint: Process
) -> None:
    ladder_with(world, complaint, {"threshold": "age_over", "age_hours": 1, "action": "notify"})
    case = open_complaint(world, complaint, at=timezone.now() - dt.timedelta(hours=2))
    assert case.escalations.count() == 1
    assert len(escalated_events(case)) == 1


def test_the_escalation_shows_on_the_timeline_with_the_clock_that_fired(
    world: World, complaint: Process
) -> None:
    ladder_with(
        world,
        complaint,
        {"clock_code": "first-response", "threshold": "breach", "action": "notify"},
    )
    case = open_complaint(world, complaint)
    clock = case.clocks.get(code="first-response")
    assert clock.due_at is not None
    escalation.escalation_sweep(clock.due_at + dt.timedelta(minutes=1))
    response = signed_in(world.manager_a).get(f"/cases/{case.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "first-response" in page and clock.name in page


def test_an_inactive_ladder_or_level_escalates_nothing(world: World, complaint: Process) -> None:
    ladder = ladder_with(
        world, complaint, {"threshold": "age_over", "age_hours": 1, "action": "notify"}
    )
    open_complaint(world, complaint)
    rules_services.ladder_update(ladder=ladder, changes={"is_active": False}, by=world.head)
    assert escalation.escalation_sweep(OPENED + dt.timedelta(hours=2))["escalated"] == 0
    rules_services.ladder_update(ladder=ladder, changes={"is_active": True}, by=world.head)
    level = EscalationLevel.objects.get()
    rules_services.level_update(level=level, changes={"is_active": False}, by=world.head)
    assert escalation.escalation_sweep(OPENED + dt.timedelta(hours=3))["escalated"] == 0
    assert not CaseEscalation.objects.exists()


def test_a_finished_case_is_not_escalated_and_leaves_the_watch(
    world: World, complaint: Process
) -> None:
    ladder_with(world, complaint, {"threshold": "age_over", "age_hours": 1, "action": "notify"})
    case = open_complaint(world, complaint)
    Case.objects.filter(pk=case.pk).update(category="closed")
    assert escalation.escalation_sweep(OPENED + dt.timedelta(hours=2))["escalated"] == 0
    assert EscalationWatch.objects.get(case=case).next_check_at is None


def test_the_sweeps_selection_takes_one_query_whatever_the_number_of_cases(
    world: World, complaint: Process, django_assert_max_num_queries: Any
) -> None:
    ladder_with(world, complaint, {"threshold": "age_over", "age_hours": 100, "action": "notify"})
    for _ in range(8):
        open_complaint(world, complaint)
    moment = OPENED + dt.timedelta(hours=101)
    with django_assert_max_num_queries(1):
        due = escalation.sweep_candidates(moment)
    assert len(due) == 8
    with django_assert_max_num_queries(1):
        assert escalation.sweep_candidates(OPENED + dt.timedelta(hours=1)) == []


def test_open_cases_from_before_the_ladder_are_picked_up_by_the_sweep(
    world: World, complaint: Process
) -> None:
    case = open_complaint(world, complaint)
    assert not EscalationWatch.objects.exists()
    ladder_with(world, complaint, {"threshold": "age_over", "age_hours": 1, "action": "notify"})
    # The level's creation gave the case a watch, due at once.
    assert EscalationWatch.objects.get(case=case).next_check_at is not None
    escalation.escalation_sweep(OPENED + dt.timedelta(hours=2))
    assert case.escalations.count() == 1


def test_the_head_of_service_edits_ladders_through_the_api_and_every_write_is_audited(
    world: World, complaint: Process
) -> None:
    client = signed_in(world.head)
    created = client.post(
        "/api/v1/escalation-ladders",
        {"process": "complaint", "name": "投诉升级"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    ladder_id = created.json()["id"]
    level = client.post(
        f"/api/v1/escalation-ladders/{ladder_id}/levels",
        {"number": 1, "threshold": "percent_elapsed", "percent": 50, "action": "notify"},
        content_type="application/json",
    )
    assert level.status_code == 201, level.content
    assert level.json()["percent"] == 50 and level.json()["age_hours"] is None
    clash = client.post(
        f"/api/v1/escalation-ladders/{ladder_id}/levels",
        {"number": 1, "threshold": "breach", "action": "notify"},
        content_type="application/json",
    )
    assert clash.status_code == 409
    listed = client.get("/api/v1/escalation-ladders").json()
    assert [item["levels"][0]["threshold"] for item in listed] == ["percent_elapsed"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"cases.escalation.ladder.create", "cases.escalation.level.create"} <= actions


def test_a_teller_may_not_edit_a_ladder(world: World, complaint: Process) -> None:
    response = signed_in(world.teller_a).post(
        "/api/v1/escalation-ladders",
        {"process": "complaint", "name": "Mine"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not EscalationLadder.objects.exists()


def test_the_ladder_pages_work_for_the_head_of_service(world: World, complaint: Process) -> None:
    client = signed_in(world.head)
    response = client.post(
        "/rules/escalation/", {"process": complaint.pk, "name": "投诉升级阶梯"}, follow=True
    )
    assert response.status_code == 200
    ladder = EscalationLadder.objects.get()
    response = client.post(
        f"/rules/escalation/{ladder.pk}/",
        {
            "form": "level",
            "level-number": "1",
            "level-clock_code": "regulatory-decision",
            "level-threshold": "warning",
            "level-action": "raise_priority",
            "level-notify": "branch_manager",
            "level-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    level = EscalationLevel.objects.get()
    page = client.get(f"/rules/escalation/levels/{level.pk}/").content.decode()
    assert '<label for="id_threshold">' in page
    listing = client.get("/rules/escalation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "投诉升级阶梯" in listing and "Raise priority" in listing
    assert signed_in(world.teller_a).get("/rules/escalation/").status_code == 403


def test_the_shipped_ladders_and_rules_load_once(
    world: World, processes: dict[str, Process]
) -> None:
    first = rules_services.rules_sync()
    assert first["ladders"] == 2 and first["levels"] >= 4
    # The suite has no "complaints" skill nor Puxian dialect: those rules are skipped.
    assert first["rules"] == 2 and first["skipped"] == 2
    again = rules_services.rules_sync()
    assert (again["ladders"], again["levels"], again["rules"]) == (0, 0, 0)
    levels = EscalationLevel.objects.filter(ladder__process__code="complaint")
    assert set(levels.values_list("threshold", flat=True)) == {
        "breach",
        "percent_elapsed",
        "warning",
    }


def test_the_recipient_reads_the_notice_from_home_and_marks_it_read(
    world: World, complaint: Process
) -> None:
    ladder_with(world, complaint, {"threshold": "age_over", "age_hours": 1, "action": "notify"})
    case = open_complaint(world, complaint)
    services.case_assign(case=case, assignee=world.teller_a, by=world.manager_a, at=OPENED)
    escalation.escalation_sweep(OPENED + dt.timedelta(hours=2))
    notice = Notification.objects.get()
    client = signed_in(world.teller_a)
    home = client.get("/").content.decode()
    assert "/notifications/" in home
    page = client.get("/notifications/").content.decode()
    assert case.number in page and f"/cases/{case.pk}/" in page
    other = signed_in(world.teller_b)
    assert other.post(f"/notifications/{notice.pk}/read/").status_code == 404
    assert other.get("/api/v1/notifications").json() == []
    assert client.post(f"/notifications/{notice.pk}/read/").status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    listed = client.get("/api/v1/notifications").json()
    assert [item["id"] for item in listed] == [notice.pk] and listed[0]["read_at"]


def test_the_clock_sweep_records_each_breach_and_warning_once_in_a_few_statements(
    world: World, complaint: Process, django_assert_max_num_queries: Any
) -> None:
    from policydesk.cases import clocks

    cases = [open_complaint(world, complaint) for _ in range(3)]
    later = OPENED + dt.timedelta(days=60)  # every clock of the three is past due
    running = sum(case.clocks.filter(is_running=True).count() for case in cases)
    # Per kind: BEGIN, the locking SELECT, UPDATE, INSERT of the events, (cases,) COMMIT.
    with django_assert_max_num_queries(11):
        counts = clocks.sweep(later)
    assert counts == {"warned": 0, "breached": running}
    events = CaseEvent.objects.filter(type=EventType.CLOCK_BREACHED)
    assert events.count() == running
    assert all(event.parameters["due_at"] for event in events)
    for case in cases:
        case.refresh_from_db()
        assert case.is_breached
    assert clocks.sweep(later) == {"warned": 0, "breached": 0}
    assert clocks.sweep(later + dt.timedelta(days=1)) == {"warned": 0, "breached": 0}
    assert events.count() == running
    assert not CaseEvent.objects.filter(type=EventType.CLOCK_WARNED).exists()


def test_the_clock_sweep_warns_before_the_breach_and_not_again(
    world: World, complaint: Process
) -> None:
    from policydesk.cases import clocks

    case = open_complaint(world, complaint)
    clock = case.clocks.get(code="first-response")
    assert clock.warn_at is not None and clock.due_at is not None
    between = clock.warn_at + (clock.due_at - clock.warn_at) / 2
    assert clocks.sweep(between)["warned"] >= 1
    assert clocks.sweep(between)["warned"] == 0
    warned = CaseEvent.objects.filter(type=EventType.CLOCK_WARNED, case=case)
    assert warned.filter(parameters__clock="first-response").count() == 1
    case.refresh_from_db()
    assert not case.is_breached

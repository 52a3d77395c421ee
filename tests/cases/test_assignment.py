"""Automatic assignment: rules, the four methods, capacity, absences, branch boundaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from policydesk.cases import rules_services, services
from policydesk.cases.assignment import assign_automatically
from policydesk.cases.models import (
    Absence,
    AssignmentRule,
    Case,
    EventType,
    Process,
    StaffCapacity,
)
from policydesk.core.models import AuditEvent
from policydesk.org.models import Branch, Language, Role, Skill, Staff, Team
from tests import factories
from tests.conftest import World, signed_in

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
OPENED = dt.datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Monday
MONDAY = OPENED.date()


def rule(world: World, process: Process | None, method: str, **values: Any) -> AssignmentRule:
    return rules_services.rule_create(
        values={"name": f"{method} rule", "process": process, "method": method, **values},
        by=world.head,
    )


def members(team: Team, count: int, role: str = Role.BACK_OFFICE) -> list[Staff]:
    return [
        factories.staff(role, team.branch, team=team, username=f"{team.code}-{i}")
        for i in range(count)
    ]


def open_case(
    world: World,
    process: Process,
    branch: Branch | None = None,
    *,
    channel: str = "counter",
    language: Language | None = None,
) -> Case:
    return services.case_open(
        process=process,
        channel=channel,
        branch=branch or world.branch_a,
        subject="Where is my refund?",
        language=language,
        by=None,
        at=OPENED,
    )


def test_round_robin_gives_cases_to_the_team_in_turn(world: World, complaint: Process) -> None:
    team = factories.team(world.branch_a, code="complaints")
    first, second, third = members(team, 3)
    rule(world, complaint, "round_robin", team_code="complaints")
    assignees = [open_case(world, complaint).assignee for _ in range(4)]
    assert assignees == [first, second, third, first]
    case = Case.objects.order_by("-id").first()
    assert case is not None and case.team == team
    event = case.events.get(type=EventType.ASSIGNED)
    assert "(Round robin)" in event.body
    assert AuditEvent.objects.filter(action="cases.assign", object_id=str(case.pk)).exists()


def test_least_loaded_counts_open_cases_only(world: World, complaint: Process) -> None:
    team = factories.team(world.branch_a, code="complaints")
    busy, idle = members(team, 2)
    for _ in range(2):
        services.case_assign(case=open_case(world, complaint), assignee=busy, by=None)
    finished = [open_case(world, complaint) for _ in range(3)]
    for case in finished:
        services.case_assign(case=case, assignee=idle, by=None)
    Case.objects.filter(pk__in=[c.pk for c in finished]).update(category="resolved")
    rule(world, complaint, "least_loaded", team_code="complaints")
    assert open_case(world, complaint).assignee == idle


def test_skills_based_needs_the_skill_and_the_cases_dialect(world: World, enquiry: Process) -> None:
    skill = Skill.objects.create(code="complaints", name="投诉处理")
    puxian = Language.objects.create(code="puxian", name="莆仙话", is_dialect=True)
    mandarin_only = factories.staff(Role.BACK_OFFICE, world.branch_a, username="mandarin")
    mandarin_only.skills.add(skill)
    dialect_speaker = factories.staff(Role.BACK_OFFICE, world.branch_a, username="puxian")
    dialect_speaker.skills.add(skill)
    dialect_speaker.languages.add(puxian)
    factories.staff(Role.BACK_OFFICE, world.branch_a, username="unskilled").languages.add(puxian)
    rule(world, enquiry, "skills", skill=skill)
    assert open_case(world, enquiry, language=puxian).assignee == dialect_speaker
    # Without a dialect, anyone with the skill: the least loaded of the two.
    assert open_case(world, enquiry).assignee == mandarin_only


def test_manual_leaves_the_case_in_the_team_queue_with_a_note(
    world: World, complaint: Process
) -> None:
    team = factories.team(world.branch_a, code="complaints")
    members(team, 2)
    rule(world, complaint, "manual", team_code="complaints")
    case = open_case(world, complaint)
    assert case.assignee is None and case.team == team
    assert "manager to assign" in case.events.get(type=EventType.ASSIGNED).body


def test_staff_at_capacity_are_passed_over(world: World, complaint: Process) -> None:
    team = factories.team(world.branch_a, code="complaints")
    full, free = members(team, 2)
    StaffCapacity.objects.create(staff=full, max_open_cases=1)
    services.case_assign(case=open_case(world, complaint), assignee=full, by=None)
    services.case_assign(case=open_case(world, complaint), assignee=free, by=None)
    rule(world, complaint, "least_loaded", team_code="complaints")
    # Both hold one case; the full one may hold no more.
    assert open_case(world, complaint).assignee == free


def test_absent_staff_are_passed_over_on_the_days_of_their_absence(
    world: World, complaint: Process
) -> None:
    team = factories.team(world.branch_a, code="complaints")
    away, present = members(team, 2)
    Absence.objects.create(staff=away, first_day=MONDAY, last_day=MONDAY, reason="年假")
    Absence.objects.create(
        staff=present, first_day=MONDAY + dt.timedelta(days=1), last_day=MONDAY + dt.timedelta(7)
    )
    rule(world, complaint, "round_robin", team_code="complaints")
    assert [open_case(world, complaint).assignee for _ in range(2)] == [present, present]


def test_nobody_eligible_leaves_the_case_in_the_team_queue_with_a_note(
    world: World, complaint: Process
) -> None:
    team = factories.team(world.branch_a, code="complaints")
    (only,) = members(team, 1)
    StaffCapacity.objects.create(staff=only, max_open_cases=0)
    rule(world, complaint, "least_loaded", team_code="complaints")
    case = open_case(world, complaint)
    assert case.assignee is None and case.team == team
    assert "Nobody is available" in case.events.get(type=EventType.ASSIGNED).body


def test_a_rule_of_branch_a_never_assigns_to_staff_of_branch_b(
    world: World, complaint: Process
) -> None:
    staff_b = factories.staff(Role.BACK_OFFICE, world.branch_b, username="back_b")
    rule(world, complaint, "least_loaded", branch=world.branch_a)
    case_b = open_case(world, complaint, world.branch_b)
    assert case_b.assignee is None
    assert not case_b.events.filter(type=EventType.ASSIGNED).exists()  # no rule matched
    case_a = open_case(world, complaint, world.branch_a)
    assert case_a.assignee is not None and case_a.assignee.branch == world.branch_a
    assert case_a.assignee != staff_b


def test_a_subtree_rule_picks_staff_of_the_cases_own_branch(
    world: World, complaint: Process
) -> None:
    rule(world, complaint, "round_robin", branch=world.city, include_subtree=True)
    for _ in range(4):
        case = open_case(world, complaint, world.branch_b)
        assert case.assignee is not None and case.assignee.branch == world.branch_b
    case = open_case(world, complaint, world.branch_a)
    assert case.assignee is not None and case.assignee.branch == world.branch_a


def test_the_first_matching_rule_by_position_wins_and_conditions_filter(
    world: World, enquiry: Process
) -> None:
    phones = factories.team(world.branch_a, code="phones")
    (phone_agent,) = members(phones, 1, Role.CALLBACK_AGENT)
    counter = factories.team(world.branch_a, code="counter")
    (teller,) = members(counter, 1, Role.FRONT_TELLER)
    rule(world, enquiry, "least_loaded", team_code="counter", position=20)
    rule(world, enquiry, "least_loaded", team_code="phones", channel="phone", position=10)
    rule(world, None, "manual", is_active=False, position=0)
    assert open_case(world, enquiry, channel="phone").assignee == phone_agent
    assert open_case(world, enquiry, channel="counter").assignee == teller


def test_without_a_matching_rule_nothing_happens(world: World, complaint: Process) -> None:
    case = open_case(world, complaint)
    assert assign_automatically(case, at=OPENED) is None
    case.refresh_from_db()
    assert case.assignee is None
    assert not case.events.filter(type=EventType.ASSIGNED).exists()


def test_a_manager_records_absences_of_their_branch_only(world: World) -> None:
    client = signed_in(world.manager_a)
    response = client.post(
        "/api/v1/absences",
        {"staff_id": world.teller_a.pk, "first_day": "2030-03-04", "days": 3, "reason": "年假"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["last_day"] == "2030-03-06"
    refused = client.post(
        "/api/v1/absences",
        {"staff_id": world.teller_b.pk, "first_day": "2030-03-04", "days": 1},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert list(Absence.objects.values_list("staff", flat=True)) == [world.teller_a.pk]
    assert AuditEvent.objects.filter(action="cases.assignment.absence.record").count() == 1
    assert signed_in(world.manager_b).get("/api/v1/absences").json() == []
    absence = Absence.objects.get()
    assert signed_in(world.manager_b).delete(f"/api/v1/absences/{absence.pk}").status_code == 404
    assert client.delete(f"/api/v1/absences/{absence.pk}").status_code == 204
    assert not Absence.objects.exists()


def test_the_absence_page_works_with_labels_and_refuses_a_teller(world: World) -> None:
    client = signed_in(world.manager_a)
    page = client.get("/rules/absences/").content.decode()
    assert '<label for="id_first_day">' in page and '<label for="id_staff">' in page
    response = client.post(
        "/rules/absences/",
        {
            "staff": world.teller_a.pk,
            "first_day": "2030-03-05",
            "last_day": "2030-03-04",
            "reason": "",
        },
    )
    assert response.status_code == 200 and not Absence.objects.exists()  # last before first
    response = client.post(
        "/rules/absences/",
        {"staff": world.teller_a.pk, "first_day": "2030-03-04", "last_day": "2030-03-05"},
    )
    assert response.status_code == 302 and Absence.objects.count() == 1
    assert signed_in(world.teller_a).get("/rules/absences/").status_code == 403


def test_the_head_of_service_edits_rules_and_capacities(world: World, complaint: Process) -> None:
    client = signed_in(world.head)
    created = client.post(
        "/api/v1/assignment-rules",
        {"name": "投诉轮流", "process": "complaint", "method": "round_robin"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    replaced = client.put(
        f"/api/v1/assignment-rules/{rule_id}",
        {"name": "投诉轮流", "process": "complaint", "method": "manual", "is_active": False},
        content_type="application/json",
    )
    assert replaced.json()["is_active"] is False
    capacity = client.put(
        f"/api/v1/staff/{world.teller_a.pk}/capacity",
        {"max_open_cases": 5},
        content_type="application/json",
    )
    assert capacity.status_code == 200
    assert StaffCapacity.objects.get(staff=world.teller_a).max_open_cases == 5
    assert client.get("/rules/assignment/").status_code == 200
    assert client.get(f"/rules/assignment/{rule_id}/").status_code == 200
    assert client.get("/rules/capacity/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "cases.assignment.rule.create",
        "cases.assignment.rule.update",
        "cases.assignment.capacity",
    } <= actions
    teller = signed_in(world.teller_a)
    assert teller.get("/rules/assignment/").status_code == 403
    assert (
        teller.put(
            f"/api/v1/staff/{world.teller_a.pk}/capacity",
            {"max_open_cases": 50},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert StaffCapacity.objects.get(staff=world.teller_a).max_open_cases == 5


def test_a_dialect_rule_gives_round_robin_cases_only_to_speakers(
    world: World, complaint: Process
) -> None:
    """A rule matching the case's dialect routes it to a team; round robin (or least loaded)
    then picks among the team's members who speak it, never one who does not."""
    cantonese = Language.objects.create(code="yue", name="粤语", is_dialect=True)
    team = factories.team(world.branch_a, code="complaints")
    speaker = members(team, 3)[0]
    speaker.languages.add(cantonese)
    rule(world, complaint, "round_robin", team_code="complaints", language=cantonese)
    assignees = {open_case(world, complaint, language=cantonese).assignee for _ in range(3)}
    assert assignees == {speaker}
    speaker.languages.remove(cantonese)
    nobody = open_case(world, complaint, language=cantonese)
    assert nobody.assignee is None and nobody.team == team  # waits in the team queue

"""API of the rules around the case engine: escalation ladders and levels, assignment
rules, staff capacities, absences, and one's own notifications."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator, field_validator

from policydesk.core.access import get_visible, require
from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id, as_json
from policydesk.core.errors import NotVisible
from policydesk.core.idempotency import run_idempotent
from policydesk.org.models import Branch, Language, Skill, Staff

from . import rules_selectors, rules_services
from .models import (
    Absence,
    AssignmentRule,
    EscalationLadder,
    EscalationLevel,
    Notification,
    Process,
)

router = Router(tags=["case rules"])

SLUG = r"^[a-z0-9_-]*$"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _json_integer(value: Any) -> Any:
    # A JSON integer (55 or 55.0), never true or "55": a schema-violating value is refused,
    # not coerced into something that then succeeds.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
StrictId = Annotated[int, Ge(1), Le(2**63 - 1), BeforeValidator(_json_integer)]
Threshold = Literal["percent_elapsed", "warning", "breach", "age_over"]
Action = Literal["notify", "reassign", "raise_priority", "escalate_to_manager"]
Whom = Literal["assignee", "team", "branch_manager", "nobody"]
RoleCode = Literal[
    "",
    "front_teller",
    "counter_manager",
    "back_office",
    "callback_agent",
    "claims_handler",
    "claims_investigator",
    "relationship_manager",
    "campaign_manager",
    "quality_inspector",
    "head_of_service",
    "auditor",
    "administrator",
]
Channel = Literal["", "counter", "phone", "self_service", "bancassurance", "agent", "regulator"]
Method = Literal["round_robin", "least_loaded", "skills", "manual"]


class LevelIn(Schema):
    number: JsonInt = Field(ge=1, le=99)
    clock_code: str = Field("", max_length=48, pattern=SLUG, description="Blank: any clock.")
    threshold: Threshold
    percent: JsonInt = Field(
        100, ge=1, le=100, description="Share of the target elapsed (percent_elapsed only)."
    )
    age_hours: JsonInt = Field(24, ge=1, le=87600, description="Case age in hours (age_over only).")
    action: Action
    notify: Whom = "assignee"
    team_code: str = Field("", max_length=32, pattern=SLUG, description="Reassign only.")
    role: RoleCode = Field("", description="Reassign only.")
    is_active: bool = Field(True, strict=True)


class LevelOut(Schema):
    id: int
    number: int
    clock_code: str
    threshold: str
    percent: int | None
    age_hours: int | None
    action: str
    notify: str
    team_code: str
    role: str
    is_active: bool


class LadderIn(Schema):
    process: str = Field(max_length=48, description="Process code, e.g. complaint.")
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")


class LadderPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    is_active: bool | None = Field(None, strict=True)


class LadderOut(Schema):
    id: int
    process: str
    name: str
    is_active: bool
    levels: list[LevelOut]


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    process: str = Field("", max_length=48, description="Process code; blank: any kind.")
    channel: Channel = ""
    branch_id: StrictId | None = None
    include_subtree: bool = Field(False, strict=True)
    language: str = Field("", max_length=32, description="Language or dialect code.")
    skill: str = Field("", max_length=48, description="Skill code (skills-based method).")
    method: Method
    team_code: str = Field("", max_length=32, pattern=SLUG)
    position: JsonInt = Field(0, ge=0, le=32767)
    is_active: bool = Field(True, strict=True)


class RuleOut(Schema):
    id: int
    name: str
    process: str
    channel: str
    branch_id: int | None
    include_subtree: bool
    language: str
    skill: str
    method: str
    team_code: str
    position: int
    is_active: bool


class CapacityIn(Schema):
    max_open_cases: Annotated[int, Ge(0), Le(10000), BeforeValidator(_json_integer)] | None = Field(
        description="None removes the limit."
    )


class CapacityOut(Schema):
    staff_id: int
    max_open_cases: int | None


class AbsenceIn(Schema):
    staff_id: StrictId
    first_day: dt.date
    days: JsonInt = Field(1, ge=1, le=366, description="Whole days, the first one included.")
    reason: str = Field("", max_length=200)

    @field_validator("first_day", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        # Only "YYYY-MM-DD": lax parsing would take a number for a timestamp.
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError("a date as YYYY-MM-DD")
        return value


class AbsenceOut(Schema):
    id: int
    staff_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str


class NotificationOut(Schema):
    id: int
    case_id: int | None
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None


def level_out(level: EscalationLevel) -> dict[str, Any]:
    return {
        "id": level.pk,
        "number": level.number,
        "clock_code": level.clock_code,
        "threshold": level.threshold,
        "percent": level.percent,
        "age_hours": level.age_hours,
        "action": level.action,
        "notify": level.notify,
        "team_code": level.team_code,
        "role": level.role,
        "is_active": level.is_active,
    }


def ladder_out(ladder: EscalationLadder) -> dict[str, Any]:
    return {
        "id": ladder.pk,
        "process": ladder.process.code,
        "name": ladder.name,
        "is_active": ladder.is_active,
        "levels": [level_out(level) for level in ladder.levels.order_by("number", "id")],
    }


def rule_out(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "process": rule.process.code if rule.process else "",
        "channel": rule.channel,
        "branch_id": rule.branch_id,
        "include_subtree": rule.include_subtree,
        "language": rule.language.code if rule.language else "",
        "skill": rule.skill.code if rule.skill else "",
        "method": rule.method,
        "team_code": rule.team_code,
        "position": rule.position,
        "is_active": rule.is_active,
    }


def absence_out(absence: Absence) -> dict[str, Any]:
    return {
        "id": absence.pk,
        "staff_id": absence.staff_id,
        "first_day": absence.first_day,
        "last_day": absence.last_day,
        "reason": absence.reason,
    }


def notification_out(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "case_id": notification.case_id,
        "text": notification.text,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


def _by_code(model: type[Process] | type[Language] | type[Skill], code: str) -> Any:
    if not code:
        return None
    found = model._default_manager.filter(code=code).first()
    if found is None:
        raise NotVisible("Not found.")
    return found


# --- Escalation ---------------------------------------------------------------------------


@router.get(
    "/escalation-ladders", response={200: list[LadderOut], **ERRORS}, summary="Escalation ladders"
)
def ladder_list(request: HttpRequest) -> Any:
    ladders = rules_selectors.ladders_visible(actor_of(request)).prefetch_related("levels")
    return [ladder_out(ladder) for ladder in ladders[: rules_selectors.LIST_LIMIT]]


@router.post(
    "/escalation-ladders",
    response={201: LadderOut, **CREATE_ERRORS},
    summary="Give a process its escalation ladder (one per process)",
)
def ladder_create(request: HttpRequest, payload: LadderIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.process.edit")

    def create() -> tuple[int, dict[str, Any]]:
        process = _by_code(Process, payload.process)
        if process is None:
            raise NotVisible("Not found.")
        ladder = rules_services.ladder_create(process=process, name=payload.name, by=actor)
        return 201, as_json(LadderOut, ladder_out(ladder))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="escalation-ladder.create",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.patch(
    "/escalation-ladders/{ladder_id}",
    response={200: LadderOut, **CREATE_ERRORS},
    summary="Rename, deactivate or reactivate a ladder",
)
def ladder_patch(request: HttpRequest, ladder_id: Id, payload: LadderPatch) -> Any:
    actor = actor_of(request)
    ladder = rules_selectors.ladder_get(actor, ladder_id)
    changes = payload.dict(exclude_none=True)
    ladder = rules_services.ladder_update(ladder=ladder, changes=changes, by=actor)
    return ladder_out(ladder)


@router.post(
    "/escalation-ladders/{ladder_id}/levels",
    response={201: LevelOut, **CREATE_ERRORS},
    summary="Add a level to a ladder",
)
def level_create(request: HttpRequest, ladder_id: Id, payload: LevelIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.process.edit")
    ladder = rules_selectors.ladder_get(actor, ladder_id)

    def create() -> tuple[int, dict[str, Any]]:
        level = rules_services.level_create(ladder=ladder, values=payload.dict(), by=actor)
        return 201, as_json(LevelOut, level_out(level))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation=f"escalation-ladder.{ladder.pk}.level.create",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.put(
    "/escalation-levels/{level_id}",
    response={200: LevelOut, **CREATE_ERRORS},
    summary="Replace a level (deactivate with is_active false)",
)
def level_put(request: HttpRequest, level_id: Id, payload: LevelIn) -> Any:
    actor = actor_of(request)
    level = rules_selectors.level_get(actor, level_id)
    level = rules_services.level_update(level=level, changes=payload.dict(), by=actor)
    return level_out(level)


# --- Assignment ---------------------------------------------------------------------------


def _rule_values(actor: Any, payload: RuleIn) -> dict[str, Any]:
    values = payload.dict()
    branch_id = values.pop("branch_id")
    values["branch"] = (
        get_visible(Branch.objects.all(), actor, branch_field="id", pk=branch_id)
        if branch_id
        else None
    )
    values["process"] = _by_code(Process, payload.process)
    values["language"] = _by_code(Language, payload.language)
    values["skill"] = _by_code(Skill, payload.skill)
    return values


@router.get(
    "/assignment-rules", response={200: list[RuleOut], **ERRORS}, summary="Assignment rules"
)
def rule_list(request: HttpRequest) -> Any:
    rules = rules_selectors.rules_visible(actor_of(request))
    return [rule_out(rule) for rule in rules[: rules_selectors.LIST_LIMIT]]


@router.post(
    "/assignment-rules", response={201: RuleOut, **CREATE_ERRORS}, summary="Add an assignment rule"
)
def rule_create(request: HttpRequest, payload: RuleIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.process.edit")

    def create() -> tuple[int, dict[str, Any]]:
        rule = rules_services.rule_create(values=_rule_values(actor, payload), by=actor)
        return 201, as_json(RuleOut, rule_out(rule))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="assignment-rule.create",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.put(
    "/assignment-rules/{rule_id}",
    response={200: RuleOut, **CREATE_ERRORS},
    summary="Replace a rule (deactivate with is_active false)",
)
def rule_put(request: HttpRequest, rule_id: Id, payload: RuleIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.process.edit")
    rule = rules_selectors.rule_get(actor, rule_id)
    rule = rules_services.rule_update(rule=rule, changes=_rule_values(actor, payload), by=actor)
    return rule_out(rule)


@router.get(
    "/staff-capacities",
    response={200: list[CapacityOut], **ERRORS},
    summary="Capacities of staff in visible branches (staff without one have no limit)",
)
def capacity_list(request: HttpRequest) -> Any:
    capacities = rules_selectors.capacities_visible(actor_of(request))
    return [
        {"staff_id": item.staff_id, "max_open_cases": item.max_open_cases}
        for item in capacities[: rules_selectors.LIST_LIMIT]
    ]


@router.put(
    "/staff/{staff_id}/capacity",
    response={200: CapacityOut, **CREATE_ERRORS},
    summary="Set how many open cases a person may hold",
)
def capacity_put(request: HttpRequest, staff_id: Id, payload: CapacityIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.process.edit")
    staff = get_visible(Staff.objects.all(), actor, pk=staff_id)
    rules_services.capacity_set(staff=staff, max_open_cases=payload.max_open_cases, by=actor)
    return {"staff_id": staff.pk, "max_open_cases": payload.max_open_cases}


@router.get(
    "/absences", response={200: list[AbsenceOut], **ERRORS}, summary="Absences in visible branches"
)
def absence_list(request: HttpRequest) -> Any:
    absences = rules_selectors.absences_visible(actor_of(request))
    return [absence_out(item) for item in absences[: rules_selectors.LIST_LIMIT]]


@router.post(
    "/absences",
    response={201: AbsenceOut, **CREATE_ERRORS},
    summary="Record days a person is away (automatic assignment passes them over)",
)
def absence_create(request: HttpRequest, payload: AbsenceIn) -> Any:
    actor = actor_of(request)
    require(actor, "cases.assign")
    staff = get_visible(Staff.objects.all(), actor, pk=payload.staff_id)
    try:
        last_day = payload.first_day + dt.timedelta(days=payload.days - 1)
    except OverflowError:
        last_day = dt.date.max

    def create() -> tuple[int, dict[str, Any]]:
        absence = rules_services.absence_record(
            staff=staff,
            first_day=payload.first_day,
            last_day=last_day,
            reason=payload.reason,
            by=actor,
        )
        return 201, as_json(AbsenceOut, absence_out(absence))

    status, body = run_idempotent(
        request,
        actor_id=actor.pk,
        operation="absence.create",
        payload=payload.model_dump(mode="json"),
        create=create,
    )
    return Status(status, body)


@router.delete(
    "/absences/{absence_id}", response={204: None, **CREATE_ERRORS}, summary="Cancel an absence"
)
def absence_delete(request: HttpRequest, absence_id: Id) -> Any:
    actor = actor_of(request)
    absence = rules_selectors.absence_get(actor, absence_id)
    rules_services.absence_cancel(absence=absence, by=actor)
    return Status(204, None)


# --- Notifications ------------------------------------------------------------------------


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **ERRORS},
    summary="Your notices, unread first",
)
def notification_list(request: HttpRequest) -> Any:
    notices = rules_selectors.notifications_for(actor_of(request))
    return [notification_out(item) for item in notices[: rules_selectors.LIST_LIMIT]]


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark one of your notices read",
)
def notification_mark_read(request: HttpRequest, notification_id: Id) -> Any:
    actor = actor_of(request)
    notice = rules_selectors.notification_get(actor, notification_id)
    return notification_out(rules_services.notification_read(notification=notice, by=actor))

"""Writes to the escalation ladders, assignment rules, capacities and absences, and the
shipped defaults (cases/processes/rules.toml).

The Head of Customer Service (cases.process.edit) edits ladders, levels, rules and
capacities; managers (cases.assign) record and cancel absences of staff in branches they
see. Every write is audited with what it changed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require, visible_branch_ids
from policydesk.core.audit import audit_record, snapshot
from policydesk.core.errors import ConflictError, DomainError, NotVisible
from policydesk.org.models import Branch, Language, Role, Skill, Staff

from .escalation import watches_reset
from .models import (
    Absence,
    AssignmentMethod,
    AssignmentRule,
    CaseChannel,
    EscalationAction,
    EscalationLadder,
    EscalationLevel,
    EscalationThreshold,
    Notification,
    NotifyWhom,
    Process,
    StaffCapacity,
)

RULES_FILE = Path(__file__).parent / "processes" / "rules.toml"
LADDER_FIELDS = ["name", "is_active"]
LEVEL_FIELDS = [
    "number",
    "clock_code",
    "threshold",
    "percent",
    "age_hours",
    "action",
    "notify",
    "team_code",
    "role",
    "is_active",
]
RULE_FIELDS = [
    "name",
    "process",
    "channel",
    "branch",
    "include_subtree",
    "language",
    "skill",
    "method",
    "team_code",
    "position",
    "is_active",
]


def _editor(by: Staff | None) -> None:
    if by is not None:
        require(by, "cases.process.edit")


def _choice(value: str, choices: list[str], field: str) -> None:
    if value not in choices:
        raise DomainError(_("Unknown value %(value)s.") % {"value": value}, field=field)


def _set(instance: Model, changes: dict[str, Any], allowed: list[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise DomainError(
            _("%(field)s cannot be changed here.") % {"field": unknown[0]}, field=unknown[0]
        )
    for name, value in changes.items():
        setattr(instance, name, value)


# --- Escalation ladders and levels ---------------------------------------------------------


@transaction.atomic
def ladder_create(*, process: Process, name: str, by: Staff | None) -> EscalationLadder:
    _editor(by)
    if EscalationLadder.objects.filter(process=process).exists():
        raise ConflictError(
            _("%(process)s already has a ladder: edit it.") % {"process": process.name},
            field="process",
        )
    ladder = EscalationLadder.objects.create(process=process, name=name.strip()[:200])
    audit_record(
        action="cases.escalation.ladder.create",
        actor=by,
        target=ladder,
        after=snapshot(ladder, ["process", *LADDER_FIELDS]),
    )
    return ladder


@transaction.atomic
def ladder_update(
    *, ladder: EscalationLadder, changes: dict[str, Any], by: Staff | None
) -> EscalationLadder:
    """Rename, deactivate or reactivate a ladder; open cases of its process are checked again."""
    _editor(by)
    ladder = EscalationLadder.objects.select_for_update().get(pk=ladder.pk)
    before = snapshot(ladder, LADDER_FIELDS)
    _set(ladder, changes, LADDER_FIELDS)
    if not str(ladder.name).strip():
        raise DomainError(_("Give the ladder a name."), field="name")
    ladder.updated_at = timezone.now()
    ladder.save()
    watches_reset(process_id=ladder.process_id)
    audit_record(
        action="cases.escalation.ladder.update",
        actor=by,
        target=ladder,
        before=before,
        after=snapshot(ladder, LADDER_FIELDS),
    )
    return ladder


def _check_level(level: EscalationLevel) -> None:
    _choice(level.threshold, EscalationThreshold.values, "threshold")
    _choice(level.action, EscalationAction.values, "action")
    _choice(level.notify, NotifyWhom.values, "notify")
    if level.role:
        _choice(level.role, Role.values, "role")
    if not 1 <= int(level.number) <= 99:
        raise DomainError(_("Number levels from 1 to 99."), field="number")
    if level.threshold == EscalationThreshold.PERCENT_ELAPSED:
        if level.percent is None or not 1 <= level.percent <= 100:
            raise DomainError(_("Give a share from 1 to 100 %."), field="percent")
    else:
        level.percent = None
    if level.threshold == EscalationThreshold.AGE_OVER:
        if level.age_hours is None or level.age_hours < 1:
            raise DomainError(_("Give the age in hours."), field="age_hours")
        level.clock_code = ""
    else:
        level.age_hours = None
    if level.action != EscalationAction.REASSIGN:
        level.team_code, level.role = "", ""
    clash = EscalationLevel.objects.filter(ladder=level.ladder_id, number=level.number)
    if clash.exclude(pk=level.pk).exists():
        raise ConflictError(
            _("The ladder already has a level %(n)s.") % {"n": level.number}, field="number"
        )


@transaction.atomic
def level_create(
    *, ladder: EscalationLadder, values: dict[str, Any], by: Staff | None
) -> EscalationLevel:
    _editor(by)
    level = EscalationLevel(ladder=ladder)
    _set(level, values, LEVEL_FIELDS)
    _check_level(level)
    level.save()
    watches_reset(process_id=ladder.process_id)
    audit_record(
        action="cases.escalation.level.create",
        actor=by,
        target=level,
        after=snapshot(level, ["ladder", *LEVEL_FIELDS]),
    )
    return level


@transaction.atomic
def level_update(
    *, level: EscalationLevel, changes: dict[str, Any], by: Staff | None
) -> EscalationLevel:
    """Change a level (deactivate with is_active False); levels already applied stay on the
    cases' timelines, and a changed level is not applied a second time to the same case."""
    _editor(by)
    level = (
        EscalationLevel.objects.select_for_update(of=("self",))
        .select_related("ladder")
        .get(pk=level.pk)
    )
    before = snapshot(level, LEVEL_FIELDS)
    _set(level, changes, LEVEL_FIELDS)
    _check_level(level)
    level.save()
    watches_reset(process_id=level.ladder.process_id)
    audit_record(
        action="cases.escalation.level.update",
        actor=by,
        target=level,
        before=before,
        after=snapshot(level, LEVEL_FIELDS),
    )
    return level


# --- Assignment rules, capacities, absences -------------------------------------------------


def _check_rule(rule: AssignmentRule) -> None:
    if not str(rule.name).strip():
        raise DomainError(_("Give the rule a name."), field="name")
    _choice(rule.method, AssignmentMethod.values, "method")
    if rule.channel:
        _choice(rule.channel, CaseChannel.values, "channel")
    if rule.branch_id is None:
        rule.include_subtree = False


@transaction.atomic
def rule_create(*, values: dict[str, Any], by: Staff | None) -> AssignmentRule:
    _editor(by)
    rule = AssignmentRule()
    _set(rule, values, RULE_FIELDS)
    _check_rule(rule)
    rule.save()
    audit_record(
        action="cases.assignment.rule.create",
        actor=by,
        target=rule,
        after=snapshot(rule, RULE_FIELDS),
    )
    return rule


@transaction.atomic
def rule_update(
    *, rule: AssignmentRule, changes: dict[str, Any], by: Staff | None
) -> AssignmentRule:
    """Change a rule (deactivate with is_active False); cases already assigned stay put."""
    _editor(by)
    rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_FIELDS)
    _set(rule, changes, RULE_FIELDS)
    _check_rule(rule)
    rule.save()
    audit_record(
        action="cases.assignment.rule.update",
        actor=by,
        target=rule,
        before=before,
        after=snapshot(rule, RULE_FIELDS),
    )
    return rule


def _staff_visible(by: Staff | None, staff: Staff) -> None:
    if by is None:
        return
    ids = visible_branch_ids(by)
    if ids is not None and staff.branch_id not in ids:
        raise NotVisible("Not found.")


@transaction.atomic
def capacity_set(*, staff: Staff, max_open_cases: int | None, by: Staff | None) -> None:
    """At most this many open cases for the person; None removes the limit."""
    _editor(by)
    _staff_visible(by, staff)
    if max_open_cases is not None and not 0 <= max_open_cases <= 10000:
        raise DomainError(_("Give a number from 0 to 10000."), field="max_open_cases")
    current = StaffCapacity.objects.select_for_update().filter(staff=staff).first()
    before = {"max_open_cases": current.max_open_cases if current else None}
    if max_open_cases is None:
        if current is not None:
            current.delete()
    else:
        StaffCapacity.objects.update_or_create(
            staff=staff, defaults={"max_open_cases": max_open_cases}
        )
    audit_record(
        action="cases.assignment.capacity",
        actor=by,
        target=staff,
        before=before,
        after={"max_open_cases": max_open_cases},
    )


@transaction.atomic
def absence_record(
    *, staff: Staff, first_day: dt.date, last_day: dt.date, reason: str, by: Staff | None
) -> Absence:
    """Record days a person is away: automatic assignment passes them over on those days."""
    if by is not None:
        require(by, "cases.assign")
    _staff_visible(by, staff)
    if last_day < first_day:
        raise DomainError(_("The last day is before the first."), field="last_day")
    absence = Absence.objects.create(
        staff=staff,
        first_day=first_day,
        last_day=last_day,
        reason=reason.strip()[:200],
        created_by=by,
    )
    audit_record(
        action="cases.assignment.absence.record",
        actor=by,
        target=absence,
        branch_id=staff.branch_id,
        after=snapshot(absence, ["staff", "first_day", "last_day", "reason"]),
    )
    return absence


@transaction.atomic
def absence_cancel(*, absence: Absence, by: Staff | None) -> None:
    if by is not None:
        require(by, "cases.assign")
    absence = (
        Absence.objects.select_for_update(of=("self",)).select_related("staff").get(pk=absence.pk)
    )
    _staff_visible(by, absence.staff)
    audit_record(
        action="cases.assignment.absence.cancel",
        actor=by,
        target=absence,
        branch_id=absence.staff.branch_id,
        before=snapshot(absence, ["staff", "first_day", "last_day", "reason"]),
    )
    absence.delete()


def notification_read(*, notification: Notification, by: Staff) -> Notification:
    """Mark one's own notice read (not audited: it changes nothing but the reader's inbox)."""
    if notification.recipient_id != by.pk:
        raise NotVisible("Not found.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# --- Shipped defaults ------------------------------------------------------------------------


class _UnknownCode(Exception):
    """rules.toml names something this installation lacks (e.g. a dialect not set up)."""


def _lookup(model: type[Model], code: str) -> Any:
    if not code:
        return None
    found = model._default_manager.filter(code=code).first()
    if found is None:
        raise _UnknownCode(code)
    return found


@transaction.atomic
def rules_sync() -> dict[str, int]:
    """Create the shipped ladders and assignment rules the database lacks (a process that has
    a ladder, a rule whose name exists, are left as they are; a rule naming a language,
    skill or branch this installation lacks is skipped). Run after processes_sync."""
    # rules.toml and one rules_<app>.toml per process family.
    data: dict[str, Any] = {"ladders": {}, "rules": []}
    for path in sorted(RULES_FILE.parent.glob("rules*.toml")):
        with path.open("rb") as handle:
            part = tomllib.load(handle)
        data["ladders"].update(part.get("ladders", {}))
        data["rules"].extend(part.get("rules", []))
    added = {"ladders": 0, "levels": 0, "rules": 0, "skipped": 0}
    for code, item in data.get("ladders", {}).items():
        process = Process.objects.filter(code=code).first()
        if process is None or EscalationLadder.objects.filter(process=process).exists():
            continue
        ladder = ladder_create(process=process, name=item["name"], by=None)
        added["ladders"] += 1
        for level in item.get("levels", []):
            level_create(ladder=ladder, values=dict(level), by=None)
            added["levels"] += 1
    for item in data.get("rules", []):
        if AssignmentRule.objects.filter(name=item["name"]).exists():
            continue
        values = dict(item)
        try:
            values["process"] = _lookup(Process, values.pop("process", ""))
            values["branch"] = _lookup(Branch, values.pop("branch", ""))
            values["language"] = _lookup(Language, values.pop("language", ""))
            values["skill"] = _lookup(Skill, values.pop("skill", ""))
        except _UnknownCode:
            added["skipped"] += 1
            continue
        rule_create(values=values, by=None)
        added["rules"] += 1
    return added

"""Writes to cases: open, move, comment, assign, tick the checklist, change details.

Every function validates, writes inside one transaction holding the case's row lock
(`select_for_update`, so two processors cannot move one case at once), records the timeline
event and the audit event, and keeps the case's clocks in step.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require, require_branch_visible
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError
from policydesk.customers.models import Customer
from policydesk.org.models import Branch, Language, Staff, Team
from policydesk.policies.models import Policy

from . import clocks
from .assignment import assign_automatically
from .guards import GuardsFailed, failed_guards
from .managed import MANAGED_PROCESSES
from .models import (
    Case,
    CaseChannel,
    CaseChecklistMark,
    CaseEvent,
    ChecklistItem,
    EventType,
    Priority,
    Process,
    ProcessState,
    StateCategory,
    Visibility,
)

MAX_TAGS = 20
UPDATABLE = (
    "subject",
    "description",
    "priority",
    "classification",
    "tags",
    "root_cause",
    "resolution",
    "customer",
    "policy",
    "language",
)


def _team_for(branch_id: int, code: str) -> Team | None:
    if not code:
        return None
    return Team.objects.filter(branch_id=branch_id, code=code, is_active=True).first()


def event_add(
    case: Case,
    type: str,
    *,
    by: Staff | None,
    at: dt.datetime,
    body: str = "",
    visibility: str = Visibility.INTERNAL,
    **parameters: Any,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        type=type,
        actor=by,
        at=at,
        body=body,
        visibility=visibility,
        parameters=parameters,
    )


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("state", "process", "branch")
        .get(pk=case.pk)
    )


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = sorted({" ".join(str(tag).split())[:40] for tag in tags if str(tag).strip()})
    if len(cleaned) > MAX_TAGS:
        raise DomainError(_("At most %(n)s tags.") % {"n": MAX_TAGS}, field="tags")
    return cleaned


def _check_links(
    by: Staff | None, branch: Branch, customer: Customer | None, policy: Policy | None
) -> None:
    if customer is not None:
        require_branch_visible(by, customer.branch_id)
    if policy is not None:
        require_branch_visible(by, policy.branch_id)
        if (
            customer is not None
            and policy.policyholder_id != customer.pk
            and not (policy.parties.filter(customer=customer).exists())
        ):
            raise DomainError(_("The policy does not belong to this customer."), field="policy")


@transaction.atomic
def case_open(
    *,
    process: Process,
    channel: str,
    branch: Branch,
    subject: str,
    by: Staff | None,
    description: str = "",
    customer: Customer | None = None,
    policy: Policy | None = None,
    priority: int = Priority.NORMAL,
    language: Language | None = None,
    classification: str = "",
    tags: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> Case:
    """Open a case on the process's current version, in its initial state, clocks running."""
    if by is not None:
        require(by, "cases.open")
    require_branch_visible(by, branch.pk)
    at = at or timezone.now()
    if not subject.strip():
        raise DomainError(_("Give the case a subject."), field="subject")
    if channel not in CaseChannel.values:
        raise DomainError(_("Unknown channel %(value)s.") % {"value": channel}, field="channel")
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    version = process.current_version
    if version is None or not process.is_active:
        raise DomainError(
            _("The process %(name)s has no published version.") % {"name": process.name},
            field="process",
        )
    if policy is not None and customer is None:
        customer = policy.policyholder
    _check_links(by, branch, customer, policy)
    initial = ProcessState.objects.get(version=version, is_initial=True)
    case = Case.objects.create(
        # A unique placeholder within the column's 32 characters (PostgreSQL enforces it).
        number=f"new-{uuid.uuid4().hex}"[:32],
        process=process,
        process_version=version,
        state=initial,
        category=initial.category,
        channel=channel,
        branch=branch,
        team=_team_for(branch.pk, initial.default_team_code or process.default_team_code),
        customer=customer,
        policy=policy,
        language=language,
        subject=subject.strip()[:200],
        description=description,
        priority=priority,
        classification=classification,
        tags=_clean_tags(tags),
        sla_policy=process.sla_policy,
        opened_at=at,
        opened_by=by,
        updated_at=at,
    )
    # The number carries the id, so it is unique without a counter table to lock.
    case.number = f"{process.number_prefix}-{at.year}-{case.pk:07d}"
    case.save(update_fields=["number"])
    event_add(
        case,
        EventType.OPENED,
        by=by,
        at=at,
        state=initial.code,
        channel=channel,
        version=version.number,
    )
    clocks.start_for_case(case, at=at, by=by)
    audit_record(
        action="cases.open",
        actor=by,
        target=case,
        after={"number": case.number, "process": process.code, "channel": channel},
    )
    # Assignment rules (issue 4, item 5): team and person by the first matching rule.
    assign_automatically(case, at=at)
    case.refresh_from_db(fields=["assignee", "team", "priority", "escalation_level", "updated_at"])
    return case


@transaction.atomic
def case_transition(
    *,
    case: Case,
    transition_code: str,
    by: Staff | None,
    comment: str = "",
    at: dt.datetime | None = None,
    managed: bool = False,
) -> Case:
    """Take one of the current state's transitions if every guard holds.

    `managed`: the call comes from the services of the app that owns the process (see
    cases.managed); anywhere else a step of such a process is refused."""
    if by is not None:
        require(by, "cases.work")
    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    if not managed and case.process.code in MANAGED_PROCESSES:
        raise DomainError(
            _("Steps of a %(process)s are taken on its own page, which records what they mean.")
            % {"process": case.process.name},
            field="transition",
            code="transition_managed",
        )
    at = at or timezone.now()
    transition = (
        case.process_version.transitions.select_related("to_state")
        .filter(code=transition_code, from_state=case.state_id)
        .first()
    )
    if transition is None:
        raise DomainError(
            _("%(code)s is not a step from %(state)s.")
            % {"code": transition_code, "state": case.state.name},
            field="transition",
            code="transition_unknown",
        )
    failures = failed_guards(case, transition, by=by, comment=comment)
    if failures:
        raise GuardsFailed(failures)
    before = {"state": case.state.code, "category": case.category}
    old_category = case.category
    target = transition.to_state
    case.state = target
    case.category = target.category
    case.updated_at = at
    fields = ["state", "category", "updated_at"]
    if target.category in StateCategory.finished() and case.resolved_at is None:
        case.resolved_at = at
        case.first_contact_resolution = transition.first_contact_resolution
        fields += ["resolved_at", "first_contact_resolution"]
    if target.category == StateCategory.CLOSED and case.closed_at is None:
        case.closed_at = at
        fields.append("closed_at")
    if target.category not in StateCategory.finished() and case.resolved_at is not None:
        # Reopened (a review): the case is open again until it is resolved again.
        case.resolved_at = None
        fields.append("resolved_at")
    team = _team_for(case.branch_id, target.default_team_code)
    if team is not None and team.pk != case.team_id:
        case.team = team
        fields.append("team")
    case.save(update_fields=fields)
    event_add(
        case,
        EventType.TRANSITIONED,
        by=by,
        at=at,
        body=comment,
        transition=transition.code,
        from_state=before["state"],
        to_state=target.code,
    )
    clocks.on_state_change(case, old_category=old_category, at=at, by=by)
    audit_record(
        action="cases.transition",
        actor=by,
        target=case,
        before=before,
        after={"state": target.code, "category": target.category, "transition": transition.code},
    )
    return case


@transaction.atomic
def case_comment(
    *,
    case: Case,
    body: str,
    by: Staff | None,
    visibility: str = Visibility.INTERNAL,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """A comment on the timeline; the first customer-visible one is the first response."""
    if by is not None:
        require(by, "cases.work")
    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    at = at or timezone.now()
    if not body.strip():
        raise DomainError(_("Write the comment."), field="body")
    if visibility not in Visibility.values:
        raise DomainError(_("Unknown visibility."), field="visibility")
    event = event_add(case, EventType.COMMENTED, by=by, at=at, body=body, visibility=visibility)
    case.updated_at = at
    fields = ["updated_at"]
    if visibility == Visibility.CUSTOMER and case.first_response_at is None:
        case.first_response_at = at
        fields.append("first_response_at")
    case.save(update_fields=fields)
    if "first_response_at" in fields:
        clocks.on_first_response(case, at=at, by=by)
    audit_record(
        action="cases.comment",
        actor=by,
        target=case,
        after={"event": event.pk, "visibility": visibility},
    )
    return event


@transaction.atomic
def case_assign(
    *,
    case: Case,
    by: Staff | None,
    assignee: Staff | None = None,
    team: Team | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Case:
    """Give the case to a person and/or team of a visible branch; taking it oneself needs
    only cases.work, giving it to someone else cases.assign."""
    if by is not None:
        require(by, "cases.work" if assignee == by and team is None else "cases.assign")
    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    at = at or timezone.now()
    if assignee is not None:
        if not assignee.is_active:
            raise DomainError(_("%(name)s is disabled.") % {"name": assignee}, field="assignee")
        if assignee.branch_id is None:
            raise DomainError(
                _("%(name)s belongs to no branch.") % {"name": assignee}, field="assignee"
            )
        require_branch_visible(by, assignee.branch_id)
    if team is not None:
        require_branch_visible(by, team.branch_id)
    before = {"assignee": case.assignee_id, "team": case.team_id}
    if assignee is not None:
        case.assignee = assignee
    if team is not None:
        case.team = team
    case.updated_at = at
    case.save(update_fields=["assignee", "team", "updated_at"])
    after = {"assignee": case.assignee_id, "team": case.team_id}
    event_add(
        case,
        EventType.ASSIGNED,
        by=by,
        at=at,
        body=reason,
        assignee=str(case.assignee) if case.assignee else "",
        team=str(case.team) if case.team else "",
        before=before,
    )
    audit_record(
        action="cases.assign",
        actor=by,
        target=case,
        before=before,
        after={**after, "reason": reason},
    )
    return case


@transaction.atomic
def case_checklist_mark(
    *, case: Case, item_code: str, done: bool, by: Staff, at: dt.datetime | None = None
) -> Case:
    """Tick (or untick) an item of the current state's checklist."""
    require(by, "cases.work")
    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    at = at or timezone.now()
    item = ChecklistItem.objects.filter(state=case.state_id, code=item_code).first()
    if item is None:
        raise DomainError(
            _("%(code)s is not on this state's checklist.") % {"code": item_code}, field="item"
        )
    mark = CaseChecklistMark.objects.filter(case=case, item=item).first()
    if done and mark is None:
        CaseChecklistMark.objects.create(case=case, item=item, done_by=by, done_at=at)
    elif not done and mark is not None:
        mark.delete()
    else:
        return case
    event_add(case, EventType.CHECKLIST, by=by, at=at, item=item.code, text=item.text, done=done)
    audit_record(
        action="cases.checklist", actor=by, target=case, after={"item": item.code, "done": done}
    )
    return case


@transaction.atomic
def case_update(
    *, case: Case, by: Staff, changes: dict[str, Any], at: dt.datetime | None = None
) -> Case:
    """Change the case's details (subject, priority, category, tags, root cause …)."""
    require(by, "cases.work")
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise DomainError(
            _("%(field)s cannot be changed here.") % {"field": unknown[0]}, field=unknown[0]
        )
    case = _locked(case)
    require_branch_visible(by, case.branch_id)
    if "subject" in changes and not str(changes["subject"]).strip():
        raise DomainError(_("Give the case a subject."), field="subject")
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    if "tags" in changes:
        changes = {**changes, "tags": _clean_tags(changes["tags"])}
    _check_links(
        by,
        case.branch,
        changes.get("customer", case.customer),
        changes.get("policy", case.policy),
    )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(case, name)
        if old != value:
            before[name] = getattr(old, "pk", old)
            after[name] = getattr(value, "pk", value)
            setattr(case, name, value)
    if not after:
        return case
    case.updated_at = at or timezone.now()
    case.save(update_fields=[*after, "updated_at"])
    event_add(
        case,
        EventType.UPDATED,
        by=by,
        at=case.updated_at,
        fields=sorted(after),
        before=before,
        after=after,
    )
    audit_record(action="cases.update", actor=by, target=case, before=before, after=after)
    return case

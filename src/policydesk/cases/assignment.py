"""Automatic assignment of new cases by the assignment rules (分派规则).

The first active rule, in order, whose kind, channel, branch (or branch subtree) and
language match the case decides the team (by code, in the case's own branch) and how a
person is picked: round robin or least loaded among the team's members (the branch's staff
when the rule names no team), skills-based among the branch's staff having the rule's skill
and the case's language, or manual (the team queue).
Only staff of the case's own branch who may work cases are considered, never a person who
is disabled, absent today or at capacity. The assignment itself goes through
`services.case_assign`, so it is on the timeline and in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.org.models import Branch, Language, RoleGrant, Skill, Staff, Team

from .models import Absence, AssignmentMethod, AssignmentRule, Case, StateCategory


def local_today(branch: Branch, now: dt.datetime) -> dt.date:
    """The branch's calendar day at `now` (absences are whole local days)."""
    return timezone.localtime(now, ZoneInfo(branch.timezone)).date()


def _ancestor_ids(branch: Branch) -> list[int]:
    return [int(part) for part in branch.path.strip("/").split("/") if part.isdigit()]


def matching_rule(case: Case) -> AssignmentRule | None:
    """The first active rule (by position) that matches the case, or None."""
    branch_match = Q(branch__isnull=True) | Q(branch_id=case.branch_id)
    ancestors = _ancestor_ids(case.branch)
    if ancestors:
        branch_match |= Q(include_subtree=True, branch_id__in=ancestors)
    return (
        AssignmentRule.objects.filter(is_active=True)
        .filter(Q(process__isnull=True) | Q(process_id=case.process_id))
        .filter(Q(channel="") | Q(channel=case.channel))
        .filter(Q(language__isnull=True) | Q(language_id=case.language_id))
        .filter(branch_match)
        .order_by("position", "id")
        .first()
    )


def open_case_count() -> Subquery:
    """Per staff row (as OuterRef), how many unfinished cases the person holds."""
    return Subquery(
        Case.objects.filter(assignee=OuterRef("pk"))
        .exclude(category__in=StateCategory.finished())
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def available_staff(
    branch: Branch,
    now: dt.datetime,
    *,
    team: Team | None = None,
    skill: Skill | None = None,
    language: Language | None = None,
    role: str = "",
    respect_capacity: bool = True,
) -> QuerySet[Staff]:
    """Active staff of the branch who may work cases, are not absent today and (unless told
    otherwise) are under capacity; annotated with `open_cases`. One query when evaluated."""
    today = local_today(branch, now)
    workers = RoleGrant.objects.filter(action="cases.work", granted=True).values("role")
    away = Absence.objects.filter(staff=OuterRef("pk"), first_day__lte=today, last_day__gte=today)
    staff = (
        Staff.objects.filter(is_active=True, branch=branch, role__in=workers)
        .annotate(open_cases=Coalesce(open_case_count(), Value(0)))
        .filter(~Exists(away))
    )
    if team is not None:
        staff = staff.filter(team=team)
    if skill is not None:
        staff = staff.filter(skills=skill)
    if language is not None:
        staff = staff.filter(languages=language)
    if role:
        staff = staff.filter(role=role)
    if respect_capacity:
        staff = staff.filter(
            Q(capacity__isnull=True) | Q(open_cases__lt=F("capacity__max_open_cases"))
        )
    return staff


def least_loaded(staff: QuerySet[Staff], *, exclude: int | None = None) -> Staff | None:
    if exclude is not None:
        staff = staff.exclude(pk=exclude)
    return staff.order_by("open_cases", "id").first()


def _round_robin(rule: AssignmentRule, staff: QuerySet[Staff]) -> Staff | None:
    """The next person after the rule's cursor, wrapping round; moves the cursor.
    Should be called while holding a SELECT FOR UPDATE lock on the rule."""
    cursor = rule.last_assigned_id or 0
    person = staff.filter(pk__gt=cursor).order_by("id").first() or staff.order_by("id").first()
    if person is not None:
        rule.last_assigned = person
        rule.save(update_fields=["last_assigned"])
    return person


def team_in_branch(branch_id: int, code: str) -> Team | None:
    if not code:
        return None
    return Team.objects.filter(branch_id=branch_id, code=code, is_active=True).first()


@transaction.atomic
def assign_automatically(case: Case, *, at: dt.datetime | None = None) -> Staff | None:
    """Give a new case to a team and a person by the first matching rule; return the person.

    No matching rule, or a case that already has an assignee: the case is left as it is.
    A matching rule but nobody eligible (or the manual method): the case waits in the
    rule's team queue, with a note saying why.
    """
    from . import services

    at = at or timezone.now()
    rule = matching_rule(case)
    if rule is None:
        return None
    if Case.objects.filter(pk=case.pk, assignee__isnull=False).exists():
        return None  # already given to someone (e.g. escalated at opening): left as it is
    # The rule's row lock serialises assignments under one rule, so the round-robin cursor
    # and the open-case counts that capacity compares against are not read twice at once.
    rule = (
        AssignmentRule.objects.select_for_update(of=("self",))
        .select_related("skill")
        .get(pk=rule.pk)
    )
    team = team_in_branch(case.branch_id, rule.team_code) if rule.team_code else case.team
    person: Staff | None = None
    method = AssignmentMethod(rule.method)
    # A team named by the rule but missing in this branch: nobody is picked, the note says so.
    team_missing = bool(rule.team_code) and team is None
    if method != AssignmentMethod.MANUAL and not team_missing:
        # A rule that matched on the case's language or dialect gives the case only to
        # someone of the team who speaks it (Staff.languages), whatever the method.
        speaks = case.language if rule.language_id is not None else None
        staff = available_staff(case.branch, at, team=team, language=speaks)
        if method == AssignmentMethod.ROUND_ROBIN:
            person = _round_robin(rule, staff)
        elif method == AssignmentMethod.LEAST_LOADED:
            person = least_loaded(staff)
        else:
            # Skills cut across teams: anyone of the branch with the skill and the case's
            # language may take it; the case still sits in the rule's team queue.
            skilled = available_staff(case.branch, at, skill=rule.skill, language=case.language)
            person = least_loaded(skilled)
    if person is not None:
        reason = _("Assigned by the rule %(rule)s (%(method)s).") % {
            "rule": rule.name,
            "method": method.label,
        }
    elif method == AssignmentMethod.MANUAL:
        reason = _("Left in the team queue for a manager to assign (rule %(rule)s).") % {
            "rule": rule.name
        }
    else:
        reason = _(
            "Nobody is available (absent, at capacity or without the skill): left in the "
            "team queue (rule %(rule)s)."
        ) % {"rule": rule.name}
    services.case_assign(case=case, by=None, assignee=person, team=team, reason=reason, at=at)
    return person

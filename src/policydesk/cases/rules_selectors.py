"""Reads of escalation ladders, assignment rules, capacities, absences and notices, always
for an acting user.

Ladders are process configuration (no branch data) and readable by whoever sees cases.
Assignment rules, capacities and absences are read by those who assign (cases.assign),
limited to the branches they see (company-wide rules included); notices only by their
recipient.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from policydesk.core.access import require, scope_to_user, visible_branch_ids
from policydesk.core.errors import NotVisible

from .models import (
    Absence,
    AssignmentRule,
    EscalationLadder,
    EscalationLevel,
    Notification,
    StaffCapacity,
)

LIST_LIMIT = 200


def ladders_visible(user: Any) -> QuerySet[EscalationLadder]:
    require(user, "cases.view")
    return EscalationLadder.objects.select_related("process").order_by("process__code")


def ladder_get(user: Any, ladder_id: int) -> EscalationLadder:
    ladder = ladders_visible(user).filter(pk=ladder_id).first()
    if ladder is None:
        raise NotVisible("Not found.")
    return ladder


def level_get(user: Any, level_id: int) -> EscalationLevel:
    require(user, "cases.view")
    level = EscalationLevel.objects.select_related("ladder__process").filter(pk=level_id).first()
    if level is None:
        raise NotVisible("Not found.")
    return level


def rules_visible(user: Any) -> QuerySet[AssignmentRule]:
    require(user, "cases.assign")
    rules = AssignmentRule.objects.select_related("process", "branch", "language", "skill")
    ids = visible_branch_ids(user)
    if ids is not None:
        rules = rules.filter(Q(branch__isnull=True) | Q(branch_id__in=sorted(ids)))
    return rules.order_by("position", "id")


def rule_get(user: Any, rule_id: int) -> AssignmentRule:
    rule = rules_visible(user).filter(pk=rule_id).first()
    if rule is None:
        raise NotVisible("Not found.")
    return rule


def capacities_visible(user: Any) -> QuerySet[StaffCapacity]:
    require(user, "cases.assign")
    queryset = StaffCapacity.objects.select_related("staff", "staff__branch")
    return scope_to_user(queryset, user, branch_field="staff__branch").order_by("staff_id")


def absences_visible(user: Any) -> QuerySet[Absence]:
    require(user, "cases.assign")
    queryset = Absence.objects.select_related("staff", "staff__branch")
    return scope_to_user(queryset, user, branch_field="staff__branch").order_by("-first_day", "id")


def absence_get(user: Any, absence_id: int) -> Absence:
    absence = absences_visible(user).filter(pk=absence_id).first()
    if absence is None:
        raise NotVisible("Not found.")
    return absence


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own notices, unread first, newest first."""
    return (
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("case")
        .order_by(F("read_at").desc(nulls_first=True), "-id")
    )


def notification_get(user: Any, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotVisible("Not found.")
    return notification


def unread_count(user: Any, *, bound: int = 99) -> int:
    """Unread notices, counted up to `bound` (the badge shows "99+" beyond)."""
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    return unread[: bound + 1].count()

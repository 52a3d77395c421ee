"""Branch-A objects of the case rules for the cross-branch leak walk (tests/core)."""

from __future__ import annotations

import datetime as dt

from policydesk.cases import rules_services
from policydesk.cases.models import Case, Notification, Process, SavedView
from policydesk.org.models import Staff
from tests.conftest import World


def rules_targets(world: World, staff_a: Staff, case_a: Case, secret: str) -> dict[str, str]:
    """An escalation ladder and level, a branch-A assignment rule, an absence of a branch-A
    person and a notice to them, each carrying the secret where it has text."""
    process = Process.objects.get(code="complaint")
    ladder = rules_services.ladder_create(process=process, name="Complaint ladder", by=None)
    level = rules_services.level_create(
        ladder=ladder,
        values={"number": 1, "threshold": "breach", "action": "notify"},
        by=None,
    )
    rule = rules_services.rule_create(
        values={"name": f"{secret} rule", "branch": world.branch_a, "method": "manual"},
        by=None,
    )
    absence = rules_services.absence_record(
        staff=staff_a,
        first_day=dt.date(2030, 1, 7),
        last_day=dt.date(2030, 1, 8),
        reason=f"{secret} leave",
        by=None,
    )
    notice = Notification.objects.create(recipient=staff_a, case=case_a, text=f"{secret} notice")
    # A saved view of branch A's staff member, named with the secret: only its owner sees it.
    saved = SavedView.objects.create(owner=staff_a, name=f"{secret} view", view="open")
    return {
        "saved_view_id": str(saved.pk),
        "ladder_id": str(ladder.pk),
        "level_id": str(level.pk),
        "rule_id": str(rule.pk),
        "absence_id": str(absence.pk),
        "notification_id": str(notice.pk),
    }

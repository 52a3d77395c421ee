"""Guards on transitions: what must hold before a case may move.

Each failed guard is one message naming what is missing, so a processor sees at once
everything to do. The certification guard is a hook: the quality app (training and
certification) will provide the register; until one is configured, a transition that
requires a certification is refused with that reason, never waved through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from policydesk.core.access import can
from policydesk.core.errors import DomainError

from .models import Case, CaseChecklistMark, ChecklistItem, Transition


class GuardsFailed(DomainError):
    code = "transition_refused"
    status = 409

    def __init__(self, failures: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in failures), field=failures[0][0])
        self.failures = failures


def _certification_check() -> Callable[[Any, str], bool] | None:
    path = getattr(settings, "POLICYDESK_CERTIFICATION_CHECK", "")
    return import_string(path) if path else None


def _filled(case: Case, field: str) -> bool:
    if field in {"assignee", "policy", "customer"}:
        return getattr(case, f"{field}_id") is not None
    return bool(str(getattr(case, field, "") or "").strip())


FIELD_LABELS = {
    "resolution": gettext_lazy("resolution"),
    "root_cause": gettext_lazy("root cause"),
    "classification": gettext_lazy("category"),
    "assignee": gettext_lazy("assignee"),
    "policy": gettext_lazy("policy"),
    "customer": gettext_lazy("customer"),
}


def missing_checklist(case: Case) -> list[ChecklistItem]:
    """Required items of the case's current state not ticked yet."""
    done = set(
        CaseChecklistMark.objects.filter(case=case, item__state=case.state_id).values_list(
            "item_id", flat=True
        )
    )
    return [
        item
        for item in ChecklistItem.objects.filter(state=case.state_id, required=True)
        if item.pk not in done
    ]


def failed_guards(
    case: Case, transition: Transition, *, by: Any, comment: str
) -> list[tuple[str, str]]:
    """(field, message) for every guard that does not hold; empty when the move is allowed."""
    failures: list[tuple[str, str]] = []
    if transition.required_action and not can(by, transition.required_action):
        failures.append(
            (
                "transition",
                _("Your role may not take this step (%(action)s).")
                % {"action": transition.required_action},
            )
        )
    for field in transition.required_fields:
        if not _filled(case, field):
            failures.append(
                (
                    field,
                    _("Fill in the %(field)s first.") % {"field": FIELD_LABELS.get(field, field)},
                )
            )
    if transition.requires_checklist:
        for item in missing_checklist(case):
            failures.append(
                ("checklist", _("Checklist item not done: %(item)s") % {"item": item.text})
            )
    if transition.requires_comment and not comment.strip():
        failures.append(("comment", _("Say why in a comment.")))
    if transition.required_certification:
        check = _certification_check()
        if check is None or not check(by, transition.required_certification):
            failures.append(
                (
                    "transition",
                    _("This step needs the certification %(code)s, which you do not hold.")
                    % {"code": transition.required_certification},
                )
            )
    return failures

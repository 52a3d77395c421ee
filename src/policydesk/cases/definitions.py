"""Process definitions as documents: check one, write it as a version, read a version back.

A definition is plain data (the TOML files in cases/processes/, or JSON through the API):

    {"states": [{"code", "name", "name_en", "category", "initial", "help", "team",
                 "checklist": [{"code", "text", "text_en", "required"}]}],
     "transitions": [{"code", "name", "name_en", "from", "to", "required_fields",
                      "requires_checklist", "required_action", "required_certification",
                      "requires_comment", "first_contact_resolution"}]}

`check_definition` names every problem by its path ("states[2].category") so the Head of
Customer Service can fix a definition without reading code.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from policydesk.core.errors import DomainError

from .models import ChecklistItem, ProcessState, ProcessVersion, StateCategory, Transition

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
# Case fields a transition may require to be filled before it is taken.
REQUIRABLE_FIELDS = ("resolution", "root_cause", "classification", "assignee", "policy", "customer")


class DefinitionError(DomainError):
    code = "process_definition_invalid"

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems), field="definition")
        self.problems = problems


def _text(item: dict[str, Any], key: str, path: str, problems: list[str], limit: int) -> str:
    value = item.get(key, "")
    if not isinstance(value, str):
        problems.append(_("%(path)s.%(key)s must be text") % {"path": path, "key": key})
        return ""
    if len(value) > limit:
        problems.append(
            _("%(path)s.%(key)s is longer than %(max)s characters")
            % {"path": path, "key": key, "max": limit}
        )
    return value


def _required_text(
    item: dict[str, Any], key: str, path: str, problems: list[str], limit: int
) -> None:
    if not _text(item, key, path, problems, limit):
        problems.append(_("%(path)s.%(key)s is required") % {"path": path, "key": key})


def _code(item: dict[str, Any], path: str, problems: list[str]) -> str:
    code = item.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        problems.append(
            _("%(path)s.code must be lower-case letters, digits, - or _ (at most 48)")
            % {"path": path}
        )
        return ""
    return code


def _check_states(states: Any, problems: list[str]) -> set[str]:
    codes: set[str] = set()
    if not isinstance(states, list) or not states:
        problems.append(_("states: a process needs at least one state"))
        return codes
    initial = 0
    categories = set(StateCategory.values)
    for index, state in enumerate(states):
        path = f"states[{index}]"
        if not isinstance(state, dict):
            problems.append(_("%(path)s must be a table") % {"path": path})
            continue
        code = _code(state, path, problems)
        if code in codes:
            problems.append(
                _("%(path)s.code %(code)s is used twice") % {"path": path, "code": code}
            )
        codes.add(code)
        _required_text(state, "name", path, problems, 100)
        _text(state, "name_en", path, problems, 100)
        _text(state, "help", path, problems, 5000)
        _text(state, "team", path, problems, 32)
        if state.get("category") not in categories:
            problems.append(
                _("%(path)s.category must be one of: %(choices)s")
                % {"path": path, "choices": ", ".join(sorted(categories))}
            )
        initial += bool(state.get("initial"))
        items = state.get("checklist", [])
        if not isinstance(items, list):
            problems.append(_("%(path)s.checklist must be a list") % {"path": path})
            continue
        item_codes: set[str] = set()
        for position, item in enumerate(items):
            item_path = f"{path}.checklist[{position}]"
            if not isinstance(item, dict):
                problems.append(_("%(path)s must be a table") % {"path": item_path})
                continue
            item_code = _code(item, item_path, problems)
            if item_code in item_codes:
                problems.append(
                    _("%(path)s.code %(code)s is used twice")
                    % {"path": item_path, "code": item_code}
                )
            item_codes.add(item_code)
            _required_text(item, "text", item_path, problems, 300)
            _text(item, "text_en", item_path, problems, 300)
    if initial != 1:
        problems.append(
            _("states: exactly one state must be initial (found %(n)s)") % {"n": initial}
        )
    return codes


def _check_transitions(transitions: Any, states: set[str], problems: list[str]) -> None:
    if not isinstance(transitions, list):
        problems.append(_("transitions must be a list"))
        return
    codes: set[str] = set()
    for index, transition in enumerate(transitions):
        path = f"transitions[{index}]"
        if not isinstance(transition, dict):
            problems.append(_("%(path)s must be a table") % {"path": path})
            continue
        code = _code(transition, path, problems)
        if code in codes:
            problems.append(
                _("%(path)s.code %(code)s is used twice") % {"path": path, "code": code}
            )
        codes.add(code)
        _required_text(transition, "name", path, problems, 100)
        _text(transition, "name_en", path, problems, 100)
        _text(transition, "required_action", path, problems, 64)
        _text(transition, "required_certification", path, problems, 48)
        for end in ("from", "to"):
            if transition.get(end) not in states:
                problems.append(
                    _("%(path)s.%(end)s names no state of this process")
                    % {"path": path, "end": end}
                )
        fields = transition.get("required_fields", [])
        if not isinstance(fields, list) or any(f not in REQUIRABLE_FIELDS for f in fields):
            problems.append(
                _("%(path)s.required_fields may hold only: %(choices)s")
                % {"path": path, "choices": ", ".join(REQUIRABLE_FIELDS)}
            )


def check_definition(definition: Any) -> None:
    """Raise DefinitionError listing every problem of the definition, or return."""
    problems: list[str] = []
    if not isinstance(definition, dict):
        raise DefinitionError([_("the definition must be a table with states and transitions")])
    states = _check_states(definition.get("states"), problems)
    _check_transitions(definition.get("transitions", []), states, problems)
    if problems:
        raise DefinitionError(problems)


def write_definition(version: ProcessVersion, definition: dict[str, Any]) -> None:
    """Replace a draft version's states, checklists and transitions by the definition's."""
    check_definition(definition)
    version.transitions.all().delete()
    version.states.all().delete()
    by_code: dict[str, ProcessState] = {}
    for position, item in enumerate(definition["states"]):
        state = ProcessState.objects.create(
            version=version,
            code=item["code"],
            name=item["name"],
            name_en=item.get("name_en", ""),
            category=item["category"],
            is_initial=bool(item.get("initial")),
            help_text=item.get("help", ""),
            default_team_code=item.get("team", ""),
            position=position,
        )
        by_code[state.code] = state
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                state=state,
                code=check["code"],
                text=check["text"],
                text_en=check.get("text_en", ""),
                required=bool(check.get("required", True)),
                position=index,
            )
            for index, check in enumerate(item.get("checklist", []))
        )
    Transition.objects.bulk_create(
        Transition(
            version=version,
            code=item["code"],
            name=item["name"],
            name_en=item.get("name_en", ""),
            from_state=by_code[item["from"]],
            to_state=by_code[item["to"]],
            required_fields=list(item.get("required_fields", [])),
            requires_checklist=bool(item.get("requires_checklist", True)),
            required_action=item.get("required_action", ""),
            required_certification=item.get("required_certification", ""),
            requires_comment=bool(item.get("requires_comment", False)),
            first_contact_resolution=bool(item.get("first_contact_resolution", False)),
            position=position,
        )
        for position, item in enumerate(definition.get("transitions", []))
    )


def read_definition(version: ProcessVersion) -> dict[str, Any]:
    """The version as a definition document (what write_definition would write again)."""
    states = list(version.states.prefetch_related("checklist").order_by("position", "id"))
    codes = {state.pk: state.code for state in states}
    return {
        "states": [
            {
                "code": state.code,
                "name": state.name,
                "name_en": state.name_en,
                "category": state.category,
                "initial": state.is_initial,
                "help": state.help_text,
                "team": state.default_team_code,
                "checklist": [
                    {
                        "code": item.code,
                        "text": item.text,
                        "text_en": item.text_en,
                        "required": item.required,
                    }
                    for item in state.checklist.all()
                ],
            }
            for state in states
        ],
        "transitions": [
            {
                "code": t.code,
                "name": t.name,
                "name_en": t.name_en,
                "from": codes[t.from_state_id],
                "to": codes[t.to_state_id],
                "required_fields": t.required_fields,
                "requires_checklist": t.requires_checklist,
                "required_action": t.required_action,
                "required_certification": t.required_certification,
                "requires_comment": t.requires_comment,
                "first_contact_resolution": t.first_contact_resolution,
            }
            for t in version.transitions.order_by("position", "id")
        ],
    }

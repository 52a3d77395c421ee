"""The process editor's form: a definition document as rows of fields, and back.

The Head of Customer Service edits a draft in a form (a fieldset per state with its
checklist, a row per transition with its guards) rather than in the definition document.
Field names carry their position — `state-2-name`, `state-2-item-0-text`, `transition-4-to`
— so the posted form reads back into the same document `definitions.check_definition`
checks; rows ticked "remove" are left out. Nothing here writes to the database.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .definitions import REQUIRABLE_FIELDS

STATE_TEXT = ("code", "name", "name_en", "category", "team", "help")
ITEM_TEXT = ("code", "text", "text_en")
TRANSITION_TEXT = (
    "code",
    "name",
    "name_en",
    "from",
    "to",
    "required_action",
    "required_certification",
)
TRANSITION_FLAGS = ("requires_checklist", "requires_comment", "first_contact_resolution")
# A new transition asks for a complete checklist unless the editor unticks it.
FLAG_DEFAULTS = {"requires_checklist": True}
MAX_ROWS = 200  # more states, items or transitions than any real process has


def _count(data: QueryDict, key: str) -> int:
    try:
        return max(0, min(int(data.get(key, "0")), MAX_ROWS))
    except ValueError:
        return 0


def _text(data: QueryDict, name: str) -> str:
    return data.get(name, "").strip()


def definition_from_post(data: QueryDict) -> dict[str, Any]:
    """The definition the posted form describes (rows marked for removal left out)."""
    states = []
    initial = data.get("initial", "")
    for index in range(_count(data, "state-count")):
        prefix = f"state-{index}"
        if data.get(f"{prefix}-remove"):
            continue
        state: dict[str, Any] = {name: _text(data, f"{prefix}-{name}") for name in STATE_TEXT}
        state["initial"] = initial == str(index)
        state["checklist"] = []
        for position in range(_count(data, f"{prefix}-item-count")):
            item_prefix = f"{prefix}-item-{position}"
            if data.get(f"{item_prefix}-remove"):
                continue
            item: dict[str, Any] = {
                name: _text(data, f"{item_prefix}-{name}") for name in ITEM_TEXT
            }
            if not any(item.values()):
                continue  # an empty row added and left blank
            item["required"] = bool(data.get(f"{item_prefix}-required"))
            state["checklist"].append(item)
        if not any(state[name] for name in ("code", "name", "help")) and not state["checklist"]:
            continue
        states.append(state)
    transitions = []
    for index in range(_count(data, "transition-count")):
        prefix = f"transition-{index}"
        if data.get(f"{prefix}-remove"):
            continue
        transition: dict[str, Any] = {
            name: _text(data, f"{prefix}-{name}") for name in TRANSITION_TEXT
        }
        if not any(transition[name] for name in ("code", "name")):
            continue
        for flag in TRANSITION_FLAGS:
            transition[flag] = bool(data.get(f"{prefix}-{flag}"))
        transition["required_fields"] = [
            name for name in data.getlist(f"{prefix}-required_fields") if name in REQUIRABLE_FIELDS
        ]
        transitions.append(transition)
    return {"states": states, "transitions": transitions}


def blank_state() -> dict[str, Any]:
    return {**dict.fromkeys(STATE_TEXT, ""), "category": "open", "initial": False, "checklist": []}


def blank_item() -> dict[str, Any]:
    return {**dict.fromkeys(ITEM_TEXT, ""), "required": True}


def blank_transition() -> dict[str, Any]:
    return {
        **dict.fromkeys(TRANSITION_TEXT, ""),
        **{flag: FLAG_DEFAULTS.get(flag, False) for flag in TRANSITION_FLAGS},
        "required_fields": [],
    }


def with_blank_row(definition: dict[str, Any], intent: str) -> dict[str, Any]:
    """The definition with the empty row an "add" button asked for: `add-state`,
    `add-transition` or `add-item-<state position>`."""
    states = [dict(state, checklist=list(state["checklist"])) for state in definition["states"]]
    transitions = list(definition["transitions"])
    if intent == "add-state" and len(states) < MAX_ROWS:
        states.append(blank_state())
    elif intent == "add-transition" and len(transitions) < MAX_ROWS:
        transitions.append(blank_transition())
    elif intent.startswith("add-item-"):
        position = intent.removeprefix("add-item-")
        if position.isdigit() and int(position) < len(states):
            checklist = states[int(position)]["checklist"]
            if len(checklist) < MAX_ROWS:
                checklist.append(blank_item())
    return {"states": states, "transitions": transitions}

"""The process editor page: a draft edited in a form, row by row, checked as a whole."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from policydesk.cases.definitions import read_definition
from policydesk.cases.models import Process, ProcessVersion
from policydesk.cases.process_services import process_version_draft
from tests.conftest import World, signed_in


def form_data(definition: dict[str, Any], **changes: str) -> dict[str, Any]:
    """What the browser posts for the definition, as the page names its fields."""
    data: dict[str, Any] = {"notes": "", "state-count": str(len(definition["states"]))}
    for s, state in enumerate(definition["states"]):
        for name in ("code", "name", "name_en", "category", "team", "help"):
            data[f"state-{s}-{name}"] = state[name]
        if state["initial"]:
            data["initial"] = str(s)
        data[f"state-{s}-item-count"] = str(len(state["checklist"]))
        for i, item in enumerate(state["checklist"]):
            for name in ("code", "text", "text_en"):
                data[f"state-{s}-item-{i}-{name}"] = item[name]
            if item["required"]:
                data[f"state-{s}-item-{i}-required"] = "1"
    data["transition-count"] = str(len(definition["transitions"]))
    for n, t in enumerate(definition["transitions"]):
        for name in ("code", "name", "name_en", "from", "to"):
            data[f"transition-{n}-{name}"] = t[name]
        data[f"transition-{n}-required_action"] = t["required_action"]
        data[f"transition-{n}-required_certification"] = t["required_certification"]
        for flag in ("requires_checklist", "requires_comment", "first_contact_resolution"):
            if t[flag]:
                data[f"transition-{n}-{flag}"] = "1"
        data[f"transition-{n}-required_fields"] = list(t["required_fields"])
    data.update(changes)
    return data


@pytest.fixture
def draft(world: World, complaint: Process) -> ProcessVersion:
    return process_version_draft(process=complaint, by=world.head)


def url(draft: ProcessVersion) -> str:
    return reverse("cases:version_form", args=[draft.process_id, draft.number])


def test_the_form_shows_every_state_checklist_item_and_step(
    world: World, draft: ProcessVersion
) -> None:
    response = signed_in(world.head).get(url(draft), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    definition = read_definition(draft)
    for state in definition["states"]:
        assert f'value="{state["name"]}"' in body
    assert 'name="state-2-item-0-text"' in body  # investigating: the evidence item
    assert f'name="transition-{len(definition["transitions"]) - 1}-to"' in body


def test_add_buttons_show_an_empty_row_and_save_nothing(
    world: World, draft: ProcessVersion
) -> None:
    definition = read_definition(draft)
    client = signed_in(world.head)

    response = client.post(url(draft), form_data(definition, intent="add-state"))

    states = len(definition["states"])
    assert f'name="state-count" value="{states + 1}"' in response.content.decode()
    assert f'name="state-{states}-code" value=""' in response.content.decode()
    response = client.post(url(draft), form_data(definition, intent="add-item-0"))
    items = len(definition["states"][0]["checklist"])
    assert f'name="state-0-item-{items}-text" value=""' in response.content.decode()
    assert read_definition(draft) == definition


def test_saving_the_form_writes_the_draft_and_removes_ticked_rows(
    world: World, draft: ProcessVersion
) -> None:
    definition = read_definition(draft)
    data = form_data(
        definition,
        intent="save",
        notes="Clearer names",
        **{"state-0-name": "已登记（待受理）", "state-0-item-1-remove": "1"},
    )

    response = signed_in(world.head).post(url(draft), data)

    assert response.status_code == 302
    saved = read_definition(draft)
    assert saved["states"][0]["name"] == "已登记（待受理）"
    assert [item["code"] for item in saved["states"][0]["checklist"]] == ["identity"]
    assert saved["transitions"] == definition["transitions"]
    draft.refresh_from_db()
    assert draft.notes == "Clearer names"


def test_a_faulty_form_names_the_place_and_saves_nothing(
    world: World, draft: ProcessVersion
) -> None:
    definition = read_definition(draft)
    data = form_data(definition, intent="save", **{"state-1-code": definition["states"][0]["code"]})

    response = signed_in(world.head).post(url(draft), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "states[1].code logged is used twice" in response.content.decode()
    assert read_definition(draft) == definition


def test_staff_who_do_not_design_processes_may_not_open_the_editor(
    world: World, draft: ProcessVersion
) -> None:
    client = signed_in(world.manager_a)
    assert client.get(url(draft)).status_code == 403
    response = client.post(url(draft), form_data(read_definition(draft), intent="save"))
    assert response.status_code == 403


def test_a_draft_is_discarded_from_the_editor(world: World, draft: ProcessVersion) -> None:
    response = signed_in(world.head).post(
        reverse("cases:version_discard", args=[draft.process_id, draft.number])
    )

    assert response.status_code == 302
    assert not ProcessVersion.objects.filter(pk=draft.pk).exists()

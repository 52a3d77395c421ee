"""Processes are versioned data: drafts, checks naming the faulty place, publication, and
running cases that keep the version they started on (issue 4, item 2)."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.cases import services
from policydesk.cases.definitions import DefinitionError, read_definition
from policydesk.cases.models import Process, ProcessVersion, VersionStatus
from policydesk.cases.process_services import (
    process_version_discard,
    process_version_draft,
    process_version_publish,
    process_version_save,
)
from policydesk.core.access import PermissionRefused
from policydesk.core.errors import ConflictError, DomainError
from policydesk.core.models import AuditEvent
from tests.conftest import World


def current(process: Process) -> ProcessVersion:
    version = process.current_version
    assert version is not None
    return version


def _with_extra_state(definition: dict[str, Any]) -> dict[str, Any]:
    """The enquiry process with a 'callback-promised' state between open and answered."""
    states = [*definition["states"]]
    states.insert(
        1,
        {
            "code": "callback-promised",
            "name": "已约回电",
            "name_en": "Callback promised",
            "category": "waiting_customer",
            "help": "Call the customer back at the agreed time.",
            "checklist": [{"code": "time-agreed", "text": "已约定回电时间", "required": True}],
        },
    )
    transitions = [
        *definition["transitions"],
        {"code": "promise-callback", "name": "约回电", "from": "open", "to": "callback-promised"},
        {"code": "call-back", "name": "回电答复", "from": "callback-promised", "to": "answered"},
    ]
    return {"states": states, "transitions": transitions}


def test_a_draft_copies_the_current_version_and_only_one_draft_exists_at_a_time(
    world: World, enquiry: Process
) -> None:
    draft = process_version_draft(process=enquiry, by=world.head)

    assert draft.number == 2 and draft.status == VersionStatus.DRAFT
    assert read_definition(draft) == read_definition(current(enquiry))
    with pytest.raises(ConflictError, match="already a draft"):
        process_version_draft(process=enquiry, by=world.head)


def test_saving_names_every_problem_by_its_place_and_writes_nothing(
    world: World, enquiry: Process
) -> None:
    draft = process_version_draft(process=enquiry, by=world.head)
    before = read_definition(draft)
    broken = _with_extra_state(before)
    broken["states"][1]["category"] = "someday"
    broken["transitions"][-1]["to"] = "nowhere"

    with pytest.raises(DefinitionError) as raised:
        process_version_save(version=draft, definition=broken, by=world.head)

    problems = raised.value.problems
    assert any("states[1].category" in problem for problem in problems)
    last = len(broken["transitions"]) - 1
    assert any(problem.startswith(f"transitions[{last}].to") for problem in problems)
    assert read_definition(draft) == before


def test_running_cases_keep_their_version_when_a_new_one_is_published(
    world: World, enquiry: Process
) -> None:
    first = current(enquiry)
    running = services.case_open(
        process=enquiry, channel="phone", branch=world.branch_a, subject="v1", by=world.teller_a
    )
    draft = process_version_draft(process=enquiry, by=world.head)
    process_version_save(
        version=draft, definition=_with_extra_state(read_definition(draft)), by=world.head
    )
    process_version_publish(version=draft, by=world.head)

    enquiry.refresh_from_db()
    first.refresh_from_db()
    assert enquiry.current_version == draft and first.status == VersionStatus.RETIRED
    newer = services.case_open(
        process=enquiry, channel="phone", branch=world.branch_a, subject="v2", by=world.teller_a
    )
    assert newer.process_version == draft
    services.case_transition(case=newer, transition_code="promise-callback", by=world.teller_a)
    running.refresh_from_db()
    assert running.process_version == first
    with pytest.raises(DomainError):  # the step exists only in the new version
        services.case_transition(
            case=running, transition_code="promise-callback", by=world.teller_a
        )
    running.refresh_from_db()
    assert running.state.code == "open"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"cases.process.draft", "cases.process.edit", "cases.process.publish"} <= actions


def test_a_published_version_cannot_change_and_a_draft_can_be_discarded(
    world: World, enquiry: Process
) -> None:
    with pytest.raises(ConflictError, match="published"):
        process_version_save(
            version=current(enquiry),
            definition=read_definition(current(enquiry)),
            by=world.head,
        )
    draft = process_version_draft(process=enquiry, by=world.head)
    process_version_discard(version=draft, by=world.head)
    assert not ProcessVersion.objects.filter(pk=draft.pk).exists()


def test_only_the_process_designer_may_draft(world: World, enquiry: Process) -> None:
    with pytest.raises(PermissionRefused):
        process_version_draft(process=enquiry, by=world.teller_a)
    assert enquiry.versions.count() == 1

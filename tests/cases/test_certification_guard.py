"""The certification guard: a transition that names a certification asks the hook
POLICYDESK_CERTIFICATION_CHECK (a later issue's training records) whether the person holds
it; without a hook such a step is refused, never allowed by default."""

from __future__ import annotations

from typing import Any

from policydesk.cases import services
from policydesk.cases.guards import failed_guards
from policydesk.cases.models import Process, Transition
from tests.conftest import World

CERTIFIED = {"manager_a"}


def holds(user: Any, code: str) -> bool:
    """The test's certification register: who holds "claims-l2"."""
    return code == "claims-l2" and user.username in CERTIFIED


def _step(world: World, enquiry: Process) -> tuple[Any, Transition]:
    case = services.case_open(
        process=enquiry, channel="counter", branch=world.branch_a, subject="Q", by=None
    )
    transition = Transition.objects.filter(from_state=case.state).order_by("id").first()
    assert transition is not None
    Transition.objects.filter(pk=transition.pk).update(required_certification="claims-l2")
    transition.refresh_from_db()
    return case, transition


def _refusals(case: Any, transition: Transition, user: Any) -> list[str]:
    return [
        message
        for field, message in failed_guards(case, transition, by=user, comment="done")
        if "certification" in message
    ]


def test_without_a_hook_a_certified_step_is_refused(world: World, enquiry: Process) -> None:
    case, transition = _step(world, enquiry)
    assert _refusals(case, transition, world.manager_a)


def test_the_hook_decides_who_holds_the_certification(
    world: World, enquiry: Process, settings: Any
) -> None:
    settings.POLICYDESK_CERTIFICATION_CHECK = "tests.cases.test_certification_guard.holds"
    case, transition = _step(world, enquiry)
    assert _refusals(case, transition, world.manager_a) == []
    assert _refusals(case, transition, world.teller_a)  # not in the register

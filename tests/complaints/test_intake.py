"""Logging a complaint from every channel: the case and the complaint row in one go."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.cases.models import Case, CaseChannel
from policydesk.complaints.models import Complaint
from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import AuditEvent
from tests.complaints.conftest import Sale, cause, log
from tests.conftest import World


@pytest.mark.parametrize("channel", [c for c in CaseChannel.values if c != "regulator"])
def test_a_complaint_is_logged_from_each_channel_with_its_clocks(
    world: World, sale: Sale, channel: str
) -> None:
    complaint = log(world, sale, channel=channel)
    case = complaint.case
    assert case.process.code == "complaint" and case.channel == channel
    assert case.state.code == "logged"
    assert case.customer == sale.customer and case.policy == sale.policy
    assert case.clocks.filter(code="regulatory-decision", is_running=True).exists()
    assert AuditEvent.objects.filter(action="complaints.log", object_id=str(complaint.pk)).exists()


def test_agent_and_intermediary_default_to_the_policys(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    assert complaint.agent == sale.agent
    assert complaint.intermediary == sale.intermediary


def test_a_complaint_forwarded_by_the_regulator_carries_its_reference_and_day_received(
    world: World, sale: Sale
) -> None:
    complaint = log(
        world,
        sale,
        channel="regulator",
        regulator_reference="PT-2026-0815",
        regulator_received_on=dt.date(2026, 8, 31),
    )
    assert complaint.regulator_reference == "PT-2026-0815"
    assert complaint.regulator_received_on == dt.date(2026, 8, 31)


def test_a_regulator_forward_without_its_reference_is_refused_and_nothing_is_opened(
    world: World, sale: Sale
) -> None:
    with pytest.raises(DomainError) as refused:
        log(world, sale, channel="regulator", regulator_received_on=dt.date(2026, 8, 31))
    assert refused.value.field == "regulator_reference"
    assert not Case.objects.exists() and not Complaint.objects.exists()


def test_a_root_cause_given_at_intake_is_copied_to_the_case(world: World, sale: Sale) -> None:
    complaint = log(world, sale, root_cause=cause("exaggerated-returns"))
    complaint.case.refresh_from_db()
    assert complaint.case.root_cause == "exaggerated-returns"


def test_a_role_without_complaints_log_cannot_log(world: World, sale: Sale) -> None:
    with pytest.raises(PermissionRefused):
        log(world, sale, by=world.auditor)
    assert not Complaint.objects.exists()

"""The regulatory decision clock of a complaint: 15 days, 30 if complex, a further 30 with
senior approval, appraisal and mediation excluded (DOMAIN.md §2, calendar days)."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.cases import services as case_services
from policydesk.complaints import services
from policydesk.core.errors import DomainError, PermissionRefused
from tests.complaints.conftest import (
    Sale,
    days_later,
    decide,
    investigate,
    local_due_day,
    log,
    regulatory_clock,
)
from tests.conftest import World

LOGGED_DAY = dt.date(2026, 9, 1)


def test_a_complaint_must_be_decided_within_15_days(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    clock = regulatory_clock(complaint)
    assert clock.is_regulatory
    assert local_due_day(clock) == LOGGED_DAY + dt.timedelta(days=15)


def test_a_decision_on_day_15_meets_the_clock_and_on_day_16_breaches_it(
    world: World, sale: Sale
) -> None:
    on_time = investigate(log(world, sale), world.manager_a, days_later(1))
    decide(on_time, world.manager_a, days_later(15, hour=23))
    assert regulatory_clock(on_time).met is True
    late = investigate(log(world, sale), world.manager_a, days_later(1))
    decide(late, world.manager_a, days_later(16, hour=9))
    assert regulatory_clock(late).met is False
    late.case.refresh_from_db()
    assert late.case.is_breached


def test_a_complex_complaint_gets_30_days(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    services.complaint_set_complex(
        complaint=complaint,
        is_complex=True,
        reason="Three policies and two agents involved",
        by=world.manager_a,
        at=days_later(3),
    )
    assert local_due_day(regulatory_clock(complaint)) == LOGGED_DAY + dt.timedelta(days=30)
    complaint.refresh_from_db()
    assert complaint.is_complex
    # Only the regulatory clock moves; the internal target stays.
    internal = complaint.case.clocks.get(code="internal-resolution")
    assert internal.target.amount == 10


def test_a_complaint_cannot_become_complex_once_its_15_days_are_over(
    world: World, sale: Sale
) -> None:
    complaint = log(world, sale)
    with pytest.raises(DomainError) as refused:
        services.complaint_set_complex(
            complaint=complaint,
            is_complex=True,
            reason="Too late",
            by=world.manager_a,
            at=days_later(17),
        )
    assert refused.value.code == "clock_past_due"
    complaint.refresh_from_db()
    assert not complaint.is_complex


def test_senior_approval_adds_up_to_30_more_days_to_a_complex_complaint(
    world: World, sale: Sale
) -> None:
    complaint = log(world, sale)
    services.complaint_set_complex(
        complaint=complaint,
        is_complex=True,
        reason="Medical appraisal",
        by=world.head,
        at=days_later(2),
    )
    services.complaint_extend(
        complaint=complaint,
        days=30,
        reason="Hospital records outstanding",
        by=world.head,
        at=days_later(20),
    )
    assert local_due_day(regulatory_clock(complaint)) == LOGGED_DAY + dt.timedelta(days=60)


def test_an_extension_beyond_30_days_is_refused_and_changes_nothing(
    world: World, sale: Sale
) -> None:
    complaint = log(world, sale)
    services.complaint_set_complex(
        complaint=complaint, is_complex=True, reason="Complex", by=world.head, at=days_later(2)
    )
    services.complaint_extend(
        complaint=complaint, days=20, reason="Records", by=world.head, at=days_later(10)
    )
    with pytest.raises(DomainError) as refused:
        services.complaint_extend(
            complaint=complaint, days=11, reason="More", by=world.head, at=days_later(11)
        )
    assert refused.value.code == "extension_refused" and refused.value.field == "days"
    assert local_due_day(regulatory_clock(complaint)) == LOGGED_DAY + dt.timedelta(days=50)


def test_an_extension_needs_a_complex_complaint(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    with pytest.raises(DomainError) as refused:
        services.complaint_extend(
            complaint=complaint, days=10, reason="Busy", by=world.head, at=days_later(2)
        )
    assert refused.value.code == "extension_refused"
    assert local_due_day(regulatory_clock(complaint)) == LOGGED_DAY + dt.timedelta(days=15)


def test_an_extension_without_the_permission_is_refused(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    services.complaint_set_complex(
        complaint=complaint, is_complex=True, reason="Complex", by=world.head, at=days_later(2)
    )
    with pytest.raises(PermissionRefused):
        services.complaint_extend(
            complaint=complaint, days=10, reason="Teller asks", by=world.teller_a, at=days_later(3)
        )
    assert local_due_day(regulatory_clock(complaint)) == LOGGED_DAY + dt.timedelta(days=30)
    assert not complaint.case.events.filter(type="clock_extended").exists()


def test_time_in_appraisal_is_excluded_from_the_15_days(world: World, sale: Sale) -> None:
    complaint = investigate(log(world, sale), world.manager_a, days_later(1))
    case_services.case_transition(
        case=complaint.case,
        transition_code="to-appraisal",
        comment="Medical appraisal of the disability grade",
        by=world.manager_a,
        at=days_later(5),
    )
    clock = regulatory_clock(complaint)
    assert clock.is_running is False
    # Five local midnights pass in appraisal (days 5 to 9 end inside it): five days later.
    case_services.case_transition(
        case=complaint.case,
        transition_code="appraisal-done",
        by=world.manager_a,
        at=days_later(10),
    )
    clock.refresh_from_db()
    assert clock.is_running
    assert local_due_day(clock) == LOGGED_DAY + dt.timedelta(days=15 + 5)
    # The internal clock pauses too, but the point is the regulatory one.
    assert complaint.case.events.filter(type="clock_paused").exists()

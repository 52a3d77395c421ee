"""After the notice: the customer's 30 days to ask for a review, and the review's own 30."""

from __future__ import annotations

import datetime as dt

import pytest

from policydesk.complaints import services
from policydesk.complaints.models import Complaint
from policydesk.core.errors import DomainError
from tests.complaints.conftest import (
    SHANGHAI,
    Sale,
    days_later,
    decide,
    investigate,
    local_due_day,
    log,
    notify,
)
from tests.conftest import World


def notified(world: World, sale: Sale) -> Complaint:
    complaint = investigate(log(world, sale), world.manager_a, days_later(1))
    complaint = decide(complaint, world.manager_a, days_later(8))
    return notify(complaint, world.manager_a, days_later(9))


def test_the_notice_tells_the_customer_the_last_day_to_ask_for_a_review(
    world: World, sale: Sale
) -> None:
    complaint = notified(world, sale)
    assert complaint.notice_channel == "letter"
    assert complaint.review_request_due_at is not None
    last_day = (
        complaint.review_request_due_at.astimezone(SHANGHAI) - dt.timedelta(seconds=1)
    ).date()
    assert last_day == dt.date(2026, 9, 10) + dt.timedelta(days=30)
    assert "30" in complaint.notice_text and last_day.isoformat() in complaint.notice_text
    assert complaint.notice_text.startswith("We partly uphold it.")


def test_a_review_request_within_30_days_of_the_notice_is_accepted(
    world: World, sale: Sale
) -> None:
    complaint = notified(world, sale)
    complaint = services.complaint_review_request(
        complaint=complaint,
        reason="Wants the whole premium back",
        by=world.teller_a,
        requested_at=days_later(9 + 30, hour=20),
    )
    complaint.case.refresh_from_db()
    assert complaint.case.state.code == "review"
    assert complaint.review_requested_at == days_later(39, hour=20)


def test_a_review_request_after_30_days_is_refused_naming_the_field(
    world: World, sale: Sale
) -> None:
    complaint = notified(world, sale)
    with pytest.raises(DomainError) as refused:
        services.complaint_review_request(
            complaint=complaint,
            reason="Too late",
            by=world.teller_a,
            requested_at=days_later(9 + 31, hour=9),
        )
    assert refused.value.code == "review_window_closed"
    assert refused.value.field == "requested_at"
    assert "requested_at" in refused.value.message
    complaint.refresh_from_db()
    assert complaint.review_requested_at is None
    assert complaint.case.state.code == "notified"


def test_a_review_must_be_decided_within_30_days(world: World, sale: Sale) -> None:
    complaint = notified(world, sale)
    complaint = services.complaint_review_request(
        complaint=complaint, reason="Disagrees", by=world.teller_a, requested_at=days_later(12)
    )
    clock = complaint.case.clocks.get(code="review-decision")
    assert clock.is_regulatory and clock.is_running
    assert local_due_day(clock) == dt.date(2026, 9, 13) + dt.timedelta(days=30)
    services.complaint_review_decide(
        complaint=complaint,
        outcome="upheld",
        resolution="Full refund",
        by=world.manager_a,
        at=days_later(42, hour=23),
    )
    clock.refresh_from_db()
    assert clock.met is True
    complaint.refresh_from_db()
    assert complaint.review_outcome == "upheld"
    assert complaint.final_decision_at == days_later(42, hour=23)


def test_a_review_decided_after_30_days_breaches_its_clock(world: World, sale: Sale) -> None:
    complaint = notified(world, sale)
    complaint = services.complaint_review_request(
        complaint=complaint, reason="Disagrees", by=world.teller_a, requested_at=days_later(12)
    )
    services.complaint_review_decide(
        complaint=complaint,
        outcome="not_upheld",
        resolution="Decision confirmed",
        by=world.manager_a,
        at=days_later(44),
    )
    assert complaint.case.clocks.get(code="review-decision").met is False

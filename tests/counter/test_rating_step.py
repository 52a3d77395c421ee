"""The rating step at completion cannot be skipped silently: a score 1–5 or an explicit
"not rated" outcome with who took it and why."""

from __future__ import annotations

import pytest

from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent
from policydesk.counter import services
from policydesk.counter.models import RatingOutcome, Ticket, TicketStatus, Visit
from tests.counter.conftest import MORNING, Hall, issue, minutes


def _serving(hall: Hall) -> Ticket:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(4))
    assert ticket is not None
    services.ticket_serve(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(5))
    return ticket


def test_completing_without_a_rating_or_a_reason_is_refused_and_nothing_changes(
    hall: Hall,
) -> None:
    ticket = _serving(hall)
    with pytest.raises(DomainError) as refused:
        services.ticket_complete(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(9))
    assert refused.value.code == "counter_rating_required"
    assert Ticket.objects.get().status == TicketStatus.SERVING
    visit = Visit.objects.get()
    assert visit.ended_at is None and visit.rating_outcome == ""
    assert not AuditEvent.objects.filter(action="counter.ticket.complete").exists()


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_one_to_five_is_refused(hall: Hall, rating: int) -> None:
    ticket = _serving(hall)
    with pytest.raises(DomainError) as refused:
        services.ticket_complete(
            ticket=ticket, by=hall.servicing_teller, rating=rating, at=MORNING + minutes(9)
        )
    assert refused.value.field == "rating"
    assert Visit.objects.get().ended_at is None


def test_a_rating_completes_the_visit_and_records_who_took_it(hall: Hall) -> None:
    ticket = _serving(hall)
    visit = services.ticket_complete(
        ticket=ticket, by=hall.servicing_teller, rating=4, at=MORNING + minutes(12)
    )
    assert visit.rating == 4 and visit.rating_outcome == RatingOutcome.RATED
    assert visit.rating_recorded_by_id == hall.servicing_teller.pk
    assert visit.ended_at == MORNING + minutes(12)
    assert Ticket.objects.get().status == TicketStatus.DONE


def test_not_rated_is_an_explicit_outcome_with_who_and_why(hall: Hall) -> None:
    ticket = _serving(hall)
    visit = services.ticket_complete(
        ticket=ticket,
        by=hall.servicing_teller,
        rating_outcome=RatingOutcome.LEFT,
        at=MORNING + minutes(12),
    )
    assert visit.rating is None and visit.rating_outcome == RatingOutcome.LEFT
    assert visit.rating_recorded_by_id == hall.servicing_teller.pk
    event = AuditEvent.objects.get(action="counter.ticket.complete")
    assert event.after["rating_outcome"] == "left"


def test_other_reason_needs_a_note(hall: Hall) -> None:
    ticket = _serving(hall)
    with pytest.raises(DomainError) as refused:
        services.ticket_complete(
            ticket=ticket,
            by=hall.servicing_teller,
            rating_outcome=RatingOutcome.OTHER,
            at=MORNING + minutes(12),
        )
    assert refused.value.field == "unrated_note"
    assert Visit.objects.get().rating_outcome == ""
    visit = services.ticket_complete(
        ticket=ticket,
        by=hall.servicing_teller,
        rating_outcome=RatingOutcome.OTHER,
        unrated_note="Customer in a hurry to the bank",
        at=MORNING + minutes(12),
    )
    assert visit.unrated_note == "Customer in a hurry to the bank"


def test_a_rating_and_a_reason_together_are_refused(hall: Hall) -> None:
    ticket = _serving(hall)
    with pytest.raises(DomainError):
        services.ticket_complete(
            ticket=ticket,
            by=hall.servicing_teller,
            rating=5,
            rating_outcome=RatingOutcome.DECLINED,
            at=MORNING + minutes(12),
        )
    assert Visit.objects.get().rating is None

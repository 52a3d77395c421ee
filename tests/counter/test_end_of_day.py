"""End of day: numbers still waiting from an earlier day are cancelled, called numbers
nobody answered become no-shows, forgotten windows close; a visit being served stays."""

from __future__ import annotations

from policydesk.counter import jobs, services
from policydesk.counter.models import Ticket, TicketStatus, WindowSession
from tests.counter.conftest import MORNING, Hall, issue, minutes


def test_it_closes_yesterday_and_leaves_today_alone(hall: Hall) -> None:
    waiting = issue(hall, hall.claims, MORNING)
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    called = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(2))
    assert called is not None
    next_day = MORNING + minutes(60 * 24)
    today = issue(hall, hall.claims, next_day)
    counts = services.counter_close_past_days(now=next_day + minutes(5))
    assert counts == {"cancelled": 1, "no_shows": 1, "windows": 1}
    assert Ticket.objects.get(pk=waiting.pk).status == TicketStatus.CANCELLED
    assert Ticket.objects.get(pk=called.pk).status == TicketStatus.NO_SHOW
    assert Ticket.objects.get(pk=today.pk).status == TicketStatus.WAITING
    assert WindowSession.objects.get().closed_at is not None
    again = services.counter_close_past_days(now=next_day + minutes(10))
    assert again == {"cancelled": 0, "no_shows": 0, "windows": 0}


def test_a_visit_being_served_is_left_for_its_teller(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    assert ticket is not None
    services.ticket_serve(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(2))
    services.counter_close_past_days(now=MORNING + minutes(60 * 24))
    assert Ticket.objects.get().status == TicketStatus.SERVING


def test_the_job_reports_a_summary(hall: Hall) -> None:
    assert jobs.close_past_days().startswith("cancelled 0 waiting")

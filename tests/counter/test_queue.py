"""Taking a number and calling it: numbering per day and letter, priority for vulnerable
customers, call-next by skill, one ticket never given to two tellers, recall, no-show after
the service's number of calls, and transfer to another service."""

from __future__ import annotations

import pytest

from policydesk.core.errors import ConflictError, DomainError, PermissionRefused
from policydesk.counter import services
from policydesk.counter.models import Ticket, TicketEvent, TicketStatus, WindowSession
from policydesk.org.models import Role
from tests import factories
from tests.counter.conftest import MORNING, Hall, issue, minutes


def test_numbers_run_per_letter_and_start_again_the_next_day(hall: Hall) -> None:
    first = issue(hall, hall.servicing, MORNING)
    second = issue(hall, hall.servicing, MORNING + minutes(1))
    claim = issue(hall, hall.claims, MORNING + minutes(2))
    tomorrow = issue(hall, hall.servicing, MORNING + minutes(60 * 24))
    assert [first.number, second.number, claim.number, tomorrow.number] == [
        "B001",
        "B002",
        "C001",
        "B001",
    ]
    assert tomorrow.issue_day != first.issue_day


def test_the_local_day_decides_the_number_not_the_utc_day(hall: Hall) -> None:
    # 07:30 in Shanghai is still the previous day in UTC.
    early = MORNING.replace(hour=7, minute=30)
    ticket = issue(hall, hall.servicing, early)
    assert ticket.issue_day == early.date()


def test_an_elderly_customer_gets_priority_without_asking(hall: Hall) -> None:
    elderly = factories.customer(hall.world.branch_a, vulnerability_flags=["elderly"])
    ticket = issue(hall, hall.servicing, MORNING, customer=elderly)
    assert ticket.is_priority


def test_a_role_without_counter_ticket_cannot_issue_and_nothing_is_written(hall: Hall) -> None:
    back_office = factories.staff(Role.BACK_OFFICE, hall.world.branch_a)
    with pytest.raises(PermissionRefused):
        services.ticket_issue(
            branch=hall.world.branch_a, service_type=hall.servicing, by=back_office, at=MORNING
        )
    assert not Ticket.objects.exists()


def test_staff_of_another_branch_cannot_issue_there(hall: Hall) -> None:
    from policydesk.core.errors import NotVisible

    with pytest.raises(NotVisible):
        services.ticket_issue(
            branch=hall.world.branch_a,
            service_type=hall.servicing,
            by=hall.world.teller_b,
            at=MORNING,
        )
    assert not Ticket.objects.exists()


def test_call_next_needs_an_open_window(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    with pytest.raises(DomainError) as refused:
        services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(5))
    assert refused.value.field == "window"
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_call_next_gives_the_oldest_ticket_the_teller_has_the_skill_for(hall: Hall) -> None:
    claim = issue(hall, hall.claims, MORNING)
    servicing = issue(hall, hall.servicing, MORNING + minutes(1))
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    called = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(5))
    assert called is not None and called.pk == servicing.pk  # no claims skill: C001 skipped
    assert called.status == TicketStatus.CALLED
    assert called.window_id == hall.window_1.pk and called.teller_id == hall.servicing_teller.pk
    claim.refresh_from_db()
    assert claim.status == TicketStatus.WAITING


def test_priority_tickets_are_called_before_older_ones(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    urgent = issue(hall, hall.servicing, MORNING + minutes(3), priority=True)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    called = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(5))
    assert called is not None and called.pk == urgent.pk


def test_a_teller_without_any_matching_skill_gets_nothing(hall: Hall) -> None:
    issue(hall, hall.claims, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    assert services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1)) is None


def test_an_enquiry_needs_no_skill(hall: Hall) -> None:
    enquiry = issue(hall, hall.enquiry, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    called = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    assert called is not None and called.pk == enquiry.pk


def test_two_tellers_never_get_the_same_ticket(hall: Hall) -> None:
    only = issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.window_open(window=hall.window_2, by=hall.claims_teller, at=MORNING)
    first = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    second = services.ticket_call_next(by=hall.claims_teller, at=MORNING + minutes(1))
    assert first is not None and first.pk == only.pk
    assert second is None
    assert Ticket.objects.get().teller_id == hall.servicing_teller.pk


def test_call_next_skips_a_ticket_another_teller_claimed_meanwhile(
    hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional update: a candidate read as waiting but claimed before our update is
    passed over for the next one."""
    raced = issue(hall, hall.servicing, MORNING)
    following = issue(hall, hall.servicing, MORNING + minutes(1))
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    original = services._candidates

    def stale_candidates(branch_id: int, types: list[int]) -> list[int]:
        found = original(branch_id, types)
        # Another teller's transaction commits between our read and our update.
        Ticket.objects.filter(pk=raced.pk).update(
            status=TicketStatus.CALLED, teller=hall.claims_teller
        )
        return found

    monkeypatch.setattr(services, "_candidates", stale_candidates)
    called = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(2))
    assert called is not None and called.pk == following.pk
    assert Ticket.objects.get(pk=raced.pk).teller_id == hall.claims_teller.pk


def test_a_teller_with_a_ticket_in_hand_cannot_call_another(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    with pytest.raises(ConflictError) as refused:
        services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(2))
    assert refused.value.code == "counter_teller_busy"
    assert Ticket.objects.filter(status=TicketStatus.WAITING).count() == 1


def test_no_show_only_after_the_service_number_of_calls(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    assert ticket is not None
    with pytest.raises(DomainError) as refused:
        services.ticket_no_show(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(2))
    assert refused.value.field == "call_count"
    assert Ticket.objects.get().status == TicketStatus.CALLED
    for n in range(hall.servicing.calls_before_no_show - 1):
        services.ticket_recall(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(3 + n))
    gone = services.ticket_no_show(ticket=ticket, by=hall.servicing_teller, at=MORNING + minutes(9))
    assert gone.status == TicketStatus.NO_SHOW
    assert gone.call_count == hall.servicing.calls_before_no_show
    assert TicketEvent.objects.filter(ticket=ticket, type="no_show").count() == 1
    # The window is free for the next customer.
    assert services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(10)) is None


def test_another_teller_cannot_recall_my_ticket(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    assert ticket is not None
    with pytest.raises(ConflictError):
        services.ticket_recall(ticket=ticket, by=hall.claims_teller, at=MORNING + minutes(2))
    assert Ticket.objects.get().call_count == 1


def test_transfer_puts_the_ticket_in_the_other_queue_with_its_number(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.window_open(window=hall.window_2, by=hall.claims_teller, at=MORNING)
    ticket = services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    assert ticket is not None
    moved = services.ticket_transfer(
        ticket=ticket, service_type=hall.claims, by=hall.servicing_teller, at=MORNING + minutes(2)
    )
    assert moved.status == TicketStatus.WAITING and moved.number == "B001"
    assert moved.service_type_id == hall.claims.pk and moved.teller_id is None
    called = services.ticket_call_next(by=hall.claims_teller, at=MORNING + minutes(4))
    assert called is not None and called.pk == ticket.pk
    # The wait is counted from the issue to the first call.
    assert called.first_called_at == MORNING + minutes(1)


def test_a_window_is_open_for_one_teller_at_a_time(hall: Hall) -> None:
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    with pytest.raises(ConflictError) as refused:
        services.window_open(window=hall.window_1, by=hall.claims_teller, at=MORNING)
    assert refused.value.code == "counter_window_taken"
    assert WindowSession.objects.count() == 1


def test_a_window_closes_only_when_the_teller_holds_no_ticket(hall: Hall) -> None:
    issue(hall, hall.servicing, MORNING)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    with pytest.raises(ConflictError):
        services.window_close(by=hall.servicing_teller, at=MORNING + minutes(2))
    assert WindowSession.objects.get().closed_at is None

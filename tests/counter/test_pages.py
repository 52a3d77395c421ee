"""Pages: the workstation walks a ticket from call to completion with the rating step, the
hall board and its htmx fragment show numbers only, the KPI and productivity pages state
their figures and divisors, service types are edited by counter managers, and the lists
are pinned in queries."""

from __future__ import annotations

from typing import Any

from policydesk.counter import services
from policydesk.counter.models import ServiceType, Ticket, TicketStatus, Visit
from tests import factories
from tests.conftest import signed_in
from tests.counter.conftest import MORNING, Hall, ensure_process, issue, minutes, serve_through


def _act(client: Any, **data: Any) -> Any:
    return client.post("/counter/act/", data, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def test_the_workstation_walks_a_ticket_through_with_the_rating_step(hall: Hall) -> None:
    client = signed_in(hall.servicing_teller)
    page = client.get("/counter/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Open my window" in page.content.decode()
    _act(client, action="open", window_id=hall.window_1.pk)
    _act(client, action="issue", service_type="servicing", branch_id=hall.world.branch_a.pk)
    called = _act(client, action="call")
    assert "Calling B001." in called.content.decode()
    ticket = Ticket.objects.get()
    served = _act(client, action="serve", ticket_id=ticket.pk)
    body = served.content.decode()
    assert "Rating step" in body and 'data-shortcut="n"' not in body
    refused = _act(client, action="complete", ticket_id=ticket.pk)
    assert "Offer the rating" in refused.content.decode()
    assert Ticket.objects.get().status == TicketStatus.SERVING
    _act(client, action="complete", ticket_id=ticket.pk, rating="5")
    visit = Visit.objects.get()
    assert visit.rating == 5 and Ticket.objects.get().status == TicketStatus.DONE


def test_the_workstation_shows_the_keyboard_shortcuts(hall: Hall) -> None:
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    body = signed_in(hall.servicing_teller).get("/counter/", HTTP_ACCEPT_LANGUAGE="en")
    text = body.content.decode()
    assert 'data-shortcut="n"' in text and "Keyboard shortcuts" in text


def test_a_case_is_linked_by_number_from_the_workstation(hall: Hall) -> None:
    from policydesk.cases import services as case_services

    customer = factories.customer(hall.world.branch_a)
    issue(hall, hall.servicing, MORNING, customer=customer)
    client = signed_in(hall.servicing_teller)
    _act(client, action="open", window_id=hall.window_1.pk)
    _act(client, action="call")
    ticket = Ticket.objects.get()
    _act(client, action="serve", ticket_id=ticket.pk)
    case = case_services.case_open(
        process=ensure_process("servicing"),
        channel="counter",
        branch=hall.world.branch_a,
        subject="Beneficiary change",
        customer=customer,
        by=None,
    )
    answer = _act(client, action="link_case", ticket_id=ticket.pk, case_number=case.number)
    assert f"Case {case.number} linked" in answer.content.decode()
    assert list(Visit.objects.get().cases.all()) == [case]


def test_the_board_polls_every_five_seconds_and_shows_no_names(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a, name="Wang Hiddenname")
    issue(hall, hall.servicing, MORNING, customer=customer)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    services.ticket_call_next(by=hall.servicing_teller, at=MORNING + minutes(1))
    client = signed_in(hall.world.teller_a)
    page = client.get("/counter/board/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'hx-trigger="every 5s"' in text and "B001" in text and "Hiddenname" not in text
    fragment = client.get("/counter/board/live/", HTTP_ACCEPT_LANGUAGE="en")
    assert "B001" in fragment.content.decode() and "<html" not in fragment.content.decode()


def test_the_board_answers_in_few_queries(hall: Hall, django_assert_max_num_queries: Any) -> None:
    for n in range(15):
        issue(hall, hall.claims if n % 2 else hall.servicing, MORNING + minutes(n))
    client = signed_in(hall.world.teller_a)
    with django_assert_max_num_queries(16):
        assert client.get("/counter/board/live/").status_code == 200


def test_the_workstation_answers_in_few_queries(
    hall: Hall, django_assert_max_num_queries: Any
) -> None:
    for n in range(20):
        issue(
            hall,
            hall.servicing,
            MORNING + minutes(n),
            customer=factories.customer(hall.world.branch_a),
        )
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    client = signed_in(hall.servicing_teller)
    with django_assert_max_num_queries(20):
        assert client.get("/counter/").status_code == 200


def test_the_kpi_page_shows_figures_and_charts(
    hall: Hall, django_assert_max_num_queries: Any
) -> None:
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    for n in range(6):
        ticket = issue(hall, hall.servicing, MORNING + minutes(20 * n))
        serve_through(
            ticket,
            hall.servicing_teller,
            called_at=MORNING + minutes(20 * n + 5),
            service_minutes=10,
            rating=None if n % 3 == 0 else 5,
            rating_outcome="left" if n % 3 == 0 else "",
        )
    client = signed_in(hall.world.manager_a)
    with django_assert_max_num_queries(20):
        page = client.get(
            "/counter/kpis/",
            {"from_month": "2026-03", "to_month": "2026-03"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Unrated share per teller" in text and "33.3 %" in text  # 2 of 6 unrated
    assert "Customer left before rating: 2" in text


def test_the_productivity_page_states_the_divisors(hall: Hall) -> None:
    page = signed_in(hall.world.manager_a).get(
        "/counter/productivity/",
        {"from_month": "2026-01", "to_month": "2026-10"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "3 front tellers" in text and "10 months" in text
    assert "Excluded from front tellers" in text and "Counter manager" in text


def test_a_teller_cannot_open_the_productivity_page(hall: Hall) -> None:
    page = signed_in(hall.world.teller_a).get("/counter/productivity/")
    assert page.status_code == 403


def test_a_counter_manager_edits_a_service_type(hall: Hall) -> None:
    client = signed_in(hall.world.manager_a)
    client.post(
        "/counter/service-types/",
        {
            "id": hall.enquiry.pk,
            "name": "咨询服务",
            "name_en": "Enquiries",
            "skill_code": "",
            "leads_to": "enquiry",
            "calls_before_no_show": "2",
            "is_active": "1",
        },
    )
    row = ServiceType.objects.get(pk=hall.enquiry.pk)
    assert row.name == "咨询服务" and row.edited
    # The next sync keeps the edited names.
    services.service_types_sync()
    assert ServiceType.objects.get(pk=hall.enquiry.pk).name == "咨询服务"


def test_a_teller_cannot_edit_service_types_and_nothing_changes(hall: Hall) -> None:
    answer = signed_in(hall.world.teller_a).post(
        "/counter/service-types/",
        {
            "id": hall.enquiry.pk,
            "name": "X",
            "leads_to": "enquiry",
            "calls_before_no_show": "2",
        },
    )
    assert answer.status_code == 403
    assert ServiceType.objects.get(pk=hall.enquiry.pk).name == "咨询"


def test_the_customer_visits_fragment(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    ticket = issue(hall, hall.servicing, MORNING, customer=customer)
    serve_through(
        ticket, hall.servicing_teller, called_at=MORNING + minutes(2), service_minutes=5, rating=4
    )
    client = signed_in(hall.world.teller_a)
    page = client.get(f"/counter/customers/{customer.pk}/visits/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "B001" in page.content.decode()
    assert "4 / 5" in page.content.decode()
    other = signed_in(hall.world.teller_b).get(f"/counter/customers/{customer.pk}/visits/")
    assert other.status_code == 404


def test_the_ticket_page_shows_the_timeline(hall: Hall) -> None:
    ticket = issue(hall, hall.servicing, MORNING)
    page = signed_in(hall.world.teller_a).get(
        f"/counter/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200 and "Number issued" in page.content.decode()
    assert signed_in(hall.world.teller_b).get(f"/counter/tickets/{ticket.pk}/").status_code == 404

"""Visits: a served ticket is a visit of the customer, linked to the cases handled in it, and
listed on the customer's history."""

from __future__ import annotations

import pytest

from policydesk.cases import services as case_services
from policydesk.core.errors import ConflictError, DomainError, NotVisible
from policydesk.counter import selectors, services
from policydesk.counter.models import Visit, VisitCase
from tests import factories
from tests.counter.conftest import MORNING, Hall, ensure_process, issue, minutes, serve_through


def _visit(hall: Hall, customer: object = None) -> Visit:
    ticket = issue(hall, hall.servicing, MORNING, customer=customer)
    services.window_open(window=hall.window_1, by=hall.servicing_teller, at=MORNING)
    return serve_through(
        ticket, hall.servicing_teller, called_at=MORNING + minutes(3), service_minutes=8, rating=5
    )


def _case(hall: Hall, customer: object = None, branch: object = None) -> object:
    return case_services.case_open(
        process=ensure_process("servicing"),
        channel="counter",
        branch=branch or hall.world.branch_a,
        subject="Change of bank account",
        customer=customer,
        by=None,
        at=MORNING + minutes(5),
    )


def test_a_served_ticket_is_a_visit_of_its_customer(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a)
    visit = _visit(hall, customer)
    assert visit.customer_id == customer.pk
    assert visit.teller_id == hall.servicing_teller.pk and visit.window_id == hall.window_1.pk


def test_linking_a_case_records_it_on_the_visit_and_names_the_customer(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a)
    visit = _visit(hall)
    case = _case(hall, customer)
    services.visit_case_link(visit=visit, case=case, by=hall.servicing_teller)  # type: ignore[arg-type]
    visit.refresh_from_db()
    assert list(visit.cases.all()) == [case]
    assert visit.customer_id == customer.pk


def test_a_case_of_another_customer_is_refused(hall: Hall) -> None:
    visit = _visit(hall, factories.customer(hall.world.branch_a))
    other = _case(hall, factories.customer(hall.world.branch_a))
    with pytest.raises(DomainError) as refused:
        services.visit_case_link(visit=visit, case=other, by=hall.servicing_teller)  # type: ignore[arg-type]
    assert refused.value.field == "case"
    assert not VisitCase.objects.exists()


def test_a_case_is_linked_once(hall: Hall) -> None:
    visit = _visit(hall)
    case = _case(hall)
    services.visit_case_link(visit=visit, case=case, by=hall.servicing_teller)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        services.visit_case_link(visit=visit, case=case, by=hall.servicing_teller)  # type: ignore[arg-type]
    assert VisitCase.objects.count() == 1


def test_a_case_of_another_branch_cannot_be_linked(hall: Hall) -> None:
    visit = _visit(hall)
    case = _case(hall, branch=hall.world.branch_b)
    with pytest.raises(NotVisible):
        services.visit_case_link(visit=visit, case=case, by=hall.servicing_teller)  # type: ignore[arg-type]
    assert not VisitCase.objects.exists()


def test_opening_a_case_at_the_window_links_it(hall: Hall) -> None:
    ensure_process("enquiry")
    visit = _visit(hall, factories.customer(hall.world.branch_a))
    case = services.visit_case_open(
        visit=visit,
        process_code="enquiry",
        subject="Dividend realisation rate",
        by=hall.servicing_teller,
        at=MORNING + minutes(7),
    )
    assert case.channel == "counter" and case.customer_id == visit.customer_id
    assert list(visit.cases.all()) == [case]


def test_the_customer_visits_list_newest_first_and_hides_other_branches(hall: Hall) -> None:
    customer = factories.customer(hall.world.branch_a)
    first = _visit(hall, customer)
    ticket = issue(hall, hall.servicing, MORNING + minutes(30), customer=customer)
    second = serve_through(
        ticket, hall.servicing_teller, called_at=MORNING + minutes(32), service_minutes=5, rating=4
    )
    page = selectors.customer_visits(hall.world.teller_a, customer.pk)
    assert [v.pk for v in page.items] == [second.pk, first.pk]
    with pytest.raises(NotVisible):
        selectors.customer_visits(hall.world.teller_b, customer.pk)

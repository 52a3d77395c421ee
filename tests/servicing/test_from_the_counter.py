"""A teller serving a ticket applies for a servicing item from the window: the item's case
joins the visit and the teller is back at the workstation for the rating step."""

from __future__ import annotations

from policydesk.counter import services as counter_services
from policydesk.counter.models import ServiceType, VisitCase
from policydesk.org.models import Skill
from policydesk.servicing.models import ServicingItem
from tests import factories
from tests.conftest import signed_in

from .conftest import Desk


def serving(desk: Desk) -> int:
    """The desk's teller opens a window and calls a servicing ticket of the policyholder."""
    counter_services.service_types_sync()
    skill, _ = Skill.objects.get_or_create(code="servicing", defaults={"name": "servicing"})
    desk.teller.skills.add(skill)
    window = factories.team(desk.world.branch_a, code="window-1", kind="counter")
    counter_services.window_open(window=window, by=desk.teller)
    ticket = counter_services.ticket_issue(
        branch=desk.world.branch_a,
        service_type=ServiceType.objects.get(code="servicing"),
        customer=desk.holder,
        by=desk.teller,
    )
    called = counter_services.ticket_call_next(by=desk.teller)
    assert called is not None and called.pk == ticket.pk
    counter_services.ticket_serve(ticket=called, by=desk.teller)
    return ticket.pk


def test_an_item_applied_for_from_the_window_joins_the_visit(desk: Desk) -> None:
    ticket_id = serving(desk)
    client = signed_in(desk.teller)
    page = client.get(f"/servicing/apply/?ticket={ticket_id}", HTTP_ACCEPT_LANGUAGE="en")
    assert "the application joins the visit" in page.content.decode()

    response = client.post(
        "/servicing/apply/",
        {
            "ticket": ticket_id,
            "policy": desk.policy.number,
            "item": "contact-change",
            "applicant_role": "policyholder",
            "documents": ["application-form", "id-policyholder"],
            "channel": "counter",
            "contact_kind": "email",
            "contact_value": "lin@example.cn",
        },
    )

    item = ServicingItem.objects.get()
    assert response.status_code == 302 and response.url == "/counter/"
    link = VisitCase.objects.get()
    assert link.case_id == item.case_id and link.visit.ticket_id == ticket_id


def test_a_ticket_the_teller_is_not_serving_links_nothing(desk: Desk) -> None:
    ticket_id = serving(desk)
    other = factories.staff(desk.teller.role, desk.world.branch_a, username="other_teller")

    response = signed_in(other).post(
        "/servicing/apply/",
        {
            "ticket": ticket_id,
            "policy": desk.policy.number,
            "item": "contact-change",
            "applicant_role": "policyholder",
            "documents": ["application-form", "id-policyholder"],
            "channel": "counter",
            "contact_kind": "email",
            "contact_value": "lin@example.cn",
        },
    )

    item = ServicingItem.objects.get()
    assert response.url.endswith(f"/servicing/items/{item.pk}/")  # applied, not linked
    assert not VisitCase.objects.exists()

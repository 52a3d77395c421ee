"""Callback pages and lists show branch A's tasks to nobody of branch B."""

from __future__ import annotations

from policydesk.callbacks.models import CallbackAttempt
from policydesk.org.models import Role
from tests import factories
from tests.conftest import signed_in

from .conftest import Desk

SECRET = "SECRET-A-NOTE"


def test_staff_of_another_branch_see_no_task_page_queue_worklist_or_kpi(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="", channel="bancassurance"))
    task.customer.name = SECRET
    task.customer.save()
    other = signed_in(factories.staff(Role.CALLBACK_AGENT, desk.world.branch_b, username="cb-b"))
    assert other.get(f"/callbacks/tasks/{task.pk}/").status_code == 404
    for url in ("/callbacks/?view=open", "/callbacks/contact-worklist/", "/callbacks/kpis/"):
        answer = other.get(url)
        assert answer.status_code == 200
        assert SECRET not in answer.content.decode()
    refused = other.post(
        f"/callbacks/tasks/{task.pk}/attempt/",
        {"number_dialled": "13812345678", "outcome": "no_answer"},
    )
    assert refused.status_code == 404
    assert not CallbackAttempt.objects.exists()


def test_a_teller_without_callback_rights_is_refused(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    teller = signed_in(desk.world.teller_a)
    assert teller.get("/callbacks/").status_code == 403
    assert teller.get(f"/callbacks/tasks/{task.pk}/").status_code == 403

"""A user of another branch sees nothing of branch A's complaints and cannot act on them."""

from __future__ import annotations

import pytest

from policydesk.complaints import selectors, services
from policydesk.complaints.models import Complaint
from policydesk.core.errors import NotVisible
from tests.complaints.conftest import Sale, cause, days_later, log
from tests.conftest import World, signed_in


def test_the_register_and_the_kpis_of_branch_b_leave_branch_a_out(world: World, sale: Sale) -> None:
    log(world, sale)
    assert selectors.complaint_register(world.manager_b).page.items == []
    assert selectors.complaint_kpis(world.manager_b).logged == 0
    assert len(selectors.complaint_register(world.manager_a).page.items) == 1
    assert selectors.complaint_kpis(world.head).logged == 1


def test_a_manager_of_branch_b_cannot_open_or_change_a_complaint_of_branch_a(
    world: World, sale: Sale
) -> None:
    complaint = log(world, sale)
    with pytest.raises(NotVisible):
        selectors.complaint_get(world.manager_b, complaint.pk)
    with pytest.raises(NotVisible):
        services.complaint_set_root_cause(
            complaint=complaint, root_cause=cause("other"), by=world.manager_b, at=days_later(1)
        )
    assert Complaint.objects.get(pk=complaint.pk).root_cause is None


def test_pages_of_branch_a_complaints_answer_404_to_branch_b(world: World, sale: Sale) -> None:
    complaint = log(world, sale)
    client = signed_in(world.manager_b)
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 404
    response = client.post(f"/complaints/{complaint.pk}/act/", {"action": "root_cause"})
    assert response.status_code == 404
    register = client.get("/complaints/")
    assert register.status_code == 200
    assert complaint.case.number not in register.content.decode()
    api = client.get(f"/api/v1/complaints/{complaint.pk}")
    assert api.status_code == 404

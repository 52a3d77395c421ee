"""The Django admin: administrators only, through PolicyDesk's log-in, every edit audited."""

from __future__ import annotations

from django.test import Client

from policydesk.core.models import AuditEvent
from policydesk.org.models import Team
from tests.conftest import World, signed_in


def test_an_administrator_with_a_verified_second_factor_opens_the_admin(world: World) -> None:
    assert signed_in(world.admin).get("/admin/").status_code == 200


def test_a_head_of_service_is_refused_the_admin(world: World) -> None:
    response = signed_in(world.head).get("/admin/")
    assert response.status_code in {302, 403}
    assert response.status_code == 403 or "/admin/login/" in response["Location"]
    assert signed_in(world.head).get("/admin/login/").status_code == 403


def test_the_admin_log_in_page_sends_visitors_to_the_policydesk_log_in() -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_edit_in_the_admin_is_audited_with_before_and_after(world: World) -> None:
    team = Team.objects.create(branch=world.branch_a, code="desk", name="Desk", kind="team")
    response = signed_in(world.admin).post(
        f"/admin/org/team/{team.pk}/change/",
        {
            "branch": world.branch_a.pk,
            "code": "desk",
            "name": "Front desk",
            "name_en": "",
            "kind": "team",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="admin.change").latest("id")
    assert event.actor_id == world.admin.pk
    assert event.before["name"] == "Desk"
    assert event.after["name"] == "Front desk"

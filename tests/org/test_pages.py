"""The pages of the organisation and the shell, as each role sees them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from policydesk.core.audit import audit_record
from policydesk.core.models import AuditEvent
from policydesk.org.models import ApiToken, Staff
from tests import factories
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> set[str]:
    start = html.index('<nav class="sidebar"')
    return {part.split('"')[0] for part in html[start : html.index("</nav>")].split('href="')[1:]}


def test_the_navigation_shows_each_role_only_what_it_may_open(world: World) -> None:
    teller_nav = nav_links(signed_in(world.teller_a).get("/").content.decode())
    assert teller_nav == {
        "/",
        "/org/branches/",
        "/customers/",
        "/cases/",
        "/complaints/",
        "/counter/",
        "/newbusiness/",
        "/servicing/",
        "/claims/",
    }
    head_nav = nav_links(signed_in(world.head).get("/").content.decode())
    assert {"/org/staff/", "/audit/", "/org/permissions/", "/jobs/"} <= head_nav
    assert "/org/tokens/" not in head_nav
    admin_nav = nav_links(signed_in(world.admin).get("/").content.decode())
    assert {"/org/tokens/", "/admin/"} <= admin_nav


def test_every_page_in_the_navigation_opens_for_its_role(world: World) -> None:
    for user in (world.teller_a, world.manager_a, world.head, world.auditor, world.admin):
        client = signed_in(user)
        for link in nav_links(client.get("/").content.decode()):
            assert client.get(link).status_code == 200, (user.role, link)


def test_the_home_page_counts_what_the_head_may_see(world: World) -> None:
    html = signed_in(world.head).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Active staff" in html
    assert "Audit events today" in html


def test_an_administrator_creates_an_account_from_the_staff_form(world: World) -> None:
    response = signed_in(world.admin).post(
        "/org/staff/new/",
        {
            "username": "new-teller",
            "display_name": "New Teller",
            "email": "new@example.invalid",
            "role": "front_teller",
            "branch": world.branch_a.pk,
            "password": "Another-Long-Pass-42",
        },
    )
    created = Staff.objects.get(username="new-teller")
    assert response.status_code == 302
    assert response["Location"] == f"/org/staff/{created.pk}/"
    assert created.branch == world.branch_a
    assert created.check_password("Another-Long-Pass-42")


def test_the_staff_form_names_the_field_in_error_and_creates_nothing(world: World) -> None:
    count = Staff.objects.count()
    response = signed_in(world.admin).post(
        "/org/staff/new/",
        {
            "username": "teller_b",
            "display_name": "Clash",
            "role": "front_teller",
            "branch": world.branch_a.pk,
            "password": "Another-Long-Pass-42",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["The username teller_b is taken."]
    assert Staff.objects.count() == count


def test_a_counter_manager_may_read_staff_but_not_open_the_form(world: World) -> None:
    client = signed_in(world.manager_a)
    assert client.get("/org/staff/").status_code == 200
    assert client.get("/org/staff/new/").status_code == 403


def test_the_staff_list_filters_by_search_with_htmx(world: World) -> None:
    response = signed_in(world.head).get("/org/staff/?q=teller_b", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="staff-rows">')
    assert "teller_b" in html
    assert "teller_a" not in html


def test_the_token_page_shows_a_new_secret_once(world: World) -> None:
    client = signed_in(world.admin)
    response = client.post(
        "/org/tokens/", {"name": "Core system", "role": "back_office", "branch": world.branch_a.pk}
    )
    token = ApiToken.objects.get(name="Core system")
    assert f"pdk_{token.prefix}." in response.content.decode()
    assert f"pdk_{token.prefix}." not in client.get("/org/tokens/").content.decode()
    client.post(f"/org/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_disabling_an_account_from_its_page_needs_a_reason(world: World) -> None:
    client = signed_in(world.admin)
    client.post(f"/org/staff/{world.teller_a.pk}/disable/", {"reason": " "})
    world.teller_a.refresh_from_db()
    assert world.teller_a.is_active
    client.post(f"/org/staff/{world.teller_a.pk}/disable/", {"reason": "Left the company"})
    world.teller_a.refresh_from_db()
    assert not world.teller_a.is_active


def test_switching_the_language_is_remembered_for_the_user(world: World) -> None:
    client = signed_in(world.teller_a)
    response = client.post("/i18n/language/", {"language": "en", "next": "/org/branches/"})
    assert response.status_code == 302
    assert response["Location"] == "/org/branches/"
    world.teller_a.refresh_from_db()
    assert world.teller_a.preferred_language == "en"
    assert "Branches and teams" in client.get("/org/branches/").content.decode()
    assert AuditEvent.objects.filter(action="org.staff.language").exists()


def test_the_language_switch_refuses_to_redirect_elsewhere() -> None:
    response = Client().post("/i18n/language/", {"language": "en", "next": "https://evil.test/"})
    assert response["Location"] == "/"


def test_times_show_in_the_branch_time_zone(world: World) -> None:
    # Tokyo (UTC+9) differs from both UTC and the Asia/Shanghai default (UTC+8).
    tokyo = factories.branch("tokyo", parent=world.hq, timezone_name="Asia/Tokyo")
    auditor_tokyo = factories.staff("auditor", tokyo, username="tokyo-auditor")
    audit_record(action="test.clock", branch_id=tokyo.pk)
    event = AuditEvent.objects.latest("id")
    html = signed_in(auditor_tokyo).get("/audit/?action=test.clock").content.decode()
    tokyo_time = timezone.localtime(event.occurred_at, dt.timezone(dt.timedelta(hours=9)))
    shanghai_time = timezone.localtime(event.occurred_at, dt.timezone(dt.timedelta(hours=8)))
    assert tokyo_time.strftime("%Y-%m-%d %H:%M:%S") in html
    assert shanghai_time.strftime("%Y-%m-%d %H:%M:%S") not in html


def test_the_page_sets_a_nonce_content_security_policy_and_loads_htmx_locally(world: World) -> None:
    response = signed_in(world.teller_a).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "default-src 'self'" in policy
    html = response.content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


def test_a_language_picked_on_the_log_in_page_becomes_the_users_preference(world: World) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post(
        "/accounts/login/", {"username": "teller_a", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    world.teller_a.refresh_from_db()
    assert world.teller_a.preferred_language == "en"

"""The session and its user read in one statement (org.session_user), and only as fresh as
the request: a role's grants, a disabled account, an expired or re-linked session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from policydesk.core.access import granted_actions
from policydesk.org import session_user
from policydesk.org.backends import StaffBackend
from policydesk.org.models import RoleGrant, Staff, StaffSession
from tests.conftest import World
from tests.factories import PASSWORD

ME = "/api/v1/me"


def logged_in(user: Staff) -> Client:
    """Signed in through the log-in form, as a teller is (which links the session)."""
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def reads(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]


def test_a_signed_in_request_reads_session_and_user_in_one_statement(world: World) -> None:
    client = logged_in(world.teller_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "teller_a"
    assert len(captured.captured_queries) == 1
    (statement,) = captured.captured_queries
    for table in ("django_session", "org_staff", "org_branch", "org_rolegrant"):
        assert f'"{table}"' in statement["sql"]


def test_every_way_in_links_the_session(world: World) -> None:
    client = Client()
    client.force_login(world.teller_a)
    key = client.cookies["sessionid"].value
    assert StaffSession.objects.get(session_key=key).staff == world.teller_a
    form = logged_in(world.teller_b)
    key = form.cookies["sessionid"].value
    assert StaffSession.objects.get(session_key=key).staff == world.teller_b


def test_a_session_without_its_link_is_read_as_before(world: World) -> None:
    client = logged_in(world.teller_a)
    StaffSession.objects.all().delete()  # e.g. a link removed by hand
    with CaptureQueriesContext(connection) as captured:
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "teller_a"
    assert len(reads(captured, "django_session")) == 2  # the linked read, then the session
    assert len(reads(captured, "org_staff")) == 2  # the linked read found nothing; the user


def test_a_grant_withdrawn_between_requests_holds_on_the_next(world: World) -> None:
    client = logged_in(world.teller_a)
    assert "cases.view" in client.get(ME).json()["actions"]
    RoleGrant.objects.filter(role=world.teller_a.role, action="cases.view").update(granted=False)
    assert "cases.view" not in client.get(ME).json()["actions"]
    assert client.get("/api/v1/cases").status_code == 403


def test_a_disabled_account_is_signed_out_on_its_next_request(world: World) -> None:
    client = logged_in(world.teller_a)
    assert client.get(ME).status_code == 200
    Staff.objects.filter(pk=world.teller_a.pk).update(is_active=False)
    assert client.get(ME).status_code == 401


def test_an_expired_session_is_not_read_through_its_link(world: World) -> None:
    client = logged_in(world.teller_a)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert StaffSession.objects.filter(session_key=key).exists()
    assert client.get(ME).status_code == 401


def test_a_link_naming_another_user_is_not_trusted(world: World) -> None:
    """The row read through the link is used only when it is the session's own user."""
    client = logged_in(world.teller_a)
    key = client.cookies["sessionid"].value
    StaffSession.objects.filter(session_key=key).update(staff=world.head)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "teller_a"


def test_outside_a_request_the_store_and_backend_read_on_their_own(world: World) -> None:
    client = logged_in(world.teller_a)
    key = client.cookies["sessionid"].value
    assert session_user._slot.get() is None  # the request's slot did not outlive it
    store = session_user.SessionStore(key)
    with CaptureQueriesContext(connection) as captured:
        data: dict[str, Any] = store.load()
    assert data["_auth_user_id"] == str(world.teller_a.pk)
    assert not reads(captured, "org_staff")  # no user read with it, none left for later
    assert session_user.take_session_user(world.teller_a.pk) is None
    RoleGrant.objects.filter(role=world.teller_a.role, action="cases.view").update(granted=False)
    user = StaffBackend().get_user(world.teller_a.pk)
    assert user is not None
    assert "cases.view" not in granted_actions(user)  # read now, not from the request's row


@pytest.mark.parametrize("view", ["open", "mine"])
def test_the_case_list_costs_two_statements_when_signed_in(world: World, view: str) -> None:
    client = logged_in(world.teller_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/cases", {"view": view})
    assert response.status_code == 200
    assert len(captured.captured_queries) == 2  # the session with its user; the page

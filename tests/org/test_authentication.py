"""Log-in, lock-out, password hashing, the second factor and session lifetimes."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import policydesk.settings as real_settings
from policydesk.core.models import AuditEvent
from policydesk.org import services
from policydesk.org.middleware import RENEWED_AT_KEY
from policydesk.org.models import Staff, StaffSession
from tests.conftest import World, signed_in
from tests.factories import PASSWORD

LOGIN_URL = "/accounts/login/"
SECOND_FACTOR_ROLES = ["head", "auditor", "admin"]


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password})


def signed_in_without_second_factor(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["pd_login_at"] = time.time()
    session.save()
    return client


def is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def events(action: str, **lookup: Any) -> Any:
    return AuditEvent.objects.filter(action=action, **lookup)


# --- Log-in and its audit -----------------------------------------------------------------


def test_it_signs_a_teller_in_and_audits_the_log_in(world: World) -> None:
    client = Client()

    response = log_in(client, "teller_a", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)
    assert events("auth.login", actor_id=world.teller_a.pk).count() == 1
    assert StaffSession.objects.filter(
        staff=world.teller_a, session_key=client.session.session_key
    ).exists()


def test_it_refuses_a_wrong_password_and_audits_the_failure(world: World) -> None:
    client = Client()

    response = log_in(client, "teller_a", "Not-The-Password-1")

    assert response.status_code == 401
    assert not is_signed_in(client)
    failure = events("auth.login_failed").get()
    assert failure.object_label == "teller_a"
    assert failure.actor_id is None
    assert not events("auth.login").exists()
    assert not StaffSession.objects.filter(staff=world.teller_a).exists()


def test_it_refuses_an_unknown_username_and_audits_the_failure(world: World) -> None:
    client = Client()

    response = log_in(client, "nobody", PASSWORD)

    assert response.status_code == 401
    assert not is_signed_in(client)
    assert events("auth.login_failed", object_label="nobody").count() == 1


def test_it_refuses_a_disabled_account_with_the_right_password(world: World) -> None:
    services.staff_disable(staff=world.teller_a, reason="Left the company", by=None)
    client = Client()

    response = log_in(client, "teller_a", PASSWORD)

    assert response.status_code == 401
    assert not is_signed_in(client)
    assert not events("auth.login").exists()


# --- Lock-out ------------------------------------------------------------------------------


def test_it_locks_the_account_after_five_failed_log_ins(world: World) -> None:
    client = Client()
    for attempt in range(5):
        log_in(client, "teller_a", f"Wrong-Password-{attempt}")

    response = log_in(client, "teller_a", PASSWORD)

    assert response.status_code == 403
    assert not is_signed_in(client)
    assert not events("auth.login").exists()
    assert events("auth.locked_out", object_label="teller_a").exists()
    assert events("auth.login_failed", object_label="teller_a").count() >= 4


def test_it_does_not_lock_the_account_after_four_failed_log_ins(world: World) -> None:
    client = Client()
    for attempt in range(4):
        log_in(client, "teller_a", f"Wrong-Password-{attempt}")

    response = log_in(client, "teller_a", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)
    assert not events("auth.locked_out").exists()


def test_it_locks_the_account_not_the_address_so_colleagues_can_still_sign_in(
    world: World,
) -> None:
    client = Client()
    for attempt in range(5):
        log_in(client, "teller_a", f"Wrong-Password-{attempt}")

    colleague = Client()
    response = log_in(colleague, "teller_b", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(colleague)
    assert events("auth.login", actor_id=world.teller_b.pk).count() == 1


# --- Password hashing ---------------------------------------------------------------------


def test_it_hashes_passwords_with_argon2_in_the_real_settings() -> None:
    assert real_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_it_stores_an_argon2_hash_under_the_real_hashers() -> None:
    with override_settings(PASSWORD_HASHERS=real_settings.PASSWORD_HASHERS):
        encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$")
    assert PASSWORD not in encoded


# --- Second factor ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SECOND_FACTOR_ROLES)
def test_it_sends_roles_that_need_a_second_factor_to_the_set_up_page_after_log_in(
    world: World, persona: str
) -> None:
    user = getattr(world, persona)
    client = Client()

    response = log_in(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/setup/")
    assert is_signed_in(client)


@pytest.mark.parametrize("persona", SECOND_FACTOR_ROLES)
def test_it_keeps_unverified_users_of_those_roles_on_the_otp_pages(
    world: World, persona: str
) -> None:
    client = signed_in_without_second_factor(getattr(world, persona))

    response = client.get("/org/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/")


@pytest.mark.parametrize("persona", SECOND_FACTOR_ROLES)
def test_it_refuses_api_calls_of_unverified_users_of_those_roles(
    world: World, persona: str
) -> None:
    client = signed_in_without_second_factor(getattr(world, persona))

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "second_factor_required"


def test_it_does_not_ask_a_teller_for_a_second_factor(world: World) -> None:
    client = Client()

    login = log_in(client, "teller_a", PASSWORD)
    home = client.get("/")
    me = client.get("/api/v1/me")

    assert login["Location"] == "/"
    assert home.status_code == 200
    assert me.status_code == 200
    assert me.json()["username"] == "teller_a"
    assert not TOTPDevice.objects.filter(user=world.teller_a).exists()


def test_it_enrols_a_device_when_the_right_code_is_posted_on_the_set_up_page(
    world: World,
) -> None:
    client = signed_in_without_second_factor(world.head)
    assert client.get("/accounts/otp/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=world.head)
    assert not device.confirmed

    response = client.post("/accounts/otp/setup/", {"code": current_code(device), "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert events("auth.second_factor_enrolled", actor_id=world.head.pk).count() == 1
    assert client.get("/org/staff/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_it_does_not_enrol_a_device_when_a_wrong_code_is_posted(world: World) -> None:
    client = signed_in_without_second_factor(world.head)
    client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=world.head)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/otp/setup/", {"code": wrong, "next": "/"})

    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    assert not events("auth.second_factor_enrolled").exists()
    assert client.get("/api/v1/me").json()["error"]["code"] == "second_factor_required"


def test_it_verifies_an_enrolled_device_after_log_in(world: World) -> None:
    device = TOTPDevice.objects.create(user=world.admin, name="phone", confirmed=True)
    client = Client()

    login = log_in(client, "admin", PASSWORD)
    verify = client.post("/accounts/otp/verify/", {"code": current_code(device), "next": "/"})

    assert login["Location"].startswith("/accounts/otp/verify/")
    assert verify.status_code == 302
    assert events("auth.second_factor", actor_id=world.admin.pk).count() == 1
    assert client.get("/api/v1/me").status_code == 200


# --- Session lifetimes --------------------------------------------------------------------


def _age_login(client: Client, minutes: float) -> None:
    session = client.session
    session["pd_login_at"] = time.time() - minutes * 60
    session.save()


def test_it_ends_a_session_after_the_absolute_time_out_however_busy(world: World) -> None:
    client = signed_in(world.teller_a)
    _age_login(client, settings.POLICYDESK_SESSION_ABSOLUTE_MINUTES + 1)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not is_signed_in(client)
    assert events("auth.session_expired", actor_id=world.teller_a.pk).count() == 1
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_it_answers_an_api_call_of_an_expired_session_with_json(world: World) -> None:
    client = signed_in(world.teller_a)
    _age_login(client, settings.POLICYDESK_SESSION_ABSOLUTE_MINUTES + 1)

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"
    assert events("auth.session_expired", actor_id=world.teller_a.pk).count() == 1


def test_it_keeps_a_session_that_is_younger_than_the_absolute_time_out(world: World) -> None:
    client = signed_in(world.teller_a)
    _age_login(client, settings.POLICYDESK_SESSION_ABSOLUTE_MINUTES - 1)

    response = client.get("/")

    assert response.status_code == 200
    assert is_signed_in(client)
    assert not events("auth.session_expired").exists()


def test_it_configures_an_idle_time_out_renewed_at_most_once_a_minute() -> None:
    assert real_settings.SESSION_COOKIE_AGE == 30 * 60
    assert real_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert real_settings.POLICYDESK_SESSION_RENEW_SECONDS == 60


def _renewed_long_ago(client: Client, key: str) -> None:
    """The last renewal a minute and more ago, the expiry one minute away."""
    session = client.session
    session[RENEWED_AT_KEY] = time.time() - settings.POLICYDESK_SESSION_RENEW_SECONDS - 1
    session.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))


def test_it_pushes_the_idle_expiry_back_once_the_last_renewal_is_a_minute_old(
    world: World,
) -> None:
    client = signed_in(world.teller_a)
    key = client.session.session_key
    _renewed_long_ago(client, key)

    assert client.get("/").status_code == 200

    expiry = Session.objects.get(pk=key).expire_date
    expected = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((expiry - expected).total_seconds()) < 60


def test_it_does_not_write_the_session_again_within_the_minute(world: World) -> None:
    client = signed_in(world.teller_a)
    key = client.session.session_key
    renewed = Session.objects.get(pk=key).expire_date  # set at the log-in

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200

    session_sql = [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]]
    assert session_sql and all(sql.lstrip().upper().startswith("SELECT") for sql in session_sql)
    assert Session.objects.get(pk=key).expire_date == renewed


def test_it_signs_out_a_session_that_was_idle_too_long(world: World) -> None:
    client = signed_in(world.teller_a)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# --- Disabling an account -----------------------------------------------------------------


def test_disabling_an_account_ends_its_open_sessions_and_is_audited(world: World) -> None:
    client = Client()
    log_in(client, "teller_a", PASSWORD)
    key = client.session.session_key
    assert client.get("/").status_code == 200

    services.staff_disable(staff=world.teller_a, reason="Left the company", by=world.admin)

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not Session.objects.filter(pk=key).exists()
    assert not StaffSession.objects.filter(staff=world.teller_a).exists()
    event = events("org.staff.disable", object_id=str(world.teller_a.pk)).get()
    assert event.actor_id == world.admin.pk
    assert event.after["reason"] == "Left the company"
    assert event.after["sessions_ended"] == 1


def test_disabling_an_account_signs_out_a_session_opened_without_the_log_in_page(
    world: World,
) -> None:
    client = signed_in(world.teller_a)
    assert client.get("/").status_code == 200

    services.staff_disable(staff=world.teller_a, reason="Left the company", by=world.admin)

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert client.get("/api/v1/me").status_code == 401


def test_disabling_an_account_leaves_other_staff_signed_in(world: World) -> None:
    other = Client()
    log_in(other, "teller_b", PASSWORD)

    services.staff_disable(staff=world.teller_a, reason="Left the company", by=world.admin)

    assert other.get("/").status_code == 200
    assert StaffSession.objects.filter(staff=world.teller_b).count() == 1

"""Personas shared by the whole suite: a tree of branches and staff in two of them.

hq (head office) ── city ─┬─ branch_a  (teller_a, manager_a)
                          └─ branch_b  (teller_b)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.org.models import Branch, Role, Staff
from tests import factories


@dataclass
class World:
    hq: Branch
    city: Branch
    branch_a: Branch
    branch_b: Branch
    teller_a: Staff
    teller_b: Staff
    manager_a: Staff
    manager_b: Staff
    head: Staff
    auditor: Staff
    admin: Staff


@pytest.fixture
def world(db: Any) -> World:
    hq = factories.branch("hq", kind="head_office")
    city = factories.branch("city", parent=hq, kind="city")
    branch_a = factories.branch("branch-a", parent=city)
    branch_b = factories.branch("branch-b", parent=city)
    return World(
        hq=hq,
        city=city,
        branch_a=branch_a,
        branch_b=branch_b,
        teller_a=factories.staff(Role.FRONT_TELLER, branch_a, username="teller_a"),
        teller_b=factories.staff(Role.FRONT_TELLER, branch_b, username="teller_b"),
        manager_a=factories.staff(Role.COUNTER_MANAGER, branch_a, username="manager_a"),
        manager_b=factories.staff(Role.COUNTER_MANAGER, branch_b, username="manager_b"),
        head=factories.staff(Role.HEAD_OF_SERVICE, hq, username="head"),
        auditor=factories.staff(Role.AUDITOR, hq, username="auditor"),
        admin=factories.staff(Role.ADMINISTRATOR, hq, username="admin"),
    )


def signed_in(user: Staff) -> Client:
    """A browser session for the user, second factor already verified where required."""
    client = Client()
    client.force_login(user)
    session = client.session
    import time

    # As the log-in view leaves it: signed in and the idle expiry just set.
    session["pd_login_at"] = session["pd_renewed_at"] = time.time()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for() -> Any:
    return signed_in


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is the production hasher (tested in test_settings); tests hash hundreds of
    # passwords and would spend most of their time there.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

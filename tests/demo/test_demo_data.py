"""The demo data: one login per role, loaded through the services, kept on reload."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.core.audit import audit_verify
from policydesk.core.models import AuditEvent
from policydesk.demo.organisation import DEMO_PASSWORD
from policydesk.org.models import Branch, Role, Staff

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_login_for_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "load", customers=40)
    roles = set(Staff.objects.filter(is_demo=True).values_list("role", flat=True))
    assert roles == set(Role.values)
    call_command("demo", "logins")
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for username in ("teller", "head", "auditor", "admin", "lc-teller"):
        assert username in printed
    assert Staff.objects.get(username="teller").check_password(DEMO_PASSWORD)


def test_the_seed_branch_has_five_front_tellers_and_sits_under_the_city_branch() -> None:
    call_command("demo", "load", customers=40)
    xianyou = Branch.objects.get(code="xy")
    assert xianyou.parent is not None and xianyou.parent.code == "pt"
    assert Staff.objects.filter(branch=xianyou, role=Role.FRONT_TELLER).count() == 5
    assert xianyou.path.startswith(Branch.objects.get(code="hq").path)
    assert Branch.objects.get(code="hk").timezone == "Asia/Hong_Kong"


def test_loading_again_keeps_the_existing_data() -> None:
    call_command("demo", "load", customers=40)
    staff = Staff.objects.get(username="teller")
    staff.display_name = "Changed by a user"
    staff.save()
    events = AuditEvent.objects.count()
    call_command("demo", "load", customers=40)
    assert Staff.objects.get(username="teller").display_name == "Changed by a user"
    assert AuditEvent.objects.count() == events


def test_the_demo_is_loaded_through_audited_services() -> None:
    call_command("demo", "load", customers=40)
    created = AuditEvent.objects.filter(action="org.staff.create").count()
    assert created == Staff.objects.filter(is_demo=True).count()
    assert audit_verify().ok


def test_otp_code_prints_the_current_code_of_a_demo_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo", "load", customers=40)
    capsys.readouterr()
    call_command("demo", "otp-code", "head")
    device = TOTPDevice.objects.get(user__username="head")
    printed = capsys.readouterr().out.strip()
    assert printed == str(totp(device.bin_key)).zfill(6)


def test_otp_code_refuses_an_account_that_is_not_a_demo_account() -> None:
    call_command("demo", "load", customers=40)
    Staff.objects.filter(username="head").update(is_demo=False)
    with pytest.raises(CommandError):
        call_command("demo", "otp-code", "head")

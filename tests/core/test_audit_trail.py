"""The audit trail: what a write records, that rows cannot change, that tampering is found."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from policydesk.core.audit import GENESIS_HASH, audit_record, audit_verify
from policydesk.core.models import AuditEvent
from policydesk.core.request_context import RequestContext, bound_context
from policydesk.org import services
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list[object]) -> None:
    """What an intruder with database access does: drop the guard, edit, put it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
            cursor.execute(sql, params)


def test_a_service_write_records_who_what_before_after_and_where(world: World) -> None:
    with bound_context(RequestContext(request_id="req-12345678", client_address="10.1.2.3")):
        services.staff_update(
            staff=world.teller_a, changes={"display_name": "New Name"}, by=world.admin
        )
    event = AuditEvent.objects.filter(action="org.staff.update").latest("id")
    assert event.actor_id == world.admin.pk
    assert event.object_type == "org.staff"
    assert event.object_id == str(world.teller_a.pk)
    assert event.branch_id == world.branch_a.pk
    assert event.before["display_name"] != "New Name"
    assert event.after["display_name"] == "New Name"
    assert event.request_id == "req-12345678"
    assert event.client_address == "10.1.2.3"
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_personal_data_is_masked_in_before_and_after_values(world: World) -> None:
    services.staff_update(
        staff=world.teller_a, changes={"email": "lin.xiuying@example.cn"}, by=world.admin
    )
    event = AuditEvent.objects.filter(action="org.staff.update").latest("id")
    assert "lin.xiuying@example.cn" not in str(event.after)
    assert event.after["email"] == "l***@example.cn"
    audit_record(
        action="test.mask", after={"mobile": "13812345678", "id_number": "350322199001011234"}
    )
    masked = AuditEvent.objects.latest("id").after
    assert masked == {"mobile": "*******5678", "id_number": "**************1234"}


def test_the_database_refuses_to_update_an_audit_event(world: World) -> None:
    event = AuditEvent.objects.latest("id")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_the_database_refuses_to_delete_an_audit_event(world: World) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=AuditEvent.objects.latest("id").pk).delete()
    assert AuditEvent.objects.count() == count


def test_each_event_is_chained_to_the_previous_one(world: World) -> None:
    events = list(AuditEvent.objects.order_by("id"))
    assert events[0].previous_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(events):
        assert event.previous_hash == previous.hash
    assert audit_verify().ok


def test_verify_finds_an_altered_row(world: World) -> None:
    target = AuditEvent.objects.filter(action="org.staff.create").order_by("id")[1]
    _tamper(
        "UPDATE core_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", target.pk]
    )
    result = audit_verify()
    assert not result.ok
    assert result.breaks[0].event_id == target.pk
    assert "altered" in result.breaks[0].reason


def test_verify_finds_a_removed_row(world: World) -> None:
    events = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    removed = events[3]
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [removed])
    result = audit_verify()
    assert not result.ok
    assert result.breaks[0].event_id == events[4]


def test_the_verify_command_reports_tampering_and_fails(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out
    target = AuditEvent.objects.order_by("id")[2]
    _tamper("UPDATE core_auditevent SET after = %s WHERE id = %s", ['{"forged": true}', target.pk])
    with pytest.raises(CommandError, match="Audit chain broken"):
        call_command("audit", "verify")
    assert f"event {target.pk}" in capsys.readouterr().err


def test_failed_log_ins_and_refused_accesses_are_audited(world: World, client_for: object) -> None:
    from django.test import Client

    Client().post("/accounts/login/", {"username": "teller_a", "password": "wrong"})
    assert AuditEvent.objects.filter(action="auth.login_failed", object_label="teller_a").exists()
    client = client_for(world.teller_a)  # type: ignore[operator]
    assert client.get("/org/staff/").status_code == 403
    refused = AuditEvent.objects.filter(action="access.refused").latest("id")
    assert refused.actor_id == world.teller_a.pk
    assert refused.object_id == "/org/staff/"
    assert refused.after == {"reason": "action:org.staff.view"}


def test_an_object_of_another_branch_answers_404_and_is_audited(
    world: World, client_for: object
) -> None:
    other = factories.staff(Role.BACK_OFFICE, world.branch_b)
    client = client_for(world.manager_a)  # type: ignore[operator]
    assert client.get(f"/org/staff/{other.pk}/").status_code == 404
    refused = AuditEvent.objects.filter(action="access.refused").latest("id")
    assert refused.after == {"reason": "out_of_scope_or_missing"}

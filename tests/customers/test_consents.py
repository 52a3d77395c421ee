"""Consents are history: each decision is a new row with its source; the latest decides."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import AuditEvent
from policydesk.customers import services
from policydesk.customers.models import Consent, Customer, DoNotCall
from tests import factories
from tests.conftest import World


def current(customer: Customer, purpose: str, channel: str) -> Consent | None:
    """The deciding row: the latest per purpose and channel (as the customer page reads it)."""
    return (
        Consent.objects.filter(customer=customer, purpose=purpose, channel=channel)
        .order_by("-recorded_at", "-id")
        .first()
    )


def record(customer: Customer, granted: bool, minutes: int, **extra: str) -> Consent:
    return services.consent_record(
        customer=customer,
        purpose="marketing",
        channel="phone",
        granted=granted,
        source=extra.pop("source", "counter form"),
        recorded_at=timezone.now() - dt.timedelta(minutes=minutes),
        by=None,
        **extra,
    )


def test_grant_withdraw_and_grant_again_keeps_three_rows_and_the_latest_decides(
    world: World,
) -> None:
    customer = factories.customer(world.branch_a)
    record(customer, True, minutes=30)
    withdrawal = record(customer, False, minutes=20)
    assert current(customer, "marketing", "phone") == withdrawal
    again = record(customer, True, minutes=10, source="app")

    rows = Consent.objects.filter(customer=customer).order_by("recorded_at")
    assert [row.granted for row in rows] == [True, False, True]
    assert current(customer, "marketing", "phone") == again
    assert list(
        AuditEvent.objects.filter(object_type="customers.consent")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["customers.consent.grant", "customers.consent.withdraw", "customers.consent.grant"]


def test_recording_a_decision_never_changes_the_earlier_rows(world: World) -> None:
    customer = factories.customer(world.branch_a)
    record(customer, True, minutes=30)
    record(customer, False, minutes=20)
    before = list(Consent.objects.order_by("id").values())

    record(customer, True, minutes=10)

    after = list(Consent.objects.order_by("id").values())
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1


def test_consent_for_one_channel_says_nothing_about_another(world: World) -> None:
    customer = factories.customer(world.branch_a)
    record(customer, False, minutes=10)
    services.consent_record(
        customer=customer, purpose="marketing", channel="sms", granted=True, source="app", by=None
    )
    phone, sms = current(customer, "marketing", "phone"), current(customer, "marketing", "sms")
    assert phone is not None and phone.granted is False
    assert sms is not None and sms.granted is True


@pytest.mark.parametrize("source", ["", "   "])
def test_a_consent_needs_a_source(world: World, source: str) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        record(customer, True, minutes=0, source=source)
    assert refused.value.field == "source"
    assert not Consent.objects.exists()


def test_an_unknown_purpose_is_refused(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.consent_record(
            customer=customer, purpose="gossip", channel="phone", granted=True, source="x", by=None
        )
    assert refused.value.field == "purpose"
    assert not Consent.objects.exists()


def test_the_staff_member_who_recorded_it_is_kept(world: World) -> None:
    customer = factories.customer(world.branch_a)
    row = services.consent_record(
        customer=customer,
        purpose="sensitive_data",
        channel="any",
        granted=True,
        source="application form",
        evidence="scan 2026-0001",
        by=world.teller_a,
    )
    assert row.recorded_by == world.teller_a
    event = AuditEvent.objects.get(object_id=str(row.pk), object_type="customers.consent")
    assert event.actor_id == world.teller_a.pk


def test_a_role_without_customers_manage_cannot_record_consent(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(PermissionRefused):
        services.consent_record(
            customer=customer,
            purpose="marketing",
            channel="phone",
            granted=True,
            source="counter",
            by=world.auditor,
        )
    assert not Consent.objects.exists()


def test_do_not_call_ending_before_it_starts_is_refused(world: World) -> None:
    customer = factories.customer(world.branch_a)
    with pytest.raises(DomainError) as refused:
        services.do_not_call_add(
            e164="+8613812345678",
            reason="refused a sales call",
            starts_on=dt.date(2026, 3, 1),
            ends_on=dt.date(2026, 2, 28),
            customer=customer,
            by=None,
        )
    assert refused.value.field == "ends_on"
    assert not DoNotCall.objects.exists()


def test_do_not_call_for_six_months_is_recorded_with_the_number_masked_in_the_audit(
    world: World,
) -> None:
    customer = factories.customer(world.branch_a)
    entry = services.do_not_call_add(
        e164="+8613812345678",
        reason="refused a sales call",
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 9, 1),
        customer=customer,
        by=world.teller_a,
    )
    assert entry.ends_on == dt.date(2026, 9, 1)
    event = AuditEvent.objects.get(action="customers.do_not_call.add")
    assert "13812345678" not in str(event.after)

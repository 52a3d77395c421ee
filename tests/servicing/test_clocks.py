"""The servicing clocks: a complete application accepted within 2 working days; an
incomplete one gets the one-time correction notice within 5; done within 5 working days of
approval or of full payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from policydesk.core.errors import DomainError
from policydesk.policies import services as policy_services
from policydesk.servicing import services

from .conftest import SHANGHAI, Desk, apply, at


def _last_day(moment: dt.datetime | None) -> dt.date:
    assert moment is not None
    return (moment.astimezone(SHANGHAI) - dt.timedelta(microseconds=1)).date()


def test_a_complete_application_must_be_accepted_within_two_working_days(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    assert item.case.state.code == "received"
    # Received Tuesday 1 September: due at the end of Thursday 3 September.
    assert _last_day(item.accept_due_at) == dt.date(2026, 9, 3)
    assert item.notice_due_at is None
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(2, hour=16))
    assert item.accepted_on_time is True
    assert item.case.clocks.get(code="acceptance").met is True


def test_an_acceptance_after_two_working_days_counts_as_late(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(3))
    assert item.accepted_on_time is False


def test_an_incomplete_application_gets_one_correction_notice_within_five_working_days(
    desk: Desk,
) -> None:
    item = apply(
        desk,
        "bank-account-change",
        details={"bank_name": "Bank", "account_number": "6222020000001111"},
        documents=["application-form"],
    )
    assert item.case.state.code == "received-incomplete"
    assert item.accept_due_at is None
    assert _last_day(item.notice_due_at) == dt.date(2026, 9, 8)  # Tue + 5 working days
    assert not item.case.clocks.filter(code="acceptance").exists()
    item = services.servicing_item_notify_correction(item=item, by=desk.teller, at=at(6))
    assert item.accepted_on_time is True
    # The notice names every missing document at once.
    assert (
        "Policyholder's ID document" in item.correction_text
        or "投保人身份证件" in item.correction_text
    )
    assert item.case.state.code == "correction"
    with pytest.raises(DomainError) as refused:
        services.servicing_item_correct(
            item=item, documents=["id-policyholder"], by=desk.teller, at=at(8)
        )
    assert refused.value.code == "servicing_documents_missing"
    item = services.servicing_item_correct(
        item=item, documents=["id-policyholder", "bank-card"], by=desk.teller, at=at(8)
    )
    assert item.case.state.code == "review" and item.accepted_at == at(8)


def test_a_late_correction_notice_counts_as_not_accepted_on_time(desk: Desk) -> None:
    item = apply(
        desk,
        "contact-change",
        details={"kind": "email", "value": "lin@example.cn"},
        documents=[],
    )
    item = services.servicing_item_notify_correction(item=item, by=desk.teller, at=at(8))
    assert item.accepted_on_time is False


def test_completion_is_due_five_working_days_after_approval(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(0, hour=11))
    item = services.servicing_item_approve(item=item, by=desk.back_office, at=at(1))
    assert _last_day(item.complete_due_at) == dt.date(2026, 9, 9)  # Wed + 5 working days
    item = services.servicing_item_complete(item=item, by=desk.back_office, at=at(8, hour=15))
    assert item.completed_on_time is True
    assert item.duration_working_days == 6


def test_completion_of_a_paid_item_runs_from_full_payment_not_approval(desk: Desk) -> None:
    policy_services.policy_change_status(
        policy=desk.policy, to_status="in_grace", changed_on=dt.date(2026, 3, 1), by=None
    )
    policy_services.policy_change_status(
        policy=desk.policy, to_status="lapsed", changed_on=dt.date(2026, 5, 1), by=None
    )
    item = apply(desk, "reinstatement")
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(0, hour=11))
    item = services.servicing_item_approve(
        item=item, by=desk.back_office, at=at(1), amount=Decimal("2600.00")
    )
    assert item.case.state.code == "awaiting-payment"
    assert item.complete_due_at is None
    with pytest.raises(DomainError) as short:
        services.servicing_item_record_payment(
            item=item, amount=Decimal("2000.00"), by=desk.teller, at=at(6)
        )
    assert short.value.code == "servicing_payment_short"
    item = services.servicing_item_record_payment(
        item=item, amount=Decimal("2600.00"), by=desk.teller, at=at(7)
    )
    # Paid Tuesday 8 September: done by the end of Tuesday 15 September.
    assert _last_day(item.complete_due_at) == dt.date(2026, 9, 15)
    item = services.servicing_item_complete(item=item, by=desk.back_office, at=at(13))
    assert item.completed_on_time is True


def test_a_completion_after_five_working_days_counts_as_late(desk: Desk) -> None:
    item = apply(desk, "contact-change", details={"kind": "email", "value": "lin@example.cn"})
    item = services.servicing_item_accept(item=item, by=desk.teller, at=at(0, hour=11))
    item = services.servicing_item_approve(item=item, by=desk.back_office, at=at(0, hour=12))
    item = services.servicing_item_complete(item=item, by=desk.back_office, at=at(9))
    assert item.completed_on_time is False

"""Exits from the pipeline: withdrawn (撤单), returned and refunded (退单), declined and
postponed, each with a reason code of exit_reasons.toml."""

from __future__ import annotations

import pytest

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.newbusiness import services
from policydesk.newbusiness.models import Application

from .conftest import Desk, at_day, clock, register, to_review, to_underwriting


def test_an_application_is_withdrawn_with_its_reason_code(desk: Desk) -> None:
    application = register(desk)
    application = services.application_exit(
        application=application,
        kind="withdrawn",
        reason="customer-changed-mind",
        note="bought elsewhere",
        by=desk.world.teller_a,
        at=at_day(1),
    )
    assert (application.exit_kind, application.exit_reason) == (
        "withdrawn",
        "customer-changed-mind",
    )
    assert application.stage == "withdrawn" and application.case.category == "closed"
    assert not application.is_open
    assert not clock(application, "issue-no-exam").is_running
    last = application.case.events.filter(type="transitioned").order_by("-id").first()
    assert last is not None and "bought elsewhere" in last.body


def test_a_returned_application_is_refunded_with_its_reason_code(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    application = services.application_exit(
        application=application,
        kind="refunded",
        reason="key-field-altered",
        by=desk.world.teller_a,
        at=at_day(1),
    )
    assert (application.stage, application.exit_reason) == ("refunded", "key-field-altered")


def test_underwriting_declines_with_its_reason_code(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk), at_day(0))
    application = services.application_exit(
        application=application,
        kind="declined",
        reason="health",
        by=desk.underwriter,
        at=at_day(2),
    )
    assert (application.stage, application.exit_reason) == ("declined", "health")


def test_underwriting_postpones_after_the_exam_and_the_decision_clock_stops(desk: Desk) -> None:
    import datetime as dt

    application = to_underwriting(desk, register(desk), at_day(0))
    application = services.application_order_exam(
        application=application,
        appointment_at=at_day(3),
        place="County hospital",
        by=desk.underwriter,
        at=at_day(1),
    )
    application = services.application_exam_report(
        application=application, by=desk.underwriter, at=at_day(6)
    )
    application = services.application_exit(
        application=application,
        kind="postponed",
        reason="pending-tests",
        by=desk.underwriter,
        at=at_day(7),
    )
    assert (application.stage, application.exit_reason) == ("postponed", "pending-tests")
    decision = clock(application, "exam-decision")
    assert decision.met is True and not decision.is_running
    assert isinstance(application.exited_at, dt.datetime)


def test_a_teller_may_not_decline_and_nothing_changes(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk), at_day(0))
    with pytest.raises(PermissionRefused):
        services.application_exit(
            application=application, kind="declined", reason="health", by=desk.world.teller_a
        )
    application.refresh_from_db()
    assert application.stage == "underwriting" and application.exit_kind == ""


def test_an_unknown_reason_is_refused_and_nothing_changes(desk: Desk) -> None:
    application = register(desk)
    with pytest.raises(DomainError) as refused:
        services.application_exit(
            application=application, kind="withdrawn", reason="health", by=desk.world.teller_a
        )
    assert refused.value.code == "exit_reason_unknown" and refused.value.field == "reason"
    assert Application.objects.get(pk=application.pk).exit_kind == ""


def test_an_exit_not_possible_from_the_stage_is_refused(desk: Desk) -> None:
    application = register(desk)
    with pytest.raises(DomainError) as refused:
        services.application_exit(
            application=application, kind="declined", reason="health", by=desk.underwriter
        )
    assert refused.value.code == "application_stage"
    assert Application.objects.get(pk=application.pk).stage == "received"

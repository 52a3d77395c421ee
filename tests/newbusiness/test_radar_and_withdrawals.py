"""The stalled radar (契约滞留: age in the stage against its threshold, the owner, whom to
chase, one-click reminder) and the daily list of applications to withdraw."""

from __future__ import annotations

import pytest

from policydesk.core.audit import AuditEvent
from policydesk.newbusiness import selectors, services
from policydesk.newbusiness.models import Reminder

from .conftest import Desk, at_day, register, to_underwriting


def test_the_radar_lists_applications_older_than_their_stage_threshold(desk: Desk) -> None:
    stalled = to_underwriting(desk, register(desk), at_day(0))  # underwriting: 3 working days
    fresh = to_underwriting(desk, register(desk, at=at_day(6)), at_day(6))
    radar = selectors.stalled_radar(desk.world.teller_a, now=at_day(6, hour=15))
    ids = [row.application.pk for row in radar.rows]
    assert stalled.pk in ids and fresh.pk not in ids
    row = next(r for r in radar.rows if r.application.pk == stalled.pk)
    assert (row.age_working_days, row.threshold) == (4, 3)  # Wed Thu Fri Mon
    assert row.chase == "agent" and "Agent Lin" in row.chase_label
    stage = next(s for s in radar.by_stage if s.stage == "underwriting")
    assert (stage.open, stage.stalled) == (2, 1)
    assert (radar.open_total, radar.stalled_total) == (2, 1)


def test_the_radar_shows_nothing_of_another_branch(desk: Desk) -> None:
    to_underwriting(desk, register(desk), at_day(0))
    radar = selectors.stalled_radar(desk.world.manager_b, now=at_day(10))
    assert radar.rows == [] and radar.open_total == 0


def test_a_one_click_reminder_records_whom_it_chased(desk: Desk) -> None:
    application = to_underwriting(desk, register(desk), at_day(0))
    reminder = services.application_remind(
        application=application, by=desk.world.teller_a, note="exam papers", at=at_day(5)
    )
    assert reminder.agent == desk.agent and reminder.stage == "underwriting"
    event = application.case.events.filter(type="commented").order_by("-id").first()
    assert event is not None and event.parameters["agent"] == "AG-101"
    assert "Agent Lin" in event.body
    audit = AuditEvent.objects.filter(action="newbusiness.application.remind").get()
    assert audit.after["chased"] == "AG-101 Agent Lin"


def test_a_finished_application_cannot_be_chased(desk: Desk) -> None:
    from policydesk.core.errors import DomainError

    application = services.application_exit(
        application=register(desk), kind="withdrawn", reason="duplicate", by=desk.world.teller_a
    )
    with pytest.raises(DomainError):
        services.application_remind(application=application, by=desk.world.teller_a)
    assert not Reminder.objects.exists()


def _awaiting_premium(desk: Desk, days: int = 0):  # type: ignore[no-untyped-def]
    application = to_underwriting(desk, register(desk, at=at_day(days)), at_day(days))
    return services.application_accept(
        application=application, by=desk.underwriter, at=at_day(days)
    )


def test_a_refused_premium_puts_the_application_on_the_withdrawal_list_after_three_days(
    desk: Desk,
) -> None:
    refused = _awaiting_premium(desk)
    services.application_premium_problem(
        application=refused,
        refused=True,
        by=desk.world.teller_a,
        at=at_day(1),  # Wednesday
    )
    waiting = _awaiting_premium(desk)
    assert selectors.withdrawal_list(desk.world.teller_a, now=at_day(3)) == []  # Friday
    rows = selectors.withdrawal_list(desk.world.teller_a, now=at_day(6))  # Monday
    assert [row.application.pk for row in rows] == [refused.pk]
    assert rows[0].cause == "refused" and rows[0].suggested_reason == "premium-refused"
    assert waiting.pk not in [row.application.pk for row in rows]


def test_repeated_collection_failures_count_as_refusal(desk: Desk) -> None:
    application = _awaiting_premium(desk)
    for day in (1, 2):
        application = services.application_premium_problem(
            application=application, refused=False, by=desk.world.teller_a, at=at_day(day)
        )
    rows = selectors.withdrawal_list(desk.world.teller_a, now=at_day(8))
    assert rows and rows[0].cause == "collection_failed"
    assert rows[0].suggested_reason == "collection-failed"


def test_an_application_waiting_too_long_for_premium_is_listed(desk: Desk) -> None:
    application = _awaiting_premium(desk)
    rows = selectors.withdrawal_list(desk.world.teller_a, now=at_day(16))  # 11 working days
    assert [(r.application.pk, r.cause) for r in rows] == [(application.pk, "waited_too_long")]


def test_withdrawing_from_the_list_takes_it_off(desk: Desk) -> None:
    application = _awaiting_premium(desk)
    services.application_premium_problem(
        application=application, refused=True, by=desk.world.teller_a, at=at_day(1)
    )
    services.application_exit(
        application=application,
        kind="withdrawn",
        reason="premium-refused",
        by=desk.world.teller_a,
        at=at_day(6),
    )
    assert selectors.withdrawal_list(desk.world.teller_a, now=at_day(7)) == []

"""SLA clocks: pauses, extensions, SLA changes, day counting and the regulatory deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.core import sla_clock
from policydesk.core.business_time import WorkingCalendar
from policydesk.core.sla_clock import (
    ClockError,
    ClockEvent,
    ClockEventKind,
    ClockExtensionError,
    ClockMode,
    ClockOrderError,
    ClockSpec,
    ClockState,
    ClockTransitionError,
    replay,
)

CN = WorkingCalendar.standard("CN")
HK = WorkingCalendar.standard("HK")
LONDON = WorkingCalendar.standard("NONE", "Europe/London")
NEW_YORK = WorkingCalendar.standard("NONE", "America/New_York")
HOUR = dt.timedelta(hours=1)
EIGHT_HOURS = ClockSpec.business_hours(8 * HOUR, code="first_response")
HEAD_OF_SERVICE = 7  # an approver's staff id


def cn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CN.zone)


# --- Business-hours clocks -------------------------------------------------------------------


def test_a_business_hours_clock_is_due_after_its_target_of_working_time() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0))
    status = clock.status(cn(2025, 10, 20, 11, 0), CN)
    assert status.due_at == cn(2025, 10, 21, 10, 30)  # 6 h on Monday, 2 h from 08:30 Tuesday
    assert status.elapsed == HOUR and status.remaining == 7 * HOUR
    assert status.running and not status.paused and not status.breached and not status.warning
    assert status.due_on is None and status.met is None


def test_it_pauses_the_clock_while_waiting_for_the_customer_and_keeps_the_paused_time() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0))
    clock = clock.pause(cn(2025, 10, 20, 11, 0), CN)
    clock = clock.resume(cn(2025, 10, 21, 9, 0))
    status = clock.status(cn(2025, 10, 21, 9, 0), CN)
    assert clock.paused_total == 22 * HOUR
    assert status.paused_total == 22 * HOUR
    assert status.elapsed == HOUR
    # 7 h left from Tuesday 09:00: 3 h to noon, 4 h after lunch.
    assert status.due_at == cn(2025, 10, 21, 17, 30)


def test_while_paused_the_due_time_is_projected_as_if_the_clock_resumed_now() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 20, 11, 0), CN
    )
    status = clock.status(cn(2025, 10, 22, 9, 0), CN)
    assert status.paused and not status.running
    assert status.due_at == CN.add(cn(2025, 10, 22, 9, 0), 7 * HOUR)
    assert status.paused_total == dt.timedelta(days=1, hours=22)


def test_the_clock_warns_when_a_fifth_of_the_target_or_less_remains() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 8, 30))
    assert clock.status(cn(2025, 10, 20, 15, 0), CN).warning_at == cn(2025, 10, 20, 16, 24)
    assert not clock.status(cn(2025, 10, 20, 15, 0), CN).warning  # 5 h elapsed, 3 h left
    assert not clock.status(cn(2025, 10, 20, 16, 23), CN).warning  # 1 h 37 min left
    assert clock.status(cn(2025, 10, 20, 16, 24), CN).warning  # 1 h 36 min: 20 % of 8 h


def test_a_clock_past_its_due_time_is_breached_and_says_how_late() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 8, 30))
    status = clock.status(cn(2025, 10, 21, 14, 0), CN)
    assert status.due_at == cn(2025, 10, 21, 9, 0)
    assert status.breached and not status.warning
    assert status.late_by == dt.timedelta(hours=5)
    assert status.remaining == -dt.timedelta(hours=3, minutes=30)
    assert status.time_left == -dt.timedelta(hours=5)


def test_a_clock_whose_time_ran_out_at_noon_is_breached_during_lunch() -> None:
    clock = ClockState.start(ClockSpec.business_hours(3 * HOUR), cn(2025, 10, 20, 9, 0))
    at_noon = clock.status(cn(2025, 10, 20, 12, 0), CN)
    assert at_noon.due_at == cn(2025, 10, 20, 12, 0) and not at_noon.breached
    lunch = clock.status(cn(2025, 10, 20, 12, 30), CN)
    assert lunch.breached and lunch.remaining == dt.timedelta(0)
    assert lunch.late_by == dt.timedelta(minutes=30)


def test_a_clock_stopped_before_its_due_time_is_met() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).stop(cn(2025, 10, 21, 9, 0), CN)
    status = clock.status(cn(2025, 10, 30, 9, 0), CN)
    assert status.stopped and status.met and not status.breached and not status.warning
    assert status.due_at == cn(2025, 10, 21, 10, 30)
    assert status.elapsed == dt.timedelta(hours=6, minutes=30)


def test_a_clock_stopped_after_its_due_time_is_not_met_and_keeps_its_lateness() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).stop(cn(2025, 10, 21, 11, 0), CN)
    status = clock.status(cn(2025, 11, 30, 9, 0), CN)
    assert status.met is False and status.breached
    assert status.late_by == dt.timedelta(minutes=30)


def test_a_clock_stopped_while_paused_adds_the_pause_to_the_paused_time() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 20, 11, 0), CN
    )
    clock = clock.stop(cn(2025, 10, 20, 15, 0), CN)
    assert clock.paused_total == 4 * HOUR and clock.paused_since is None
    assert clock.status(cn(2025, 10, 21, 0, 0), CN).met


# --- Event errors ----------------------------------------------------------------------------


def test_pausing_a_paused_clock_is_refused() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 20, 11, 0), CN
    )
    with pytest.raises(ClockTransitionError, match="already paused") as caught:
        clock.pause(cn(2025, 10, 20, 12, 0), CN)
    assert caught.value.code == "clock_invalid_transition"


def test_resuming_a_running_clock_is_refused() -> None:
    with pytest.raises(ClockTransitionError, match="running"):
        ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).resume(cn(2025, 10, 20, 11, 0))


def test_nothing_happens_to_a_stopped_clock() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).stop(cn(2025, 10, 20, 11, 0), CN)
    for action in (
        lambda: clock.pause(cn(2025, 10, 20, 12, 0), CN),
        lambda: clock.resume(cn(2025, 10, 20, 12, 0)),
        lambda: clock.stop(cn(2025, 10, 20, 12, 0), CN),
        lambda: clock.retarget(EIGHT_HOURS, cn(2025, 10, 20, 12, 0), CN),
        lambda: clock.extend(
            HOUR, reason="x", approved_by=HEAD_OF_SERVICE, at=cn(2025, 10, 20, 12, 0), calendar=CN
        ),
    ):
        with pytest.raises(ClockTransitionError, match="stopped"):
            action()


def test_an_event_dated_before_the_last_one_is_refused() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 20, 11, 0), CN
    )
    with pytest.raises(ClockOrderError) as caught:
        clock.resume(cn(2025, 10, 20, 10, 30))
    assert caught.value.code == "clock_event_out_of_order"
    with pytest.raises(ClockOrderError):
        clock.status(cn(2025, 10, 20, 10, 59), CN)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ClockError, match="aware"):
        ClockState.start(EIGHT_HOURS, dt.datetime(2025, 10, 20, 10, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ClockSpec.working_days(0), "positive"),
        (lambda: ClockSpec.working_days(2.5), "whole number"),  # type: ignore[arg-type]
        (lambda: ClockSpec.business_hours(dt.timedelta(seconds=90)), "whole minutes"),
        (lambda: ClockSpec.calendar_days(15, warning_fraction=1.5), "between 0 and 1"),
        (lambda: ClockSpec(target=5, mode="fortnights"), "Unknown clock mode"),  # type: ignore[arg-type]
        (
            lambda: ClockSpec.from_dict({"mode": "working_days", "target_minutes": 5}),
            "Unknown keys",
        ),
    ],
)
def test_bad_clock_specs_are_refused(build: object, message: str) -> None:
    with pytest.raises(ClockError, match=message):
        build()  # type: ignore[operator]


# --- Extensions and SLA changes --------------------------------------------------------------


def test_an_extension_moves_the_due_time_by_its_working_time() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0))
    before = clock.status(cn(2025, 10, 20, 11, 0), CN).due_at
    clock = clock.extend(
        2 * HOUR,
        reason="documents from the bank",
        approved_by=HEAD_OF_SERVICE,
        at=cn(2025, 10, 20, 11, 0),
        calendar=CN,
    )
    status = clock.status(cn(2025, 10, 20, 11, 0), CN)
    assert status.target == 10 * HOUR
    assert CN.between(before, status.due_at) == 2 * HOUR
    assert clock.extensions[0].reason == "documents from the bank"
    assert clock.extensions[0].approved_by == HEAD_OF_SERVICE


@pytest.mark.parametrize(
    ("reason", "approved_by", "message"),
    [("", HEAD_OF_SERVICE, "reason"), ("   ", HEAD_OF_SERVICE, "reason"), ("ok", "", "approver")],
)
def test_an_extension_needs_a_reason_and_an_approver(
    reason: str, approved_by: int | str, message: str
) -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0))
    with pytest.raises(ClockExtensionError, match=message):
        clock.extend(
            HOUR, reason=reason, approved_by=approved_by, at=cn(2025, 10, 20, 11), calendar=CN
        )


def test_an_extension_in_the_wrong_unit_is_refused() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2025, 10, 20, 10, 0))
    with pytest.raises(ClockExtensionError, match="whole number of days"):
        clock.extend(HOUR, reason="x", approved_by=1, at=cn(2025, 10, 20, 11), calendar=CN)


def test_an_extension_after_the_due_time_is_refused_and_the_breach_stands() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0))
    with pytest.raises(ClockExtensionError, match="before the due time"):
        clock.extend(HOUR, reason="late", approved_by=1, at=cn(2025, 10, 22, 9, 0), calendar=CN)
    assert clock.extensions == ()


def test_an_sla_change_keeps_what_was_accumulated() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 20, 15, 0), CN
    )
    sixteen = ClockSpec.business_hours(16 * HOUR, code="resolution")
    changed = clock.retarget(sixteen, cn(2025, 10, 20, 16, 0), CN)
    status = changed.status(cn(2025, 10, 20, 16, 0), CN)
    assert changed.spec == sixteen
    assert status.elapsed == dt.timedelta(hours=3, minutes=30)
    assert status.remaining == dt.timedelta(hours=12, minutes=30)
    assert changed.paused_since == clock.paused_since


def test_an_sla_change_to_another_unit_re_measures_the_time_run() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).pause(
        cn(2025, 10, 23, 10, 0), CN
    )
    changed = clock.retarget(sla_clock.SERVICING_COMPLETION, cn(2025, 10, 23, 11, 0), CN)
    assert changed.accumulated == 2  # the ends of 21 and 22 October passed while it ran
    # 3 working days left, counted as if resumed now: 23, 24 and 27 October.
    assert changed.status(cn(2025, 10, 23, 11, 0), CN).due_on == dt.date(2025, 10, 27)


def test_an_sla_change_to_another_unit_is_refused_once_extensions_exist() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).extend(
        HOUR, reason="x", approved_by=1, at=cn(2025, 10, 20, 11), calendar=CN
    )
    with pytest.raises(ClockTransitionError, match="extensions"):
        clock.retarget(sla_clock.SERVICING_COMPLETION, cn(2025, 10, 20, 12), CN)


def test_lowering_the_target_below_the_time_run_breaches_from_the_moment_it_was_reached() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 8, 30)).pause(
        cn(2025, 10, 20, 17, 30), CN
    )
    changed = clock.retarget(ClockSpec.business_hours(2 * HOUR), cn(2025, 10, 21, 9, 0), CN)
    status = changed.status(cn(2025, 10, 21, 9, 0), CN)
    assert status.breached and status.due_at == cn(2025, 10, 20, 10, 30)


# --- Day clocks ------------------------------------------------------------------------------


def test_a_working_day_clock_skips_national_day_and_counts_make_up_days() -> None:
    clock = ClockState.start(sla_clock.SERVICING_ACCEPTANCE, cn(2025, 9, 26, 16, 0))
    status = clock.status(cn(2025, 9, 28, 10, 0), CN)
    assert status.due_on == dt.date(2025, 9, 29) and status.due_at == cn(2025, 9, 30, 0, 0)
    assert status.elapsed == 0 and status.remaining == 2  # the 28th counts once it ends
    assert clock.status(cn(2025, 9, 29, 0, 0), CN).elapsed == 1


def test_a_day_clock_is_due_at_the_end_of_its_last_day_and_breached_after() -> None:
    clock = ClockState.start(sla_clock.CLAIMS_DENIAL_NOTICE, cn(2025, 10, 20, 10, 0))
    assert clock.status(cn(2025, 10, 23, 23, 59), CN).breached is False
    assert clock.status(cn(2025, 10, 24, 0, 0), CN).breached is False  # 24:00 on the 23rd
    late = clock.status(cn(2025, 10, 24, 0, 1), CN)
    assert late.breached and late.late_by == dt.timedelta(minutes=1)


def test_each_midnight_spent_paused_pushes_a_day_deadline_by_one_day() -> None:
    # Appraisal from Wednesday 10:00 to Friday 15:00 excludes Wednesday and Thursday.
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
    clock = clock.pause(cn(2026, 3, 4, 10, 0), CN).resume(cn(2026, 3, 6, 15, 0))
    assert clock.status(cn(2026, 3, 6, 15, 0), CN).due_on == dt.date(2026, 3, 19)


def test_a_pause_within_one_day_does_not_move_a_day_deadline() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
    clock = clock.pause(cn(2026, 3, 4, 10, 0), CN).resume(cn(2026, 3, 4, 16, 0))
    assert clock.status(cn(2026, 3, 4, 16, 0), CN).due_on == dt.date(2026, 3, 17)


def test_a_working_day_clock_paused_over_a_weekend_loses_only_the_working_days() -> None:
    clock = ClockState.start(sla_clock.SERVICING_COMPLETION, cn(2025, 10, 20, 9, 0))  # Monday
    clock = clock.pause(cn(2025, 10, 24, 10, 0), CN).resume(cn(2025, 10, 27, 9, 0))
    # Without the pause: end of Monday 27th; Friday's end passed paused, so Tuesday 28th.
    assert clock.status(cn(2025, 10, 27, 9, 0), CN).due_on == dt.date(2025, 10, 28)


def test_a_day_clock_warns_on_its_last_days() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
    assert not clock.status(cn(2026, 3, 14, 12, 0), CN).warning  # 14th to 17th: 4 days left
    assert clock.status(cn(2026, 3, 15, 12, 0), CN).warning  # 3 days left: 20 % of 15


# --- The complaint deadlines (2020 rules, calendar days) -------------------------------------


def test_a_complaint_is_decided_within_15_calendar_days() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2025, 9, 30, 10, 0))
    status = clock.status(cn(2025, 9, 30, 10, 0), CN)
    assert status.due_on == dt.date(2025, 10, 15)  # the National Day week counts
    assert status.target == 15 and status.mode is ClockMode.CALENDAR_DAYS


def test_a_complex_complaint_is_decided_within_30_days_of_receipt() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
    clock = clock.retarget(sla_clock.COMPLAINT_DECISION_COMPLEX, cn(2026, 3, 10, 9, 0), CN)
    status = clock.status(cn(2026, 3, 10, 9, 0), CN)
    assert status.elapsed == 7 and status.due_on == dt.date(2026, 4, 1)


def test_a_complaint_gets_a_further_30_days_with_senior_approval_and_no_more() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION_COMPLEX, cn(2026, 3, 2, 9, 0))
    clock = clock.extend(
        30,
        reason="expert opinion pending",
        approved_by=HEAD_OF_SERVICE,
        at=cn(2026, 3, 25, 9, 0),
        calendar=CN,
    )
    assert clock.status(cn(2026, 3, 25, 9, 0), CN).due_on == dt.date(2026, 5, 1)
    with pytest.raises(ClockExtensionError, match="exceed"):
        clock.extend(1, reason="more", approved_by=HEAD_OF_SERVICE, at=cn(2026, 3, 26), calendar=CN)


def test_time_in_appraisal_or_mediation_is_excluded_from_a_complaint() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
    clock = clock.pause(cn(2026, 3, 5, 9, 0), CN)  # sent for appraisal
    status = clock.status(cn(2026, 3, 25, 9, 0), CN)  # still in appraisal after the 15 days
    assert status.paused and not status.breached and status.elapsed == 2
    clock = clock.resume(cn(2026, 3, 25, 9, 0))  # 20 midnights spent in appraisal
    resumed = clock.status(cn(2026, 3, 25, 9, 0), CN)
    assert resumed.due_on == dt.date(2026, 4, 6)
    assert resumed.paused_total == dt.timedelta(days=20)


def test_a_customer_may_ask_for_a_review_within_30_days_of_the_decision() -> None:
    decided = cn(2026, 4, 1, 15, 0)
    window = ClockState.start(sla_clock.COMPLAINT_REVIEW_REQUEST_WINDOW, decided)
    assert window.status(decided, CN).due_on == dt.date(2026, 5, 1)
    assert not window.status(cn(2026, 5, 1, 23, 0), CN).breached  # still open
    assert window.status(cn(2026, 5, 2, 9, 0), CN).breached  # the window has closed
    with pytest.raises(ClockExtensionError, match="exceed"):
        window.extend(1, reason="x", approved_by=1, at=decided, calendar=CN)


def test_a_review_is_decided_within_30_days_of_the_request() -> None:
    clock = ClockState.start(sla_clock.COMPLAINT_REVIEW_DECISION, cn(2026, 4, 20, 11, 0))
    clock = clock.stop(cn(2026, 5, 20, 17, 0), CN)
    status = clock.status(cn(2026, 6, 1, 9, 0), CN)
    assert status.due_on == dt.date(2026, 5, 20) and status.met


# --- The other regulatory clocks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "mode", "target", "last_day"),
    [
        # Received Friday 26 September 2025: make-up Sunday 28th and Saturday 11 October work,
        # 1–8 October do not.
        ("servicing.acceptance", ClockMode.WORKING_DAYS, 2, dt.date(2025, 9, 29)),
        ("servicing.correction_notice", ClockMode.WORKING_DAYS, 5, dt.date(2025, 10, 10)),
        ("servicing.completion", ClockMode.WORKING_DAYS, 5, dt.date(2025, 10, 10)),
        ("new_business.defect_notice", ClockMode.WORKING_DAYS, 5, dt.date(2025, 10, 10)),
        ("new_business.issue", ClockMode.WORKING_DAYS, 15, dt.date(2025, 10, 23)),
        ("new_business.decision_after_exam", ClockMode.WORKING_DAYS, 15, dt.date(2025, 10, 23)),
        ("callback.problem_resolution", ClockMode.WORKING_DAYS, 15, dt.date(2025, 10, 23)),
        ("claims.decision", ClockMode.WORKING_DAYS, 5, dt.date(2025, 10, 10)),
        ("claims.decision_complex", ClockMode.CALENDAR_DAYS, 30, dt.date(2025, 10, 26)),
        ("claims.denial_notice", ClockMode.CALENDAR_DAYS, 3, dt.date(2025, 9, 29)),
        ("claims.payment", ClockMode.CALENDAR_DAYS, 10, dt.date(2025, 10, 6)),
        ("claims.advance_payment", ClockMode.CALENDAR_DAYS, 60, dt.date(2025, 11, 25)),
        ("small_claims.document_notice", ClockMode.WORKING_DAYS, 1, dt.date(2025, 9, 28)),
        ("surrender.payment", ClockMode.CALENDAR_DAYS, 30, dt.date(2025, 10, 26)),
        ("lapse.notice", ClockMode.WORKING_DAYS, 10, dt.date(2025, 10, 16)),
        ("complaint.decision", ClockMode.CALENDAR_DAYS, 15, dt.date(2025, 10, 11)),
    ],
)
def test_each_regulatory_clock_is_due_on_the_day_the_rule_gives(
    code: str, mode: ClockMode, target: int, last_day: dt.date
) -> None:
    spec = sla_clock.STANDARD_CLOCKS[code]
    assert (spec.mode, spec.target) == (mode, target)
    status = ClockState.start(spec, cn(2025, 9, 26, 10, 0)).status(cn(2025, 9, 26, 10, 0), CN)
    assert status.due_on == last_day


def test_every_standard_clock_round_trips_through_its_json_form() -> None:
    for spec in sla_clock.STANDARD_CLOCKS.values():
        assert ClockSpec.from_dict(spec.to_dict()) == spec
    assert ClockSpec.from_dict(EIGHT_HOURS.to_dict()) == EIGHT_HOURS
    assert EIGHT_HOURS.to_dict()["target_minutes"] == 480


# --- Event log -------------------------------------------------------------------------------


def test_a_clock_replayed_from_its_stored_history_equals_the_clock_built_step_by_step() -> None:
    events = [
        ClockEvent(ClockEventKind.START, cn(2026, 3, 2, 9, 0), spec=sla_clock.COMPLAINT_DECISION),
        ClockEvent(ClockEventKind.PAUSE, cn(2026, 3, 4, 10, 0)),
        ClockEvent(ClockEventKind.RESUME, cn(2026, 3, 6, 15, 0)),
        ClockEvent(
            ClockEventKind.RETARGET, cn(2026, 3, 9, 9, 0), spec=sla_clock.COMPLAINT_DECISION_COMPLEX
        ),
        ClockEvent(
            ClockEventKind.EXTEND, cn(2026, 3, 20, 9, 0), amount=30, reason="expert", approved_by=7
        ),
        ClockEvent(ClockEventKind.STOP, cn(2026, 4, 10, 9, 0)),
    ]
    stored = [ClockEvent.from_dict(event.to_dict()) for event in events]
    state = replay(stored, CN)
    direct = (
        ClockState.start(sla_clock.COMPLAINT_DECISION, cn(2026, 3, 2, 9, 0))
        .pause(cn(2026, 3, 4, 10, 0), CN)
        .resume(cn(2026, 3, 6, 15, 0))
        .retarget(sla_clock.COMPLAINT_DECISION_COMPLEX, cn(2026, 3, 9, 9, 0), CN)
        .extend(30, reason="expert", approved_by=7, at=cn(2026, 3, 20, 9, 0), calendar=CN)
        .stop(cn(2026, 4, 10, 9, 0), CN)
    )
    assert state == direct
    assert state.status(cn(2026, 5, 1), CN).met


def test_a_history_must_begin_with_a_start() -> None:
    with pytest.raises(ClockTransitionError, match="begin with a start"):
        replay([ClockEvent(ClockEventKind.PAUSE, cn(2026, 3, 4, 10, 0))], CN)
    with pytest.raises(ClockTransitionError, match="empty"):
        replay([], CN)
    start = ClockEvent(ClockEventKind.START, cn(2026, 3, 2), spec=EIGHT_HOURS)
    with pytest.raises(ClockTransitionError, match="already started"):
        replay([start, start], CN)


# --- Properties ------------------------------------------------------------------------------

CALENDARS = [CN, HK, LONDON, NEW_YORK]
starts = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
minutes = st.integers(1, 60 * 24 * 12).map(lambda m: dt.timedelta(minutes=m))
short_minutes = st.integers(1, 60 * 12).map(lambda m: dt.timedelta(minutes=m))
specs = st.one_of(
    st.integers(1, 60 * 40).map(lambda m: ClockSpec.business_hours(dt.timedelta(minutes=m))),
    st.integers(1, 30).map(ClockSpec.working_days),
    st.integers(1, 60).map(ClockSpec.calendar_days),
)
examples = settings(max_examples=40, deadline=None)


def paused_clock(
    calendar: WorkingCalendar,
    spec: ClockSpec,
    start: dt.datetime,
    gaps: list[tuple[dt.timedelta, dt.timedelta]],
) -> tuple[ClockState, dt.datetime]:
    """Start, then alternately run and pause for the drawn lengths; ends running."""
    clock, moment = ClockState.start(spec, start), start
    for running, paused in gaps:
        moment += running
        clock = clock.pause(moment, calendar)
        moment += paused
        clock = clock.resume(moment)
    return clock, moment


@examples
@given(
    calendar=st.sampled_from(CALENDARS),
    spec=specs,
    start=starts,
    gaps=st.lists(st.tuples(minutes, minutes), max_size=4),
)
def test_pauses_never_bring_the_due_time_forward_and_their_time_is_kept(
    calendar: WorkingCalendar,
    spec: ClockSpec,
    start: dt.datetime,
    gaps: list[tuple[dt.timedelta, dt.timedelta]],
) -> None:
    clock, now = paused_clock(calendar, spec, start, gaps)
    with_pauses = clock.status(now, calendar)
    without = ClockState.start(spec, start).status(now, calendar)
    assert with_pauses.due_at >= without.due_at
    assert with_pauses.paused_total == sum((paused for _, paused in gaps), dt.timedelta(0))
    assert with_pauses.elapsed <= without.elapsed  # type: ignore[operator]


@examples
@given(calendar=st.sampled_from(CALENDARS), spec=specs, start=starts, later=minutes)
def test_without_pauses_the_due_time_is_the_calendars_own_arithmetic(
    calendar: WorkingCalendar, spec: ClockSpec, start: dt.datetime, later: dt.timedelta
) -> None:
    status = ClockState.start(spec, start).status(start + later, calendar)
    if isinstance(spec.target, dt.timedelta):
        assert status.due_at == calendar.add(start, spec.target)
    elif spec.mode is ClockMode.WORKING_DAYS:
        assert status.due_at == calendar.add_working_days(start, spec.target)
    else:
        assert status.due_at == calendar.add_calendar_days(start, spec.target)
    assert status.breached == (start + later > status.due_at)
    assert status.remaining == sla_clock._subtract(status.target, status.elapsed)


@examples
@given(
    calendar=st.sampled_from(CALENDARS),
    spec=specs,
    start=starts,
    gaps=st.lists(st.tuples(short_minutes, minutes), max_size=3),
    hours=st.integers(1, 80),
    days=st.integers(1, 20),
)
def test_an_extension_moves_the_due_time_by_exactly_its_amount(
    calendar: WorkingCalendar,
    spec: ClockSpec,
    start: dt.datetime,
    gaps: list[tuple[dt.timedelta, dt.timedelta]],
    hours: int,
    days: int,
) -> None:
    clock, now = paused_clock(calendar, spec, start, gaps)
    before = clock.status(now, calendar)
    if before.breached:
        return  # an extension is then refused, as its own test shows
    amount: sla_clock.ClockAmount = (
        dt.timedelta(hours=hours) if spec.mode is ClockMode.BUSINESS_HOURS else days
    )
    after = clock.extend(
        amount, reason="approved", approved_by=1, at=now, calendar=calendar
    ).status(now, calendar)
    if isinstance(amount, dt.timedelta):
        assert calendar.between(before.due_at, after.due_at) == amount
    else:
        assert before.due_on is not None and after.due_on is not None
        moved = sum(
            1
            for i in range(1, (after.due_on - before.due_on).days + 1)
            if spec.mode is ClockMode.CALENDAR_DAYS
            or calendar.is_working_day(before.due_on + dt.timedelta(days=i))
        )
        assert moved == amount


@examples
@given(
    calendar=st.sampled_from(CALENDARS),
    spec=specs,
    start=starts,
    gaps=st.lists(st.tuples(minutes, minutes), min_size=1, max_size=3),
    new_target=st.integers(1, 60),
    paused=st.booleans(),
)
def test_an_sla_change_keeps_the_elapsed_amount_and_the_paused_time(
    calendar: WorkingCalendar,
    spec: ClockSpec,
    start: dt.datetime,
    gaps: list[tuple[dt.timedelta, dt.timedelta]],
    new_target: int,
    paused: bool,
) -> None:
    clock, now = paused_clock(calendar, spec, start, gaps)
    if paused:
        now += dt.timedelta(hours=1)
        clock = clock.pause(now, calendar)
    if spec.mode is ClockMode.BUSINESS_HOURS:
        new_spec = ClockSpec.business_hours(dt.timedelta(hours=new_target))
    else:
        new_spec = ClockSpec(target=new_target, mode=spec.mode)
    before = clock.status(now, calendar)
    after = clock.retarget(new_spec, now, calendar).status(now, calendar)
    assert after.elapsed == before.elapsed
    assert after.paused_total == before.paused_total
    assert after.paused == before.paused
    assert after.target == new_spec.target


@examples
@given(
    calendar=st.sampled_from(CALENDARS),
    spec=specs,
    start=starts,
    gaps=st.lists(st.tuples(short_minutes, minutes), max_size=2),
    fraction=st.sampled_from([0.0, 0.1, 0.2, 0.25, 1 / 3, 0.5, 1.0]),
)
def test_the_warning_begins_exactly_at_the_announced_moment(
    calendar: WorkingCalendar,
    spec: ClockSpec,
    start: dt.datetime,
    gaps: list[tuple[dt.timedelta, dt.timedelta]],
    fraction: float,
) -> None:
    spec = ClockSpec(target=spec.target, mode=spec.mode, warning_fraction=fraction)
    clock, now = paused_clock(calendar, spec, start, gaps)
    status = clock.status(now, calendar)
    assert status.warning_at is not None
    if status.warning or status.breached:
        assert status.warning_at == now
        return
    assert status.warning_at <= status.due_at
    assert clock.status(status.warning_at, calendar).warning
    assert not clock.status(status.warning_at - dt.timedelta(microseconds=1), calendar).warning


def test_a_stopped_clock_announces_no_warning() -> None:
    clock = ClockState.start(EIGHT_HOURS, cn(2025, 10, 20, 10, 0)).stop(cn(2025, 10, 20, 11, 0), CN)
    assert clock.status(cn(2025, 10, 21), CN).warning_at is None


@settings(max_examples=25, deadline=None)
@given(spec=specs, start=starts, gaps=st.lists(st.tuples(minutes, minutes), max_size=3))
def test_the_same_history_gives_the_same_status_whatever_offset_its_instants_carry(
    spec: ClockSpec, start: dt.datetime, gaps: list[tuple[dt.timedelta, dt.timedelta]]
) -> None:
    clock, now = paused_clock(CN, spec, start, gaps)
    plus_eight = dt.timezone(dt.timedelta(hours=8))
    shifted, shifted_now = paused_clock(CN, spec, start.astimezone(plus_eight), gaps)
    assert shifted == clock
    assert shifted.status(shifted_now.astimezone(plus_eight), CN) == clock.status(now, CN)

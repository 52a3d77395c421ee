"""Working calendars: holidays and make-up days, business-hours and day arithmetic, DST."""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import time
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

import chinese_calendar
import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.core.business_time import WEEKDAY_KEYS, WorkingCalendar

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar.standard("CN")
HK = WorkingCalendar.standard("HK")
SG = WorkingCalendar.standard("SG")
NEW_YORK = WorkingCalendar.standard("NONE", "America/New_York")
LONDON_ROUND_THE_CLOCK = WorkingCalendar.from_dict(
    {
        "region": "NONE",
        "tz": "Europe/London",
        "periods": {k: [["00:00", "24:00"]] for k in WEEKDAY_KEYS},
    }
)
HOUR = dt.timedelta(hours=1)


def local(
    calendar: WorkingCalendar, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=calendar.zone)


def last_day(calendar: WorkingCalendar, deadline: dt.datetime) -> dt.date:
    """The local day a day deadline (24:00) closes."""
    return calendar.local_date(deadline - dt.timedelta(microseconds=1))


@contextmanager
def server_time_zone(name: str) -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


# --- Strategies ------------------------------------------------------------------------------


def random_schedule(rng: random.Random) -> dict[str, list[list[str]]]:
    """Zero to three ordered, non-overlapping half-hour-aligned periods per weekday."""
    week: dict[str, list[list[str]]] = {}
    for key in WEEKDAY_KEYS:
        count = rng.choice((0, 1, 1, 2, 2, 3))
        points = sorted(rng.sample(range(49), 2 * count))
        texts = [f"{p // 2:02d}:{30 * (p % 2):02d}" for p in points]
        week[key] = [[texts[i], texts[i + 1]] for i in range(0, len(texts), 2)]
    # At least three worked weekdays keep a sparse schedule from walking years of days.
    for key in WEEKDAY_KEYS[:3]:
        if sum(bool(day) for day in week.values()) >= 3:
            break
        week[key] = week[key] or [["09:00", "17:00"]]
    return week


def calendar_pool() -> list[WorkingCalendar]:
    """The standard calendars and forty random schedules in five zones (fixed seed).

    A pool rather than a composite strategy: drawing seven schedules per example made
    hypothesis itself the slow part of this file.
    """
    rng = random.Random(20261201)
    zones = [
        ("CN", "Asia/Shanghai"),
        ("HK", "Asia/Hong_Kong"),
        ("SG", "Asia/Singapore"),
        ("NONE", "Europe/London"),
        ("NONE", "America/New_York"),
    ]
    pool = [CN, HK, SG, NEW_YORK, LONDON_ROUND_THE_CLOCK]
    for index in range(40):
        region, tz = zones[index % len(zones)]
        data = {"region": region, "tz": tz, "periods": random_schedule(rng)}
        pool.append(WorkingCalendar.from_dict(data))
    return pool


CALENDARS = calendar_pool()


def calendars() -> st.SearchStrategy[WorkingCalendar]:
    return st.sampled_from(CALENDARS)


# 2024–2028: chinese_calendar data years and the projected years after them, five DST seasons.
instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=dt.datetime(2028, 6, 30),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
durations = st.integers(0, 60 * 24 * 3).map(lambda minutes: dt.timedelta(minutes=minutes))
offsets = st.integers(0, 60 * 24 * 90).map(lambda minutes: dt.timedelta(minutes=minutes))
examples = settings(max_examples=50, deadline=None)


# --- Working days: chinese_calendar, holidays, overrides -------------------------------------


@pytest.mark.parametrize(
    "day", [dt.date(2025, 10, d) for d in range(1, 9)], ids=lambda day: day.isoformat()
)
def test_national_day_2025_is_not_worked_in_the_mainland(day: dt.date) -> None:
    assert not CN.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2025, 1, 26),
        dt.date(2025, 2, 8),
        dt.date(2025, 4, 27),
        dt.date(2025, 9, 28),  # Sunday before National Day
        dt.date(2025, 10, 11),  # Saturday after it
        dt.date(2026, 1, 4),
        dt.date(2026, 2, 14),
        dt.date(2026, 2, 28),
        dt.date(2026, 5, 9),
        dt.date(2026, 9, 20),
        dt.date(2026, 10, 10),
    ],
    ids=lambda day: day.isoformat(),
)
def test_make_up_weekends_are_working_days_in_the_mainland(day: dt.date) -> None:
    assert day.weekday() >= 5
    assert CN.is_working_day(day)


def test_a_make_up_sunday_is_worked_on_the_weekday_hours() -> None:
    assert CN.periods_on(dt.date(2025, 9, 28)) == CN.periods[0]
    assert CN.working_time_on(dt.date(2025, 9, 28)) == dt.timedelta(hours=7, minutes=30)


def test_spring_festival_2026_days_off_on_weekdays_are_not_worked() -> None:
    days_off = [dt.date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)]
    assert not any(CN.is_working_day(day) for day in days_off)
    assert CN.is_working_day(dt.date(2026, 2, 24))


def test_an_ordinary_weekend_is_not_worked_and_an_ordinary_weekday_is() -> None:
    assert not CN.is_working_day(dt.date(2025, 10, 12))
    assert CN.is_working_day(dt.date(2025, 10, 13))


def test_years_beyond_chinese_calendar_fall_back_to_the_projected_holidays() -> None:
    assert CN.has_official_schedule(2026)
    assert not CN.has_official_schedule(2027)
    assert not CN.is_working_day(dt.date(2027, 10, 1))  # National Day, a Friday
    assert not CN.is_working_day(dt.date(2027, 1, 1))
    assert not CN.is_working_day(dt.date(2027, 10, 9))  # a Saturday: no make-up day is known
    assert CN.is_working_day(dt.date(2027, 10, 11))


def test_hong_kong_and_singapore_holidays_come_from_the_holidays_package() -> None:
    assert not HK.is_working_day(dt.date(2026, 7, 1))  # Establishment Day
    assert not HK.is_working_day(dt.date(2026, 12, 25))
    assert HK.is_working_day(dt.date(2026, 7, 2))
    assert not SG.is_working_day(dt.date(2026, 8, 10))  # National Day observed on Monday
    assert SG.is_working_day(dt.date(2026, 8, 11))
    assert HK.has_official_schedule(2030) and SG.has_official_schedule(2030)


def test_a_region_of_none_rests_only_on_days_the_schedule_does_not_work() -> None:
    assert NEW_YORK.is_working_day(dt.date(2026, 12, 25))
    assert not NEW_YORK.is_working_day(dt.date(2026, 12, 26))


def test_the_head_of_services_extra_days_override_the_region() -> None:
    calendar = WorkingCalendar(
        region="CN",
        tz="Asia/Shanghai",
        periods=CN.periods,
        extra_holidays=frozenset({dt.date(2025, 10, 14)}),
        extra_working_days=frozenset({dt.date(2025, 10, 8), dt.date(2025, 10, 12)}),
    )
    assert not calendar.is_working_day(dt.date(2025, 10, 14))
    assert calendar.is_working_day(dt.date(2025, 10, 8))  # a National Day holiday
    assert calendar.is_working_day(dt.date(2025, 10, 12))  # an ordinary Sunday


def test_a_branch_open_on_saturdays_still_rests_on_a_statutory_holiday_saturday() -> None:
    week = CN.to_dict()["periods"] | {"sat": [["09:00", "12:00"]]}
    calendar = WorkingCalendar.from_dict({"region": "CN", "tz": "Asia/Shanghai", "periods": week})
    assert calendar.is_working_day(dt.date(2025, 10, 18))
    assert not calendar.is_working_day(dt.date(2025, 10, 4))  # National Day week


# --- Business hours --------------------------------------------------------------------------


def test_working_time_skips_the_lunch_break_and_the_national_day_week() -> None:
    due = CN.add(local(CN, 2025, 9, 30, 10, 0), dt.timedelta(hours=10))
    assert due == local(CN, 2025, 10, 9, 14, 0)


def test_counting_starts_at_the_next_period_when_the_start_is_outside_hours() -> None:
    saturday_evening = local(CN, 2025, 10, 18, 20, 0)
    assert CN.add(saturday_evening, HOUR) == local(CN, 2025, 10, 20, 9, 30)


def test_a_duration_that_fills_the_morning_ends_at_noon_not_after_lunch() -> None:
    assert CN.add(local(CN, 2025, 10, 20, 8, 30), dt.timedelta(hours=3, minutes=30)) == local(
        CN, 2025, 10, 20, 12, 0
    )


def test_adding_nothing_returns_the_start_itself_even_outside_hours() -> None:
    midnight = local(CN, 2025, 10, 20, 0, 0)
    assert CN.add(midnight, dt.timedelta(0)) == midnight


def test_working_time_between_a_later_and_an_earlier_instant_is_negative() -> None:
    a, b = local(CN, 2025, 10, 20, 9, 0), local(CN, 2025, 10, 20, 15, 0)
    assert CN.between(a, b) == dt.timedelta(hours=4, minutes=30)
    assert CN.between(b, a) == -dt.timedelta(hours=4, minutes=30)


def test_results_are_in_utc() -> None:
    assert CN.add(local(CN, 2025, 10, 20, 9, 0), HOUR).tzinfo is dt.UTC


def test_business_hours_follow_the_wall_clock_across_a_dst_change_in_new_york() -> None:
    # Friday 15:00 EST + 8 working hours = Monday 15:00 EDT (19:00 UTC, no longer 20:00).
    due = NEW_YORK.add(local(NEW_YORK, 2026, 3, 6, 15, 0), dt.timedelta(hours=8))
    assert due == dt.datetime(2026, 3, 9, 19, 0, tzinfo=dt.UTC)


def test_a_round_the_clock_day_is_23_or_25_hours_on_dst_change_days_in_london() -> None:
    assert LONDON_ROUND_THE_CLOCK.working_time_on(dt.date(2026, 3, 29)) == 23 * HOUR
    assert LONDON_ROUND_THE_CLOCK.working_time_on(dt.date(2026, 10, 25)) == 25 * HOUR
    start = local(LONDON_ROUND_THE_CLOCK, 2026, 3, 29, 0, 0)
    end = local(LONDON_ROUND_THE_CLOCK, 2026, 3, 30, 0, 0)
    assert LONDON_ROUND_THE_CLOCK.between(start, end) == 23 * HOUR


def test_a_period_inside_the_skipped_hour_is_empty_and_inside_the_repeated_hour_doubles() -> None:
    night_shift = WorkingCalendar.from_dict(
        {"region": "NONE", "tz": "Europe/London", "periods": {"sun": [["01:00", "02:00"]]}}
    )
    assert night_shift.working_time_on(dt.date(2026, 3, 29)) == dt.timedelta(0)
    assert night_shift.working_time_on(dt.date(2026, 10, 25)) == 2 * HOUR
    assert night_shift.working_time_on(dt.date(2026, 11, 1)) == HOUR


def test_thirty_working_days_of_hours_are_computed_without_walking_minutes() -> None:
    started = time.perf_counter()
    for offset in range(200):
        start = local(HK, 2026, 1, 5, 9, 0) + dt.timedelta(hours=offset)
        HK.add(start, 30 * dt.timedelta(hours=8))
    assert time.perf_counter() - started < 2.0


# --- Day deadlines ---------------------------------------------------------------------------


def test_within_two_working_days_of_a_friday_counts_the_make_up_sunday() -> None:
    friday = local(CN, 2025, 9, 26, 16, 0)
    due = CN.add_working_days(friday, 2)
    assert due == local(CN, 2025, 9, 30, 0, 0)  # end of Monday 29 September
    assert last_day(CN, due) == dt.date(2025, 9, 29)


def test_within_two_working_days_of_the_eve_of_national_day_ends_on_10_october() -> None:
    due = CN.add_working_days(local(CN, 2025, 9, 30, 9, 0), 2)
    assert last_day(CN, due) == dt.date(2025, 10, 10)


def test_the_hour_of_receipt_does_not_change_a_working_day_deadline() -> None:
    early, late = local(CN, 2025, 10, 20, 0, 1), local(CN, 2025, 10, 20, 23, 59)
    assert CN.add_working_days(early, 5) == CN.add_working_days(late, 5)


def test_a_request_received_on_a_holiday_counts_from_the_next_working_day() -> None:
    due = CN.add_working_days(local(CN, 2025, 10, 3, 11, 0), 1)
    assert last_day(CN, due) == dt.date(2025, 10, 9)


def test_zero_working_days_means_the_same_working_day() -> None:
    assert last_day(CN, CN.add_working_days(local(CN, 2025, 10, 20, 9, 0), 0)) == dt.date(
        2025, 10, 20
    )
    assert last_day(CN, CN.add_working_days(local(CN, 2025, 10, 4, 9, 0), 0)) == dt.date(
        2025, 10, 9
    )


def test_calendar_days_count_holidays_and_end_at_local_midnight() -> None:
    due = CN.add_calendar_days(local(CN, 2025, 9, 30, 10, 0), 15)
    assert due == local(CN, 2025, 10, 16, 0, 0)
    assert due == dt.datetime(2025, 10, 15, 16, 0, tzinfo=dt.UTC)


def test_calendar_days_may_roll_off_a_holiday_to_the_next_working_day() -> None:
    start = local(CN, 2025, 9, 26, 10, 0)
    assert last_day(CN, CN.add_calendar_days(start, 7)) == dt.date(2025, 10, 3)
    rolled = CN.add_calendar_days(start, 7, roll_to_working_day=True)
    assert last_day(CN, rolled) == dt.date(2025, 10, 9)


def test_a_calendar_day_deadline_over_the_london_spring_change_ends_at_local_midnight() -> None:
    due = LONDON_ROUND_THE_CLOCK.add_calendar_days(
        local(LONDON_ROUND_THE_CLOCK, 2026, 3, 28, 12), 1
    )
    assert due == dt.datetime(2026, 3, 29, 23, 0, tzinfo=dt.UTC)  # 00:00 BST on 30 March


# --- Construction and validation -------------------------------------------------------------


def test_the_standard_calendar_works_weekdays_with_a_lunch_break() -> None:
    assert CN.tz == "Asia/Shanghai" and HK.tz == "Asia/Hong_Kong" and SG.tz == "Asia/Singapore"
    assert CN.periods[0] == ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
    assert CN.periods[5] == () and CN.periods[6] == ()


def test_a_calendar_round_trips_through_its_json_form() -> None:
    data = {
        "region": "SG",
        "tz": "Asia/Singapore",
        "periods": {"mon": [["13:00", "17:00"], ["08:00", "12:00"]], "sat": [["20:00", "24:00"]]},
        "make_up_periods": [["09:00", "12:00"]],
        "extra_holidays": ["2026-12-24"],
        "extra_working_days": ["2026-12-27"],
    }
    calendar = WorkingCalendar.from_dict(data)
    assert calendar.periods[0][0] == (dt.time(8, 0), dt.time(12, 0))  # sorted
    assert calendar.periods[5] == ((dt.time(20, 0), dt.time(0)),)  # 24:00
    assert WorkingCalendar.from_dict(calendar.to_dict()) == calendar
    assert calendar.to_dict()["periods"]["sat"] == [["20:00", "24:00"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"region": "XX", "tz": "UTC", "periods": {"mon": [["09:00", "17:00"]]}},
            "Unknown holiday",
        ),
        (
            {"region": "CN", "tz": "Mars/Olympus", "periods": {"mon": [["09:00", "17:00"]]}},
            "time zone",
        ),
        ({"region": "CN", "tz": "UTC", "periods": {"mon": [["17:00", "09:00"]]}}, "ends before"),
        (
            {
                "region": "CN",
                "tz": "UTC",
                "periods": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]},
            },
            "overlaps",
        ),
        ({"region": "CN", "tz": "UTC", "periods": {"mon": [["9h", "12:00"]]}}, "HH:MM"),
        ({"region": "CN", "tz": "UTC", "periods": {"mon": [["09:00", "25:00"]]}}, "not a time"),
        ({"region": "CN", "tz": "UTC", "periods": {"monday": []}}, "Unknown weekdays"),
        ({"region": "CN", "tz": "UTC", "periods": {}}, "no weekday"),
        ({"region": "CN", "tz": "UTC", "periods": {}, "colour": "red"}, "Unknown calendar keys"),
        ({"region": "CN", "periods": {}}, "needs 'tz'"),
        (
            {
                "region": "CN",
                "tz": "UTC",
                "periods": {"mon": [["09:00", "17:00"]]},
                "extra_holidays": ["2026-13-01"],
            },
            "not a date",
        ),
    ],
)
def test_bad_calendar_data_is_refused_with_a_clear_message(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_dict(data)


def test_touching_periods_are_allowed() -> None:
    calendar = WorkingCalendar.from_dict(
        {
            "region": "NONE",
            "tz": "UTC",
            "periods": {"mon": [["09:00", "12:00"], ["12:00", "13:00"]]},
        }
    )
    assert calendar.working_time_on(dt.date(2026, 1, 5)) == 4 * HOUR


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CN.add(dt.datetime(2025, 10, 20, 9, 0), HOUR)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        CN.add_working_days(dt.datetime(2025, 10, 20, 9, 0), 1)  # noqa: DTZ001


def test_negative_durations_and_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CN.add(local(CN, 2025, 10, 20, 9, 0), -HOUR)
    with pytest.raises(ValueError, match="negative"):
        CN.add_calendar_days(local(CN, 2025, 10, 20, 9, 0), -1)


# --- Properties ------------------------------------------------------------------------------


@examples
@given(calendar=calendars(), start=instants, duration=durations)
def test_the_working_time_between_a_start_and_its_sum_is_the_duration_added(
    calendar: WorkingCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    due = calendar.add(start, duration)
    assert due >= start
    assert calendar.between(start, due) == duration


@examples
@given(calendar=calendars(), start=instants, first=durations, second=durations)
def test_adding_two_durations_in_turn_is_adding_their_sum(
    calendar: WorkingCalendar, start: dt.datetime, first: dt.timedelta, second: dt.timedelta
) -> None:
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@examples
@given(calendar=calendars(), start=instants, a=durations, b=durations, later=offsets)
def test_a_longer_duration_or_a_later_start_never_gives_an_earlier_due_time(
    calendar: WorkingCalendar,
    start: dt.datetime,
    a: dt.timedelta,
    b: dt.timedelta,
    later: dt.timedelta,
) -> None:
    short, long = sorted((a, b))
    assert calendar.add(start, short) <= calendar.add(start, long)
    assert calendar.add(start, a) <= calendar.add(start + later, a)


@examples
@given(calendar=calendars(), a=instants, first=offsets, second=offsets)
def test_working_time_splits_at_any_instant_and_changes_sign_when_reversed(
    calendar: WorkingCalendar, a: dt.datetime, first: dt.timedelta, second: dt.timedelta
) -> None:
    b = a + first
    c = b + second
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert calendar.between(c, a) == -calendar.between(a, c)


@examples
@given(calendar=calendars(), start=instants, n=st.integers(0, 40))
def test_a_working_day_deadline_closes_the_nth_working_day_after_the_day_of_receipt(
    calendar: WorkingCalendar, start: dt.datetime, n: int
) -> None:
    due = calendar.add_working_days(start, n)
    closing = last_day(calendar, due)
    assert due == calendar.end_of_day(closing)
    assert due.astimezone(calendar.zone).time() == dt.time(0)
    assert calendar.is_working_day(closing)
    received = calendar.local_date(start)
    counted = sum(
        calendar.is_working_day(received + dt.timedelta(days=i))
        for i in range(1, (closing - received).days + 1)
    )
    assert counted == max(n, 1) or (n == 0 and closing == received)
    assert calendar.add_working_days(start, n) <= calendar.add_working_days(start, n + 1)


@functools.cache
def public_holidays(region: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(region, years=year)


def official_working_day(region: str, day: dt.date) -> bool:
    """The oracle: the packages asked directly, day by day."""
    if region == "CN":
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day not in public_holidays(region, day.year)


@examples
@given(
    calendar=st.sampled_from([CN, HK, SG]),
    start=st.datetimes(
        min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2026, 10, 31),  # noqa: DTZ001 - inside chinese_calendar's data
        timezones=st.just(dt.UTC),
    ),
    n=st.integers(1, 40),
)
def test_working_day_deadlines_agree_with_the_holiday_packages_asked_day_by_day(
    calendar: WorkingCalendar, start: dt.datetime, n: int
) -> None:
    day, counted = calendar.local_date(start), 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += official_working_day(calendar.region, day)
    assert last_day(calendar, calendar.add_working_days(start, n)) == day


@examples
@given(calendar=calendars(), start=instants, n=st.integers(0, 400))
def test_a_calendar_day_deadline_is_the_local_midnight_ending_the_nth_day(
    calendar: WorkingCalendar, start: dt.datetime, n: int
) -> None:
    due = calendar.add_calendar_days(start, n)
    assert last_day(calendar, due) == calendar.local_date(start) + dt.timedelta(days=n)
    assert due.astimezone(calendar.zone).time() == dt.time(0)


@examples
@given(calendar=calendars(), start=instants, duration=durations, offset_hours=st.integers(-12, 14))
def test_the_same_instant_in_any_offset_gives_the_same_due_time(
    calendar: WorkingCalendar, start: dt.datetime, duration: dt.timedelta, offset_hours: int
) -> None:
    shifted = start.astimezone(dt.timezone(dt.timedelta(hours=offset_hours)))
    assert calendar.add(shifted, duration) == calendar.add(start, duration)
    assert calendar.add_working_days(shifted, 3) == calendar.add_working_days(start, 3)


@settings(max_examples=20, deadline=None)
@given(calendar=calendars(), start=instants, duration=durations)
def test_the_servers_time_zone_never_changes_a_result(
    calendar: WorkingCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    results = []
    for index, server_zone in enumerate(("UTC", "America/Los_Angeles", "Asia/Kolkata")):
        with server_time_zone(server_zone):
            # A distinct far-future holiday makes a distinct calendar: no shared cache.
            data = calendar.to_dict() | {"extra_holidays": [f"2099-01-0{index + 1}"]}
            fresh = WorkingCalendar.from_dict(data)
            results.append(
                (
                    fresh.add(start, duration),
                    fresh.between(start, start + duration),
                    fresh.add_working_days(start, 5),
                    fresh.add_calendar_days(start, 15),
                )
            )
    assert results[0] == results[1] == results[2]

"""Five-field cron expressions: parsing errors and the next firing time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policydesk.core.cron import parse_cron
from policydesk.core.errors import DomainError


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def next_after(expression: str, moment: dt.datetime) -> dt.datetime:
    return parse_cron(expression).next_after(moment)


# --- Parsing errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "* * * *",
        "* * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * 32 * *",
        "* * * 0 *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "*/x * * * *",
        "a * * * *",
        "-1 * * * *",
        "5-1 * * * *",
        "1-x * * * *",
        "1,,2 * * * *",
        "MON * * * *",
    ],
)
def test_it_refuses_a_bad_expression_naming_the_schedule_field(expression: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_cron(expression)

    assert refused.value.field == "schedule"
    assert refused.value.status == 400


def test_it_names_the_cron_field_that_is_wrong_in_the_message() -> None:
    with pytest.raises(DomainError) as refused:
        parse_cron("0 25 * * *")

    assert "hour" in refused.value.message


def test_it_refuses_a_schedule_that_never_fires() -> None:
    schedule = parse_cron("0 0 31 2 *")

    with pytest.raises(DomainError) as refused:
        schedule.next_after(at(2024, 1, 1))

    assert refused.value.field == "schedule"


def test_it_accepts_lists_ranges_and_steps() -> None:
    schedule = parse_cron("0,30 8-10 */10 1-12/3 1-5")

    assert schedule.minutes == {0, 30}
    assert schedule.hours == {8, 9, 10}
    assert schedule.days == {1, 11, 21, 31}
    assert schedule.months == {1, 4, 7, 10}
    assert schedule.weekdays == {1, 2, 3, 4, 5}


def test_it_reads_weekday_7_as_sunday() -> None:
    assert parse_cron("0 0 * * 7").weekdays == {0}


# --- next_after for common schedules ------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        # every 5 minutes
        ("*/5 * * * *", at(2024, 3, 10, 10, 3, 27), at(2024, 3, 10, 10, 5)),
        ("*/5 * * * *", at(2024, 3, 10, 10, 5), at(2024, 3, 10, 10, 10)),
        ("*/5 * * * *", at(2024, 3, 10, 23, 58), at(2024, 3, 11, 0, 0)),
        # daily at 02:15
        ("15 2 * * *", at(2024, 3, 10, 1, 0), at(2024, 3, 10, 2, 15)),
        ("15 2 * * *", at(2024, 3, 10, 2, 15), at(2024, 3, 11, 2, 15)),
        ("15 2 * * *", at(2024, 12, 31, 3, 0), at(2025, 1, 1, 2, 15)),
        # weekdays at 09:00 (8 March 2024 is a Friday)
        ("0 9 * * 1-5", at(2024, 3, 8, 9, 0), at(2024, 3, 11, 9, 0)),
        ("0 9 * * 1-5", at(2024, 3, 9, 12, 0), at(2024, 3, 11, 9, 0)),
        ("0 9 * * 1-5", at(2024, 3, 11, 8, 59, 59), at(2024, 3, 11, 9, 0)),
        # first of the month at midnight
        ("0 0 1 * *", at(2024, 1, 31, 12, 0), at(2024, 2, 1, 0, 0)),
        ("0 0 1 * *", at(2024, 2, 1, 0, 0), at(2024, 3, 1, 0, 0)),
        ("0 0 1 * *", at(2024, 12, 15), at(2025, 1, 1, 0, 0)),
        # 29 February only comes in leap years
        ("0 0 29 2 *", at(2025, 3, 1), at(2028, 2, 29, 0, 0)),
        # Sunday, written 0 or 7
        ("30 6 * * 0", at(2024, 3, 8), at(2024, 3, 10, 6, 30)),
        ("30 6 * * 7", at(2024, 3, 8), at(2024, 3, 10, 6, 30)),
    ],
)
def test_it_finds_the_next_firing_time_of_common_schedules(
    expression: str, moment: dt.datetime, expected: dt.datetime
) -> None:
    assert next_after(expression, moment) == expected


def test_it_fires_on_the_day_of_month_or_the_weekday_when_both_are_restricted() -> None:
    # 13 October 2024 is a Sunday; 11 October a Friday; 13 September a Friday.
    expression = "0 12 13 * 5"

    assert next_after(expression, at(2024, 10, 1)) == at(2024, 10, 4, 12, 0)
    assert next_after(expression, at(2024, 10, 11, 12, 0)) == at(2024, 10, 13, 12, 0)
    assert next_after(expression, at(2024, 10, 13, 12, 0)) == at(2024, 10, 18, 12, 0)


def test_it_needs_both_day_and_weekday_when_only_one_is_restricted() -> None:
    assert next_after("0 0 13 * *", at(2024, 10, 1)) == at(2024, 10, 13)
    assert next_after("0 0 * * 5", at(2024, 10, 1)) == at(2024, 10, 4)


def test_it_answers_in_utc_for_a_moment_in_another_time_zone() -> None:
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    moment = dt.datetime(2024, 3, 10, 10, 0, tzinfo=shanghai)  # 02:00 UTC

    result = next_after("15 2 * * *", moment)

    assert result == at(2024, 3, 10, 2, 15)
    assert result.utcoffset() == dt.timedelta(0)


# --- Property: next_after is the first matching minute after t -----------------------------


@st.composite
def minute_field(draw: st.DrawFn) -> tuple[str, frozenset[int]]:
    kind = draw(st.sampled_from(["star", "step", "value", "list", "range", "range_step"]))
    if kind == "star":
        return "*", frozenset(range(60))
    if kind == "step":
        step = draw(st.integers(1, 59))
        return f"*/{step}", frozenset(range(0, 60, step))
    if kind == "value":
        value = draw(st.integers(0, 59))
        return str(value), frozenset({value})
    if kind == "list":
        values = draw(st.lists(st.integers(0, 59), min_size=1, max_size=5, unique=True))
        return ",".join(map(str, values)), frozenset(values)
    first = draw(st.integers(0, 59))
    last = draw(st.integers(first, 59))
    if kind == "range":
        return f"{first}-{last}", frozenset(range(first, last + 1))
    step = draw(st.integers(1, 30))
    return f"{first}-{last}/{step}", frozenset(range(first, last + 1, step))


@st.composite
def restricted_field(draw: st.DrawFn, low: int, high: int) -> tuple[str, frozenset[int] | None]:
    """A star (None: unrestricted), one value or a small list, within low..high."""
    if draw(st.booleans()):
        return "*", None
    values = draw(st.lists(st.integers(low, high), min_size=1, max_size=3, unique=True))
    return ",".join(map(str, values)), frozenset(values)


moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - made aware by timezones=
    max_value=dt.datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)


class Expected:
    """An independent statement of what a generated expression means."""

    def __init__(
        self,
        minutes: frozenset[int],
        hours: frozenset[int] | None = None,
        days: frozenset[int] | None = None,
        months: frozenset[int] | None = None,
        weekdays: frozenset[int] | None = None,
    ) -> None:
        self.minutes = minutes
        self.hours = hours
        self.days = days
        self.months = months
        self.weekdays = None if weekdays is None else frozenset(d % 7 for d in weekdays)

    def matches(self, moment: dt.datetime) -> bool:
        if moment.second or moment.microsecond or moment.minute not in self.minutes:
            return False
        if self.hours is not None and moment.hour not in self.hours:
            return False
        if self.months is not None and moment.month not in self.months:
            return False
        in_days = self.days is None or moment.day in self.days
        in_weekdays = self.weekdays is None or moment.isoweekday() % 7 in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return in_days or in_weekdays
        return in_days and in_weekdays


@settings(max_examples=300, deadline=None)
@given(minute=minute_field(), moment=moments)
def test_next_after_is_the_first_matching_minute_of_an_hourly_schedule(
    minute: tuple[str, frozenset[int]], moment: dt.datetime
) -> None:
    text, minutes = minute
    expected = Expected(minutes)

    result = next_after(f"{text} * * * *", moment)

    assert result > moment
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(0)
    assert expected.matches(result)
    assert result - moment <= dt.timedelta(hours=1)
    step = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while step < result:
        assert not expected.matches(step), f"{step} matches {text!r} before {result}"
        step += dt.timedelta(minutes=1)


@settings(max_examples=200, deadline=None)
@given(
    minute=minute_field(),
    hour=restricted_field(0, 23),
    day=restricted_field(1, 28),
    month=restricted_field(1, 12),
    weekday=restricted_field(0, 7),
    moment=moments,
)
def test_next_after_is_later_and_matches_any_simple_schedule(
    minute: tuple[str, frozenset[int]],
    hour: tuple[str, frozenset[int] | None],
    day: tuple[str, frozenset[int] | None],
    month: tuple[str, frozenset[int] | None],
    weekday: tuple[str, frozenset[int] | None],
    moment: dt.datetime,
) -> None:
    expression = " ".join(part[0] for part in (minute, hour, day, month, weekday))
    expected = Expected(minute[1], hour[1], day[1], month[1], weekday[1])

    result = next_after(expression, moment)

    assert result > moment
    assert expected.matches(result), f"{result} does not match {expression!r}"
    # When the result is near, step minute by minute: nothing may match before it.
    step = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    if result - step <= dt.timedelta(days=2):
        while step < result:
            assert not expected.matches(step), f"{step} matches {expression!r} before {result}"
            step += dt.timedelta(minutes=1)

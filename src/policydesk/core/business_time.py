"""Working calendars: business hours, working days (工作日) and calendar days, per branch.

Pure Python; the case engine's SLA clocks (`policydesk.core.sla_clock`) are built on it.

Rules, in one place (docs/decisions/0005-sla-day-counting.md gives the reasons):

- **Instants** in and out are aware datetimes; results are returned in UTC. Naive datetimes are
  refused with ValueError. The server's own time zone never matters.
- **Working day.** A date is a working day when its weekday has work periods in the schedule and
  it is not a public holiday of the region, or when it is a make-up working day (调休上班) of the
  region. `extra_holidays` and `extra_working_days` (set by the Head of Service) override both.
  With the standard Monday–Friday schedule this is exactly the official 工作日 of the region.
- **Sources.** CN: `chinese_calendar` (State Council schedule: statutory holidays and make-up
  working weekends). That package only carries the years it ships data for and raises
  NotImplementedError beyond them; for those years the `holidays` package's CN calendar is used
  instead (statutory holidays projected by rule, plus any make-up days it knows — usually none),
  so deadlines there are provisional until the package is upgraded with the announced schedule
  (the State Council publishes the next year's in November or December);
  `WorkingCalendar.has_official_schedule(year)` tells which. HK and SG: the `holidays` package.
  NONE: weekends only (whatever the schedule does not work).
- **Make-up days** fall on days the schedule does not work (a Sunday); they are worked on
  `make_up_periods`, by default the periods of the first worked weekday (Monday).
- **Periods** are local wall-clock times; working time is real elapsed time, so a period that
  spans a daylight-saving change is an hour shorter or longer. A boundary that falls in a DST gap
  or overlap is read with fold=0 (the offset before the change) and clamped so that periods stay
  ordered. An end of `time(0)` means 24:00 (the end of the day).
- **add(start, d)** is the earliest instant t ≥ start with between(start, t) == d: counting begins
  at the next period when start is outside hours, and a duration that exactly fills a morning
  ends at 12:00, not at 13:30. So add(add(s, a), b) == add(s, a + b).
- **between(a, b)** is the working time inside [a, b]; negative (−between(b, a)) when b < a, so a
  remaining time can go below zero.
- **add_working_days(start, n)**: the end (24:00 local) of the n-th working day after the local
  day of `start`. The day of receipt is not counted and the last day runs to midnight, as periods
  counted in days are read in Chinese law (Civil Code art. 201, 203) and by insurers: a complete
  servicing application received on a Friday is due "within 2 working days" by the end of
  Tuesday, whatever the hour it arrived. n = 0 means "the same working day": the end of the day
  of `start` when it is a working day, else the end of the next one (日清日结).
- **add_calendar_days(start, n)**: the end (24:00 local) of the local day n days after the day of
  `start`. By default the deadline does not move off a holiday (the stricter reading); with
  `roll_to_working_day=True` a last day that is not a working day moves to the end of the next
  working day, as the Civil Code (art. 203) does for statutory periods.
- Efficiency: the year's working days are computed once per calendar and year (holiday data once
  per region and year), a day's periods once per date, and equal calendars share these caches;
  `add` and `between` walk days, never minutes, so thirty working days out is some forty steps.

Error messages are English; this layer has no users of its own — callers map them.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import chinese_calendar
import holidays

Region = Literal["CN", "HK", "SG", "NONE"]
REGIONS: tuple[Region, ...] = ("CN", "HK", "SG", "NONE")
Period = tuple[dt.time, dt.time]
DaySchedule = tuple[Period, ...]
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DEFAULT_TIME_ZONES: Mapping[str, str] = {
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "SG": "Asia/Singapore",
}
# Counter hours: mainland branches commonly open 08:30–12:00 and 13:30–17:30; HK and SG offices
# 09:00–13:00 and 14:00–18:00. A branch with other hours stores its own schedule.
_STANDARD_DAY: Mapping[str, DaySchedule] = {
    "CN": ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30))),
    "HK": ((dt.time(9, 0), dt.time(13, 0)), (dt.time(14, 0), dt.time(18, 0))),
    "SG": ((dt.time(9, 0), dt.time(13, 0)), (dt.time(14, 0), dt.time(18, 0))),
    "NONE": ((dt.time(9, 0), dt.time(13, 0)), (dt.time(14, 0), dt.time(18, 0))),
}

_DAY = dt.timedelta(days=1)
_FULL_DAY = dt.timedelta(hours=24)
# No schedule this module accepts goes ten years without a working day; the guard turns a
# calendar made of nothing but holidays into an error instead of an endless loop.
_MAX_IDLE_DAYS = 3660
_CLOCK_TEXT = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class _RegionYear:
    holidays: frozenset[dt.date]  # public holidays, on any weekday
    make_up_days: frozenset[dt.date]  # make-up working days (调休上班), on weekends
    official: bool  # False when CN falls back from chinese_calendar to a projection


@functools.lru_cache(maxsize=512)
def _region_year(region: str, year: int) -> _RegionYear:
    """The region's holidays and make-up days of one year, computed once per process."""
    if region == "NONE":
        return _RegionYear(frozenset(), frozenset(), official=True)
    if region == "CN":
        try:
            return _chinese_calendar_year(year)
        except NotImplementedError:
            pass  # the package has no data for this year: fall back to the projection below
    projected = holidays.country_holidays(region, years=year)
    make_up = frozenset(
        day for day in getattr(projected, "weekend_workdays", ()) or () if day.year == year
    )
    return _RegionYear(frozenset(projected.keys()), make_up, official=region != "CN")


def _chinese_calendar_year(year: int) -> _RegionYear:
    """Statutory holidays and make-up working weekends from chinese_calendar.

    Raises NotImplementedError for a year the installed package has no data for.
    """
    day = dt.date(year, 1, 1)
    holiday_days: set[dt.date] = set()
    make_up: set[dt.date] = set()
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        weekend = day.weekday() >= 5
        if is_holiday and (name is not None or not weekend):
            holiday_days.add(day)  # a named holiday, or a day off in lieu on a weekday
        elif not is_holiday and weekend:
            make_up.add(day)
        day += _DAY
    return _RegionYear(frozenset(holiday_days), frozenset(make_up), official=True)


def _check_aware(moment: dt.datetime, name: str) -> None:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got naive {moment.isoformat()}).")


def _offset(moment: dt.time) -> dt.timedelta:
    return dt.timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _format_time(moment: dt.time, *, is_end: bool = False) -> str:
    if is_end and moment == dt.time(0):
        return "24:00"
    text = moment.strftime("%H:%M")
    if moment.second or moment.microsecond:
        text = moment.isoformat()
    return text


def _normalise_day(periods: Iterable[Any], where: str) -> DaySchedule:
    """Sorted, validated periods of one weekday; ValueError names the bad period."""
    checked: list[Period] = []
    for item in periods:
        try:
            start, end = item
        except (TypeError, ValueError):
            raise ValueError(
                f"{where}: a period must be a (start, end) pair, got {item!r}."
            ) from None
        if not isinstance(start, dt.time) or not isinstance(end, dt.time):
            raise ValueError(f"{where}: period bounds must be times, got {item!r}.")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: period times are local wall-clock times, without tzinfo.")
        end_offset = _FULL_DAY if end == dt.time(0) else _offset(end)
        if _offset(start) >= end_offset:
            raise ValueError(
                f"{where}: period {_format_time(start)}–{_format_time(end, is_end=True)} "
                "ends before it starts."
            )
        checked.append((start, end))
    checked.sort(key=lambda period: _offset(period[0]))
    for (_, previous_end), (start, end) in itertools.pairwise(checked):
        previous_end_offset = _FULL_DAY if previous_end == dt.time(0) else _offset(previous_end)
        if _offset(start) < previous_end_offset:
            raise ValueError(
                f"{where}: period {_format_time(start)}–{_format_time(end, is_end=True)} overlaps "
                f"the one ending {_format_time(previous_end, is_end=True)}."
            )
    return tuple(checked)


def _parse_time(text: Any, where: str) -> dt.time:
    if not isinstance(text, str) or not _CLOCK_TEXT.match(text.strip()):
        raise ValueError(f"{where}: expected a time as 'HH:MM', got {text!r}.")
    hours, minutes = (int(part) for part in text.strip().split(":"))
    if hours == 24 and minutes == 0:
        return dt.time(0)  # 24:00, the end of the day
    if hours > 23 or minutes > 59:
        raise ValueError(f"{where}: {text!r} is not a time of day.")
    return dt.time(hours, minutes)


def _parse_dates(values: Any, where: str) -> frozenset[dt.date]:
    if values is None:
        return frozenset()
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{where}: expected a list of 'YYYY-MM-DD' dates, got {values!r}.")
    days: set[dt.date] = set()
    for value in values:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            days.add(value)
            continue
        try:
            days.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a date as 'YYYY-MM-DD'.") from None
    return frozenset(days)


@dataclass(frozen=True)
class WorkingCalendar:
    """A branch's working time: region holidays, time zone and weekly work periods.

    `periods[i]` are the periods of weekday i (0 = Monday … 6 = Sunday) as (start, end) local
    times; a weekday without periods is not worked. Build one with `standard()`, `from_dict()`
    or directly; the constructor validates (ValueError) and sorts the periods.
    """

    region: str
    tz: str
    periods: tuple[DaySchedule, ...]
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    # Periods of a make-up working day that falls on a weekday the schedule does not work;
    # None = those of the first worked weekday.
    make_up_periods: DaySchedule | None = None
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _cache: dict[Any, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(
                f"Unknown holiday region {self.region!r}; expected one of {', '.join(REGIONS)}."
            )
        if not isinstance(self.tz, str) or not self.tz:
            raise ValueError(
                f"Time zone must be an IANA name such as 'Asia/Shanghai', got {self.tz!r}."
            )
        try:
            zone = zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone {self.tz!r}.") from None
        periods = tuple(self.periods)
        if len(periods) != 7:
            raise ValueError(
                f"periods must hold seven weekdays (Monday first), got {len(periods)}."
            )
        normalised = tuple(
            _normalise_day(day, WEEKDAY_KEYS[index]) for index, day in enumerate(periods)
        )
        if not any(normalised):
            raise ValueError("The schedule works on no weekday.")
        make_up = self.make_up_periods
        if make_up is not None:
            make_up = _normalise_day(make_up, "make_up_periods")
            if not make_up:
                raise ValueError("make_up_periods, when given, must hold at least one period.")
        # Frozen dataclass: normalised values and caches are set once, here.
        object.__setattr__(self, "periods", normalised)
        object.__setattr__(self, "make_up_periods", make_up)
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        both = self.extra_holidays & self.extra_working_days
        if both:
            listed = ", ".join(sorted(day.isoformat() for day in both))
            raise ValueError(f"Dates both extra holiday and extra working day: {listed}.")
        object.__setattr__(self, "_zone", zone)
        # Equal calendars share one cache, so rebuilding a branch's calendar from stored data
        # on every request does not recompute its years and days.
        object.__setattr__(self, "_cache", _shared_cache(self))

    # --- Construction ------------------------------------------------------------------------

    @classmethod
    def standard(cls, region: str, tz: str | None = None) -> WorkingCalendar:
        """Monday–Friday with a lunch break, in the region's usual hours and time zone.

        NONE has no default time zone: pass `tz` (UTC is used when omitted).
        """
        if region not in REGIONS:
            raise ValueError(
                f"Unknown holiday region {region!r}; expected one of {', '.join(REGIONS)}."
            )
        day = _STANDARD_DAY[region]
        zone = tz or DEFAULT_TIME_ZONES.get(region, "UTC")
        return cls(region=region, tz=zone, periods=(day,) * 5 + ((), ()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        """Build from stored data (JSON), e.g.

        {"region": "CN", "tz": "Asia/Shanghai",
         "periods": {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], ..., "sat": []},
         "make_up_periods": [["08:30", "12:00"]],          # optional
         "extra_holidays": ["2026-12-24"], "extra_working_days": []}

        Missing weekdays are not worked; times are "HH:MM" ("24:00" ends a day). Unknown keys,
        bad times, reversed or overlapping periods, an unknown region or time zone: ValueError.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"A calendar must be a mapping, got {type(data).__name__}.")
        known = {
            "region",
            "tz",
            "periods",
            "make_up_periods",
            "extra_holidays",
            "extra_working_days",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown calendar keys: {', '.join(sorted(map(str, unknown)))}.")
        for key in ("region", "tz", "periods"):
            if key not in data:
                raise ValueError(f"A calendar needs {key!r}.")
        week = data["periods"]
        if not isinstance(week, Mapping):
            raise ValueError("periods must map weekdays ('mon' … 'sun') to lists of periods.")
        bad_days = set(week) - set(WEEKDAY_KEYS)
        if bad_days:
            raise ValueError(
                f"Unknown weekdays in periods: {', '.join(sorted(map(str, bad_days)))}; "
                f"use {', '.join(WEEKDAY_KEYS)}."
            )
        periods = tuple(cls._parse_periods(week.get(key) or [], key) for key in WEEKDAY_KEYS)
        make_up_data = data.get("make_up_periods")
        make_up = (
            None if make_up_data is None else cls._parse_periods(make_up_data, "make_up_periods")
        )
        return cls(
            region=data["region"],
            tz=data["tz"],
            periods=periods,
            extra_holidays=_parse_dates(data.get("extra_holidays"), "extra_holidays"),
            extra_working_days=_parse_dates(data.get("extra_working_days"), "extra_working_days"),
            make_up_periods=make_up,
        )

    @staticmethod
    def _parse_periods(value: Any, where: str) -> DaySchedule:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise ValueError(f"{where}: expected a list of [start, end] pairs, got {value!r}.")
        parsed: list[Period] = []
        for item in value:
            if isinstance(item, str) or not isinstance(item, Iterable):
                raise ValueError(f"{where}: a period must be a [start, end] pair, got {item!r}.")
            bounds = list(item)
            if len(bounds) != 2:
                raise ValueError(f"{where}: a period must be a [start, end] pair, got {item!r}.")
            start = _parse_time(bounds[0], where)
            if start == dt.time(0) and str(bounds[0]).strip().startswith("24"):
                raise ValueError(f"{where}: a period cannot start at 24:00.")
            parsed.append((start, _parse_time(bounds[1], where)))
        return tuple(parsed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form `from_dict` reads back."""

        def pairs(day: DaySchedule) -> list[list[str]]:
            return [[_format_time(start), _format_time(end, is_end=True)] for start, end in day]

        data: dict[str, Any] = {
            "region": self.region,
            "tz": self.tz,
            "periods": {
                key: pairs(day) for key, day in zip(WEEKDAY_KEYS, self.periods, strict=True)
            },
            "extra_holidays": sorted(day.isoformat() for day in self.extra_holidays),
            "extra_working_days": sorted(day.isoformat() for day in self.extra_working_days),
        }
        if self.make_up_periods is not None:
            data["make_up_periods"] = pairs(self.make_up_periods)
        return data

    # --- Days --------------------------------------------------------------------------------

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self._zone

    def has_official_schedule(self, year: int) -> bool:
        """False when CN working days for `year` are a projection (chinese_calendar lacks it)."""
        return _region_year(self.region, year).official

    def _working_days_of_year(self, year: int) -> frozenset[dt.date]:
        key = ("year", year)
        cached = self._cache.get(key)
        if cached is None:
            region_year = _region_year(self.region, year)
            days: set[dt.date] = set()
            day = dt.date(year, 1, 1)
            while day.year == year:
                if day in self.extra_working_days:
                    days.add(day)
                elif day in self.extra_holidays or day in region_year.holidays:
                    pass
                elif self.periods[day.weekday()] or day in region_year.make_up_days:
                    days.add(day)
                day += _DAY
            cached = frozenset(days)
            self._cache[key] = cached
        return cast(frozenset[dt.date], cached)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` (a local date) is worked; see the module docstring for the rule."""
        if isinstance(day, dt.datetime):
            raise TypeError("is_working_day takes a date; use local_date() for an instant.")
        return day in self._working_days_of_year(day.year)

    def working_days_after(self, day: dt.date) -> Iterator[dt.date]:
        """The working days strictly after `day`, in order (endless)."""
        idle = 0
        while True:
            day += _DAY
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError("The calendar has no working day in ten years.")

    def periods_on(self, day: dt.date) -> DaySchedule:
        """The local work periods of `day`: none on a day that is not worked."""
        if not self.is_working_day(day):
            return ()
        weekly = self.periods[day.weekday()]
        if weekly:
            return weekly
        if self.make_up_periods is not None:
            return self.make_up_periods
        return next(day_periods for day_periods in self.periods if day_periods)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The date of an instant on the branch's wall calendar."""
        _check_aware(moment, "moment")
        return moment.astimezone(self._zone).date()

    def _local_instant(self, day: dt.date, offset: dt.timedelta) -> dt.datetime:
        """UTC instant of local `day` + `offset` (0 … 24 h); fold=0 in gaps and overlaps."""
        wall = dt.datetime.combine(day, dt.time(0)) + offset
        return wall.replace(tzinfo=self._zone).astimezone(dt.UTC)

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """Local 00:00 of `day`, in UTC."""
        return self._local_instant(day, dt.timedelta(0))

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """Local 24:00 of `day` (= 00:00 of the next day), in UTC: how day deadlines end."""
        return max(self._local_instant(day + _DAY, dt.timedelta(0)), self.start_of_day(day))

    def _intervals(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The day's work periods as ordered, disjoint UTC intervals (cached per date)."""
        key = ("day", day)
        cached = self._cache.get(key)
        if cached is None:
            floor = self.start_of_day(day)
            ceiling = self.end_of_day(day)
            intervals: list[tuple[dt.datetime, dt.datetime]] = []
            for start, end in self.periods_on(day):
                end_offset = _FULL_DAY if end == dt.time(0) else _offset(end)
                start_utc = min(max(self._local_instant(day, _offset(start)), floor), ceiling)
                end_utc = min(max(self._local_instant(day, end_offset), start_utc), ceiling)
                floor = end_utc
                if end_utc > start_utc:
                    intervals.append((start_utc, end_utc))
            cached = tuple(intervals)
            self._cache[key] = cached
        return cast(tuple[tuple[dt.datetime, dt.datetime], ...], cached)

    # --- Business-hours arithmetic -----------------------------------------------------------

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The earliest instant at which `duration` of working time has passed since `start`.

        Outside hours counting begins at the next period; add(start, 0) is start itself.
        A negative duration is refused (ValueError). Result in UTC.
        """
        _check_aware(start, "start")
        if duration < dt.timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}.")
        cursor = start.astimezone(dt.UTC)
        if duration == dt.timedelta(0):
            return cursor
        remaining = duration
        # Start a day early: near a DST change an instant can sit past its local day's start.
        day = self.local_date(cursor) - _DAY
        idle = 0
        while True:
            intervals = self._intervals(day)
            for interval_start, interval_end in intervals:
                if interval_end <= cursor:
                    continue
                begin = max(interval_start, cursor)
                available = interval_end - begin
                if available >= remaining:
                    return begin + remaining
                remaining -= available
            idle = 0 if intervals else idle + 1
            if idle > _MAX_IDLE_DAYS:
                raise ValueError("The calendar has no working time in ten years.")
            day += _DAY

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time inside [a, b]; −between(b, a) when b is before a."""
        _check_aware(a, "a")
        _check_aware(b, "b")
        a = a.astimezone(dt.UTC)
        b = b.astimezone(dt.UTC)
        if b < a:
            return -self.between(b, a)
        total = dt.timedelta(0)
        day = self.local_date(a) - _DAY
        last = self.local_date(b) + _DAY
        while day <= last:
            for interval_start, interval_end in self._intervals(day):
                begin = max(interval_start, a)
                end = min(interval_end, b)
                if end > begin:
                    total += end - begin
            day += _DAY
        return total

    def working_time_on(self, day: dt.date) -> dt.timedelta:
        """Total working time of a local date (0 on a day that is not worked)."""
        return sum((end - start for start, end in self._intervals(day)), dt.timedelta(0))

    # --- Day arithmetic ----------------------------------------------------------------------

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """Deadline of "within n working days" of `start`: the end of the n-th working day
        after the local day of `start` (24:00 local, in UTC). n = 0: the end of the same
        working day (of the next one when `start` falls on a day off)."""
        _check_aware(start, "start")
        _check_count(n)
        day = self.local_date(start)
        if n == 0:
            if self.is_working_day(day):
                return self.end_of_day(day)
            n = 1
        days = self.working_days_after(day)
        for _ in range(n - 1):
            next(days)
        return self.end_of_day(next(days))

    def add_calendar_days(
        self, start: dt.datetime, n: int, *, roll_to_working_day: bool = False
    ) -> dt.datetime:
        """Deadline of "within n days" of `start`: the end of the local day n days after the
        day of `start` (24:00 local, in UTC); with `roll_to_working_day`, a last day that is not
        a working day moves to the end of the next working day."""
        _check_aware(start, "start")
        _check_count(n)
        last = self.local_date(start) + dt.timedelta(days=n)
        if roll_to_working_day and not self.is_working_day(last):
            last = next(self.working_days_after(last))
        return self.end_of_day(last)


@functools.lru_cache(maxsize=256)
def _shared_cache(calendar: WorkingCalendar) -> dict[Any, Any]:
    """One cache of working days and day intervals per distinct calendar (by value)."""
    return {}


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}.")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}.")

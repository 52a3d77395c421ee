"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import DomainError

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday, as in cron
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        cron_weekday = day.isoweekday() % 7
        in_days = day.day in self.days
        in_weekdays = cron_weekday in self.weekdays
        # Cron's rule: when both fields are restricted, either may match.
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first matching minute strictly after `moment` (aware, UTC)."""
        start = moment.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * 8):  # 29 February can be eight years away (2096 → 2104)
            if self.day_matches(day):
                first_hour = start.hour if day == start.date() else 0
                for hour in sorted(h for h in self.hours if h >= first_hour):
                    first_minute = (
                        start.minute if (day == start.date() and hour == start.hour) else 0
                    )
                    for minute in sorted(m for m in self.minutes if m >= first_minute):
                        return dt.datetime(
                            day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC
                        )
            day += dt.timedelta(days=1)
        raise DomainError("The schedule never fires.", field="schedule")


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise DomainError(f"Bad step in the {name} field: {text!r}.", field="schedule")
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first_text, last_text = part.split("-", 1)
            if not (first_text.isdigit() and last_text.isdigit()):
                raise DomainError(f"Bad range in the {name} field: {text!r}.", field="schedule")
            first, last = int(first_text), int(last_text)
        elif part.isdigit():
            first = last = int(part)
        else:
            raise DomainError(f"Bad value in the {name} field: {text!r}.", field="schedule")
        if first < low or last > high or first > last:
            raise DomainError(
                f"The {name} field must lie within {low}-{high}: {text!r}.", field="schedule"
            )
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronSchedule:
    parts = expression.split()
    if len(parts) != 5:
        raise DomainError(
            "A schedule has five fields: minute hour day month weekday.", field="schedule"
        )
    parsed = [_parse_field(text, *spec) for text, spec in zip(parts, FIELDS, strict=True)]
    weekdays = frozenset(0 if day == 7 else day for day in parsed[4])
    return CronSchedule(
        minutes=parsed[0],
        hours=parsed[1],
        days=parsed[2],
        months=parsed[3],
        weekdays=weekdays,
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )

"""Date arithmetic for the demo book: months, years, ages, premium due dates, payment modes."""

from __future__ import annotations

import calendar
import datetime as dt

MODE_MONTHS = {"annual": 12, "semi_annual": 6, "quarterly": 3, "monthly": 1}
MODE_DIVISOR = {"single": 1, "annual": 1, "semi_annual": 2, "quarterly": 4, "monthly": 12}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def office_hours(day: dt.date) -> dt.datetime:
    """A date as an aware UTC time during Beijing office hours (10:00 local)."""
    return dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (0 if end is before start's first monthly anniversary)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def first_due_after(issue: dt.date, period: int, day: dt.date) -> int:
    """Index of the first due date (issue + k·period months) on or after `day`."""
    k = months_between(issue, day) // period
    while add_months(issue, k * period) < day:
        k += 1
    return k

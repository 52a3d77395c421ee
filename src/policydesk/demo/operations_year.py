"""The period the demo's year of counter operations covers (the seed report's "January to
October"): the ten months ending on the last 31 October on or before the load date."""

from __future__ import annotations

import datetime as dt

MONTHS = 10  # January to October: the divisor of the seed's monthly figure


def operations_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the demo's operations year for a load on `as_of`."""
    year = as_of.year if as_of >= dt.date(as_of.year, 10, 31) else as_of.year - 1
    return dt.date(year, 1, 1), dt.date(year, 10, 31)

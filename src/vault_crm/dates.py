"""Dates and cadences: the grammar people write in notes, and calendar arithmetic. Pure."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["d", "w", "m", "y"]

_UNITS: dict[str, Unit] = {
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "m": "m", "mo": "m", "mos": "m", "month": "m", "months": "m",
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y",
}  # fmt: skip
_WORDS: dict[str, tuple[int, Unit]] = {
    "daily": (1, "d"),
    "weekly": (1, "w"),
    "biweekly": (2, "w"),
    "fortnightly": (2, "w"),
    "monthly": (1, "m"),
    "bimonthly": (2, "m"),
    "quarterly": (3, "m"),
    "semiannually": (6, "m"),
    "semi-annually": (6, "m"),
    "half-yearly": (6, "m"),
    "yearly": (1, "y"),
    "annually": (1, "y"),
}
_NONE = {"never", "none", ""}
_AMOUNT = re.compile(r"^(\d+)\s*([a-z]*)$")


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_days(year: int, month: int) -> int:
    """The days in a month (calendar.monthrange's second half, without the weekday it
    also works out: this runs for every person on every due list)."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months with the day clamped: Jan 31 + 1 month = Feb 28 (or 29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = start.day
    if day > 28:
        day = min(day, month_days(year, month + 1))
    return dt.date(year, month + 1, day)


@dataclass(frozen=True)
class Cadence:
    amount: int
    unit: Unit
    text: str

    def add_to(self, start: dt.date) -> dt.date:
        """The date a cadence after `start`; past the calendar's end (year 9999) it stays
        on its last day rather than failing."""
        try:
            if self.unit == "d":
                return start + dt.timedelta(days=self.amount)
            if self.unit == "w":
                return start + dt.timedelta(weeks=self.amount)
            if self.unit == "m":
                return add_months(start, self.amount)
            return add_months(start, 12 * self.amount)
        except (OverflowError, ValueError):
            return dt.date.max

    def days_from(self, start: dt.date) -> int:
        return (self.add_to(start) - start).days


def _parse(value: object, *, allow_zero: bool) -> Cadence | None:
    # The same few cadence strings repeat across a thousand people: parse each once.
    if isinstance(value, str):
        return _parse_text(value, allow_zero)
    return _parse_value(value, allow_zero=allow_zero)


@functools.lru_cache(maxsize=512)
def _parse_text(value: str, allow_zero: bool) -> Cadence | None:
    return _parse_value(value, allow_zero=allow_zero)


def _parse_value(value: object, *, allow_zero: bool) -> Cadence | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"unreadable cadence '{value}' (use e.g. 2w, 3 months, quarterly)")
    if isinstance(value, int):
        if value < 0 or (value == 0 and not allow_zero):
            raise ValueError(f"unreadable cadence '{value}' (it must be more than 0 days)")
        _check_range(value, "d", str(value))
        return Cadence(value, "d", str(value))
    if not isinstance(value, str):
        raise ValueError(f"unreadable cadence '{value}' (use e.g. 2w, 3 months, quarterly)")
    text = value.strip()
    key = text.casefold()
    if key in _NONE:
        return None
    if key in _WORDS:
        amount, unit = _WORDS[key]
        return Cadence(amount, unit, text)
    m = _AMOUNT.match(key)
    if m:
        amount = int(m.group(1))
        found = _UNITS.get(m.group(2) or "d")
        if found is not None and (amount > 0 or allow_zero):
            _check_range(amount, found, text)
            return Cadence(amount, found, text)
    raise ValueError(f"unreadable cadence '{text}' (use e.g. 2w, 3 months, quarterly)")


# The longest cadence or duration: a hundred years, in whichever unit it is written.
MAX_CADENCE: dict[Unit, int] = {"d": 36_525, "w": 5_218, "m": 1_200, "y": 100}


class TooLong(ValueError):
    """A cadence or duration past MAX_CADENCE."""


def _check_range(amount: int, unit: Unit, text: str) -> None:
    if amount > MAX_CADENCE[unit]:
        raise TooLong(f"'{text}' is too long (at most 100 years)")


def parse_cadence(value: object) -> Cadence | None:
    """A cadence as written in a note or the config; None for `never`/`none`/empty.
    Raises ValueError with a message for the user on anything else."""
    return _parse(value, allow_zero=False)


def parse_duration(value: str) -> Cadence:
    """A duration for options such as --within 7d or `snooze 2w`; 0 is allowed."""
    unreadable = f"unreadable duration '{value}' (use e.g. 7d, 2w, 3 months)"
    try:
        parsed = _parse(value, allow_zero=True)
    except TooLong:
        raise
    except ValueError:
        raise ValueError(unreadable) from None
    if parsed is None:
        raise ValueError(unreadable)
    return parsed


_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_date(value: object) -> dt.date:
    """A date property: a YAML date or datetime, or ISO text (a time part is ignored)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATETIME.match(value.strip())
        if m:
            try:
                return dt.date.fromisoformat(m.group(1))
            except ValueError:
                pass
    raise ValueError(f"unreadable date '{value}' (use YYYY-MM-DD)")


def parse_date_or_duration(value: str, today: dt.date) -> dt.date:
    """An ISO date, or today + a duration (`2w`, `3 months`)."""
    try:
        return parse_date(value)
    except ValueError:
        pass
    try:
        return parse_duration(value).add_to(today)
    except ValueError:
        raise ValueError(
            f"'{value}' is neither a date (YYYY-MM-DD) nor a duration (e.g. 2w, 3 months)"
        ) from None


@dataclass(frozen=True)
class MonthDay:
    year: int | None
    month: int
    day: int


_MONTH_DAY = re.compile(r"^--(\d{2})-(\d{2})$")


def parse_birthday(value: object) -> MonthDay:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown)."""
    if isinstance(value, str):
        m = _MONTH_DAY.match(value.strip())
        if m:
            month, day = int(m.group(1)), int(m.group(2))
            # 2000 is a leap year, so --02-29 is accepted.
            try:
                dt.date(2000, month, day)
            except ValueError:
                pass
            else:
                return MonthDay(None, month, day)
            raise ValueError(f"unreadable date '{value}' (use YYYY-MM-DD or --MM-DD)")
    try:
        d = parse_date(value)
    except ValueError:
        raise ValueError(f"unreadable date '{value}' (use YYYY-MM-DD or --MM-DD)") from None
    return MonthDay(d.year, d.month, d.day)


def _on(year: int, md: MonthDay) -> dt.date:
    # Feb 29 falls on Feb 28 in years without one.
    day = min(md.day, month_days(year, md.month))
    return dt.date(year, md.month, day)


def next_occurrence(md: MonthDay, today: dt.date) -> dt.date:
    """The first day on or after today that falls on the month and day."""
    this_year = _on(today.year, md)
    if this_year >= today or today.year == dt.MAXYEAR:
        return this_year
    return _on(today.year + 1, md)


def age_on(md: MonthDay, on: dt.date) -> int | None:
    """Whole years since the date, on `on` (None when the year is unknown)."""
    if md.year is None:
        return None
    years = on.year - md.year
    if (on.month, on.day) < (md.month, md.day) and on != _on(on.year, md):
        years -= 1
    return years


_TITLE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?=$|[\s_.])")


def title_date(title: str) -> dt.date | None:
    """An ISO date at the start of a title: `2026-03-01 Coffee with Ana`."""
    m = _TITLE_DATE.match(title)
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        return None


def daily_date(title: str) -> dt.date | None:
    """The date of a daily note, whose title is exactly `YYYY-MM-DD`."""
    if len(title) != 10:
        return None
    return title_date(title)


def format_overdue(days: int) -> str:
    """A short, honest amount of time: 12 days, 6 weeks, 4 months, 1 year."""
    if days <= 0:
        return "due today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 63:
        return f"{days // 7} weeks"
    if days < 365:
        return f"{days // 30} months"
    years = days // 365
    return f"{years} year{'s' if years != 1 else ''}"

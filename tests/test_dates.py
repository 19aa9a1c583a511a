"""Cadences, durations, dates and birthdays: the grammar people write."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault_crm.dates import (
    MonthDay,
    age_on,
    daily_date,
    format_overdue,
    next_occurrence,
    parse_birthday,
    parse_cadence,
    parse_date,
    parse_date_or_duration,
    parse_duration,
    title_date,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "days_from_2026_01_01"),
    [
        ("10d", 10), ("10 days", 10), ("2w", 14), ("2 weeks", 14), ("1 Week", 7),
        ("3 months", 90), ("1m", 31), ("1y", 365), ("2 years", 730), ("10", 10), (30, 30),
        ("weekly", 7), ("biweekly", 14), ("fortnightly", 14), ("monthly", 31),
        ("bimonthly", 59), ("quarterly", 90), ("semiannually", 181), ("half-yearly", 181),
        ("yearly", 365), ("annually", 365), (" Quarterly ", 90),
    ],
)  # fmt: skip
def test_cadence_grammar(text: object, days_from_2026_01_01: int) -> None:
    cadence = parse_cadence(text)
    assert cadence is not None
    assert cadence.days_from(D(2026, 1, 1)) == days_from_2026_01_01


@pytest.mark.parametrize("text", ["never", "none", "None", "", None])
def test_no_cadence(text: object) -> None:
    assert parse_cadence(text) is None


@pytest.mark.parametrize("text", ["often", "0", 0, -3, "2 fortnights", True, 1.5, ["2w"], "w2"])
def test_unreadable_cadence_names_the_value(text: object) -> None:
    with pytest.raises(ValueError, match="unreadable cadence"):
        parse_cadence(text)


def test_calendar_months_clamp_the_day() -> None:
    monthly = parse_cadence("1m")
    assert monthly is not None
    assert monthly.add_to(D(2026, 10, 22)) == D(2026, 11, 22)  # not Nov 21
    assert monthly.add_to(D(2026, 1, 31)) == D(2026, 2, 28)
    assert monthly.add_to(D(2028, 1, 31)) == D(2028, 2, 29)
    yearly = parse_cadence("1y")
    assert yearly is not None and yearly.add_to(D(2024, 2, 29)) == D(2025, 2, 28)
    assert monthly.days_from(D(2026, 1, 15)) == 31 and monthly.days_from(D(2026, 2, 15)) == 28


@given(st.dates(D(2023, 1, 1), D(2025, 12, 31)), st.integers(1, 40), st.sampled_from("dwmy"))
def test_adding_a_cadence_always_moves_forward(start: dt.date, n: int, unit: str) -> None:
    cadence = parse_cadence(f"{n}{unit}")
    assert cadence is not None
    end = cadence.add_to(start)
    assert end > start
    if unit == "m":
        months = (end.year - start.year) * 12 + end.month - start.month
        assert months == n and end.day <= start.day


def test_durations_allow_zero_but_not_never() -> None:
    assert parse_duration("0d").days_from(D(2026, 1, 1)) == 0
    assert parse_duration("7d").days_from(D(2026, 1, 1)) == 7
    with pytest.raises(ValueError):
        parse_duration("never")


def test_dates() -> None:
    assert parse_date(D(2026, 3, 1)) == D(2026, 3, 1)
    assert parse_date(dt.datetime(2026, 3, 1, 12, 30)) == D(2026, 3, 1)
    assert parse_date("2026-03-01") == D(2026, 3, 1)
    assert parse_date(" 2021-10-01T02:00:00+02:00 ") == D(2021, 10, 1)
    assert parse_date("2025-07-17T15:45:30.123Z") == D(2025, 7, 17)
    for bad in ("01/01/1980", "2026-02-30", "not-a-date", 20260301, None):
        with pytest.raises(ValueError, match="unreadable date"):
            parse_date(bad)


def test_date_or_duration() -> None:
    today = D(2026, 11, 23)
    assert parse_date_or_duration("2w", today) == D(2026, 12, 7)
    assert parse_date_or_duration("1 month", today) == D(2026, 12, 23)
    assert parse_date_or_duration("2027-01-05", today) == D(2027, 1, 5)
    with pytest.raises(ValueError):
        parse_date_or_duration("soon", today)


def test_birthdays_with_and_without_year() -> None:
    assert parse_birthday("1990-12-02") == MonthDay(1990, 12, 2)
    assert parse_birthday(D(1990, 12, 2)) == MonthDay(1990, 12, 2)
    assert parse_birthday("--02-29") == MonthDay(None, 2, 29)
    for bad in ("--02-30", "01/01/1980", "--13-01"):
        with pytest.raises(ValueError):
            parse_birthday(bad)


def test_next_occurrence_and_age() -> None:
    leap = MonthDay(None, 2, 29)
    assert next_occurrence(leap, D(2026, 2, 1)) == D(2026, 2, 28)
    assert next_occurrence(leap, D(2027, 12, 31)) == D(2028, 2, 29)
    ana = MonthDay(1991, 12, 2)
    assert next_occurrence(ana, D(2026, 11, 23)) == D(2026, 12, 2)
    assert next_occurrence(ana, D(2026, 12, 2)) == D(2026, 12, 2)  # today counts
    assert next_occurrence(ana, D(2026, 12, 3)) == D(2027, 12, 2)
    assert age_on(ana, D(2026, 12, 2)) == 35 and age_on(ana, D(2026, 12, 1)) == 34
    assert age_on(leap, D(2026, 2, 28)) is None
    assert age_on(MonthDay(2000, 2, 29), D(2026, 2, 28)) == 26


def test_titles() -> None:
    assert title_date("2026-03-01 Coffee with Ana") == D(2026, 3, 1)
    assert title_date("2026-03-01") == D(2026, 3, 1)
    assert title_date("2020-08-08-an-earlier-post") is None
    assert title_date("2026-02-30 Impossible") is None
    assert daily_date("2026-03-01") == D(2026, 3, 1)
    assert daily_date("2026-03-01 Coffee") is None and daily_date("2022-W53") is None


def test_format_overdue() -> None:
    assert [format_overdue(n) for n in (0, 1, 12, 45, 200, 400, 800)] == [
        "due today", "1 day", "12 days", "6 weeks", "6 months", "1 year", "2 years",
    ]  # fmt: skip

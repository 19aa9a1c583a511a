"""A large calendar read on every core gives exactly what reading it whole gives: the same
occurrences and problems, in the same order; a file that cannot be cut safely is read
whole."""

from __future__ import annotations

import datetime as dt

import pytest

from vault_crm.importing.ics import Window, read_calendar, read_parallel
from vault_crm.importing.ics_chunks import split

from conftest import CORPUS

WINDOW = Window(None, dt.date(2026, 12, 20))
START, STOP = dt.datetime(1900, 1, 1), dt.datetime(2026, 12, 21)
MINE = frozenset({"me@example.org"})

ZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def event(i: int, *extra: str, uid: str | None = None, start: str | None = None) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid if uid is not None else f'ev-{i}@example.org'}",
        start or f"DTSTART;TZID=Europe/Berlin:2026{1 + i % 11:02d}{1 + i % 27:02d}T233000",
        f"SUMMARY:Meeting {i}",
        f"DESCRIPTION:About {i}",
        "ORGANIZER;CN=Me:mailto:me@example.org",
        f"ATTENDEE;CN=Person {i % 9}:mailto:person{i % 9}@example.org",
        *extra,
        "END:VEVENT",
    ]
    return "\n".join(lines) + "\n"


def calendar(*parts: str, head: str = "X-WR-CALNAME:Work\n") -> bytes:
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + head + "".join(parts)
    return (text + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def busy_calendar() -> bytes:
    """Late-evening meetings in Berlin (the day depends on the zone), weekly series with
    exclusions, their moved and cancelled occurrences written at the end of the file (as
    Google does), an alarm, events without a UID, and one broken series."""
    singles = [event(i) for i in range(120)]
    series = [
        event(
            200 + s,
            "RRULE:FREQ=WEEKLY;COUNT=6",
            "EXDATE;TZID=Europe/Berlin:20260112T233000",
            start="DTSTART;TZID=Europe/Berlin:20260105T233000",
        )
        for s in range(12)
    ]
    broken = event(300, "RRULE:FREQ=SOMETIMES")
    alarm = event(301, "BEGIN:VALARM", "ACTION:DISPLAY", "UID:alarm-1", "END:VALARM")
    no_uid = [event(400 + n, uid="").replace("UID:\n", "") for n in range(3)]
    overrides = [
        event(
            200 + s,
            "RECURRENCE-ID;TZID=Europe/Berlin:20260126T233000",
            *(["STATUS:CANCELLED"] if s % 2 else []),
            start="DTSTART;TZID=Europe/Berlin:20260127T090000",
        )
        for s in range(12)
    ]
    return calendar(ZONE, *singles[:60], *series, broken, *singles[60:], alarm, *no_uid, *overrides)


@pytest.mark.parametrize("parts", [2, 7, 60])
def test_a_calendar_read_in_chunks_is_exactly_the_calendar_read_whole(parts: int) -> None:
    data = busy_calendar()
    whole = list(read_calendar(data, "work.ics", WINDOW, MINE))
    chunks = split(data, parts)
    assert chunks is not None and len(chunks) > 1
    got = read_parallel(data, "work.ics", START, STOP, MINE, at_least=0, parts=parts)
    assert got == whole
    # What the comparison covers: the Berlin day of a late meeting, a series without
    # its excluded and cancelled dates, the moved one, the broken series, no-UID events.
    sources = [getattr(o, "source", None) for o in whole]
    assert "ics:ev-201@example.org/20260105T223000Z" in sources
    assert "ics:ev-201@example.org/20260112T223000Z" not in sources
    assert "ics:ev-201@example.org/20260126T223000Z" not in sources  # cancelled
    days = {getattr(o, "source", None): getattr(o, "day", None) for o in whole}
    assert days["ics:ev-200@example.org/20260126T223000Z"] == dt.date(2026, 1, 27)  # moved
    assert days["ics:ev-0@example.org"] == dt.date(2026, 1, 1)
    assert [(b.uid, b.summary) for b in whole if not hasattr(b, "source")] == [
        ("ev-300@example.org", "Meeting 300")
    ]
    assert sum(1 for s in sources if s and s.startswith("ics:no-uid-")) == 3


def test_the_progress_of_a_chunked_read_moves_to_the_end() -> None:
    data = busy_calendar()
    heard: list[int] = []
    read_parallel(data, "work.ics", START, STOP, MINE, heard.append, at_least=0, parts=20)
    assert len(heard) > 5
    assert heard == sorted(heard)
    assert heard[-1] == data.count(b"BEGIN:VEVENT")


@pytest.mark.parametrize(
    "data",
    [
        calendar(event(1)) + calendar(event(2)),  # two calendars in one file
        calendar(event(1), "X-WR-TIMEZONE:Europe/Berlin\n", event(2)),  # a late property
        calendar(event(1).replace("END:VEVENT", "END:VTODO"), event(2)),  # unbalanced
        calendar(event(1), event(2))[:-20],  # cut short
    ],
    ids=["two-calendars", "late-property", "unbalanced", "cut-short"],
)
def test_a_calendar_that_cannot_be_cut_safely_is_read_whole(data: bytes) -> None:
    assert split(data, 4) is None
    assert read_parallel(data, "x.ics", START, STOP, MINE, at_least=0, parts=4) is None


def test_one_uid_written_two_ways_in_two_chunks_is_read_whole() -> None:
    # `a\,b` and `a,b` are the same UID once read: the override (moved, and without the
    # people, so no meeting) must meet its series.
    series = event(1, "RRULE:FREQ=WEEKLY;COUNT=3", uid="a\\,b")
    fillers = [event(i) for i in range(10, 30)]
    override = event(
        1,
        "RECURRENCE-ID;TZID=Europe/Berlin:20260209T233000",
        uid="a,b",
        start="DTSTART;TZID=Europe/Berlin:20260210T233000",
    )
    override = "".join(ln for ln in override.splitlines(True) if "mailto:" not in ln)
    data = calendar(series, *fillers, override)
    assert read_parallel(data, "x.ics", START, STOP, MINE, at_least=0, parts=10) is None
    whole = list(read_calendar(data, "x.ics", WINDOW, MINE))
    assert len([o for o in whole if getattr(o, "uid", "") == "a,b"]) == 2


CORPUS_ICS = sorted(CORPUS.glob("ics-*/*.ics"))


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_ICS, reason="shared corpus not present")
def test_every_corpus_calendar_read_in_small_chunks_is_the_calendar_read_whole() -> None:
    cut = 0
    for path in CORPUS_ICS:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        whole = list(read_calendar(data, path.name, WINDOW, MINE))
        got = read_parallel(data, path.name, START, STOP, MINE, at_least=2, parts=50)
        if got is not None:
            cut += 1
            assert got == whole, path.name
    assert cut >= 5  # the files with several events that are one well-formed calendar

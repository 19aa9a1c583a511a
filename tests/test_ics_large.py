"""Large calendars: every series is expanded in one pass (each on its own only when one is
broken), and the reading progress moves as the events are gone through."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from vault_crm.importing.ics import Broken, Occurrence, Window, read_calendar

from conftest import Vault

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

WINDOW = Window(None, dt.date(2026, 12, 20))


def event(uid: str, *lines: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20261110T100000Z\r\nSUMMARY:Call {uid}\r\n"
        "ATTENDEE:mailto:ana@example.org\r\n" + "".join(f"{ln}\r\n" for ln in lines)
    ) + "END:VEVENT\r\n"


def calendar(*events: str) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


@pytest.mark.parametrize(
    "broken",
    ["RRULE:FREQ=SOMETIMES", "RRULE:FREQ=WEEKLY;UNTIL=notadate", "EXDATE:garbage"],
)
def test_one_broken_series_among_many_is_one_problem_and_the_rest_import(broken: str) -> None:
    weekly = ("RRULE:FREQ=WEEKLY;COUNT=3",)
    good = [event(f"e{i}", *(weekly if i % 5 == 0 else ())) for i in range(40)]
    with_broken = [*good[:20], event("bad", broken), *good[20:]]
    got = list(read_calendar(calendar(*with_broken), "x.ics", WINDOW, []))
    alone = list(read_calendar(calendar(*good), "x.ics", WINDOW, []))
    problems = [g for g in got if isinstance(g, Broken)]
    assert [(p.uid, p.summary) for p in problems] == [("bad", "Call bad")]
    # Everything else is exactly what the calendar without the broken event gives, in
    # the same order: 32 one-off calls and 8 weekly series of 3.
    assert [g for g in got if isinstance(g, Occurrence)] == alone
    assert len(alone) == 32 + 8 * 3
    assert [o.source for o in alone[:4]] == [
        "ics:e0/20261110T100000Z",
        "ics:e0/20261117T100000Z",
        "ics:e0/20261124T100000Z",
        "ics:e1",
    ]


@pytest.mark.slow
def test_the_reading_progress_moves_through_one_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lean_calendar import MEETINGS, calendar, make_vault

    from vault_crm.calendar_sync import import_calendars
    from vault_crm.cli.app import App

    ics = tmp_path / "big.ics"
    ics.write_text(calendar(1000), encoding="utf-8", newline="")
    root = tmp_path / "v"
    make_vault(root)
    monkeypatch.setenv("VAULT_CRM_CACHE", str(tmp_path / "cache"))
    heard: list[tuple[int, int]] = []
    app = App(str(root), "2026-11-23", debug=False, no_refresh=False)
    try:
        result = import_calendars(
            app.index(),
            [("big.ics", ics)],
            app.today,
            dry_run=True,
            reading=lambda done, total: heard.append((done, total)),
        )
    finally:
        app.close()
    assert result.count("create") == MEETINGS
    # About once a percent, never backwards, ending at every event of the file.
    assert len(heard) > 50
    assert {total for _, total in heard} == {1000}
    assert [d for d, _ in heard] == sorted(d for d, _ in heard)
    assert heard[-1] == (1000, 1000)


def test_a_large_import_then_a_re_import_changes_no_byte(tmp_path: Path) -> None:
    from bench_calendar import calendar as bench_calendar
    from bench_calendar import make_vault

    ics = tmp_path / "cal.ics"
    ics.write_text(bench_calendar(150), encoding="utf-8", newline="")
    root = tmp_path / "v"
    make_vault(root)
    v = Vault(root, today="2026-11-23")
    first = v.run("import", "ics", str(ics))
    assert first.exit_code == 0, first.stderr
    notes = {p.name: p.read_bytes() for p in (root / "Meetings").glob("*.md")}
    assert len(notes) > 150
    some = notes[sorted(notes)[0]].decode()
    assert some.startswith('---\ntype: meeting\ndate: 2024-01-01\nwith:\n  - "[[Person 0]]"')
    again = v.run("import", "ics", str(ics))
    assert again.exit_code == 0, again.stderr
    assert {p.name: p.read_bytes() for p in (root / "Meetings").glob("*.md")} == notes
    assert f"{len(notes)} skip" in again.stderr

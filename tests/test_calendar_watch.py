"""`vault watch` and calendars: a real daemon subprocess, real file events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from icalendar import Calendar
from test_watch import Daemon

pytestmark = pytest.mark.slow

MakeVault = Callable[[dict[str, str | bytes]], Path]


def meeting(uid: str, day: str, summary: str, email: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART;VALUE=DATE:{day}\r\nSUMMARY:{summary}\r\n"
        f"ORGANIZER:mailto:me@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def setup(make_vault: MakeVault, tmp_path: Path) -> tuple[Path, Path, Path]:
    cals = tmp_path / "calendars" / "work"
    cals.mkdir(parents=True)
    export = tmp_path / "sync" / "vault.ics"
    root = make_vault(
        {
            ".vault/config.toml": (
                'my_emails = ["me@example.org"]\n'
                f'calendars = ["{tmp_path}/calendars/*/"]\n'
                f'calendar_export = "{export}"\n'
            ),
            "People/Ana Lima.md": "---\nemail: ana@example.org\ncadence: 2w\n---\n",
        }
    )
    (cals / "old.ics").write_bytes(meeting("old@t", "20261101", "Kickoff", "ana@example.org"))
    return root, cals, export


def reconnect_dates(export: Path) -> list[str]:
    cal = Calendar.from_ical(export.read_bytes())
    return sorted(
        f"{e.get('SUMMARY')} {e.decoded('DTSTART').isoformat()}"
        for e in cal.walk("VEVENT")
        if "Ana" in str(e.get("SUMMARY"))
    )


def test_dropping_a_calendar_in_a_folder_imports_its_meeting(
    setup: tuple[Path, Path, Path],
) -> None:
    root, cals, export = setup
    daemon = Daemon(root)
    try:
        # At start: the calendar already there is imported and the export written.
        assert (root / "Meetings" / "2026-11-01 Kickoff.md").is_file()
        first = reconnect_dates(export)
        # Nov 1 + 2 weeks is past: the reminder is today.
        assert first == ["Reconnect with Ana Lima 2026-11-23"], first
        # A new .ics in the folder (written, then renamed into place, as sync tools do).
        tmp = cals / ".new.ics.tmp"
        tmp.write_bytes(meeting("new@t", "20261120", "Design review", "ana@example.org"))
        tmp.rename(cals / "new.ics")
        note = root / "Meetings" / "2026-11-20 Design review.md"
        daemon.wait_for(note.is_file, "the meeting note", timeout=15)
        assert 'source: "ics:new@t"' in note.read_text()
        # The due picture changed (last contact Nov 20), so the subscription file did too.
        daemon.wait_for(
            lambda: all("2026-12-04" in d for d in reconnect_dates(export)) or None,
            "the export to follow",
            timeout=15,
        )
        # A note written by hand that changes the due picture rewrites it as well.
        (root / "Meetings" / "2026-11-22 Call.md").write_text(
            '---\ndate: 2026-11-22\nwith: ["[[Ana Lima]]"]\n---\n'
        )
        daemon.wait_for(
            lambda: all("2026-12-06" in d for d in reconnect_dates(export)) or None,
            "the export after a note",
            timeout=15,
        )
    finally:
        assert daemon.stop() == 0
    log = "\n".join(daemon.lines)
    # At start, then the drop-in: only the new file is read again.
    assert log.count("calendars: 1 file, 1 meeting imported, 0 already there") == 2
    assert "meetings imported, Reconnect.md rewritten" in log
    assert "Traceback" not in log


def calendar(*calendars: bytes) -> bytes:
    """One calendar with the events of several."""
    head = calendars[0].partition(b"BEGIN:VEVENT")[0]
    events = [c.partition(b"BEGIN:VEVENT")[2].rpartition(b"END:VCALENDAR")[0] for c in calendars]
    return head + b"".join(b"BEGIN:VEVENT" + e for e in events) + b"END:VCALENDAR\r\n"


def _calendar_lines(daemon: Daemon) -> list[str]:
    return [ln.split(" ", 1)[1] for ln in daemon.lines if " calendars:" in ln]  # no time


@pytest.mark.parametrize("poll", [False, True], ids=["native", "poll"])
def test_a_calendar_file_watches_its_folder_alone(
    make_vault: MakeVault, tmp_path: Path, poll: bool
) -> None:
    # A calendar file beside others (~/Downloads/calendar.ics, say): only that folder's own
    # files wake the daemon, not all that happens below it, and only the file is imported.
    downloads = tmp_path / "Downloads"
    (downloads / "photos").mkdir(parents=True)
    work = downloads / "work.ics"
    work.write_bytes(meeting("kick@t", "20261101", "Kickoff", "ana@example.org"))
    root = make_vault(
        {
            ".vault/config.toml": (f'my_emails = ["me@example.org"]\ncalendars = ["{work}"]\n'),
            "People/Ana Lima.md": "---\nemail: ana@example.org\ncadence: 2w\n---\n",
        }
    )
    daemon = Daemon(root, poll=poll)
    try:
        assert (root / "Meetings" / "2026-11-01 Kickoff.md").is_file()
        assert len(_calendar_lines(daemon)) == 1
        # Below the folder: a new folder with a calendar in it, a calendar in an old one.
        (downloads / "trip").mkdir()
        (downloads / "trip" / "trip.ics").write_bytes(
            meeting("trip@t", "20261110", "Trip", "ana@example.org")
        )
        (downloads / "photos" / "old.ics").write_bytes(
            meeting("old@t", "20261111", "Old", "ana@example.org")
        )
        # A note changed after them: once the daemon has dealt with it, it has seen them.
        (root / "Notes.md").write_text("Seen.\n")
        daemon.wait_for(lambda: any("Notes.md" in ln for ln in daemon.lines), "the note")
        assert len(_calendar_lines(daemon)) == 1, daemon.lines
        # The configured file changed: it is imported within seconds.
        tmp = downloads / ".work.ics.tmp"
        tmp.write_bytes(
            calendar(
                meeting("kick@t", "20261101", "Kickoff", "ana@example.org"),
                meeting("rev@t", "20261120", "Review", "ana@example.org"),
            )
        )
        tmp.rename(work)
        note = root / "Meetings" / "2026-11-20 Review.md"
        daemon.wait_for(note.is_file, "the meeting note", timeout=15)
    finally:
        assert daemon.stop() == 0
    assert _calendar_lines(daemon)[1:] == [
        "calendars: 1 file, 1 meeting imported, 1 already there, 0 problems"
    ], daemon.lines
    assert not list((root / "Meetings").glob("*Trip*"))
    assert not list((root / "Meetings").glob("*Old*"))
    assert "Traceback" not in "\n".join(daemon.lines)


@pytest.mark.parametrize("poll", [False, True], ids=["native", "poll"])
def test_a_calendar_folder_is_watched_with_its_subfolders(
    make_vault: MakeVault, tmp_path: Path, poll: bool
) -> None:
    # vdirsyncer keeps a folder per calendar, one event a file.
    cals = tmp_path / "calendars"
    (cals / "work").mkdir(parents=True)
    root = make_vault(
        {
            ".vault/config.toml": f'my_emails = ["me@example.org"]\ncalendars = ["{cals}"]\n',
            "People/Ana Lima.md": "---\nemail: ana@example.org\ncadence: 2w\n---\n",
        }
    )
    daemon = Daemon(root, poll=poll)
    try:
        tmp = cals / "work" / ".new.ics.tmp"
        tmp.write_bytes(meeting("new@t", "20261120", "Design review", "ana@example.org"))
        tmp.rename(cals / "work" / "new.ics")
        note = root / "Meetings" / "2026-11-20 Design review.md"
        daemon.wait_for(note.is_file, "the meeting note", timeout=15)
    finally:
        assert daemon.stop() == 0
    assert "Traceback" not in "\n".join(daemon.lines)

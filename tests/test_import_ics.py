"""`vault import ics`: meetings in calendars become conversation notes (real vaults in
tmp_path, calendars written here, and every calendar in the shared corpus)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CORPUS, Vault, run_on_a_terminal

MakeVault = Callable[[dict[str, str | bytes]], Path]


def ics(*events: str, header: str = "") -> str:
    body = "\r\n".join(e.strip("\n").replace("\n", "\r\n") for e in events)
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + header
    return head + body + "\r\nEND:VCALENDAR\r\n"


def event(uid: str, start: str, summary: str, *lines: str) -> str:
    return "\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", start, f"SUMMARY:{summary}", *lines, "END:VEVENT"]
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def vault(make_vault: MakeVault) -> Vault:
    root = make_vault(
        {
            ".vault/config.toml": 'my_emails = ["me@example.org"]\n',
            "People/Ana Lima.md": "---\ntype: person\nemail: ana@example.org\ncadence: 2w\n---\n",
            "People/Rui Costa.md": (
                "---\ntype: person\nemail: [rui@old.org, Rui@Example.org]\ncadence: 1m\n---\n"
            ),
        }
    )
    return Vault(root, today="2026-11-26")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / "cal" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return str(path)


def meetings(v: Vault) -> dict[str, str]:
    folder = v.root / "Meetings"
    return {p.name: p.read_text() for p in sorted(folder.glob("*.md"))} if folder.is_dir() else {}


GOOGLE = ics(
    event(
        "coffee@google.com",
        "DTSTART:20211223T020000Z",
        "Coffee: pricing / hiring",
        "DTEND:20211223T030000Z",
        "DESCRIPTION:We talked about pricing.\\nNext: send the deck.",
        "ORGANIZER;CN=Me:mailto:me@example.org",
        "ATTENDEE;CN=Ana Lima;PARTSTAT=ACCEPTED:MAILTO:Ana@Example.org",
        "ATTENDEE;CN=Bob Stranger;PARTSTAT=ACCEPTED:mailto:bob@x.org",
        "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@x.org",
        "ATTENDEE;CN=Board room:mailto:c_123@resource.calendar.google.com",
    ),
    header="X-WR-TIMEZONE:America/New_York\r\n",
)


def test_a_google_meeting_is_a_note_on_its_local_day(vault: Vault, tmp_path: Path) -> None:
    result = vault.run(
        "import", "ics", write(tmp_path, "google.ics", GOOGLE), "--since", "2021-01-01"
    )
    assert result.exit_code == 0, result.stderr
    notes = meetings(vault)
    # 02:00 UTC on the 23rd is the evening of the 22nd in New York.
    assert list(notes) == ["2021-12-22 Coffee pricing - hiring.md"]
    assert notes["2021-12-22 Coffee pricing - hiring.md"] == (
        '---\ntype: meeting\ndate: 2021-12-22\nwith:\n  - "[[Ana Lima]]"\n'
        'channel: meeting\nsource: "ics:coffee@google.com"\n---\n'
        "We talked about pricing.\nNext: send the deck.\n"
    )
    # The meeting is Ana's last contact.
    people = {p["person"]: p for p in vault.json("people")}
    assert people["Ana Lima"]["last_contact"] == "2021-12-22"
    # Bob is listed as someone met but not tracked; the room and resource are not.
    assert "Bob Stranger <bob@x.org>: 1 meeting, last 2021-12-22" in result.stdout
    assert "room1" not in result.stdout and "resource" not in result.stdout


def test_reimport_changes_no_byte_and_lists_skips(vault: Vault, tmp_path: Path) -> None:
    f = write(tmp_path, "google.ics", GOOGLE)
    assert vault.run("import", "ics", f).exit_code == 0
    before = snapshot(vault.root)
    plan = vault.json("import", "ics", f)
    assert snapshot(vault.root) == before
    assert [
        (s["action"], s["path"], s["matched_by"]) for s in plan if s["action"] != "unmatched"
    ] == [("skip", "Meetings/2021-12-22 Coffee pricing - hiring.md", "source")]
    unmatched = [s for s in plan if s["action"] == "unmatched"]
    assert unmatched == [
        {
            "action": "unmatched",
            "title": "Bob Stranger",
            "path": None,
            "matched_by": None,
            "source": "mailto:bob@x.org",
            "reason": None,
            "email": "bob@x.org",
            "count": 1,
            "last": "2021-12-22",
            "scheduled": 0,
        }
    ]


def test_reimport_finds_a_moved_note_by_its_source(vault: Vault, tmp_path: Path) -> None:
    """A meeting note the user moved and renamed is still the meeting's note; a note whose
    `source` is not text (a list, a number) is not taken for one."""
    f = write(tmp_path, "google.ics", GOOGLE)
    assert vault.run("import", "ics", f).exit_code == 0
    written = vault.root / "Meetings" / "2021-12-22 Coffee pricing - hiring.md"
    (vault.root / "Archive").mkdir()
    moved = vault.root / "Archive" / "Coffee with Ana.md"
    written.rename(moved)
    (vault.root / "Odd.md").write_text('---\nsource: ["ics:x"]\n---\n', encoding="utf-8")
    (vault.root / "Odd2.md").write_text("---\nsource: 7\n---\n", encoding="utf-8")
    before = snapshot(vault.root)
    plan = vault.json("import", "ics", f)
    assert snapshot(vault.root) == before
    assert [(s["action"], s["path"]) for s in plan if s["action"] != "unmatched"] == [
        ("skip", "Archive/Coffee with Ana.md")
    ]


WEEKLY = ics(
    event(
        "weekly@test",
        "DTSTART;TZID=Europe/Berlin:20261102T233000",
        "Weekly sync",
        "DTEND;TZID=Europe/Berlin:20261103T000000",
        "RRULE:FREQ=WEEKLY;COUNT=8",
        "EXDATE;TZID=Europe/Berlin:20261109T233000",
        "ORGANIZER:mailto:me@example.org",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:rui@ example.org",
        "ATTENDEE;PARTSTAT=DECLINED:mailto:ana@example.org",
    ),
    event(
        "weekly@test",
        "DTSTART;TZID=Europe/Berlin:20261116T233000",
        "Weekly sync",
        "RECURRENCE-ID;TZID=Europe/Berlin:20261116T233000",
        "STATUS:CANCELLED",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:rui@example.org",
    ),
    event(
        "weekly@test",
        "DTSTART;TZID=Europe/Berlin:20261125T100000",
        "Weekly sync (moved)",
        "RECURRENCE-ID;TZID=Europe/Berlin:20261123T233000",
        "DESCRIPTION:Moved to Wednesday.",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:rui@example.org",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.org",
    ),
)


def test_recurrences_exclusions_cancellations_and_the_horizon(vault: Vault, tmp_path: Path) -> None:
    # Today is 2026-11-26; the horizon is 14 days: 7 December is in, 14 December is out.
    (vault.root / ".vault/config.toml").write_text(
        'my_emails = ["me@example.org"]\ncalendar_horizon = "14d"\n'
    )
    result = vault.run("import", "ics", write(tmp_path, "weekly.ics", WEEKLY))
    assert result.exit_code == 0, result.stderr
    notes = meetings(vault)
    # Local days (23:30 in Berlin), no EXDATE (9th), no cancelled occurrence (16th), the
    # moved one on its new day with its own attendees, nothing past the horizon.
    assert list(notes) == [
        "2026-11-02 Weekly sync.md",
        "2026-11-25 Weekly sync (moved).md",
        "2026-11-30 Weekly sync.md",
        "2026-12-07 Weekly sync.md",
    ]
    assert 'source: "ics:weekly@test/20261102T223000Z"' in notes["2026-11-02 Weekly sync.md"]
    assert '  - "[[Rui Costa]]"\n' in notes["2026-11-02 Weekly sync.md"]
    assert "Ana Lima" not in notes["2026-11-02 Weekly sync.md"]  # she declined
    moved = notes["2026-11-25 Weekly sync (moved).md"]
    assert 'with:\n  - "[[Ana Lima]]"\n  - "[[Rui Costa]]"\n' in moved
    assert 'source: "ics:weekly@test/20261123T223000Z"' in moved
    assert moved.endswith("---\nMoved to Wednesday.\n")


def test_a_booked_meeting_keeps_a_person_off_the_due_list(vault: Vault, tmp_path: Path) -> None:
    (vault.root / "Conversations").mkdir()
    (vault.root / "Conversations/2026-09-01 Call.md").write_text(
        '---\ndate: 2026-09-01\nwith: ["[[Ana Lima]]", "[[Rui Costa]]"]\n---\n'
    )
    due = vault.json("due", "--no-write")
    assert {e["person"] for e in due["due"]} == {"Ana Lima", "Rui Costa"}
    booked = ics(
        event(
            "lunch@test",
            "DTSTART;VALUE=DATE:20261204",
            "Lunch",
            "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:ana@example.org",
        )
    )
    assert vault.run("import", "ics", write(tmp_path, "b.ics", booked)).exit_code == 0
    assert "date: 2026-12-04\n" in meetings(vault)["2026-12-04 Lunch.md"]
    due = vault.json("due", "--no-write")
    assert {e["person"] for e in due["due"]} == {"Rui Costa"}


def test_dry_run_writes_nothing(vault: Vault, tmp_path: Path) -> None:
    before = snapshot(vault.root)
    plan = vault.json("import", "ics", write(tmp_path, "g.ics", GOOGLE), "--dry-run")
    assert snapshot(vault.root) == before
    assert plan[0]["action"] == "create"
    assert plan[0]["path"] == "Meetings/2021-12-22 Coffee pricing - hiring.md"


def test_nobody_matched_writes_nothing_and_titles_stay_unique(vault: Vault, tmp_path: Path) -> None:
    cal = ics(
        event("a@t", "DTSTART:20261120T100000Z", "Sync", "ATTENDEE:mailto:ana@example.org"),
        event("b@t", "DTSTART:20261120T150000Z", "Sync", "ATTENDEE:mailto:rui@example.org"),
        event("c@t", "DTSTART:20261120T150000Z", "Holiday"),
        event("d@t", "DTSTART:20261120T150000Z", "Me alone", "ATTENDEE:mailto:ME@example.org"),
        event("e@t", "DTSTART:20261121T150000Z", "Strangers", "ATTENDEE:mailto:zed@x.org"),
        event(
            "f@t",
            "DTSTART:20261122T150000Z",
            "Cancelled",
            "STATUS:CANCELLED",
            "ATTENDEE:mailto:ana@example.org",
        ),
        event(
            "g@t",
            "DTSTART:20261122T150000Z",
            "Google",
            "ORGANIZER:mailto:unknownorganizer@calendar.google.com",
            "ATTENDEE;CUTYPE=GROUP:mailto:team@x.org",
            "ATTENDEE:mailto:x@group.calendar.google.com",
        ),
    )
    # A note elsewhere already has the title: links must stay unambiguous.
    (vault.root / "Conversations").mkdir()
    (vault.root / "Conversations/2026-11-20 sync.md").write_text("Mine.\n")
    result = vault.run("import", "ics", write(tmp_path, "c.ics", cal))
    assert result.exit_code == 0, result.stderr
    assert list(meetings(vault)) == ["2026-11-20 Sync (2).md", "2026-11-20 Sync (3).md"]
    assert "zed@x.org: 1 meeting, last 2026-11-21" in result.stdout
    for hidden in ("team@x.org", "unknownorganizer", "group.calendar", "me@example.org"):
        assert hidden not in result.stdout


def test_a_broken_event_is_a_problem_and_the_rest_imports(vault: Vault, tmp_path: Path) -> None:
    cal = ics(
        "BEGIN:VEVENT\nUID:nostart@t\nSUMMARY:No start\nATTENDEE:mailto:rui@example.org\n"
        "END:VEVENT",
        event("ok@t", "DTSTART:20261120T100000Z", "Fine", "ATTENDEE:mailto:ana@example.org"),
    )
    bad = write(tmp_path, "bad.ics", cal)
    junk = write(tmp_path, "junk.ics", "this is not a calendar\n")
    result = vault.run("import", "ics", bad, junk)
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    assert f"{bad}: nostart@t: problem: no DTSTART property" in result.stderr
    assert f"{junk}: problem: not a calendar" in result.stderr
    assert "Calendar import: 2 files, 1 create, 2 problems, 0 unmatched" in result.stderr
    assert list(meetings(vault)) == ["2026-11-20 Fine.md"]


def test_a_missing_path_is_an_error_and_nothing_is_written(vault: Vault, tmp_path: Path) -> None:
    f = write(tmp_path, "g.ics", GOOGLE)
    result = vault.run("import", "ics", f, str(tmp_path / "nope.ics"))
    assert result.exit_code == 1
    assert "nope.ics: no such file or folder; nothing was imported" in result.stderr
    assert meetings(vault) == {}
    assert vault.run("import", "ics", f, "--since", "soon").exit_code == 2


def test_a_folder_of_one_event_files_as_vdirsyncer_keeps_it(vault: Vault, tmp_path: Path) -> None:
    for i in range(3):
        write(
            tmp_path,
            f"work/{i}.ics",
            ics(
                event(
                    f"e{i}@t",
                    f"DTSTART:2026111{i}T100000Z",
                    f"Call {i}",
                    "ATTENDEE:mailto:ana@example.org",
                )
            ),
        )
    write(tmp_path, "work/.hidden.ics", "junk")
    result = vault.run("import", "ics", str(tmp_path / "cal" / "work"))
    assert result.exit_code == 0, result.stderr
    assert list(meetings(vault)) == [
        "2026-11-10 Call 0.md",
        "2026-11-11 Call 1.md",
        "2026-11-12 Call 2.md",
    ]


def test_a_problem_in_a_folder_a_glob_found_names_the_real_file(
    vault: Vault, tmp_path: Path
) -> None:
    broken = ics(
        "BEGIN:VEVENT\nUID:nostart@t\nSUMMARY:No start\nATTENDEE:mailto:rui@example.org\nEND:VEVENT"
    )
    write(tmp_path, "work/broken.ics", broken)
    write(tmp_path, "home/junk.ics", "this is not a calendar\n")
    result = vault.run("import", "ics", f"{tmp_path}/cal/*/")
    assert result.exit_code == 1
    cal = tmp_path / "cal"
    assert f"{cal}/work/broken.ics: nostart@t: problem: no DTSTART property" in result.stderr
    assert f"{cal}/home/junk.ics: problem: not a calendar" in result.stderr
    assert "*" not in result.stderr
    # A folder named as it is keeps the name it was given.
    from vault_crm.calendar_sync import calendar_files

    files, _ = calendar_files(["cal/work", "cal/h*/"], tmp_path)
    assert files == [
        (str(Path("cal/work/broken.ics")), cal / "work" / "broken.ics"),
        (str(cal / "home" / "junk.ics"), cal / "home" / "junk.ics"),
    ]


CORPUS_ICS = sorted(CORPUS.glob("ics-*/*.ics"))


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_ICS, reason="shared corpus not present")
def test_every_corpus_calendar_imports_without_a_traceback(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    # People with the addresses the corpus calendars invite, so meetings are written.
    root = make_vault(
        {
            ".vault/config.toml": "",
            "People/Henry Cabot.md": "---\nemail: hcabot@example.com\n---\n",
            "People/Boss.md": "---\nemail: iamboss@example.com\n---\n",
            "People/Fred.md": "---\nemail: [person@domain.com]\n---\n",
            "People/Dan.md": "---\nemail: dlatham@apple.com\n---\n",
        }
    )
    v = Vault(root, today="2026-11-26")
    files = [str(p) for p in CORPUS_ICS]
    first = v.run("import", "ics", *files, "--since", "2010-01-01")
    assert "Traceback" not in first.output + first.stderr
    assert first.exit_code == 1  # the broken files the SOURCE.md files describe
    assert "non_dst_error.ics: problem: not a calendar" in first.stderr
    assert "vobject_0050.ics: appointments@wellsfargo.com: problem:" in first.stderr
    notes = meetings(v)
    # khal's PARTSTAT file: Henry accepted; the boss declined, so no meeting with him.
    cabot = [t for t in notes.values() if "[[Henry Cabot]]" in t]
    assert cabot and all("[[Boss]]" not in t for t in cabot)
    # Confluence folds the CN across lines; the address is still found.
    assert any("[[Dan]]" in t for t in notes.values())
    # Imported again: no byte changes, and what it lists creates nothing.
    before = snapshot(root)
    again = v.run("import", "ics", *files, "--since", "2010-01-01", "--json")
    assert again.exit_code == 1
    assert snapshot(root) == before
    plan = json.loads(again.stdout)
    assert not [s for s in plan if s["action"] == "create"]
    assert len([s for s in plan if s["action"] == "skip"]) == len(notes)  # each one found


@pytest.mark.slow
def test_a_progress_bar_on_a_terminal_for_a_large_calendar(tmp_path: Path) -> None:
    """An import that takes more than a second (by the bar's clock): a bar shows."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_calendar import calendar, make_vault

    cal = tmp_path / "big.ics"
    cal.write_text(calendar(100), encoding="utf-8", newline="")
    root = tmp_path / "v"
    make_vault(root)
    env = {**os.environ, "VAULT_TODAY": "2026-11-23"}
    seen = run_on_a_terminal(root, "import", "ics", str(cal), env=env, long_work=True)
    assert b"100%" in seen and b"Writing meetings" in seen
    written = len(list((root / "Meetings").iterdir()))
    assert written > 100
    assert f"{written} create".encode() in seen


def test_who_counts_as_a_participant() -> None:
    from icalendar import Event

    from vault_crm.importing.ics import address, participants

    assert address("MAILTO:Ana@Example.org") == "ana@example.org"
    assert address("mailto:hcabot@ example.com") == "hcabot@example.com"
    assert address("x-key=1;cn=dan;cutype=individual:mailto:Dan@apple.com") == "dan@apple.com"
    assert address("urn:uuid:1234") == ""
    ev = Event.from_ical(
        "BEGIN:VEVENT\r\n"
        "ORGANIZER;CN=Boss:mailto:boss@x.org\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:boss@x.org\r\n"
        "ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@x.org\r\n"
        "ATTENDEE;PARTSTAT=DELEGATED:mailto:del@x.org\r\n"
        "ATTENDEE;ROLE=NON-PARTICIPANT:mailto:fyi@x.org\r\n"
        "ATTENDEE;CUTYPE=RESOURCE:mailto:projector@x.org\r\n"
        "ATTENDEE;CUTYPE=ROOM:mailto:room@x.org\r\n"
        "ATTENDEE:mailto:Me@X.org\r\n"
        "ATTENDEE;PARTSTAT=TENTATIVE:mailto:ana@x.org\r\n"
        "ATTENDEE:mailto:rui@x.org\r\n"
        "END:VEVENT\r\n"
    )
    people = participants(ev, frozenset({"me@x.org"}))
    assert [(p.email, p.name) for p in people] == [("ana@x.org", "Ana"), ("rui@x.org", "")]


_LINES = [
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "UID:u1",
    "UID:u2",
    "DTSTART:20261120T100000Z",
    "DTSTART;VALUE=DATE:20261121",
    "DTSTART;TZID=Nowhere/Zone:20261120T100000",
    "DTSTART:notadate",
    "DTEND:20261119T100000Z",
    "DURATION:PT-2H",
    "RRULE:FREQ=WEEKLY;COUNT=3",
    "RRULE:FREQ=DAILY;BYDAY=MO, TU",
    "EXDATE:20261127T100000Z",
    "RECURRENCE-ID:20261127T100000Z",
    "STATUS:CANCELLED",
    "ATTENDEE:mailto:ana@example.org",
    "ATTENDEE;PARTSTAT=DECLINED:mailto:ana@example.org",
    'ORGANIZER;CN="a, b":MAILTO:rui@example.org',
    "ATTENDEE;CUTYPE=ROOM:mailto:room@x.org",
    "X-WR-TIMEZONE:America/New_York",
    "X-WR-TIMEZONE:Not/AZone",
    "SUMMARY:Sync: a/b",
    " folded continuation",
    "\ufeffBEGIN:VCALENDAR",
]


def test_any_bytes_give_occurrences_or_problems_never_an_exception() -> None:
    import datetime as dt

    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from vault_crm.importing.ics import Broken, Occurrence, Window, read_calendar

    window = Window(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    lines = st.lists(st.sampled_from(_LINES), max_size=12)
    # Mostly well-formed calendars whose events hold any mix of good and bad lines.
    good = ["UID:g", "DTSTART:20261120T100000Z", "ATTENDEE:mailto:ana@example.org"]
    event = st.tuples(st.booleans(), lines).map(lambda t: (good if t[0] else []) + t[1])
    calendars = st.tuples(lines, st.lists(event, min_size=1, max_size=4)).map(
        lambda t: "\r\n".join(
            ["BEGIN:VCALENDAR", *t[0]]
            + [ln for ev in t[1] for ln in ["BEGIN:VEVENT", *ev, "END:VEVENT"]]
            + ["END:VCALENDAR", ""]
        ).encode("utf-8")
    )
    raw = lines.map(lambda ls: "\r\n".join(ls).encode("utf-8"))
    seen: list[int] = []

    folded_event = ["BEGIN:VEVENT", *good, " folded continuation", "END:VEVENT"]
    folded = "\r\n".join(["BEGIN:VCALENDAR", *folded_event, "END:VCALENDAR", ""]).encode("utf-8")

    @settings(max_examples=200)
    @given(st.one_of(calendars, raw, st.binary(max_size=300)))
    @example(folded)
    def check(data: bytes) -> None:
        for item in read_calendar(data, "x.ics", window, ["me@example.org"]):
            assert isinstance(item, Occurrence | Broken)
            if isinstance(item, Occurrence):
                seen.append(1)
                assert window.start is not None
                assert window.start <= item.day <= window.end
                # Only people: never me, a room or a declined attendee. A folded line after
                # an ATTENDEE continues its address (RFC 5545 unfolding), whitespace dropped.
                assert all(
                    a.email.startswith(("ana@example.org", "rui@example.org"))
                    and not any(c.isspace() for c in a.email)
                    for a in item.attendees
                )

    check()
    assert seen  # the strategy does reach real meetings


def test_since_leaves_out_older_meetings(vault: Vault, tmp_path: Path) -> None:
    result = vault.run("import", "ics", write(tmp_path, "w.ics", WEEKLY), "--since", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    # The default horizon is 30 days: up to 26 December (the series has 8 weeks).
    assert list(meetings(vault)) == [
        "2026-11-25 Weekly sync (moved).md",
        "2026-11-30 Weekly sync.md",
        "2026-12-07 Weekly sync.md",
        "2026-12-14 Weekly sync.md",
        "2026-12-21 Weekly sync.md",
    ]


def test_a_meeting_whose_note_is_a_link_out_of_the_vault_is_refused_by_name(
    vault: Vault, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("not the vault's\n")
    (vault.root / "Meetings").mkdir()
    (vault.root / "Meetings" / "2026-01-05 Sync.md").symlink_to(outside)
    cal = ics(
        event(
            "sync@x.org",
            "DTSTART:20260105T100000Z",
            "Sync",
            "ATTENDEE;CN=Ana Lima:mailto:ana@example.org",
        ),
        event(
            "lunch@x.org", "DTSTART:20260106T120000Z", "Lunch", "ATTENDEE:mailto:ana@example.org"
        ),
    )
    result = vault.run("import", "ics", write(tmp_path, "c.ics", cal))
    assert result.exit_code == 1, result.output
    problems = [ln for ln in result.stderr.splitlines() if "outside the vault" in ln]
    assert len(problems) == 1
    assert "Meetings/2026-01-05 Sync.md" in problems[0]
    assert outside.read_text() == "not the vault's\n"
    assert (vault.root / "Meetings" / "2026-01-05 Sync.md").is_symlink()
    assert list(meetings(vault)) == ["2026-01-05 Sync.md", "2026-01-06 Lunch.md"]
    assert meetings(vault)["2026-01-06 Lunch.md"].startswith("---\n")


def test_a_template_edited_between_imports_shapes_the_next_one(
    vault: Vault, tmp_path: Path
) -> None:
    """An import looks its template up once; the next import in the same process (as the
    daemon runs them) still sees the template as it is on disk by then."""
    import os

    template = vault.root / ".vault/templates/conversation.md.j2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text("First: {{ message }}\n")

    def one(uid: str, day: str) -> str:
        cal = ics(
            event(
                uid,
                f"DTSTART:{day}T100000Z",
                f"Sync {uid}",
                "DESCRIPTION:Agenda.",
                "ATTENDEE;CN=Ana Lima:mailto:ana@example.org",
            )
        )
        result = vault.run(
            "import", "ics", write(tmp_path, f"{uid}.ics", cal), "--since", "2026-01-01"
        )
        assert result.exit_code == 0, result.stderr
        return meetings(vault)[f"{day[:4]}-{day[4:6]}-{day[6:]} Sync {uid}.md"]

    assert one("a", "20261101").endswith("---\nFirst: Agenda.\n")
    template.write_text("Second: {{ message }}\n")
    later = template.stat().st_mtime_ns + 2_000_000_000  # a clock that moved on
    os.utime(template, ns=(later, later))
    assert one("b", "20261102").endswith("---\nSecond: Agenda.\n")
    assert meetings(vault)["2026-11-01 Sync a.md"].endswith("---\nFirst: Agenda.\n")

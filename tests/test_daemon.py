"""What the daemon does with each batch, in-process: the clock and the batch are passed in,
so the date roll-over and the periodic reconcile are tested without a process or a sleep."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vault_crm.kept as kept_module
import vault_crm.reconnect as reconnect_module
from vault_crm.config import load_settings
from vault_crm.daemon import LARGE_BATCH, RECONCILE_SECONDS, Daemon
from vault_crm.reconnect import write_reconnect, write_report
from vault_crm.refresh import refresh_paths
from vault_crm.store import Index
from vault_crm.watch import Batch

from conftest import Vault, write_vault

DAY = dt.date(2026, 11, 23)
FILES: dict[str, str | bytes] = {
    ".vault/.keep": "",
    # Due on DAY + 1: the roll-over alone moves Ana onto the due list.
    "People/Ana Lima.md": "---\ncadence: 30d\nlast_contact: 2026-10-25\n---\n",
    "People/Bo.md": "---\ncadence: 7d\nlast_contact: 2026-11-20\n---\n",
}


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Daemon, list[str]]]:
    root = write_vault(tmp_path / "vault", FILES)
    logged: list[str] = []
    with Index.open(load_settings(root)) as idx:
        d = Daemon(idx, root, logged.append)
        yield d, logged


def reconnect(d: Daemon) -> str:
    return (d.vault / "Reconnect.md").read_text(encoding="utf-8")


def due_section(d: Daemon) -> str:
    """The note's "## Due" section ('' when nobody is due)."""
    text = reconnect(d)
    if "\n## Due" not in text:
        return ""
    return text.split("\n## Due", 1)[1].split("\n## ", 1)[0]


def test_start_indexes_the_vault_and_writes_both_notes(daemon: tuple[Daemon, list[str]]) -> None:
    d, _ = daemon
    stats, note = d.start(DAY, now=0.0)
    assert stats.notes == 2
    assert note == "Reconnect.md rewritten, Network report.md rewritten"
    assert "# Reconnect · 2026-11-23" in reconnect(d)
    assert due_section(d) == ""  # Ana comes due tomorrow


def test_an_idle_tick_on_the_same_day_does_nothing(daemon: tuple[Daemon, list[str]]) -> None:
    d, _ = daemon
    d.start(DAY, now=0.0)
    before = reconnect(d)
    assert d.step(None, DAY, now=30.0) is None
    assert reconnect(d) == before


def test_the_date_rolling_over_rewrites_the_note_without_any_file_event(
    daemon: tuple[Daemon, list[str]],
) -> None:
    d, _ = daemon
    d.start(DAY, now=0.0)
    line = d.step(None, DAY + dt.timedelta(days=1), now=30.0)
    assert line == "0 notes changed, new day, Reconnect.md rewritten, Network report.md rewritten"
    assert "# Reconnect · 2026-11-24" in reconnect(d)
    assert "[[Ana Lima]]" in due_section(d)
    # The next idle tick of that same day has nothing to do.
    assert d.step(None, DAY + dt.timedelta(days=1), now=60.0) is None


def test_a_batch_applies_only_its_paths_and_rewrites_the_note(
    daemon: tuple[Daemon, list[str]],
) -> None:
    d, _ = daemon
    d.start(DAY, now=0.0)
    write_vault(d.vault, {"People/Cy.md": "---\ncadence: 7d\n---\n"})
    line = d.step(Batch({"People/Cy.md"}), DAY, now=5.0)
    assert line is not None and line.startswith("1 note changed, Reconnect.md rewritten")
    assert "[[Cy]]" in reconnect(d)


def test_a_step_reads_only_the_contacts_of_the_people_it_touched(
    daemon: tuple[Daemon, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reconnect note and the report are worked out from what the daemon keeps: a
    saved conversation reads the contacts of its participants, not everyone's (in a large
    vault each whole load costs seconds), and both notes say what each would say alone."""
    d, _ = daemon
    d.start(DAY, now=0.0)
    whole: list[object] = []
    people: list[object] = []

    def counted(real: Any) -> Any:
        def load(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("contacts", True):  # the people alone are kept by the index
                whole.append(args)
            return real(*args, **kwargs)

        return load

    monkeypatch.setattr(reconnect_module, "load_graph", counted(reconnect_module.load_graph))
    monkeypatch.setattr(kept_module, "load_graph", counted(kept_module.load_graph))
    real_interactions = d.index.interactions

    def interactions(who: Any = None) -> Any:
        people.append(who)
        return real_interactions(who)

    monkeypatch.setattr(d.index, "interactions", interactions)
    call = "Conversations/2026-11-22 Call with Bo.md"
    write_vault(d.vault, {call: '---\ndate: 2026-11-22\nwith: ["[[Bo]]"]\n---\nA call.\n'})
    line = d.step(Batch({call}), DAY, now=5.0)
    assert line is not None and line.startswith("1 note changed, Reconnect.md rewritten")
    assert whole == []
    assert ["People/Bo.md"] in people and None not in people
    assert "2026-11-22" in reconnect(d)
    # Each written alone now (a whole load each) changes nothing.
    assert write_reconnect(d.index, d.vault, DAY) == ("Reconnect.md", False)
    assert write_report(d.index, d.vault, DAY) == ("Network report.md", False)
    assert len(whole) == 2


def test_a_missed_event_is_healed_by_the_periodic_reconcile(
    daemon: tuple[Daemon, list[str]],
) -> None:
    d, _ = daemon
    d.start(DAY, now=0.0)
    # A note appears but the watcher never reports it (an event lost by the OS).
    write_vault(d.vault, {"People/Cy.md": "---\ncadence: 7d\n---\n"})
    assert d.step(None, DAY, now=RECONCILE_SECONDS - 1) is None
    assert "[[Cy]]" not in reconnect(d)
    line = d.step(None, DAY, now=RECONCILE_SECONDS + 1)
    assert line is not None and line.startswith("1 note changed")
    assert "[[Cy]]" in reconnect(d)
    # The reconcile restarts the clock: the next one is a whole period later.
    write_vault(d.vault, {"People/Di.md": "---\ncadence: 7d\n---\n"})
    assert d.step(None, DAY, now=RECONCILE_SECONDS + 2) is None
    assert d.step(None, DAY, now=2 * RECONCILE_SECONDS + 2) is not None


def test_a_full_batch_and_a_large_batch_walk_the_whole_vault(
    daemon: tuple[Daemon, list[str]],
) -> None:
    d, _ = daemon
    d.start(DAY, now=0.0)
    write_vault(d.vault, {"People/Cy.md": "---\ncadence: 7d\n---\n"})
    assert d.step(Batch(full=True), DAY, now=1.0) is not None  # found by the walk
    write_vault(d.vault, {"People/Di.md": "---\ncadence: 7d\n---\n"})
    many = {f"nowhere/{i}.md" for i in range(LARGE_BATCH + 1)}
    assert d.step(Batch(many), DAY, now=2.0) is not None
    assert "[[Di]]" in reconnect(d)


def test_a_note_that_cannot_be_written_is_logged_and_the_other_still_is(
    daemon: tuple[Daemon, list[str]],
) -> None:
    d, logged = daemon
    (d.vault / "Reconnect.md").write_text("My own note, not generated.\n", encoding="utf-8")
    _, note = d.start(DAY, now=0.0)
    assert note == "note not written, Network report.md rewritten"
    assert logged and logged[0].startswith("error: ") and "Reconnect.md" in logged[0]
    assert reconnect(d) == "My own note, not generated.\n"


def test_commit_makes_one_commit_for_both_notes(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "vault", FILES)

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
        return done.stdout.decode()

    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "Test")
    with Index.open(load_settings(root)) as idx:
        d = Daemon(idx, root, print, commit=True)
        d.start(DAY, now=0.0)
        d.step(None, DAY + dt.timedelta(days=1), now=10.0)
    log = git("log", "--format=%s").splitlines()
    assert log == [
        "Update Reconnect.md, Network report.md for 2026-11-24",
        "Update Reconnect.md, Network report.md for 2026-11-23",
    ]


class Meetings:
    """A companion like the calendar sync: when its source changes it writes a
    conversation note into the vault (and the index), and it exports a file."""

    def __init__(self, vault: Path) -> None:
        self.vault = vault
        self.pending: list[str] = []
        self.exports = 0

    def import_all(self, index: Index) -> int:
        return self.import_changed(index)

    def import_changed(self, index: Index, *, new_day: bool = False) -> int:
        done = self.pending
        self.pending = []
        for rel in done:
            write_vault(self.vault, {rel: '---\nwith: ["[[Bo]]"]\n---\nStand-up.\n'})
        refresh_paths(index, done)
        return len(done)

    def export(self, index: Index) -> str | None:
        self.exports += 1
        return "Calendar.ics rewritten"


def test_a_companion_import_rewrites_the_notes_and_its_export_follows(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "vault", FILES)
    meetings = Meetings(root)
    with Index.open(load_settings(root)) as idx:
        d = Daemon(idx, root, print, companions=[meetings])
        _, note = d.start(DAY, now=0.0)
        assert note.endswith(", Calendar.ics rewritten")
        assert d.step(None, DAY, now=1.0) is None  # nothing imported, nothing to do
        meetings.pending = ["Conversations/2026-11-23 Stand-up.md"]
        line = d.step(None, DAY, now=2.0)
    assert line == (
        "0 notes changed, meetings imported, Reconnect.md rewritten, "
        "Network report.md rewritten, Calendar.ics rewritten"
    )
    assert "Last: [[2026-11-23 Stand-up]] (2026-11-23)" in reconnect(d)
    assert meetings.exports == 2


CHAT = '---\ndate: 2026-11-20\nwith: ["[[Ana]]"]\n---\n'
RENAMED = "---\ncadence: 10d\naliases: [Ana]\n---\n"


def _change(root: Path, files: dict[str, str | None]) -> None:
    """Write each file of `files`, or delete it where its text is None."""
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            write_vault(root, {rel: text})


def _notes(root: Path) -> tuple[str, str]:
    return (root / "Reconnect.md").read_text(), (root / "Network report.md").read_text()


def _from_scratch(root: Path, day: dt.date, cache: Path) -> tuple[str, str]:
    """`vault due` and `vault report` on an index built from scratch in `cache` (each
    rewrites its note only where it differs from the daemon's): both notes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAULT_CRM_CACHE", str(cache))
        for command in ("due", "report"):
            result = Vault(root, day.isoformat()).run(command)
            assert result.exit_code == 0, result.output
    return _notes(root)


@pytest.mark.slow
def test_after_every_kind_of_change_the_notes_equal_a_fresh_index(tmp_path: Path) -> None:
    """The daemon keeps the people and each person's due status between saves; after each
    kind of change both notes say exactly what `vault due` and `vault report` write from
    an index built from scratch."""
    root = write_vault(
        tmp_path / "vault",
        {
            ".vault/.keep": "",
            "People/Ana Lima.md": "---\ncadence: 30d\naliases: [Ana]\n---\n",
            "People/Bo.md": "---\ncadence: 7d\n---\n",
            "People/Cy.md": "---\ncadence: 14d\nbirthday: 1990-11-25\n---\n",
            "Conversations/2026-10-01 Call.md": (
                '---\ndate: 2026-10-01\nwith: ["[[Ana]]", "[[Bo]]"]\n---\n- [ ] send deck\n'
            ),
            "Daily/2026-11-02.md": "Lunch with [[Cy]].\n",
        },
    )
    logged: list[str] = []

    call = "Conversations/2026-10-01 Call.md"
    changes: list[tuple[dict[str, str | None], dt.date]] = [
        ({"People/Bo.md": "---\ncadence: 60d\n---\n"}, DAY),  # a person edited
        ({"Conversations/2026-11-20 Chat.md": CHAT}, DAY),  # a conversation added
        ({"Daily/2026-11-02.md": "Lunch with [[Bo]].\n"}, DAY),  # a daily note edited
        ({"People/Ana Lima.md": "---\ncadence: 30d\naliases: [Nana]\n---\n"}, DAY),  # alias
        ({"People/Ana Lima.md": None, "People/Ana Silva.md": RENAMED}, DAY),  # renamed
        ({"People/Cy.md": None}, DAY),  # a person deleted
        ({call: '---\ndate: 2026-10-01\nwith: ["[[Bo]]"]\n---\n- [x] send deck\n'}, DAY),
        ({}, DAY + dt.timedelta(days=40)),  # a new day
    ]
    with Index.open(load_settings(root)) as idx:
        d = Daemon(idx, root, logged.append)
        d.start(DAY, now=0.0)
        for i, (files, day) in enumerate(changes):
            _change(root, files)
            d.step(Batch(set(files)) if files else None, day, now=1.0 + i)
            logged.append(str(i))
            ours = _notes(root)  # read before the commands from scratch rewrite them
            assert ours == _from_scratch(root, day, tmp_path / f"fresh-{i}"), f"after change {i}"


def _talk(day: str, name: str, intent: str = "catch-up") -> dict[str, str]:
    text = f'---\nwith: ["[[{name}]]"]\ndate: {day}\nintent: {intent}\n---\n'
    return {f"Conversations/{day} {name}.md": text + f"- [ ] write to {name}\n"}


@pytest.mark.slow
def test_every_list_of_the_report_follows_each_change_as_a_fresh_index_does(
    tmp_path: Path,
) -> None:
    """The report's lists (fading, weak ties, asks without a give, met this year), its
    counts, months and tags, kept person by person, after changes that move people onto
    and off each list, and after a change another process applied to the index."""
    files: dict[str, str | bytes] = {
        ".vault/.keep": "",
        "People/Bo.md": "---\ntags: [friend, founder]\n---\n",
        "People/Dee.md": "",
        "People/Eli.md": "",
        "People/Hal.md": "---\ncadence: 1m\n---\n",
        "People/Ivy.md": "---\ntags: [founder]\n---\n",
        "People/Mo.md": "---\nmet: 2026-11-20\n---\n",
    }
    for day in ("2025-12-10", "2026-01-10", "2026-02-10", "2026-03-10", "2026-08-10"):
        files.update(_talk(day, "Bo"))
    files.update(_talk("2026-02-20", "Dee") | _talk("2026-03-20", "Dee"))
    for day in ("2024-01-05", "2024-02-05", "2024-03-05"):
        files.update(_talk(day, "Eli"))
    files.update(_talk("2025-06-01", "Hal", "give"))
    for day in ("2025-07-01", "2025-08-01", "2025-09-01"):
        files.update(_talk(day, "Hal", "ask"))
    files.update(_talk("2025-10-01", "Ivy", "ask") | _talk("2025-10-02", "Ivy", "ask"))
    # More than the ten a list shows: when Hal leaves the asks, the eleventh comes in.
    for n in range(1, 12):
        files[f"People/Asker {n:02}.md"] = ""
        files.update(_talk("2025-10-03", f"Asker {n:02}", "ask"))
        files.update(_talk("2025-10-04", f"Asker {n:02}", "ask"))
    root = write_vault(tmp_path / "vault", files)

    changes: list[tuple[dict[str, str | None], dt.date]] = [
        (_talk("2026-11-01", "Hal", "give"), DAY),  # off asks without a give
        (_talk("2026-11-10", "Eli"), DAY),  # off weak ties
        (_talk("2026-10-01", "Dee") | _talk("2026-10-15", "Dee"), DAY),  # off fading
        ({"People/Mo.md": "---\nmet: 2025-11-20\n---\n"}, DAY),  # off met this year
        ({"People/Bo.md": "---\ntags: [investor]\n---\n"}, DAY),  # tags
        ({"People/Ivy.md": None, "People/Ivy Ng.md": "---\naliases: [Ivy]\n---\n"}, DAY),
        ({"Conversations/2026-11-10 Eli.md": None}, DAY),  # back on weak ties
        (_talk("2026-12-01", "Dee") | _talk("2026-11-23", "Mo"), DAY),  # scheduled; today
        ({"Daily/2026-11-23.md": "Coffee with [[Mo]] and [[Eli]].\n"}, DAY),  # the same day
        ({}, dt.date(2027, 1, 5)),  # a new day, a new year
    ]
    with Index.open(load_settings(root)) as idx:
        d = Daemon(idx, root, print)
        d.start(DAY, now=0.0)
        assert "[[Hal]]" in (root / "Network report.md").read_text()
        assert "[[Asker 10]]" not in (root / "Network report.md").read_text()
        for i, (change, day) in enumerate(changes):
            _change(root, change)
            d.step(Batch(set(change)) if change else None, day, now=1.0 + i)
            ours = _notes(root)
            assert ours == _from_scratch(root, day, tmp_path / f"fresh-{i}"), f"after change {i}"
            if i == 0:
                assert "[[Asker 09]]" in ours[1] and "[[Asker 10]]" in ours[1]
        # Another process (a command run meanwhile) applies a change first: the daemon
        # does not know which people it touched, and works everyone out again.
        later = dt.date(2027, 1, 5)
        asks = _talk("2027-01-01", "Hal", "ask") | _talk("2027-01-02", "Hal", "ask")
        asks |= _talk("2027-01-03", "Hal", "ask")
        write_vault(root, asks)
        with Index.open(load_settings(root)) as other:
            refresh_paths(other, list(asks))
        write_vault(root, _talk("2027-01-03", "Dee"))
        d.step(Batch({"Conversations/2027-01-03 Dee.md"}), later, now=20.0)
        ours = _notes(root)
        assert ours == _from_scratch(root, later, tmp_path / "fresh-later")
        assert "[[Hal]] · 3 asks since the last give" in ours[1]

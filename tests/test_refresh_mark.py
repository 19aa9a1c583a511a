"""A refresh that finds the vault as the index last matched it reads no note and no
table; anything else (a note changed, even put back with its old mtime; a note applied
by another refresh meanwhile) is read as before."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index, refresh_paths
from vault_crm.store import Index

from conftest import write_vault

NOTES = {
    "People/Ana Lima.md": "---\ntype: person\ncadence: 2w\n---\n",
    "Conversations/2026-10-01 Coffee.md": (
        '---\ndate: 2026-10-01\nwith: ["[[Ana Lima]]"]\n---\nTalked about pricing.\n'
    ),
    "Ideas.md": "See [[Ana Lima]] and ![[photo.png]].\n",
}
COFFEE = "Conversations/2026-10-01 Coffee.md"


def summary(idx: Index, path: str) -> str:
    return str(idx.conn.execute("SELECT summary FROM notes WHERE path = ?", (path,)).fetchone()[0])


def test_nothing_changed_reads_no_table_and_counts_stay_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_vault(tmp_path / "vault", NOTES)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        first = refresh_index(idx)

        def every_note(self: Index) -> None:
            raise AssertionError("every note's stats were read")

        monkeypatch.setattr(Index, "note_stats", every_note)
        again = refresh_index(idx)
    assert (again.notes, again.people, again.conversations) == (3, 1, 1)
    assert (again.links, again.unresolved) == (first.links, first.unresolved) == (3, 1)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)


def test_a_new_file_after_a_quiet_refresh_is_read(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "vault", NOTES)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)
        refresh_index(idx)
        (root / "photo.png").write_bytes(b"png")
        write_vault(root, {"Later.md": "Met [[Ana Lima]].\n"})
        stats = refresh_index(idx)
        resolved = dict(idx.conn.execute("SELECT target, resolved FROM links"))
    assert (stats.notes, stats.added, stats.unresolved) == (4, 1, 0)
    assert resolved["photo.png"] == "photo.png"


@pytest.mark.parametrize("how", ["walk", "paths"])
def test_a_note_put_back_with_its_old_mtime_is_read_again(tmp_path: Path, how: str) -> None:
    """A backup restored with its times (`cp -p`, rsync -t): the vault looks exactly as it
    did at an earlier refresh, but the index moved on since; it is brought back too."""
    root = write_vault(tmp_path / "vault", NOTES)
    note = root / COFFEE
    os.utime(note, ns=(10**18, 10**18))
    original = note.read_bytes()
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)
        refresh_index(idx)  # a quiet refresh keeps the mark of this vault
        note.write_bytes(original.replace(b"pricing", b"hiring!"))  # same size
        os.utime(note, ns=(2 * 10**18, 2 * 10**18))
        if how == "walk":
            refresh_index(idx)
        else:
            refresh_paths(idx, [COFFEE])  # as the daemon does
        assert summary(idx, COFFEE) == "Talked about hiring!."
        note.write_bytes(original)
        os.utime(note, ns=(10**18, 10**18))
        stats = refresh_index(idx)
        assert summary(idx, COFFEE) == "Talked about pricing."
    assert stats.updated == 1


def walk_parts(idx: Index) -> list[tuple[object, ...]]:
    return idx.conn.execute("SELECT * FROM walk_parts ORDER BY part").fetchall()


def notes(idx: Index) -> list[tuple[object, ...]]:
    return idx.conn.execute(
        "SELECT path, fspath, mtime_ns, size, summary FROM notes ORDER BY path"
    ).fetchall()


def test_a_change_reads_back_only_the_parts_of_the_walk_it_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a refresh that matched the vault, an edit, a new note and a deleted one are
    found by comparing just the parts of the walk that hold them (a folder, or a run of
    a big folder's notes) with what the index kept of them: not every note's (mtime,
    size). The index ends as a rebuild of the same vault ends, with the same parts kept."""
    monkeypatch.setattr("vault_crm.refresh.PART_SIZE", 2)
    calls = [f"Conversations/2026-10-0{d} Call.md" for d in range(2, 7)]
    root = write_vault(
        tmp_path / "vault",
        {
            **NOTES,
            **{c: f"---\ndate: {c[14:24]}\n---\nA call.\n" for c in calls},
            "Daily/2026-10-03.md": "Saw [[Ana Lima]].\n",
            "Projects/Deep/Plan.md": "The plan.\n",
        },
    )
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "live") as idx:
        refresh_index(idx)
        parts = sorted(idx.walk_parts() or {})
        assert parts == [
            "#0",
            "Conversations/#0",
            "Conversations/#1",
            "Conversations/#2",
            "Daily/#0",
            "People/#0",
            "Projects/Deep/#0",
        ]
        asked: list[list[str]] = []
        read_back, all_stats = Index.walk_part_stats, Index.note_stats

        def spy(self: Index, wanted: list[str]) -> object:
            asked.append(sorted(wanted))
            return read_back(self, wanted)

        def every_note(self: Index) -> None:
            raise AssertionError("every note's stats were read")

        monkeypatch.setattr(Index, "walk_part_stats", spy)
        monkeypatch.setattr(Index, "note_stats", every_note)
        # One note of a big folder edited: only its part is read back.
        edited = root / calls[2]
        edited.write_text("---\ndate: 2026-10-04\n---\nA long call.\n", encoding="utf-8")
        stats = refresh_index(idx)
        assert len(asked) == 1
        assert len(asked[0]) == 1
        assert asked[0][0].startswith("Conversations/#")
        assert stats.updated == 1
        assert summary(idx, calls[2]) == "A long call."
        # Notes added to and deleted from several folders at once.
        (root / COFFEE).write_text(
            '---\ndate: 2026-10-01\nwith: ["[[Ana Lima]]"]\n---\nTalked about hiring.\n',
            encoding="utf-8",
        )
        os.utime(root / COFFEE, ns=(10**18, 10**18))
        write_vault(root, {"Projects/Deep/Later.md": "Met [[Ana Lima]].\n"})
        write_vault(root, {"Conversations/2026-10-09 Call.md": "---\ndate: 2026-10-09\n---\n"})
        (root / "Daily/2026-10-03.md").unlink()
        (root / calls[0]).unlink()
        stats = refresh_index(idx)
        assert "People/#0" not in asked[-1]
        assert (stats.added, stats.updated, stats.removed) == (2, 1, 2)
        assert summary(idx, COFFEE) == "Talked about hiring."
        monkeypatch.setattr(Index, "walk_part_stats", read_back)
        monkeypatch.setattr(Index, "note_stats", all_stats)
        live_notes, live_parts = notes(idx), walk_parts(idx)
    with Index.open(settings, tmp_path / "fresh") as fresh:
        refresh_index(fresh, rebuild=True)
        assert notes(fresh) == live_notes
        assert walk_parts(fresh) == live_parts
    assert "Daily/#0" not in [row[0] for row in live_parts]


def test_folders_whose_names_normalise_alike_are_compared_whole(tmp_path: Path) -> None:
    """Two folders whose names differ only in their Unicode form hold the same vault
    paths: which of their notes the index holds is decided across both, as a full
    comparison decides, and an edit of either is found."""
    nfc_dir, nfd_dir = "Café", unicodedata.normalize("NFD", "Café")
    root = write_vault(tmp_path / "vault", {f"{nfc_dir}/Note.md": "first\n"})
    (root / nfd_dir).mkdir()
    (root / nfd_dir / "Note.md").write_text("second\n", encoding="utf-8")
    (root / nfd_dir / "Other.md").write_text("other\n", encoding="utf-8")
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "live") as idx:
        refresh_index(idx)
        for step, folder in enumerate([nfc_dir, nfd_dir, nfd_dir, nfc_dir]):
            note = root / folder / ("Other.md" if step == 2 else "Note.md")
            note.write_text(f"edited {step} in {folder!a}\n", encoding="utf-8")
            os.utime(note, ns=(step + 10**18, step + 10**18))
            refresh_index(idx)
            with Index.open(settings, tmp_path / f"fresh{step}") as fresh:
                refresh_index(fresh, rebuild=True)
                assert notes(idx) == notes(fresh), step


def test_names_in_one_folder_that_normalise_alike_are_compared_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder holding `Zoë.md` twice (composed and decomposed) is compared whole, as a
    full comparison would: the first name walked stays the note whichever is edited or
    applied by path. A folder whose names are all distinct is kept in parts, accents or
    not."""
    monkeypatch.setattr("vault_crm.refresh.PART_SIZE", 1)
    composed, decomposed = "Zoë.md", unicodedata.normalize("NFD", "Zoë.md")
    root = write_vault(
        tmp_path / "vault",
        {f"Twins/{composed}": "one\n", "Twins/Other.md": "other\n", "Accents/Åsa.md": "a\n"},
    )
    write_vault(root, {"Accents/Bo.md": "b\n", "Accents/Çelik.md": "c\n"})
    (root / "Twins" / decomposed).write_text("two\n", encoding="utf-8")
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "live") as idx:
        refresh_index(idx)
        parts = sorted(idx.walk_parts() or {})
        assert parts == ["Accents/#0", "Accents/#1", "Accents/#2", "Twins/#0"]
        steps = [(decomposed, "walk"), (composed, "walk"), ("Other.md", "walk")]
        steps += [(decomposed, "paths"), (composed, "paths"), ("Åsa.md", "paths")]
        for step, (name, how) in enumerate(steps):
            folder = "Accents" if name == "Åsa.md" else "Twins"
            note = root / folder / name
            note.write_text(f"edited {step}\n", encoding="utf-8")
            os.utime(note, ns=(step + 10**18, step + 10**18))
            if how == "paths":  # as a command applies a note it wrote; then the next one
                refresh_paths(idx, [f"{folder}/{name}"])
            refresh_index(idx)
            with Index.open(settings, tmp_path / f"fresh{step}") as fresh:
                refresh_index(fresh, rebuild=True)
                assert notes(idx) == notes(fresh), step


def test_a_read_commands_refresh_counts_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Totals are counted for `vault index`, which prints them; a read command's refresh
    after a change counts only what changed (counting every link again is a tenth of a
    second in a large vault), and the next `vault index` prints the right totals."""
    root = write_vault(tmp_path / "vault", NOTES)
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "c") as idx:
        refresh_index(idx)
        totals = Index.stats

        def counted(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the index's totals were counted")

        monkeypatch.setattr(Index, "stats", counted)
        write_vault(root, {"Later.md": "Met [[Ana Lima]].\n"})
        stats = refresh_index(idx, counts=False)
        assert (stats.added, stats.notes) == (1, 0)
        monkeypatch.setattr(Index, "stats", totals)
        again = refresh_index(idx)
    assert (again.notes, again.links, again.added) == (4, 4, 0)


def test_notes_a_command_wrote_keep_the_next_refresh_quick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that writes notes applies just those (`refresh_paths`, as `vault due`
    does with the reconnect note); the parts of the walk that hold them follow, so the
    next command's refresh compares only what differs, never every note, and still finds
    a note changed meanwhile by someone else. The index ends as a rebuild's."""
    monkeypatch.setattr("vault_crm.refresh.PART_SIZE", 2)
    calls = [f"Conversations/2026-10-0{d} Call.md" for d in range(2, 7)]
    root = write_vault(
        tmp_path / "vault",
        {**NOTES, **{c: f"---\ndate: {c[14:24]}\n---\nA call.\n" for c in calls}},
    )
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "live") as idx:
        refresh_index(idx)
        all_stats = Index.note_stats

        def every_note(self: Index) -> None:
            raise AssertionError("every note's stats were read")

        monkeypatch.setattr(Index, "note_stats", every_note)
        write_vault(root, {"Reconnect.md": "# Reconnect\n", calls[1]: "Rewritten.\n"})
        (root / calls[3]).unlink()
        refresh_paths(idx, ["Reconnect.md", calls[1], calls[3]])
        quiet = refresh_index(idx)
        assert (quiet.added, quiet.updated, quiet.removed) == (0, 0, 0)
        # Written by a command, and meanwhile another note edited by hand.
        write_vault(root, {"Reconnect.md": "# Reconnect, again\n"})
        refresh_paths(idx, ["Reconnect.md"])
        (root / calls[4]).write_text("Edited by hand.\n", encoding="utf-8")
        os.utime(root / calls[4], ns=(10**18, 10**18))
        found = refresh_index(idx)
        assert (found.added, found.updated, found.removed) == (0, 1, 0)
        assert summary(idx, calls[4]) == "Edited by hand."
        monkeypatch.setattr(Index, "note_stats", all_stats)
        live_notes = notes(idx)
    with Index.open(settings, tmp_path / "fresh") as fresh:
        refresh_index(fresh, rebuild=True)
        assert notes(fresh) == live_notes

"""A refresh that finds the vault as the index last matched it reads no note and no
table; anything else (a note changed, even put back with its old mtime; a note applied
by another refresh meanwhile) is read as before."""

from __future__ import annotations

import os
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

"""What a walk of the vault finds, entry kind by entry kind: the quick path taken for a
plain note and the general path (taken for everything once the config has ignore globs)
agree on every kind, and the refresh's digest of the walk's columns equals the digest of
its records."""

from __future__ import annotations

import dataclasses
import os
import unicodedata
from pathlib import Path

from vault_crm.config import load_settings
from vault_crm.refresh import _digest
from vault_crm.scan import walk, walk_columns

from conftest import write_vault

NFD_NAME = unicodedata.normalize("NFD", "Zoë Ångström.md")


def messy_vault(tmp_path: Path) -> Path:
    root = write_vault(
        tmp_path / "vault",
        {
            "People/Ana Lima.md": "---\ntype: person\n---\n",
            "Odd.md/Inner.md": "a folder named like a note holds a note\n",
            ".hidden/Secret.md": "hidden folder\n",
            ".git/Head.md": "tool folder\n",
            ".Dot.md": "hidden note\n",
            "Daily/2026-01-01.md": "day\n",
            "photo.png": b"\x89PNG",
            "Archive/Old.md": "old\n",
        },
    )
    (root / "People" / NFD_NAME).write_text("nfd name\n", encoding="utf-8")
    (root / ".Ana Lima.md.abc123.tmp").write_text("a killed write\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("outside\n", encoding="utf-8")
    (root / "In.md").symlink_to(root / "People" / "Ana Lima.md")
    (root / "Out.md").symlink_to(tmp_path / "outside.md")
    (root / "Dangling.md").symlink_to(root / "Missing.md")
    (root / "FolderLink.md").symlink_to(root / "Daily")
    (root / "Linked").symlink_to(root / "People")
    os.mkfifo(root / "Pipe.md")
    (Path(os.fsdecode(bytes(root))) / os.fsdecode(b"Bad\xff.md")).write_bytes(b"latin-1\n")
    return root


EXPECTED_NOTES = {
    "Archive/Old.md",
    "Daily/2026-01-01.md",
    "In.md",
    "Odd.md/Inner.md",
    "People/Ana Lima.md",
    "People/Zoë Ångström.md",
}


def test_every_kind_of_entry_is_walked_alike_with_and_without_ignore_globs(
    tmp_path: Path,
) -> None:
    root = messy_vault(tmp_path)
    plain = load_settings(root)
    # A glob that matches nothing sends every entry down the general path.
    general = dataclasses.replace(plain, ignore=("Nowhere/**",))
    results = []
    for settings in (plain, general):
        others: list[str] = []
        skipped: list[tuple[str, str, str]] = []
        temp: list[str] = []
        walked = walk_columns(root, settings, others, skipped, temp)
        files = walked.files()
        assert {f.path for f in files} == EXPECTED_NOTES
        assert [f.fspath for f in files] == walked.fspaths
        nfd = next(f for f in files if f.path == "People/Zoë Ångström.md")
        assert nfd.fspath == "People/" + NFD_NAME
        for f in files:
            st = os.stat(root / f.fspath)
            assert (f.mtime_ns, f.size) == (st.st_mtime_ns, st.st_size)
        # Every other name is a possible link target (a symlinked folder too, unfollowed).
        assert sorted(others) == ["Linked", "photo.png"]
        assert sorted((p, sev) for p, sev, _ in skipped) == [
            ("Bad\\xff.md", "error"),
            ("Out.md", "warning"),
        ]
        assert [os.path.basename(t) for t in temp] == [".Ana Lima.md.abc123.tmp"]
        assert _digest(walked, others) == _digest(files, others)
        assert list(walk(root, settings)) == files
        results.append(sorted(files))
    assert results[0] == results[1]


def test_an_ignore_glob_leaves_its_folder_out(tmp_path: Path) -> None:
    root = messy_vault(tmp_path)
    settings = dataclasses.replace(load_settings(root), ignore=("Archive",))
    files = walk_columns(root, settings).files()
    assert {f.path for f in files} == EXPECTED_NOTES - {"Archive/Old.md"}


def test_the_digest_changes_when_a_note_does(tmp_path: Path) -> None:
    root = messy_vault(tmp_path)
    settings = load_settings(root)
    before = _digest(walk_columns(root, settings), [])
    note = root / "Daily" / "2026-01-01.md"
    note.write_text("day, longer now\n", encoding="utf-8")
    assert _digest(walk_columns(root, settings), []) != before

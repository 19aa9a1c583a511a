"""A rebuilt index (its notes parsed by worker processes past PARALLEL_THRESHOLD) answers
every search exactly as one whose notes were written one change at a time, and leaves
nothing but the index in the cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_crm.config import load_settings
from vault_crm.records import PARALLEL_THRESHOLD
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import write_vault

WORDS = "pricing hiring roadmap launch coffee dinner Zoë Ångström investor churn".split()


def _files(count: int = 60) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "People/Ana Lima.md": "---\ntype: person\naliases: [Ana, 安娜]\nrole: pricing lead\n---\n",
        "People/Bo.md": "---\ntype: person\ncompany: Launch Labs\n---\nLikes coffee.\n",
        "Notes/東京.md": "東京で会議。pricing の話。\n",
        # Text beyond the BMP, control characters, quotes and a NUL: stored as they are.
        "Notes/Odd.md": '---\ntopic: "say \\"hi\\" \\\\ 🙂"\n---\nEmoji 🙂 pricing\x01 tab\tend\n',
        "Notes/Nul.md": b'---\ntopic: "a \\0 in YAML"\n---\npricing with a \x00 NUL\n',
    }
    for i in range(count):
        text = " ".join(WORDS[(i * j) % len(WORDS)] for j in range(1, 4 + i % 7))
        files[f"Conversations/2026-10-{i % 28 + 1:02d} Call {i}.md"] = (
            f"---\ndate: 2026-10-{i % 28 + 1:02d}\nwith: '[[Ana]]'\ntopic: {WORDS[i % 10]}\n"
            f"---\n{text}\n\nMore about {WORDS[(i + 3) % 10]} with [[Bo]].\n"
        )
    return files


QUERIES = ["pricing", "coffee OR dinner", '"launch coffee"', "invest*", "zoe", "angstrom", "会議"]


def _searched(index: Index) -> dict[str, list[tuple[object, ...]]]:
    found = {}
    for q in QUERIES:
        found[q] = index.conn.execute(
            "SELECT n.path, round(bm25(fts, 10.0, 6.0, 2.0, 1.0, 10.0, 1.0), 9),"
            " snippet(fts, -1, '[', ']', '…', 8) FROM fts JOIN notes n ON n.id = fts.rowid"
            " WHERE fts MATCH ? ORDER BY 2, 1",
            (q,),
        ).fetchall()
    return found


def _text(index: Index) -> list[tuple[object, ...]]:
    return index.conn.execute(
        "SELECT n.path, f.title, f.aliases, f.props, f.body, f.cjk_title, f.cjk"
        " FROM fts f JOIN notes n ON n.id = f.rowid ORDER BY n.path"
    ).fetchall()


# Past PARALLEL_THRESHOLD, the notes are parsed by worker processes.
@pytest.mark.parametrize("count", [60, PARALLEL_THRESHOLD + 50])
def test_a_rebuilt_index_searches_as_one_written_change_by_change(
    tmp_path: Path, count: int
) -> None:
    files = _files(count)
    rebuilt_root = write_vault(tmp_path / "a", files)
    with Index.open(load_settings(rebuilt_root), tmp_path / "cache") as rebuilt:
        refresh_index(rebuilt, rebuild=True)
        # One note first (a new index is built whole), then the rest as a change.
        first = "People/Bo.md"
        grown_root = write_vault(tmp_path / "b", {first: files[first]})
        with Index.open(load_settings(grown_root), tmp_path / "cache") as grown:
            refresh_index(grown)
            write_vault(grown_root, {k: v for k, v in files.items() if k != first})
            stats = refresh_index(grown)
            assert stats.added == len(files) - 1
            assert _text(rebuilt) == _text(grown)
            assert len(_text(rebuilt)) == len(files)
            bodies = {row[0]: row[4] for row in _text(rebuilt)}
            assert bodies["Notes/Odd.md"] == "Emoji 🙂 pricing\x01 tab\tend\n"
            props = {row[0]: row[3] for row in _text(rebuilt)}
            assert props["Notes/Nul.md"] == "a \x00 in YAML"
            searched = _searched(rebuilt)
            assert searched == _searched(grown)
            assert all(searched.values()), searched
            assert searched["会議"][0][0] == "Notes/東京.md"
        # FTS5's own check of its index against the text it holds.
        rebuilt.conn.execute("INSERT INTO fts(fts, rank) VALUES ('integrity-check', 1)")
        folder = rebuilt.path.parent
    # Only the index itself (and SQLite's WAL files) stays in the cache folder.
    assert {p.name for p in folder.iterdir()} <= {
        "index.sqlite",
        "index.sqlite-wal",
        "index.sqlite-shm",
    }

"""The index: refresh as a diff, rebuild, corruption, schema changes, bad input."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from vault_crm import notes as notes_module
from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index
from vault_crm.store import SCHEMA_VERSION, Index, vault_cache_dir

from conftest import Vault, run_on_a_terminal

MakeVault = Callable[[dict[str, str | bytes]], Path]

BASIC = {
    "People/Ana Lima.md": "---\ntype: person\ncadence: 2w\n---\nMet at [[Lisbon JS]].\n",
    "People/Bo.md": "---\ncadence: monthly\n---\n",
    "Conversations/2026-11-01 Coffee with Ana.md": (
        '---\ndate: 2026-11-01\nwith: ["[[Ana Lima]]"]\n---\nTalked about [[Missing note]].\n'
    ),
    "Daily/2026-11-10.md": "Saw [[Bo]] at the market.\n",
    "Ideas.md": "Nothing here.\n",
}


def open_index(vault: Path) -> Index:
    return Index.open(load_settings(vault))


def test_index_counts_and_json_keys(make_vault: MakeVault) -> None:
    v = Vault(make_vault(BASIC))
    data = v.json("index")
    assert set(data) == {
        "notes",
        "people",
        "conversations",
        "links",
        "unresolved",
        "problems",
        "seconds",
    }
    assert data["notes"] == 5
    assert data["people"] == 2
    assert data["conversations"] == 1
    assert data["links"] == 4
    assert data["unresolved"] == 2  # [[Lisbon JS]] and [[Missing note]]
    assert data["problems"] == 0


def test_the_index_lives_in_the_cache_never_in_the_vault(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    Vault(root).run("index")
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    folder = vault_cache_dir(root, Path(os.environ["VAULT_CRM_CACHE"]))
    assert (folder / "index.sqlite").is_file()


def test_noop_refresh_reads_no_note(make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault(BASIC)
    with open_index(root) as idx:
        refresh_index(idx)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a note was read on a no-op refresh")

    monkeypatch.setattr(notes_module, "parse_note", refuse)
    with open_index(root) as idx:
        stats = refresh_index(idx)
    assert (stats.added, stats.updated, stats.removed) == (0, 0, 0)
    assert stats.notes == 5


def test_refresh_rereads_only_what_changed(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    with open_index(root) as idx:
        refresh_index(idx)
        (root / "Ideas.md").write_text("Now about [[Bo]].\n")
        os.utime(root / "Ideas.md", ns=(1, 1))
        (root / "People/Bo.md").unlink()
        (root / "New.md").write_text("new\n")
        stats = refresh_index(idx)
    assert (stats.added, stats.updated, stats.removed) == (1, 1, 1)
    assert stats.notes == 5


def test_links_reresolve_when_their_target_appears_or_goes(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    v = Vault(root)
    assert v.json("index")["unresolved"] == 2
    (root / "Lisbon JS.md").write_text("A meetup.\n")
    assert v.json("index")["unresolved"] == 1
    assert v.json("links", "Lisbon JS")["incoming"] == [{"path": "People/Ana Lima.md", "line": 5}]
    (root / "Lisbon JS.md").unlink()
    assert v.json("index")["unresolved"] == 2


def test_corrupt_index_is_rebuilt(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    v = Vault(root)
    v.json("index")
    db = vault_cache_dir(root, Path(os.environ["VAULT_CRM_CACHE"])) / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    data = v.json("index")
    assert data["notes"] == 5 and data["people"] == 2


def test_older_schema_is_rebuilt(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    Vault(root).json("index")
    db = vault_cache_dir(root, Path(os.environ["VAULT_CRM_CACHE"])) / "index.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION - 1),))
    conn.execute("DELETE FROM notes")
    conn.commit()
    conn.close()
    assert Vault(root).json("index")["notes"] == 5


def test_changed_settings_rebuild_the_index(make_vault: MakeVault) -> None:
    root = make_vault(BASIC)
    v = Vault(root)
    assert v.json("index")["people"] == 2
    (root / ".vault").mkdir()
    (root / ".vault" / "config.toml").write_text('people_folders = ["Nobody"]\n')
    assert v.json("index")["people"] == 1  # only the one with `type: person`


def test_rebuild_flag(make_vault: MakeVault) -> None:
    v = Vault(make_vault(BASIC))
    v.json("index")
    data = v.json("index", "--rebuild")
    assert data["notes"] == 5


def test_ignored_and_hidden_folders_and_symlinks(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            **BASIC,
            ".obsidian/workspace.md": "x",
            ".trash/Old.md": "x",
            ".hidden/Secret.md": "x",
            "Archive/Old person.md": "x",
            ".vault/config.toml": 'ignore = ["Archive"]\n',
        }
    )
    os.symlink(root, root / "Loop")  # a symlinked folder back to the vault: not followed
    os.symlink("self.md", root / "self.md")  # a symlink loop: skipped, not a problem
    v = Vault(root)
    data = v.json("index")
    assert data["notes"] == 5
    assert data["problems"] == 0


BAD = {
    "bad-yaml.md": "---\ntitle: [unclosed\n---\nbody\n",
    "latin1.md": b"caf\xe9\n",
    "nul.md": b"a\x00b\n",
    "list-fm.md": "---\n- a\n- b\n---\n",
    "string-fm.md": "---\njust a string\n---\n",
    "empty.md": "",
    "lone-rule.md": "---\n",
    "big.md": b"lorem ipsum " * 520_000,
    "People/Fine.md": "---\ncadence: 2w\n---\n",
}


def test_bad_input_never_stops_indexing_and_check_lists_it(make_vault: MakeVault) -> None:
    root = make_vault(BAD)
    os.symlink("loop-b.md", root / "loop-a.md")
    os.symlink("loop-a.md", root / "loop-b.md")
    v = Vault(root)
    result = v.run("index")
    assert result.exit_code == 0, result.stderr
    data = v.json("index")
    assert data["notes"] == len(BAD)
    check = v.run("check")
    assert check.exit_code == 1
    lines = check.stdout.strip().splitlines()
    by_path = {line.split(":", 1)[0] for line in lines}
    assert by_path == {"bad-yaml.md", "latin1.md", "nul.md", "list-fm.md", "string-fm.md", "big.md"}
    assert any(line.startswith("bad-yaml.md:2: error:") for line in lines)
    assert any(line.startswith("latin1.md:1: error:") for line in lines)
    assert any(line.startswith("big.md: warning:") for line in lines)
    assert data["problems"] == len(lines)
    problems = v.run("check", "--json")
    assert problems.exit_code == 1
    # the notes themselves are untouched
    assert (root / "latin1.md").read_bytes() == b"caf\xe9\n"


def test_bad_notes_are_still_searchable_text(make_vault: MakeVault) -> None:
    root = make_vault(BAD)
    with open_index(root) as idx:
        refresh_index(idx)
        rows = idx.conn.execute(
            "SELECT rowid FROM fts WHERE fts MATCH 'unclosed OR body'"
        ).fetchall()
    assert rows


@pytest.mark.slow
def test_a_progress_bar_on_a_terminal_for_long_work(tmp_path: Path) -> None:
    """A rebuild that takes over a second (by the bar's clock): on a terminal, a bar shows,
    whether the notes are parsed in this process or by the workers (400 notes and more)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import generate

    for people, conversations in ((20, 300), (50, 500)):
        vault = tmp_path / f"v{people}"
        generate(vault, people=people, conversations=conversations, daily=10)
        seen = run_on_a_terminal(vault, "index", "--rebuild", long_work=True)
        assert b"Indexing" in seen and b"100%" in seen
        assert f"{people + conversations + 10} notes".encode() in seen


def test_a_search_expression_the_index_refuses_is_a_query_error(make_vault: MakeVault) -> None:
    from vault_crm.errors import QueryError, VaultError

    root = make_vault({"People/Ana Lima.md": "---\ntype: person\n---\nDesign.\n"})
    with open_index(root) as idx:
        refresh_index(idx)
        assert [r[0] for r in idx.search('"design"', [])] == ["People/Ana Lima.md"]
        for refuse in (
            lambda: idx.search("AND AND", []),
            lambda: idx.profile_hits("AND AND"),
            lambda: idx.note_hits("(("),
            lambda: idx.snippets('"unclosed', ["People/Ana Lima.md"]),
        ):
            with pytest.raises(QueryError) as caught:
                refuse()
            assert isinstance(caught.value, VaultError)
            assert "syntax error" in str(caught.value) or "unterminated" in str(caught.value)


def test_a_rebuild_works_out_participants_a_slice_at_a_time_with_the_same_result(
    make_vault: MakeVault,
) -> None:
    """A large vault's participants are worked out a slice of conversations at a time (so
    they are never all in memory): the rows and the problems are those of one pass."""
    files: dict[str, str | bytes] = {
        "People/Ana Lima.md": "---\ntype: person\naliases: [AL]\n---\n",
        "People/Al Berg.md": "---\ntype: person\naliases: [AL]\n---\n",
        "People/Bo.md": "---\ntype: person\n---\n",
    }
    for day in range(1, 10):
        who = ["[[Ana Lima]]", "[[Bo]]", "[[Nobody]]"][day % 3]
        files[f"Conversations/2026-11-0{day} Call.md"] = (
            f'---\ndate: 2026-11-0{day}\nwith: ["{who}"]\npeople: Zed, Bo\n---\nAlso [[Al Berg]].\n'
        )
        files[f"Daily/2026-10-0{day}.md"] = f"Saw [[Bo]] and [[Ana Lima]] on day {day}.\n"
    vault = make_vault(files)

    def graph(index: Index) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        return (
            index.conn.execute("SELECT * FROM participants ORDER BY rowid").fetchall(),
            index.conn.execute("SELECT * FROM graph_problems ORDER BY rowid").fetchall(),
        )

    with open_index(vault) as index:
        refresh_index(index, rebuild=True)
        whole = graph(index)
        participants, problems = whole
        assert len(participants) == 9 * 2 + 3 * 2 + 6  # daily notes, then calls
        messages = [p[3] for p in problems]
        assert messages.count("alias 'al' is also used by Al Berg") == 1
        assert messages.count("participant [[Nobody]] matches no person") == 3
        assert messages.count("participant 'Zed' matches no person") == 9
        for size in (1, 2, 7):
            index.conn.execute("BEGIN")
            try:
                index._rebuild_graph(size)
                assert graph(index) == whole
            finally:
                index.conn.execute("ROLLBACK")

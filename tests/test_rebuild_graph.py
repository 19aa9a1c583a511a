"""A rebuild works out who took part in what from the links the notes it writes bring,
not by reading them back: the participants, mentions and problems are those the index
works out from its stored links."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import write_vault

FILES: dict[str, str | bytes] = {
    "People/Ana Lima.md": "---\ntype: person\naliases: [Ana]\n---\n",
    "People/Bo.md": "---\ntype: person\n---\nSee [[Ana Lima]].\n",
    "photo.png": b"\x89PNG",
    # Participants by property: linked, by alias, unknown; body links do not count.
    "Conversations/2026-11-01 Call.md": (
        '---\ndate: 2026-11-01\nwith: ["[[Ana]]", "[[Nobody]]"]\n'
        'attendees: "[[Bo]]"\nrelated: "[[Bo]]"\n---\nAlso [[Ana Lima]] and ![[photo.png]].\n'
    ),
    # No participant property: the people its body links to.
    "Conversations/2026-11-02 Lunch.md": (
        "---\ndate: 2026-11-02\ntype: conversation\n---\nWith [[Bo]], [[Ana]], [[Nowhere]].\n"
    ),
    "Daily/2026-11-03.md": "Saw [[Bo]], [[Ana]] and [[Ana Lima]]; ![[photo.png]].\n",
    "Daily/2026-11-04.md": "---\ntags: [x]\nwith: '[[Bo]]'\n---\nNobody here.\n",
    "Templates/Call.md": '---\ndate: 2026-11-05\nwith: ["[[Bo]]"]\n---\n',
}


def _graph(index: Index) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (
        index.conn.execute("SELECT * FROM participants ORDER BY rowid").fetchall(),
        index.conn.execute("SELECT * FROM graph_problems ORDER BY rowid").fetchall(),
    )


@pytest.mark.parametrize("daily", [True, False])
def test_a_rebuilds_participants_equal_those_worked_out_from_the_stored_links(
    tmp_path: Path, daily: bool
) -> None:
    files = dict(FILES)
    if not daily:
        files[".vault/config.toml"] = "daily_notes_count = false\n"
    root = write_vault(tmp_path / "vault", files)
    with Index.open(load_settings(root), tmp_path / "cache") as index:
        refresh_index(index, rebuild=True)
        built = _graph(index)
        sources = {row[0] for row in built[0]}
        assert ("Daily/2026-11-03.md" in sources) is daily
        assert "Conversations/2026-11-01 Call.md" in sources
        assert "Conversations/2026-11-02 Lunch.md" in sources
        assert not any(s.startswith("Templates/") for s in sources)
        assert any("[[Nobody]] matches no person" in p[3] for p in built[1])
        index.conn.execute("BEGIN")
        try:
            index._rebuild_graph()  # from the links the index stores
            assert _graph(index) == built
        finally:
            index.conn.execute("ROLLBACK")

"""What the read commands take from the index instead of working it out per call: the
open follow-ups of a few people (`vault due`, `show`, `followups PERSON`) equal the
vault-wide list narrowed to them, and equal a rebuild's, after every kind of change."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index
from vault_crm.store import Index
from vault_crm.store.queries import note_title

from conftest import apply_change, write_vault

START = {
    "People/Ana Lima.md": "---\naliases: [Ana]\ncadence: 2w\n---\n",
    "People/Bo Chen.md": "---\ncadence: monthly\n---\n",
    "People/cy-dias.md": "---\nname: Cy Dias\naliases: [Cy]\n---\n",
    "Conversations/2026-10-01 Coffee with Ana.md": (
        "---\ndate: 2026-10-01\nwith: [Ana]\n---\n- [ ] Send Ana the deck\n"
        "- [ ] Ask [[Bo Chen]] about Porto\n- [x] Book the table\n"
    ),
    "Conversations/2026-10-20 Call with Bo.md": (
        '---\ndate: 2026-10-20\nwith: ["[[Bo Chen]]", Cy]\n---\n- [ ] Intro Cy to [[Ana Lima]]\n'
    ),
    "Conversations/2026-11-02 Lunch.md": "Met [[Ana Lima]].\n- [ ] Lunch again with [[Ana]]\n",
    "Daily/2026-11-10.md": "Saw [[Bo Chen]].\n- [ ] Call [[Bo Chen]] back\n",
    "Templates/Conversation.md": "---\nwith: [Ana]\n---\n- [ ] a template's task\n",
}

Change = Callable[[Path], None]


def write(rel: str, text: str) -> Change:
    return lambda root: write_vault(root, {rel: text}) and None


def delete(rel: str) -> Change:
    return lambda root: (root / rel).unlink()


def rename(old: str, new: str) -> Change:
    return lambda root: (root / old).rename(root / new) and None


CHANGES: list[tuple[str, Change, list[str]]] = [
    (
        "follow-up ticked",
        write(
            "Conversations/2026-10-01 Coffee with Ana.md",
            "---\ndate: 2026-10-01\nwith: [Ana]\n---\n- [x] Send Ana the deck\n"
            "- [ ] Ask [[Bo Chen]] about Porto\n- [x] Book the table\n",
        ),
        ["Conversations/2026-10-01 Coffee with Ana.md"],
    ),
    (
        "conversation added",
        write(
            "Conversations/2026-11-15 Walk.md",
            "---\ndate: 2026-11-15\nwith: [Bo Chen, Cy Dias]\n---\n- [ ] Send the route\n",
        ),
        ["Conversations/2026-11-15 Walk.md"],
    ),
    (
        "daily note edited",
        write("Daily/2026-11-10.md", "Saw [[Ana Lima]].\n- [ ] Call [[Ana Lima]] back\n"),
        ["Daily/2026-11-10.md"],
    ),
    (
        "alias changed",
        write("People/cy-dias.md", "---\nname: Cy Dias\naliases: [Cyrus]\n---\n"),
        ["People/cy-dias.md"],
    ),
    (
        "person edited",
        write("People/Bo Chen.md", "---\naliases: [Cy]\ncadence: 2w\n---\n"),
        ["People/Bo Chen.md"],
    ),
    (
        "person renamed",
        rename("People/Ana Lima.md", "People/Ana Sousa.md"),
        ["People/Ana Lima.md", "People/Ana Sousa.md"],
    ),
    (
        "person deleted",
        delete("People/Bo Chen.md"),
        ["People/Bo Chen.md"],
    ),
]


def followups_by_person(idx: Index) -> dict[str, list[tuple[object, ...]]]:
    """Each person's open follow-ups asked one person at a time, after checking that
    they equal the vault-wide list narrowed to that person."""
    people = sorted(idx.person_titles())
    everyone = sorted(idx.open_followups())
    found = {}
    for person in people:
        mine = sorted(idx.open_followups([person]))
        assert mine == [r for r in everyone if r[0] == person], person
        found[person] = mine
    assert sorted(idx.open_followups(people)) == [r for r in everyone if r[0] in people]
    return found


@pytest.mark.parametrize("how", ["walk", "paths"])
def test_followups_of_a_few_people_after_every_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = write_vault(tmp_path / "vault", START)
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "live") as live:
        refresh_index(live)
        first = followups_by_person(live)
        # a participant's tasks, a task linking her in another conversation, none from
        # a daily note or a template, none ticked
        assert sorted(r[3] for r in first["People/Ana Lima.md"]) == [
            "Ask [[Bo Chen]] about Porto",
            "Intro Cy to [[Ana Lima]]",
            "Lunch again with [[Ana]]",
            "Send Ana the deck",
        ]
        assert [r[5] for r in first["People/Ana Lima.md"]][:1] == ["2026-10-01 Coffee with Ana"]
        for step, (what, change, paths) in enumerate(CHANGES):
            apply_change(root, live, step, change, paths, how)
            with Index.open(settings, tmp_path / f"fresh{step}") as fresh:
                refresh_index(fresh, rebuild=True)
                expected = followups_by_person(fresh)
            assert followups_by_person(live) == expected, what
            live.end_snapshot()


def test_the_title_the_index_stores_is_the_file_name(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Ångström")
    files = {
        "People/Ana Lima.md": "---\nname: Ana L.\n---\n",
        "Deep/er/2026-01-02 Notes.md.md": "A note named twice.\n",
        f"People/{decomposed}.md": "---\ncadence: 2w\n---\n",
        "a b.md": "Plain.\n",
    }
    root = write_vault(tmp_path / "vault", files)
    with Index.open(load_settings(root), tmp_path / "cache") as idx:
        refresh_index(idx)
        rows = idx.conn.execute("SELECT path, title FROM notes").fetchall()
    assert len(rows) == len(files)
    assert {title for _path, title in rows} >= {"Ana Lima", "2026-01-02 Notes.md", "a b"}
    for path, title in rows:
        assert note_title(path) == title


def test_due_without_writing_imports_no_report_or_templates(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    root = write_vault(tmp_path / "vault", START)
    loaded = tmp_path / "modules.json"
    code = (
        "import json, sys\nfrom vault_crm.cli import main\ncode = main(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\nsys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(loaded), "--vault", str(root), "due", "--no-write"],
        capture_output=True,
        text=True,
        env={**os.environ, "VAULT_CRM_CACHE": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert "Ana Lima" in done.stdout
    modules = set(json.loads(loaded.read_text()))
    assert "vault_crm.due" in modules
    assert not modules & {"vault_crm.insights.report", "vault_crm.render", "jinja2"}

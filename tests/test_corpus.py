"""Real vaults written by other people (../shared/corpus, see each SOURCE.md).

They are read from the shared folder beside the repository and skipped cleanly when it is
absent; tests that write (vault due) work on a copy in tmp_path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, Vault


def corpus(name: str, tmp_path: Path) -> Path:
    source = CORPUS / name
    if not source.is_dir():
        pytest.skip(f"{source} is not here (the shared corpus sits beside the repository)")
    target = tmp_path / name.replace("/", "-")
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return target


def test_kepano_people_by_categories_and_a_meeting_by_people_property(tmp_path: Path) -> None:
    v = Vault(corpus("kepano-vault", tmp_path))
    stats = v.json("index")
    assert stats["people"] == 3
    assert stats["conversations"] == 1
    # 28 templates hold {{date}} placeholders that are not YAML: not problems worth reporting
    assert stats["problems"] == 0
    people = v.json("people")
    assert [p["person"] for p in people] == ["Kevin Kelly", "Paul Chambers", "Steph Ango"]
    steph = v.json("show", "Steph Ango")
    assert steph["conversations"] == [
        {
            "path": "Notes/2023-09-12 Meeting with Steph.md",
            "date": "2023-09-12",
            "title": "2023-09-12 Meeting with Steph",
        }
    ]
    assert steph["last_contact"] == "2023-09-12"
    assert "Templates/People Template.md" not in {p["path"] for p in people}


def test_kepano_front_matter_links_resolve_as_in_obsidian(tmp_path: Path) -> None:
    root = corpus("kepano-vault", tmp_path)
    v = Vault(root)
    v.json("index")
    from vault_crm.config import load_settings
    from vault_crm.store import Index

    with Index.open(load_settings(root)) as idx:
        total, resolved = idx.conn.execute(
            "SELECT count(*), count(l.resolved) FROM links l JOIN notes n ON n.path = l.source"
            " WHERE l.place = 'frontmatter' AND l.source != 'SOURCE.md'"
        ).fetchone()
    # SOURCE.md: 103 quoted wikilinks in the 70 parseable blocks, 62 of which resolve
    assert (total, resolved) == (103, 62)
    links = v.json("links", "evergreen notes turn ideas into objects that you can manipulate")
    evergreen = [o for o in links["outgoing"] if o["target"] == "evergreen"]
    assert evergreen and evergreen[0]["path"] == "Categories/Evergreen.md"


def test_kepano_older_snapshot_meeting_date_property_beats_the_title(tmp_path: Path) -> None:
    v = Vault(corpus("kepano-vault-2025-05-dataview-era", tmp_path))
    steph = v.json("show", "steph ango")
    assert [c["date"] for c in steph["conversations"]] == ["2023-09-14"]


def test_kepano_due_runs_and_writes_the_note(tmp_path: Path) -> None:
    root = corpus("kepano-vault", tmp_path)
    (root / ".vault").mkdir()
    (root / ".vault" / "config.toml").write_text('default_cadence = "yearly"\n')
    v = Vault(root)
    data = v.json("due")
    assert [e["person"] for e in data["due"]] == ["Steph Ango"]
    assert [e["person"] for e in data["never_contacted"]] == ["Kevin Kelly", "Paul Chambers"]
    assert "[[Steph Ango]]" in (root / "Reconnect.md").read_text()


def test_bramses_crm_notes_with_a_us_style_birthday(tmp_path: Path) -> None:
    root = corpus("bramses-opinionated-vault", tmp_path)
    (root / ".vault").mkdir()
    (root / ".vault" / "config.toml").write_text('people_folders = ["Databases/CRM"]\n')
    v = Vault(root)
    people = {p["person"] for p in v.json("people")}
    assert {"Jane Doe", "John Doe"} <= people
    result = v.run("check")
    assert result.exit_code == 1
    lines = [ln for ln in result.stdout.splitlines() if "birthday" in ln]
    assert lines and all("01/01/1980" in ln and ": error:" in ln for ln in lines)
    assert any(ln.startswith("Databases/CRM/Jane Doe.md:") for ln in lines)
    jane = v.json("show", "Jane Doe")
    assert jane["properties"]["phone"] == 1234567
    assert jane["properties"]["birthday"] == "01/01/1980"


def test_bramses_a_title_shared_by_four_notes(tmp_path: Path) -> None:
    v = Vault(corpus("bramses-opinionated-vault", tmp_path))
    v.json("index")
    incoming = v.json("links", "Inbox/Scratchpad.md")["incoming"]
    # a bare [[Scratchpad]] from outside those folders resolves to the shortest path
    assert incoming, "no link resolved to the shortest of the four Scratchpad notes"


def test_obsidiantools_stub_problems(tmp_path: Path) -> None:
    v = Vault(corpus("obsidiantools-tests/vault-stub", tmp_path))
    result = v.run("check", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert {(p["path"], p["severity"]) for p in problems} == {
        ("lipsum/Causam mihi.md", "error"),
        ("Sussudio.md", "warning"),
    }
    sussudio = v.json("links", "Sussudio")
    assert "American Psycho (film)" in {o["target"] for o in sussudio["outgoing"]}

"""People: name lookup, completion, the dossier, and problems only the whole vault shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

FILES = {
    "People/Ana Lima.md": "---\naliases: [Ana, Nini]\ncadence: 2w\n---\n",
    "People/Ana Ribeiro.md": "---\naliases: [Nini]\ntags: [design/ux, lisbon]\n---\n",
    "Work/Ana Lima.md": "---\ntype: person\n---\nAnother Ana Lima, at work.\n",
    "People/Rui Costa.md": "---\ntags: [lisbon]\ncadence: monthly\n---\n",
    "Conversations/2026-11-01 Lunch.md": (
        '---\nwith: ["[[Rui Costa]]", "Zed", "[[Nobody Here]]"]\n---\nLunch.\n'
    ),
    "Conversations/Undated chat.md": '---\nwith: ["[[Rui Costa]]"]\n---\n',
}


def test_person_lookup_title_alias_prefix(make_vault: MakeVault) -> None:
    v = Vault(make_vault(FILES))
    assert v.json("show", "rui")["path"] == "People/Rui Costa.md"
    assert v.json("show", "RUI COSTA")["path"] == "People/Rui Costa.md"
    assert v.json("show", "Work/Ana Lima")["path"] == "Work/Ana Lima.md"


def test_ambiguous_and_unknown_names_list_candidates(make_vault: MakeVault) -> None:
    v = Vault(make_vault(FILES))
    result = v.run("show", "Ana Lima")
    assert result.exit_code == 1
    assert "People/Ana Lima.md" in result.stderr and "Work/Ana Lima.md" in result.stderr
    assert v.json("show", "ana")["path"] == "People/Ana Lima.md"  # an exact alias wins
    for name in ("nini", "an"):  # an alias on two people; a prefix of several names
        result = v.run("show", name)
        assert result.exit_code == 1 and "more than one" in result.stderr
    result = v.run("show", "Rui Cotsa")
    assert result.exit_code == 1 and "did you mean Rui Costa" in result.stderr


def test_check_reports_what_only_the_whole_vault_shows(make_vault: MakeVault) -> None:
    v = Vault(make_vault(FILES))
    result = v.run("check", "--json")
    assert result.exit_code == 0  # warnings only
    found = {(p["path"], p["severity"], p["message"]) for p in json.loads(result.stdout)}
    messages = " | ".join(m for _p, _s, m in found)
    assert "participant 'Zed' matches no person" in messages
    assert "participant [[Nobody Here]] matches no person" in messages
    assert "alias 'nini' is also used by" in messages
    assert any(p == "Conversations/Undated chat.md" and "without a date" in m for p, _s, m in found)
    assert v.json("index")["problems"] == len(found)


def test_people_tag_and_sort(make_vault: MakeVault) -> None:
    v = Vault(make_vault(FILES))
    lisbon = v.json("people", "--tag", "lisbon")
    assert [p["person"] for p in lisbon] == ["Ana Ribeiro", "Rui Costa"]
    assert [p["person"] for p in v.json("people", "--tag", "design")] == ["Ana Ribeiro"]
    assert set(lisbon[0]) == {"person", "path", "tags", "cadence", "last_contact", "due_date"}
    by_due = v.json("people", "--sort", "due")
    assert by_due[0]["person"] == "Rui Costa"  # the only one with a due date
    by_last = v.json("people", "--sort", "last")
    assert by_last[-1]["person"] == "Rui Costa"


def test_show_json_keys(make_vault: MakeVault) -> None:
    data = Vault(make_vault(FILES)).json("show", "rui")
    assert list(data) == [
        "person", "path", "aliases", "tags", "properties", "cadence", "cadence_days",
        "last_contact", "due_date", "conversations", "followups", "upcoming", "backlinks",
        "introduced_by", "introduced", "reciprocity",
    ]  # fmt: skip
    assert data["last_contact"] == "2026-11-01" and data["due_date"] == "2026-12-01"


def test_shell_completion_of_person_names(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    Vault(root).run("index")
    env = dict(
        os.environ,
        _VAULT_COMPLETE="bash_complete",
        COMP_WORDS=f"vault --vault {root} show An",
        COMP_CWORD="4",
    )
    done = subprocess.run(
        [sys.executable, "-m", "vault_crm"], env=env, capture_output=True, text=True, check=False
    )
    names = [ln.split(",", 1)[1] for ln in done.stdout.splitlines() if ln.startswith("plain,")]
    # two people share "Ana Lima": each is offered by its vault path, which `show` accepts;
    # each name is escaped as one bash word
    assert names == ["Ana\\ Ribeiro", "People/Ana\\ Lima", "Work/Ana\\ Lima"]

"""What `vault due` writes, when, and what `--commit` then commits."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

# today = 2026-11-23
VAULT = {
    "People/Ana Lima.md": "---\ncadence: 2w\ntags: [mentor]\nlast_contact: 2026-10-01\n---\n",
    "People/Bo.md": "---\ncadence: 1w\nlast_contact: 2026-10-01\n---\n",
    "People/Cy.md": "---\ncadence: 1m\nlast_contact: 2026-09-01\n---\n",
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def init_repo(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "notes")


def test_commit_commits_a_note_git_does_not_hold_yet(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    init_repo(root)
    v = Vault(root)
    assert v.run("due").exit_code == 0  # writes Reconnect.md, untracked
    assert "?? Reconnect.md" in git(root, "status", "--porcelain")
    result = v.run("due", "--commit")
    assert result.exit_code == 0, result.stderr
    assert "Committed Reconnect.md" in result.stderr
    assert git(root, "log", "-1", "--name-only", "--format=%s").split("\n")[:3] == [
        "Update Reconnect.md for 2026-11-23",
        "",
        "Reconnect.md",
    ]
    assert git(root, "status", "--porcelain") == ""
    # now git holds exactly this note: nothing more to commit
    head = git(root, "rev-parse", "HEAD")
    again = v.run("due", "--commit")
    assert again.exit_code == 0 and "Nothing to commit" in again.stderr
    assert git(root, "rev-parse", "HEAD") == head


def test_commit_commits_a_note_changed_by_an_earlier_run(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    assert Vault(root).run("due").exit_code == 0
    init_repo(root)
    assert Vault(root, today="2026-11-24").run("due").exit_code == 0  # modified, uncommitted
    result = Vault(root, today="2026-11-24").run("due", "--commit")
    assert result.exit_code == 0 and "Committed Reconnect.md" in result.stderr
    assert git(root, "status", "--porcelain") == ""


def test_a_narrowed_due_does_not_replace_the_full_note(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    v = Vault(root)
    assert v.run("due").exit_code == 0
    full = (root / "Reconnect.md").read_bytes()
    for narrowing in (["--tag", "mentor"], ["--limit", "1"], ["--within", "30d"]):
        result = v.run("due", *narrowing)
        assert result.exit_code == 0, result.stderr
        assert "add --write" in result.stderr
        assert (root / "Reconnect.md").read_bytes() == full
    assert "Not writing" not in v.run("due", "--tag", "mentor", "--no-write").stderr


def test_a_narrowed_due_writes_with_write_and_says_which_filter(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    v = Vault(root)
    result = v.run("due", "--tag", "mentor", "--limit", "5", "--write")
    assert result.exit_code == 0, result.stderr
    text = (root / "Reconnect.md").read_text()
    assert "narrowed by `--tag mentor --limit 5`" in text
    assert "[[Ana Lima]]" in text and "[[Bo]]" not in text
    # the full list again drops the label
    assert v.run("due").exit_code == 0
    text = (root / "Reconnect.md").read_text()
    assert "narrowed" not in text and "[[Bo]]" in text


def test_commit_of_a_narrowed_list_needs_write(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    result = Vault(root).run("due", "--tag", "mentor", "--commit")
    assert result.exit_code == 1 and "--write" in result.stderr
    assert not (root / "Reconnect.md").exists()


def test_the_reconnect_note_is_in_the_index_before_due_exits(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    v = Vault(root)
    assert v.run("index").exit_code == 0
    assert v.run("due").exit_code == 0
    links = v.json("--no-refresh", "links", "Reconnect")
    assert {link["target"] for link in links["outgoing"]} >= {"Ana Lima", "Bo", "Cy"}

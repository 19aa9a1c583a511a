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


# --- the reconnect note reads well -----------------------------------------------------------

WRAPPED = {
    "People/Ana Ribeiro.md": "---\ncadence: bimonthly\n---\n",
    "People/Bo.md": "---\ncadence: 1w\n---\n",
    "Meetings/2026-10-20 Design crit.md": (
        "---\ntype: meeting\ndate: 2026-10-20\nattendees: ['[[Ana Ribeiro]]']\n---\n"
        "Monthly design crit at Rui's office. Ana Ribeiro showed the research plan for the\n"
        "checkout study; Ana Lima brought the onboarding metrics.\n\n"
        "A second paragraph that is not part of the gist.\n"
    ),
    "Conversations/2026-11-20 Call with Bo.md": (
        "---\ndate: 2026-11-15\nwith: ['[[Bo]]']\n---\n"
        + "Bo talked at length about the warehouse move and the new racking system, "
        "which took most of the call, and then about the hiring plan for next spring, "
        "the budget, the two candidates he likes, and finally the offsite in March.\n"
        "- [ ] Send Bo the racking vendor list\n"
    ),
}


def test_last_joins_hard_wrapped_lines_and_cuts_at_a_word(make_vault: MakeVault) -> None:
    root = make_vault(WRAPPED)
    assert Vault(root, today="2026-12-15").run("due").exit_code == 0
    text = (root / "Reconnect.md").read_text()
    assert (
        ": Monthly design crit at Rui's office. Ana Ribeiro showed the research plan for the "
        "checkout study; Ana Lima brought the onboarding metrics.\n"
    ) in text
    last = next(ln for ln in text.splitlines() if "Call with Bo]]" in ln and "Last:" in ln)
    gist = last.split("): ", 1)[1]
    assert gist.endswith("…") and len(gist) <= 200
    words = gist.removesuffix("…").split()
    assert words[-1] in WRAPPED["Conversations/2026-11-20 Call with Bo.md"].split()


def test_coming_up_and_never_contacted_entries_have_the_same_context(
    make_vault: MakeVault,
) -> None:
    root = make_vault(
        {
            "People/Ana Lima.md": "---\ncadence: 2w\nwho: x\n---\n",
            "People/Dev.md": (
                "---\ncadence: 4w\nworking_on: a bakery\nmet: 2025-05-01\n"
                "introduced_by: '[[Ana Lima]]'\n---\n"
            ),
            "Conversations/2026-11-01 Call with Dev.md": (
                "---\nwith: ['[[Dev]]']\n---\nA call.\n- [ ] Send Dev the oven specs\n"
            ),
            "People/Gus.md": "---\ncadence: quarterly\nworking_on: a robot\nmet: at PyCon\n---\n",
        }
    )
    assert Vault(root).run("due").exit_code == 0
    text = (root / "Reconnect.md").read_text()
    coming = text.split("## Coming up", 1)[1].split("## Never contacted", 1)[0]
    assert "- [[Dev]] · due 2026-11-29" in coming
    assert "  - Last: [[2026-11-01 Call with Dev]] (2026-11-01): A call.\n" in coming
    assert "  - Met: 2025-05-01, through [[Ana Lima]]\n" in coming
    assert "  - Follow up: Send Dev the oven specs" in coming
    assert "  - Working on: a bakery\n" in coming
    never = text.split("## Never contacted", 1)[1]
    assert "- [[Gus]] · never contacted · quarterly\n  - Met: at PyCon\n" in never
    assert "  - Working on: a robot\n" in never

"""The reconnect note: golden output, determinism, markers, templates, --commit."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Vault
from test_due import VAULT

MakeVault = Callable[[dict[str, str | bytes]], Path]
GOLDEN = Path(__file__).parent / "golden"
FILES = {k: v for k, v in VAULT.items() if k != "Reconnect.md"}
# Reciprocity: Jo's last three conversations were asks (and Jo needs what Ana works on, so
# the note suggests that introduction as something to give); you started the last five
# conversations with Ivo.
FILES["People/Jo.md"] = (
    "---\ncadence: yearly\nlast_contact: 2024-10-19\nneeds: pricing advice\n---\n"
)
for _day, _intent in (("03", "give"), ("05", "ask"), ("07", "ask"), ("09", "ask")):
    FILES[f"Conversations/2024-10-{_day} Jo.md"] = (
        f'---\nwith: ["[[Jo]]"]\nintent: {_intent}\ninitiated_by: them\n---\nJo asked.\n'
    )
for _day in ("01", "05", "10", "15", "20"):
    FILES[f"Conversations/2026-09-{_day} Ivo.md"] = (
        '---\nwith: ["[[Ivo]]"]\nintent: catch-up\ninitiated_by: me\n---\nI called Ivo.\n'
    )


def test_reconnect_note_matches_the_golden_file(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    result = Vault(root).run("due")
    assert result.exit_code == 0, result.stderr
    assert "Wrote Reconnect.md" in result.stderr
    expected = (GOLDEN / "reconnect.md").read_text(encoding="utf-8")
    assert (root / "Reconnect.md").read_text(encoding="utf-8") == expected


def test_each_entry_starts_with_the_persons_link_as_a_top_level_item(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    Vault(root).run("due")
    items = [ln for ln in (root / "Reconnect.md").read_text().splitlines() if ln.startswith("- ")]
    assert [ln.split(" · ")[0] for ln in items] == [
        "- [[Ivo]]", "- [[Jo]]", "- [[Mum]]", "- [[Ana Lima]]", "- [[Dev]]", "- [[Gus]]",
    ]  # fmt: skip


def test_same_vault_same_day_same_bytes_and_no_rewrite(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    v = Vault(root)
    v.run("due")
    note = root / "Reconnect.md"
    first = note.read_bytes()
    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    result = v.run("due")
    assert "Unchanged: Reconnect.md" in result.stderr
    assert note.read_bytes() == first
    assert note.stat().st_mtime_ns == 1_000_000_000


def test_text_outside_the_markers_survives_and_crlf_bom_are_kept(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    v = Vault(root)
    v.run("due")
    note = root / "Reconnect.md"
    body = note.read_text().replace("\n", "\r\n")
    note.write_bytes(b"\xef\xbb\xbf" + f"My notes above.\r\n{body}Below, mine too.\r\n".encode())
    Vault(root, today="2026-11-24").run("due")
    data = note.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfMy notes above.\r\n<!-- vault:begin reconnect -->")
    assert data.endswith(b"<!-- vault:end reconnect -->\r\nBelow, mine too.\r\n")
    assert b"Reconnect \xc2\xb7 2026-11-24" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_foreign_file_is_never_overwritten(make_vault: MakeVault) -> None:
    files = dict(FILES)
    files["Reconnect.md"] = "My own note called Reconnect.\n"
    root = make_vault(files)
    result = Vault(root).run("due")
    assert result.exit_code == 1
    assert "Reconnect.md" in result.stderr and "markers" in result.stderr
    assert (root / "Reconnect.md").read_text() == "My own note called Reconnect.\n"


def test_no_write_writes_nothing(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    assert Vault(root).run("due", "--no-write").exit_code == 0
    assert not (root / "Reconnect.md").exists()


def test_dated_note_path_from_config(make_vault: MakeVault) -> None:
    files = dict(FILES)
    files[".vault/config.toml"] = (
        'reconnect_note = "Reconnect/{date}.md"\n[cadence.tags]\nfamily = "2w"\n'
    )
    root = make_vault(files)
    result = Vault(root).run("due")
    assert result.exit_code == 0, result.stderr
    assert (root / "Reconnect" / "2026-11-23.md").is_file()
    # the generated note is not a person, a contact or a source of follow-ups
    assert Vault(root).json("index")["people"] == 10


def test_vault_template_override(make_vault: MakeVault) -> None:
    files = dict(FILES)
    files[".vault/templates/reconnect.md.j2"] = (
        "<!-- vault:begin reconnect -->\n"
        "{% for e in due %}- {{ e.link }} ({{ e.days_overdue }})\n{% endfor %}"
        "<!-- vault:end reconnect -->\n"
    )
    root = make_vault(files)
    assert Vault(root).run("due").exit_code == 0
    assert (root / "Reconnect.md").read_text() == (
        "<!-- vault:begin reconnect -->\n- [[Ivo]] (43)\n- [[Jo]] (400)\n- [[Mum]] (8)\n"
        "- [[Ana Lima]] (1)\n<!-- vault:end reconnect -->\n"
    )


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("<!-- vault:begin reconnect -->\n{% for e in due %}\n{{ e.nope }}\n{% endfor %}\n", ":3:"),
        ("<!-- vault:begin reconnect -->\n\n{% if %}\n", ":3:"),
        ("{{ ().__class__.__base__.__subclasses__() }}", "reconnect.md.j2"),
    ],
)
def test_a_broken_template_is_a_one_line_error_with_file_and_line(
    make_vault: MakeVault, template: str, needle: str
) -> None:
    files = dict(FILES)
    files[".vault/templates/reconnect.md.j2"] = template
    root = make_vault(files)
    result = Vault(root).run("due")
    assert result.exit_code == 1
    assert ".vault/templates/reconnect.md.j2" in result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "Reconnect.md").exists()


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


def test_commit_commits_exactly_the_note_and_keeps_staged_work_staged(
    make_vault: MakeVault,
) -> None:
    root = make_vault(FILES)
    init_repo(root)
    (root / "People/Gus.md").write_text("---\ncadence: quarterly\ncompany: Acme Corp\n---\n")
    git(root, "add", "People/Gus.md")  # the user's own staged change
    (root / "Ideas.md").write_text("untracked\n")
    result = Vault(root).run("due", "--commit")
    assert result.exit_code == 0, result.stderr
    assert git(root, "show", "--name-only", "--format=%s", "HEAD").split("\n")[:3] == [
        "Update Reconnect.md for 2026-11-23",
        "",
        "Reconnect.md",
    ]
    status = git(root, "status", "--porcelain")
    assert "M  People/Gus.md" in status and "?? Ideas.md" in status
    # nothing changed: no new commit
    head = git(root, "rev-parse", "HEAD")
    again = Vault(root).run("due", "--commit")
    assert again.exit_code == 0
    assert git(root, "rev-parse", "HEAD") == head


def test_commit_outside_git_is_an_error_but_the_note_is_written(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    result = Vault(root).run("due", "--commit")
    assert result.exit_code == 1
    assert "not inside a git repository" in result.stderr
    assert (root / "Reconnect.md").is_file()


def test_commit_without_identity_is_an_error(make_vault: MakeVault) -> None:
    root = make_vault(FILES)
    git(root, "init", "-q")
    env_free = Vault(root)
    os.environ.pop("GIT_AUTHOR_NAME", None)
    result = env_free.run("due", "--commit")
    if result.exit_code == 0:  # the machine has a system-wide identity we cannot hide
        pytest.skip("git found an identity outside the test's control")
    assert result.exit_code == 1
    assert "identity" in result.stderr
    assert (root / "Reconnect.md").is_file()

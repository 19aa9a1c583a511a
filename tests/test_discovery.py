"""Which vault a command works on, and `vault init` on a vault that already exists."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Vault, write_vault

MakeVault = Callable[[dict[str, str | bytes]], Path]


def invoke(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from vault_crm.cli import main

    from conftest import _Main

    result = CliRunner().invoke(_Main(main), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [["due"], ["people"], ["index"], ["search", "x"]])
def test_outside_a_vault_is_an_error_naming_init_and_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    folder = write_vault(tmp_path / "Downloads", {"notes/a.md": "---\ncadence: 1w\n---\n"})
    monkeypatch.chdir(folder)
    code, out, err = invoke("--today", "2026-11-23", *command)
    assert code == 1 and out == ""
    assert err.startswith("Error: not in a vault")
    assert "vault init" in err and "--vault" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["notes"]  # no Reconnect.md
    assert not Path(os.environ["VAULT_CRM_CACHE"]).exists()  # nothing indexed


def test_an_explicit_vault_or_vault_dir_works_on_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_vault(tmp_path / "plain", {"People/Ana.md": "---\ncadence: 1w\n---\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("--vault", str(folder), "people", "--json")
    assert code == 0 and '"person": "Ana"' in out
    monkeypatch.setenv("VAULT_DIR", str(folder))
    code, out, _ = invoke("people", "--json")
    assert code == 0 and '"person": "Ana"' in out


def test_an_obsidian_vault_is_found_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_vault(tmp_path / "Notes", {".obsidian/app.json": "{}", "a/b/Ana.md": "x\n"})
    monkeypatch.chdir(root / "a" / "b")
    code, out, _ = invoke("index", "--json")
    assert code == 0 and '"notes": 1' in out


def test_init_outside_a_vault_makes_the_current_folder_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "Fresh"
    folder.mkdir()
    monkeypatch.chdir(folder)
    code, _, err = invoke("init")
    assert code == 0, err
    assert (folder / ".vault" / "config.toml").is_file()
    code, _, err = invoke("--today", "2026-11-23", "due", "--no-write")
    assert code == 0, err


# --- a first run that explains itself ------------------------------------------------------


OBSIDIAN = {
    ".obsidian/app.json": "{}",
    "Contacts/Ana Lima.md": "---\ncompany: Pago\n---\nMet at a meetup.\n",
    "Contacts/Rui Costa.md": "Friend from school.\n",
    "Meetings/2026-11-01 Coffee.md": '---\nwith: ["[[Ana Lima]]"]\ndate: 2026-11-01\n---\n',
    "Daily/2026-11-20.md": "Nothing much.\n",
}


def test_init_on_an_existing_vault_uses_the_folders_it_has(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault(OBSIDIAN)
    monkeypatch.chdir(root / "Daily")
    code, out, err = invoke("init")
    assert code == 0, err
    assert out.strip() == "created .vault/config.toml"
    assert sorted(p.name for p in root.iterdir()) == [
        ".obsidian", ".vault", "Contacts", "Daily", "Meetings"
    ]  # fmt: skip
    config = (root / ".vault/config.toml").read_text()
    assert 'people_folders = ["Contacts"]' in config
    assert 'conversation_folders = ["Meetings"]' in config
    code, out, _ = invoke("--today", "2026-11-23", "people", "--json")
    assert code == 0
    assert [p["person"] for p in json.loads(out)] == ["Ana Lima", "Rui Costa"]
    assert json.loads(out)[0]["last_contact"] == "2026-11-01"


def test_init_finds_a_lowercase_people_folder(make_vault: MakeVault) -> None:
    root = make_vault({".obsidian/app.json": "{}", "people/Bo.md": "Bo.\n"})
    code, _, err = invoke("init", str(root))
    assert code == 0, err
    assert sorted(p.name for p in root.iterdir()) == [
        ".obsidian", ".vault", "Conversations", "people"
    ]  # fmt: skip
    assert 'people_folders = ["people"]' in (root / ".vault/config.toml").read_text()


def test_nobody_due_says_why_when_nobody_has_a_cadence(make_vault: MakeVault) -> None:
    root = make_vault({**OBSIDIAN, "People/Zed.md": "---\ntype: person\n---\n"})
    result = Vault(root).run("due", "--no-write")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Nobody is due today.")
    assert "None of the 1 people has a cadence" in result.stderr
    assert "cadence: 2w" in result.stderr and "[cadence.tags]" in result.stderr
    assert "default_cadence" in result.stderr
    assert str(root / ".vault" / "config.toml") in result.stderr
    # once someone has a cadence, the hint is gone
    (root / "People/Zed.md").write_text("---\ntype: person\ncadence: 1w\n---\n")
    result = Vault(root).run("due", "--no-write")
    assert "has a cadence" not in result.stderr


def test_nobody_due_says_why_when_there_are_no_people(make_vault: MakeVault) -> None:
    root = make_vault({".obsidian/app.json": "{}", "Ideas.md": "Some idea.\n"})
    result = Vault(root).run("due", "--no-write")
    assert result.exit_code == 0
    assert "No people in this vault yet" in result.stderr and "People/" in result.stderr

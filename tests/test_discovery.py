"""Which vault a command works on, and `vault init` on a vault that already exists."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import write_vault

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

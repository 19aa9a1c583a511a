"""The command line as a whole: help everywhere, exit codes, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from vault_crm.cli import cli

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]


def all_commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, command: click.Command) -> None:
        found.append((prefix, command))
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"`vault {prefix} {name}` is listed but cannot load"
                walk(f"{prefix} {name}".strip(), sub)

    walk("", cli)
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(), ids=lambda x: str(x) or "vault")
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert command.help and len(command.help) > 40
    assert "Example" in result.output, f"`vault {name} --help` shows no example"


def test_the_spec_commands_exist() -> None:
    names = {name for name, _ in all_commands()}
    for expected in (
        "init",
        "index",
        "check",
        "people",
        "show",
        "links",
        "due",
        "followups",
        "completion",
    ):
        assert expected in names


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vault_crm", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "vault-crm" in done.stdout


def test_bad_usage_exits_2(make_vault: MakeVault) -> None:
    v = Vault(make_vault({"a.md": "x"}))
    assert v.run("people", "--sort", "sideways").exit_code == 2
    assert v.run("no-such-command").exit_code == 2


def test_user_errors_are_one_line_exit_1_no_traceback(make_vault: MakeVault) -> None:
    root = make_vault({".vault/config.toml": "colour = 'blue'\n"})
    result = Vault(root).run("index")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr
    assert ".vault/config.toml" in result.stderr and "colour" in result.stderr


def test_missing_vault_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path / "nope"), "index"])
    assert result.exit_code != 0


def test_bad_today_is_a_clear_error(make_vault: MakeVault) -> None:
    v = Vault(make_vault({"a.md": "x"}), today="soon")
    result = v.run("index")
    assert result.exit_code == 2
    assert "today" in result.stderr.lower()


def test_vault_is_found_from_a_subfolder(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({"People/Ana.md": "---\ncadence: 2w\n---\n", ".obsidian/app.json": "{}"})
    monkeypatch.chdir(root / "People")
    result = CliRunner().invoke(cli, ["index", "--json"])
    assert result.exit_code == 0, result.output
    assert '"people": 1' in result.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert "_VAULT_COMPLETE" in result.output


@pytest.mark.slow
def test_a_reader_leaving_the_pipe_is_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "v"
    for i in range(3000):
        (root / "People").mkdir(parents=True, exist_ok=True)
        (root / "People" / f"Person {i}.md").write_text("---\ncadence: 2w\n---\n")
    done = subprocess.run(
        f"{sys.executable} -m vault_crm --vault {root} people | head -1",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
        env={**__import__("os").environ, "SHELLOPTS": "pipefail"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Person 0")
    assert "Traceback" not in done.stderr

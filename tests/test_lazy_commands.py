"""Each `vault` command imports only what it needs: a command's module is loaded when that
command runs, and `vault --help` lists every command from the registry alone. Checked in
fresh interpreters, as a user's shell starts them."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from vault_crm.cli import cli
from vault_crm.cli.commands import COMMANDS

from conftest import SAMPLE

# What only some commands use: calendars and address books (import, export), the daemon
# (watch), templates (due, report), and the command modules of other topics.
HEAVY = {"icalendar", "vobject", "recurring_ical_events", "x_wr_timezone", "watchdog", "jinja2"}
OTHER_TOPICS = {
    "vault_crm.cli.capture",
    "vault_crm.cli.due",
    "vault_crm.cli.exchange",
    "vault_crm.cli.insights",
    "vault_crm.cli.search",
    "vault_crm.cli.watch",
    "vault_crm.daemon",
    "vault_crm.importing",
    "vault_crm.exporting",
    "vault_crm.insights.who",
    "vault_crm.insights.report",
    "vault_crm.render",
    "vault_crm.reconnect",
}
RUN = (
    "import json, sys\n"
    "from vault_crm.cli import main\n"
    "code = main(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump(sorted(sys.modules), f)\n"
    "sys.exit(code)\n"
)


def run_fresh(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`vault ARGS` in a new interpreter; its result and every module it had imported."""
    loaded = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(loaded), *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "80", **(env or {})},
    )  # fmt: skip
    return done, set(json.loads(loaded.read_text()))


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def packages_of(modules: set[str]) -> set[str]:
    """Each module and every package above it: `a.b.c` gives a, a.b, a.b.c."""
    parts = [m.split(".") for m in modules]
    return {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "sample-vault"
    shutil.copytree(SAMPLE, root)
    return root


def test_show_imports_neither_the_importers_nor_the_daemon_nor_templates(
    tmp_path: Path, sample: Path
) -> None:
    done, modules = run_fresh(
        tmp_path, "--vault", str(sample), "--today", "2026-11-23", "show", "Ana Lima", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["person"] == "Ana Lima"
    assert "vault_crm.cli.people" in modules
    assert not HEAVY & top_level(modules)
    assert not OTHER_TOPICS & packages_of(modules)


def test_index_imports_no_command_but_its_own(tmp_path: Path, sample: Path) -> None:
    done, modules = run_fresh(tmp_path, "--vault", str(sample), "index")
    assert done.returncode == 0, done.stderr
    assert "notes" in done.stdout
    assert not HEAVY & top_level(modules)
    commands = {m for m in modules if m.startswith("vault_crm.cli.")}
    assert commands <= {
        "vault_crm.cli.main", "vault_crm.cli.commands", "vault_crm.cli.app",
        "vault_crm.cli.completion", "vault_crm.cli.core",
    }  # fmt: skip


def test_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    done, modules = run_fresh(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    command_modules = {entry.split(":")[0] for entry, _ in COMMANDS.values()}
    assert not command_modules & modules
    # The same listing as with every command loaded (here, in the test process).
    load_all()
    loaded = CliRunner().invoke(cli, ["--help"], prog_name="vault", terminal_width=78)
    assert loaded.exit_code == 0
    assert done.stdout == loaded.stdout
    for name in COMMANDS:
        assert f"\n  {name} " in done.stdout


def load_all() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        assert cli.get_command(ctx, name) is not None


@pytest.mark.parametrize("typed", ["", "s", "im"])
def test_completing_a_command_name_imports_no_command(tmp_path: Path, typed: str) -> None:
    ask = {"_VAULT_COMPLETE": "zsh_complete", "COMP_WORDS": f"vault {typed}", "COMP_CWORD": "1"}
    done, modules = run_fresh(tmp_path, env=ask)
    assert done.returncode == 0, done.stderr
    command_modules = {entry.split(":")[0] for entry, _ in COMMANDS.values()}
    assert not command_modules & modules
    offered = done.stdout.splitlines()[1::3]
    assert offered == sorted(n for n in COMMANDS if n.startswith(typed))
    # The names and their help as with every command loaded (here, in the test process).
    load_all()
    loaded = CliRunner().invoke(cli, [], prog_name="vault", env=ask)
    assert done.stdout == loaded.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_registry_entry_is_its_command_with_its_summary(name: str) -> None:
    where, summary = COMMANDS[name]
    module, _, attr = where.partition(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert summary == command.get_short_help_str(limit=10_000)


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    done, _ = run_fresh(tmp_path, "frobnicate")
    assert done.returncode == 2
    assert "No such command 'frobnicate'" in done.stderr

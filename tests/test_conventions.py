"""Conventions users bring from git, gh and ripgrep: NO_COLOR, exit 2 for a bad option
value, a query with nothing to search finding nothing, JSON with every section."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import conftest
from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

VAULT = {
    ".vault/config.toml": "",
    "People/Ana Lima.md": (
        "---\ncadence: 2w\nlast_contact: 2026-10-01\nbirthday: 1990-11-30\n---\nPricing.\n"
    ),
    "People/Rui.md": "---\nbirthday: 1988-12-06\n---\n",
}


def run_on_a_terminal(root: Path, *args: str, env: dict[str, str]) -> str:
    return conftest.run_on_a_terminal(root, *args, env=env).decode()


def test_no_color_turns_colour_off_on_a_terminal(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["VAULT_TODAY"] = "2026-11-23"
    coloured = run_on_a_terminal(root, "due", "--no-write", env=env)
    assert "\x1b[" in coloured and "Ana Lima" in coloured
    plain = run_on_a_terminal(root, "due", "--no-write", env={**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "Ana Lima" in plain
    found = run_on_a_terminal(root, "search", "pricing", env={**env, "NO_COLOR": "1"})
    assert "\x1b[" not in found and "[Pricing]" in found


@pytest.mark.parametrize(
    "args",
    [
        ["--today", "2026-13-01", "index"],
        ["--today", "2026-13-01", "due"],
        ["search", "x", "--since", "2026-13-01"],
        ["search", "x", "--until", "someday"],
        ["due", "--within", "soon"],
        ["log", "ana", "--date", "2026-13-01", "-m", "x"],
        ["add", "New Person", "--cadence", "often"],
        ["add", "New Person", "--birthday", "01/01/1980"],
        ["add", "New Person", "--met", "2026-02-30"],
        ["snooze", "ana", "soonish"],
    ],
)
def test_a_bad_option_value_is_a_usage_error_in_every_command(
    make_vault: MakeVault, args: list[str]
) -> None:
    root = make_vault(VAULT)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    from click.testing import CliRunner

    from vault_crm.cli import main

    from conftest import _Main

    result = CliRunner().invoke(_Main(main), ["--vault", str(root), *args])
    assert result.exit_code == 2, result.output
    assert "Invalid value" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_bad_vault_today_is_a_usage_error(
    make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault(VAULT)
    monkeypatch.setenv("VAULT_TODAY", "2026-13-01")
    from click.testing import CliRunner

    from vault_crm.cli import main

    from conftest import _Main

    result = CliRunner().invoke(_Main(main), ["--vault", str(root), "people"])
    assert result.exit_code == 2 and "VAULT_TODAY" in result.stderr


@pytest.mark.parametrize("query", ['"', '""', "-", "*", "()"])
def test_a_query_with_nothing_to_search_finds_nothing(make_vault: MakeVault, query: str) -> None:
    v = Vault(make_vault(VAULT))
    result = v.run("search", query)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "No notes match" in result.stderr
    assert v.json("search", query) == []


def test_due_json_carries_the_dates_coming_up(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("due", "--no-write", "--within", "30d")
    assert list(data) == ["today", "due", "coming_up", "never_contacted", "dates", "more"]
    assert data["dates"] == [
        {
            "person": "Rui",
            "path": "People/Rui.md",
            "label": "birthday",
            "date": "2026-12-06",
            "age": 38,
        }
    ]

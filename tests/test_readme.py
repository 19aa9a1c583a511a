"""The README's promises: the quick start and the service files actually work."""

from __future__ import annotations

import configparser
import os
import plistlib
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE

README = (REPO / "README.md").read_text(encoding="utf-8")


def block(lang: str, after: str) -> str:
    start = README.index(after)
    m = re.compile(rf"```{lang}\n(.*?)```", re.S).search(README, start)
    assert m, f"no ```{lang} block after {after!r}"
    return m.group(1)


def vault_bin() -> str:
    found = shutil.which("vault") or str(Path(sys.executable).parent / "vault")
    assert Path(found).exists()
    return found


def run_briefly(argv: list[str], vault: Path) -> None:
    """Start the service's command, wait until it watches, stop it as a manager would."""
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert "watching" in first, first
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert (vault / "Reconnect.md").is_file()


def test_quick_start_is_two_commands() -> None:
    commands = block("sh", "## Quick start").strip().splitlines()
    assert commands == [
        "pip install . && vault --vault sample-vault due",
        "pip install -e '.[test]' && pytest",
    ]
    ci = (REPO / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && pytest" in ci


@pytest.mark.slow
def test_systemd_unit_parses_and_its_command_runs(tmp_path: Path) -> None:
    unit = block("ini", "### As a systemd user service")
    home = tmp_path / "home"
    shutil.copytree(SAMPLE, home / "Notes")
    text = unit.replace("%h/.local/bin/vault", vault_bin()).replace("%h", str(home))
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.read_string(text)
    exec_start = parser["Service"]["ExecStart"]
    assert exec_start.endswith("watch")
    assert parser["Install"]["WantedBy"] == "default.target"
    analyze = shutil.which("systemd-analyze")
    if analyze:
        path = tmp_path / "vault-crm.service"
        path.write_text(text)
        done = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    run_briefly(exec_start.split(), home / "Notes")


@pytest.mark.slow
def test_launchd_plist_parses_and_its_command_runs(tmp_path: Path) -> None:
    plist = plistlib.loads(block("xml", "### As a launchd agent").encode())
    assert plist["Label"] == "com.vault-crm.watch"
    assert plist["KeepAlive"] is True and plist["RunAtLoad"] is True
    argv = list(plist["ProgramArguments"])
    assert argv[-1] == "watch" and argv[1] == "--vault"
    vault = tmp_path / "Notes"
    shutil.copytree(SAMPLE, vault)
    argv[0], argv[2] = vault_bin(), str(vault)
    run_briefly(argv, vault)

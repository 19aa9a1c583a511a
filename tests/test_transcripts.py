"""Golden transcripts of what users read: every read command on `sample-vault/` with
`--today 2026-11-23`, its stdout, stderr and exit code kept in `tests/transcripts/*.tesh`.

Format: `$ vault ARGS` runs `vault --vault <copy of sample-vault> --today 2026-11-23 ARGS`;
the lines after it are `> ` stdout, `2> ` stderr, then `exit N`. The copy's path is shown as
`<vault>`. To add a case, add a `$ vault …` line; to refresh every file after an intended
change in what users read, run

    VAULT_UPDATE_TRANSCRIPTS=1 pytest tests/test_transcripts.py

and review the diff.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE, Vault

TODAY = "2026-11-23"
HERE = Path(__file__).parent / "transcripts"
FILES = sorted(HERE.glob("*.tesh"))
UPDATE = bool(os.environ.get("VAULT_UPDATE_TRANSCRIPTS"))


def commands(text: str) -> list[list[str]]:
    return [shlex.split(line[2:]) for line in text.splitlines() if line.startswith("$ ")]


def transcript(vault: Vault, argv: list[str]) -> list[str]:
    assert argv[0] == "vault", argv
    result = vault.run(*argv[1:])
    lines = [f"$ {shlex.join(argv)}"]
    shown = str(vault.root)
    lines += [f"> {ln}".rstrip() for ln in result.stdout.replace(shown, "<vault>").splitlines()]
    lines += [f"2> {ln}".rstrip() for ln in result.stderr.replace(shown, "<vault>").splitlines()]
    lines.append(f"exit {result.exit_code}")
    return lines


def test_every_read_command_has_a_transcript() -> None:
    run = {argv[1] for f in FILES for argv in commands(f.read_text(encoding="utf-8"))}
    read = {"people", "show", "links", "check", "due", "followups", "search", "who", "intros"}
    assert read <= run, f"no transcript for: {sorted(read - run)}"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_transcript(path: Path, tmp_path: Path) -> None:
    root = tmp_path / "sample-vault"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("Reconnect.md"))
    vault = Vault(root, TODAY)
    text = path.read_text(encoding="utf-8")
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    out = list(header)
    for argv in commands(text):
        out += ["", *transcript(vault, argv)]
    actual = "\n".join(out).lstrip("\n") + "\n"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == text, f"{path.name} differs; see its docstring to refresh"

"""Shell completion of person names, in real shells: bash always; zsh and fish when they
are installed. Each completed name must reach the command as one argument."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import forked
import pytest
from click.testing import CliRunner

from conftest import Vault, cli, write_vault

PEOPLE = {
    ".vault/config.toml": "",
    "People/Chloé Martin.md": "---\ntype: person\n---\n",
    "People/Chris Doe.md": "---\ntype: person\n---\n",
    "People/Inês Almeida.md": "---\ntype: person\n---\n",
    "People/Zoë Ångström.md": "---\ntype: person\naliases: [Zee]\n---\n",
    "People/Dr Sam Okafor.md": "---\ntype: person\nname: Samuel Okafor\n---\n",
    "People/Costa, Rui.md": "---\ntype: person\n---\n",
    "People/Ana O'Neil.md": "---\ntype: person\n---\n",
}


@pytest.fixture(scope="module")
def vault_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A vault with awkward names, indexed, and an environment whose `vault` is this one:
    the shells call a `vault` that runs the command in a process forked from the tests
    (tests/forked.py); REAL_PATH finds the installed `vault` instead."""
    root = write_vault(tmp_path_factory.mktemp("completion") / "Notes", PEOPLE)
    home = tmp_path_factory.mktemp("completion-home")
    real_path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {
        **os.environ,
        "PATH": real_path,
        "VAULT_DIR": str(root),
        "VAULT_CRM_CACHE": str(home / "cache"),
        "HOME": str(home),
        "LC_ALL": "C.UTF-8",
    }
    # Indexed, and each shell's script as `vault completion SHELL` prints it, in this process
    # (the tests below call the installed `vault` through bash where it matters).
    indexed = CliRunner().invoke(cli, ["index"], prog_name="vault", env=env)
    assert indexed.exit_code == 0, indexed.output
    for shell, var in (
        ("bash", "COMPLETION_SCRIPT"),
        ("zsh", "ZSH_SCRIPT"),
        ("fish", "FISH_SCRIPT"),
    ):
        printed = CliRunner().invoke(cli, ["completion", shell], prog_name="vault", env=env)
        assert printed.exit_code == 0, printed.output
        (home / f"vault.{shell}").write_text(printed.stdout)
        env[var] = str(home / f"vault.{shell}")
    folder = tempfile.mkdtemp(prefix="vault-")  # a short path: a socket's is limited
    server = forked.Server(folder)
    env["VAULT_FORK_SERVER"] = server.install(folder)
    env["PATH"] = f"{folder}{os.pathsep}{real_path}"
    env["REAL_PATH"] = real_path
    yield env
    server.close()
    shutil.rmtree(folder, ignore_errors=True)


def bash_complete(env: dict[str, str], line: str) -> list[str]:
    """What bash puts in COMPREPLY for `line` (the cursor at its end), as a user's Tab does:
    the script `vault completion bash` prints is sourced, COMP_WORDS holds the words as
    typed (quotes and backslashes kept, as readline leaves them), and the completion
    function is called."""
    words = _typed_words(line)
    code = r"""
source "$COMPLETION_SCRIPT"
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_vault_completion vault "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""
    done = subprocess.run(
        ["bash", "--norc", "-c", code, "bash", *words],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [r for r in done.stdout.splitlines() if r]


def _typed_words(line: str) -> list[str]:
    """Split a command line at unescaped spaces, keeping backslashes (as COMP_WORDS does)."""
    words, current, escaped = [], "", False
    for c in line:
        if escaped:
            current, escaped = current + c, False
        elif c == "\\":
            current, escaped = current + c, True
        elif c == " ":
            words.append(current)
            current = ""
        else:
            current += c
    return [*words, current]


def bash_words(env: dict[str, str], line: str) -> list[str]:
    """The arguments bash passes to a command for `line`, one per output line."""
    done = subprocess.run(
        ["bash", "--norc", "-c", f"printf '%s\\n' {line}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("typed", "person"),
    [
        ("Chl", "Chloé Martin"),
        ("chloe", "Chloé Martin"),  # case and accents
        ("ines", "Inês Almeida"),
        ("zoe", "Zoë Ångström"),
        ("ZEE", "Zoë Ångström"),  # an alias
        ("samuel", "Dr Sam Okafor"),  # the `name` property
        ("Costa", "Costa, Rui"),
        ("Ana", "Ana O'Neil"),
    ],
)
def test_bash_completes_a_name_to_one_argument(
    vault_env: dict[str, str], typed: str, person: str
) -> None:
    replies = bash_complete(vault_env, f"vault show {typed}")
    assert len(replies) == 1, replies
    # inserted as it stands, the reply is exactly one argument: the person's name
    words = bash_words(vault_env, replies[0])
    assert words == [person]
    # ...which the command finds (once through bash and the installed command; the words
    # bash passes are those above, so the others run in this process)
    if typed == "Ana":
        done = subprocess.run(
            ["bash", "--norc", "-c", f"vault show {replies[0]}"],
            env={**vault_env, "PATH": vault_env["REAL_PATH"]}, capture_output=True, text=True,
        )  # fmt: skip
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        result = Vault(Path(vault_env["VAULT_DIR"])).run("show", *words)
        code, out, err = result.exit_code, result.stdout, result.stderr
    assert code == 0, err
    assert person in out


def test_bash_lists_every_match_and_completes_log_and_options(vault_env: dict[str, str]) -> None:
    # Once with the installed `vault` itself, then with the forked one
    real = {**vault_env, "PATH": vault_env["REAL_PATH"]}
    for env in (real, vault_env):
        replies = bash_complete(env, "vault show ch")
        assert [bash_words(vault_env, r)[0] for r in replies] == ["Chloé Martin", "Chris Doe"]
    replies = bash_complete(vault_env, "vault log Chloé\\ Martin ines")
    assert [bash_words(vault_env, r)[0] for r in replies] == ["Inês Almeida"]
    replies = bash_complete(vault_env, "vault add X --introduced-by zo")
    assert [bash_words(vault_env, r)[0] for r in replies] == ["Zoë Ångström"]
    assert bash_complete(vault_env, "vault show nobody") == []
    assert "show" in bash_complete(vault_env, "vault sh")


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


ZSH_DRIVER = r"""
# Outside a line editor zsh cannot run `compadd`; these stand-ins print what the script
# hands to it, one candidate per line (compadd quotes each one as it inserts it).
compdef() { : }
compadd() { local last=${@[-1]}; print -rl -- "${(@P)last}" }
_describe() { print -r -- "unexpected _describe $*" }
source "$ZSH_SCRIPT"
words=("$@")
CURRENT=$#words
_vault_completion
"""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chloe", ["Chloé Martin"]),
        ("ZEE", ["Zoë Ångström"]),
        ("samuel", ["Dr Sam Okafor"]),
        ("Costa", ["Costa, Rui"]),
        ("ch", ["Chloé Martin", "Chris Doe"]),
    ],
)
def test_zsh_gets_each_name_as_one_candidate(
    vault_env: dict[str, str], typed: str, expected: list[str]
) -> None:
    zsh = _shell("zsh")
    done = subprocess.run(
        [zsh, "-f", "-c", ZSH_DRIVER, "zsh", "vault", "show", typed],
        env=vault_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Chl", ["Chloé Martin"]),
        ("chl", ["Chloé Martin"]),  # fish itself matches case-insensitively
        ("Costa", ["Costa, Rui"]),  # a comma inside a name survives
        ("ch", ["Chloé Martin", "Chris Doe"]),
    ],
)
def test_fish_offers_each_name_whole(
    vault_env: dict[str, str], typed: str, expected: list[str]
) -> None:
    fish = _shell("fish")
    done = subprocess.run(
        [fish, "--no-config", "-c",
         f"source $FISH_SCRIPT; complete -C 'vault show {typed}'"],
        env=vault_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == expected

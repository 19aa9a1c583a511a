"""`--commit`: commit exactly the files a command wrote, and nothing else."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from vault_crm.errors import VaultError


def _git(vault: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(vault), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise VaultError("--commit needs git, which is not installed") from None


def commit_files(vault: Path, paths: Sequence[str], message: str) -> str | None:
    """Commit `paths` (vault paths) when they differ from what git holds (a file git does
    not track yet included), with `message`; files the user staged stay staged and out of
    this commit. Returns the new commit's short hash, or None when git already holds
    exactly these files."""
    top = _git(vault, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise VaultError(f"--commit: {vault} is not inside a git repository")
    status = _git(vault, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    if status.returncode != 0:
        raise VaultError(f"--commit: git status failed: {_first_line(status.stderr)}")
    if not status.stdout.strip():
        return None
    ident = _git(vault, "var", "GIT_COMMITTER_IDENT")
    if ident.returncode != 0:
        raise VaultError(
            "--commit: git has no identity here; set one with "
            "`git config user.name ...` and `git config user.email ...`"
        )
    # `add` makes a new file known to git; `commit --only` then commits just these paths,
    # leaving whatever else the user has staged staged and uncommitted.
    add = _git(vault, "add", "--", *paths)
    if add.returncode != 0:
        raise VaultError(f"--commit: git add failed: {_first_line(add.stderr)}")
    done = _git(vault, "commit", "--quiet", "--only", "-m", message, "--", *paths)
    if done.returncode != 0:
        raise VaultError(f"--commit: git commit failed: {_first_line(done.stderr or done.stdout)}")
    sha = _git(vault, "rev-parse", "--short", "HEAD")
    return sha.stdout.strip()


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "unknown error")

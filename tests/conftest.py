"""Shared fixtures. Every test runs with its cache, home and git identity inside tmp_path,
so the suite never touches a real user's files."""

from __future__ import annotations

import json
import os
import pty
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from vault_crm.cli import cli
from vault_crm.refresh import refresh_index, refresh_paths
from vault_crm.store import Index

# CI must never fail by chance: there, hypothesis draws the same examples on every run
# (derandomized, no deadline on a shared machine). Locally it keeps exploring new ones.
# Property tests take their example counts from their own @settings; this sets the rest.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample-vault"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("VAULT_CRM_CACHE", str(home / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in ("VAULT_DIR", "VAULT_TODAY", "EDITOR", "VISUAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def write_vault(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create notes from {vault path: text}; text is dedented, bytes written as they are."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_vault(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        return write_vault(tmp_path / "vault", files)

    (tmp_path / "vault").mkdir()
    return make


class Vault:
    """Run `vault` against one folder through click's runner, like a user would."""

    def __init__(self, root: Path, today: str = "2026-11-23") -> None:
        self.root = root
        self.today = today

    def run(self, *args: str, input: str | bytes | None = None) -> Result:
        from vault_crm.cli import main

        runner = CliRunner()
        argv = ["--vault", str(self.root), "--today", self.today, *args]
        # main() maps errors to exit codes exactly as the installed command does.
        return runner.invoke(_Main(main), argv, input=input, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)


class _Main:
    """Adapts `main(argv) -> int` to CliRunner (which wants a click command)."""

    def __init__(self, main: Callable[[list[str]], int]) -> None:
        self.main_fn = main
        self.name = "vault"

    def main(self, args: list[str], prog_name: str | None = None, **extra: Any) -> None:
        raise SystemExit(self.main_fn(list(args)))


__all__ = ["CORPUS", "REPO", "SAMPLE", "Vault", "cli", "write_vault"]


def run_on_a_terminal(
    root: Path, *args: str, env: dict[str, str] | None = None, long_work: bool = False
) -> bytes:
    """Run `vault` as a process of its own whose stdout and stderr are a terminal (as a person
    types it, progress bars and colour included); what it showed there, once it exits 0.
    With long_work, the progress bar's clock moves a second each time it is read
    (tests/ticking_clock.py), so small work shows the bar that long work shows."""
    import forked
    from ticking_clock import tick

    master, slave = pty.openpty()
    # Forked from the tests (tests/forked.py): its own process, on the terminal's side.
    pid = forked.spawn(
        "--vault", str(root), *args,
        stdout_fd=slave, stderr_fd=slave, env=env, preexec=tick if long_work else None,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert forked.wait(pid, timeout=300) == 0
    return b"".join(chunks)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package's modules once, in the process that starts the suite (not in
    each worker). With PYTHONDONTWRITEBYTECODE set (as in CI) no interpreter writes the
    compiled files, so every worker and every `vault` process the tests start would compile
    the package from source again; the files written here are read by all of them."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller compiled already
        return
    _temporary_files_in_memory(config)
    import compileall

    import vault_crm

    compileall.compile_dir(Path(vault_crm.__file__).parent, quiet=1, workers=1)


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """The tests' vaults, caches and calendars (`tmp_path`) go to the machine's RAM file
    system (/dev/shm on Linux) when it has one with room, unless TMPDIR or --basetemp says
    where. The product flushes every note it writes to disk (fsync, syncfs): on a disk
    that is about a sixth of the suite's time and tests nothing a file in memory does not;
    a killed process leaves the same files either way. Only failed tests keep their
    folders (pyproject's tmp_path_retention_policy), so a run holds no memory after it."""
    shm = Path("/dev/shm")
    if config.option.basetemp or "TMPDIR" in os.environ or "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return
    try:
        room = os.statvfs(shm)
    except OSError:
        return
    if os.access(shm, os.W_OK | os.X_OK) and room.f_bavail * room.f_frsize > 2 << 30:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(shm)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests start first: those that spawn processes (marked slow) and the property
    tests (hypothesis). The suite runs on every core with work stealing, so a worker that
    finishes early takes the other's remaining short tests instead of idling while one long
    test, started last, runs alone. The order is stable (every worker sorts alike)."""

    def long_first(item: pytest.Item) -> int:
        test = getattr(item, "obj", None)
        long = item.get_closest_marker("slow") or getattr(test, "is_hypothesis_test", False)
        return 0 if long else 1

    items.sort(key=long_first)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per core and one more. Many tests wait on processes (daemons,
    kills, terminals), so a third worker on two cores uses the time they spend waiting; on
    this 2-core machine, idle, the suite took 51 s with two workers and 44 s with three."""
    return (os.cpu_count() or 1) + 1


def apply_change(
    root: Path,
    index: Index,
    step: int,
    change: Callable[[Path], object],
    paths: list[str],
    how: str = "walk",
) -> None:
    """Make one change to the vault, then refresh the index: by walking the vault, or
    (`how="paths"`) by the changed paths as the daemon does. Each changed file gets an
    mtime of its own for the step, even on a file system with a coarse clock."""
    change(root)
    for rel in paths:
        if (root / rel).exists():
            os.utime(root / rel, ns=(step + 1, step + 1))
    if how == "walk":
        refresh_index(index)
    else:
        refresh_paths(index, paths)

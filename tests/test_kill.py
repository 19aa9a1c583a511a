"""Killing `vault index --rebuild` while its worker processes parse: the workers never
outlive the command. Real processes on a generated benchmark vault (Linux: reads /proc)."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: rebuilds run in-process"),
]

GENEROUS = 15.0  # seconds; the command and its workers are expected gone in one or two


@pytest.fixture(scope="module")
def bench_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A benchmark vault big enough that a rebuild runs in worker processes for over a
    second (3,400 notes, 14 MB), small enough to generate in a few seconds."""
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks/generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    out = tmp_path_factory.mktemp("bench") / "vault"
    generate.generate(out, people=300, conversations=3000, daily=100)
    return out


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat fields after the command name (state first, then ppid), or None
    when the process is gone; a zombie counts as gone (it runs nothing)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and int(fields[1]) == pid:
            found.add(int(entry))
    return found


def start_rebuild(vault: Path, cache: Path) -> tuple[subprocess.Popen[str], set[int]]:
    """Start a rebuild in its own session (as a shell runs a command) and return it with
    its worker processes once they are parsing."""
    env = {**os.environ, "VAULT_CRM_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vault_crm", "--vault", str(vault), "index", "--rebuild"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while proc.poll() is None and time.monotonic() < deadline:
        workers = children(proc.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the rebuild finished before it could be interrupted"
    assert workers, "no worker processes appeared"
    return proc, workers


def wait_gone(pids: set[int], timeout: float = GENEROUS) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if _stat(p) is not None}
        time.sleep(0.05)
    return alive


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "Terminated."), (signal.SIGINT, 130, "Aborted.")],
)
def test_sigterm_or_ctrl_c_stops_the_workers_and_the_command(
    bench_vault: Path, tmp_path: Path, signum: int, code: int, message: str
) -> None:
    proc, workers = start_rebuild(bench_vault, tmp_path / "cache")
    sent = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl-C reaches the whole foreground group
    else:
        os.kill(proc.pid, signum)  # as `kill PID` or a service manager does
    _, err = proc.communicate(timeout=GENEROUS)
    took = time.monotonic() - sent
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == message and "Traceback" not in err
    assert wait_gone(workers) == set()
    assert took < GENEROUS
    # nothing half-written is left in the way: the next run indexes everything
    done = subprocess.run(
        [sys.executable, "-m", "vault_crm", "--vault", str(bench_vault), "index", "--json"],
        env={**os.environ, "VAULT_CRM_CACHE": str(tmp_path / "cache")},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0 and '"notes": 3400' in done.stdout, done.stderr


def test_workers_exit_when_their_parent_is_killed(bench_vault: Path, tmp_path: Path) -> None:
    proc, workers = start_rebuild(bench_vault, tmp_path / "cache")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=GENEROUS)
    assert proc.returncode == -signal.SIGKILL
    assert wait_gone(workers) == set(), "workers outlived a parent killed with kill -9"

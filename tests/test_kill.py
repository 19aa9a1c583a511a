"""Killing `vault index --rebuild` while its worker processes parse: the workers never
outlive the command. Real processes on a generated benchmark vault (Linux: reads /proc),
sent the signal halfway through the rebuild's writes to the index (tests/killpoint.py),
a moment counted, not timed, so a fast or a loaded machine signals it at the same step."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import forked
import pytest

from conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: rebuilds run in-process"),
]

GENEROUS = 15.0  # seconds; the command and its workers are expected gone in one or two
NOTES = 500  # over the 400 from which a rebuild parses in worker processes
KILLPOINT = Path(__file__).with_name("killpoint.py")


@pytest.fixture(scope="module")
def bench_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A benchmark vault big enough that a rebuild runs in worker processes (500 notes)."""
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks/generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    out = tmp_path_factory.mktemp("bench") / "vault"
    generate.generate(out, people=50, conversations=420, daily=30)
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


def as_typed_at_a_terminal() -> None:
    """Ctrl-C as a terminal's command has it, also when the tests run in the background
    (where a shell starts them with Ctrl-C ignored, and so would the command be)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@functools.cache
def halfway(vault: Path) -> int:
    """How many SQL statements in a rebuild of `vault` is half of them."""
    with tempfile.TemporaryDirectory() as tmp:
        steps = Path(tmp, "steps.json")
        env = {**os.environ, "VAULT_CRM_CACHE": tmp}
        done = forked.run("--vault", str(vault), "index", "--rebuild", env=env, counts=str(steps))
        assert done.returncode == 0, done.stderr.decode()
        return int(json.loads(steps.read_text())["sql"]) // 2


def rebuild_signalled(vault: Path, cache: Path, signal_name: str) -> tuple[int, str, set[int]]:
    """Run a rebuild in its own session (as a shell runs a command) that is sent
    `signal_name` halfway through its writes to the index: its exit code, what it said on
    stderr, and the worker processes it had when the signal came."""
    argv = [sys.executable, str(KILLPOINT), "-", f"sql:{halfway(vault)}", "--vault", str(vault)]
    env = {**os.environ, "VAULT_CRM_CACHE": str(cache)}
    workers = cache.parent / "workers.json"
    env.update(KILLPOINT_SIGNAL=signal_name, KILLPOINT_WORKERS=str(workers))
    proc = subprocess.run(
        [*argv, "index", "--rebuild"],
        env=env, capture_output=True, text=True, start_new_session=True, timeout=GENEROUS * 4,
        preexec_fn=as_typed_at_a_terminal,
    )  # fmt: skip
    found = set(json.loads(workers.read_text()))
    assert len(found) >= 2, "no worker processes at that moment"
    return proc.returncode, proc.stderr, found


def wait_gone(pids: set[int], timeout: float = GENEROUS) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if _stat(p) is not None}
        time.sleep(0.05)
    return alive


@pytest.mark.parametrize(
    ("signal_name", "code", "message"),
    [("TERM", 143, "Terminated."), ("INT", 130, "Aborted.")],
)
def test_sigterm_or_ctrl_c_stops_the_workers_and_the_command(
    bench_vault: Path, tmp_path: Path, signal_name: str, code: int, message: str
) -> None:
    # TERM: as `kill PID` or a service manager does; INT: Ctrl-C reaches the whole group.
    returncode, err, workers = rebuild_signalled(bench_vault, tmp_path / "cache", signal_name)
    assert returncode == code, err
    assert err.strip().splitlines()[-1] == message and "Traceback" not in err
    assert wait_gone(workers) == set()
    # nothing half-written is left in the way: the next run indexes everything
    env = {**os.environ, "VAULT_CRM_CACHE": str(tmp_path / "cache")}
    done = forked.run("--vault", str(bench_vault), "index", "--json", env=env)
    assert done.returncode == 0 and f'"notes": {NOTES}' in done.stdout.decode(), done.stderr


def test_workers_exit_when_their_parent_is_killed(bench_vault: Path, tmp_path: Path) -> None:
    returncode, _, workers = rebuild_signalled(bench_vault, tmp_path / "cache", "KILL")
    assert returncode == -signal.SIGKILL
    assert wait_gone(workers) == set(), "workers outlived a parent killed with kill -9"


def test_a_worker_killed_while_it_parses_costs_time_not_notes(
    bench_vault: Path, tmp_path: Path
) -> None:
    """A worker process dies (SIGKILL, as the out-of-memory killer sends) holding a batch:
    the rebuild reads what the workers had not handed back itself and finishes, whole."""
    died = tmp_path / "died"
    env = {
        **os.environ, "VAULT_CRM_CACHE": str(tmp_path / "cache"),
        "KILLPOINT_WORKER": "People/Yara Silva.md", "KILLPOINT_WORKER_DIED": str(died),
    }  # fmt: skip
    argv = ("--vault", str(bench_vault), "index", "--rebuild", "--json")
    done = forked.run(*argv, env=env, timeout=60)
    assert died.exists(), "no worker was handed that note"
    assert done.returncode == 0, done.stderr
    assert f'"notes": {NOTES}' in done.stdout.decode()
    del env["KILLPOINT_WORKER"]
    shown = forked.run("--vault", str(bench_vault), "show", "Yara Silva", env=env)
    assert shown.returncode == 0 and b"Yara Silva" in shown.stdout, shown.stderr

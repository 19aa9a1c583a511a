"""A worker process that dies while it reads a large calendar (SIGKILL, as the
out-of-memory killer sends) costs time, not meetings: the file is read again in the
command's own process and the import plans exactly what it plans otherwise. A real
process, a real kill; `forked.run`'s timeout ends the test, never a hang."""

from __future__ import annotations

import os
from pathlib import Path

import forked
import pytest
from lean_calendar import MEETINGS, calendar, make_vault

from vault_crm.importing.ics_chunks import PARALLEL_EVENTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: calendars are read whole"),
]


def test_a_worker_killed_while_it_reads_a_calendar_changes_nothing(tmp_path: Path) -> None:
    cal = tmp_path / "big.ics"
    cal.write_text(calendar(PARALLEL_EVENTS), encoding="utf-8", newline="")
    root = tmp_path / "v"
    make_vault(root)
    died = tmp_path / "died"
    env = {**os.environ, "VAULT_TODAY": "2026-11-23", "KILLPOINT_WORKER_DIED": str(died)}
    argv = ("--vault", str(root), "import", "ics", str(cal), "--dry-run", "--json")
    whole = forked.run(*argv, env=env, timeout=60)
    assert not died.exists()
    # The worker handed the second piece dies while the other workers read theirs.
    env["KILLPOINT_WORKER"] = "UID:000010@example.org"
    killed = forked.run(*argv, env=env, timeout=60)
    assert died.exists(), "no worker read that event"
    assert killed.returncode == whole.returncode == 0, killed.stderr
    assert killed.stdout == whole.stdout and killed.stderr == whole.stderr
    assert whole.stdout.count(b'"action": "create"') == MEETINGS


def test_sigterm_while_the_workers_read_a_calendar_stops_them_and_the_command(
    tmp_path: Path,
) -> None:
    """`kill PID` while the workers read: the command says so and exits 143, no traceback,
    and no worker outlives it (they are ended, not left to finish their pieces)."""
    cal = tmp_path / "big.ics"
    cal.write_text(calendar(PARALLEL_EVENTS), encoding="utf-8", newline="")
    root = tmp_path / "v"
    make_vault(root)
    told = tmp_path / "told"
    env = {
        **os.environ, "VAULT_TODAY": "2026-11-23", "KILLPOINT_WORKER_DIED": str(told),
        "KILLPOINT_WORKER": "UID:000010@example.org", "KILLPOINT_SIGNAL": "TERM",
    }  # fmt: skip
    argv = ("--vault", str(root), "import", "ics", str(cal), "--dry-run")
    done = forked.run(*argv, env=env, timeout=60)
    assert told.exists(), "no worker read that event"
    err = done.stderr.decode()
    assert done.returncode == 143, err
    assert err.strip().splitlines()[-1] == "Terminated." and "Traceback" not in err
    worker = Path(f"/proc/{told.read_text()}/stat")
    # gone (or a zombie not yet reaped, which runs nothing either)
    assert not worker.exists() or worker.read_text().rsplit(")", 1)[1].split()[0] == "Z"

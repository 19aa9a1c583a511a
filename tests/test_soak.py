"""Many hands at once: the daemon keeps the index of a generated vault while readers,
`vault log`/`vault snooze` and a writer that edits, creates, renames and deletes notes all
run in parallel for a fixed number of rounds. Every operation is counted; none may report
a locked database or exit 3, and once the daemon has caught up its index equals a fresh
rebuild. `VAULT_SOAK_ROUNDS` and `VAULT_SOAK_PEOPLE` make it longer and bigger."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import forked
import pytest

from conftest import Vault

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("VAULT_SOAK_ROUNDS", "6"))  # the first 6 reads draw each kind
PEOPLE = int(os.environ.get("VAULT_SOAK_PEOPLE", "40"))
TODAY = "2026-11-23"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def vault_cmd(root: Path, *args: str) -> Any:
    """`vault` in a process of its own, forked from the tests (tests/forked.py)."""
    done = forked.run("--vault", str(root), "--today", TODAY, *args, timeout=300)
    return subprocess.CompletedProcess(
        args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def state(root: Path, *, refresh: bool) -> Any:
    """What a user sees of the index (in this process: the readers are the processes)."""
    v = Vault(root, TODAY)
    flag = [] if refresh else ["--no-refresh"]
    check = v.run(*flag, "check", "--json")
    assert check.exit_code in (0, 1), check.output
    found = v.json(*flag, "search", "type:conversation", "--limit", "100000")
    return (
        v.json(*flag, "people"),
        json.loads(check.stdout),
        sorted(r["path"] for r in found),
    )


def test_daemon_readers_and_writers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generate import generate

    root = tmp_path / "vault"
    generate(root, people=PEOPLE, conversations=PEOPLE * 5, daily=30, seed=11)
    # The daemon forked too (its SIGTERM from the installed command is tests/test_watch.py's).
    daemon = forked.Started(["--vault", str(root), "--today", TODAY, "watch"])
    assert daemon.stderr is not None
    for line in daemon.stderr:
        if "watching" in line:
            break
    drained: list[str] = []
    threading.Thread(target=lambda: drained.extend(daemon.stderr or []), daemon=True).start()

    counts: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    people = sorted(p.stem for p in (root / "People").glob("*.md"))

    def record(kind: str, result: Any) -> None:
        with lock:
            counts[kind] += 1
            text = result.stdout + result.stderr
            if result.returncode == 3 or "Traceback" in text or "locked" in text:
                failures.append(f"{kind}: exit {result.returncode}: {text[-400:]}")

    def reader() -> None:
        rng = random.Random(1)
        for _ in range(ROUNDS):
            args = rng.choice(
                [
                    ["--no-refresh", "people", "--json"],
                    ["--no-refresh", "due", "--json"],
                    ["--no-refresh", "search", "pricing"],
                    ["people"],
                    ["check"],
                ]
            )
            record("read", vault_cmd(root, *args))

    def cli_writer() -> None:
        rng = random.Random(2)
        for n in range(ROUNDS):
            who = rng.choice(people)
            if n % 2:
                record("snooze", vault_cmd(root, "snooze", who, f"{rng.randint(1, 9)}w"))
            else:
                record("log", vault_cmd(root, "log", who, "-m", f"Soak round {n}."))

    def file_writer() -> None:
        rng = random.Random(3)
        convs = sorted((root / "Conversations").rglob("*.md"))
        for n in range(ROUNDS * 3):
            action = ("edit", "create", "rename", "delete")[n % 4]
            if action == "edit":
                path = rng.choice(convs)
                if path.exists():
                    path.write_text(path.read_text() + f"\nEdited in round {n}.\n")
            elif action == "create":
                new = root / "Conversations" / f"2026-11-{n % 28 + 1:02d} Soak {n}.md"
                who = rng.choice(people)
                new.write_text(f'---\ntype: conversation\nwith: "[[{who}]]"\n---\nSoak {n}\n')
                convs.append(new)
            elif action == "rename":
                path = convs.pop(rng.randrange(len(convs)))
                if path.exists():
                    target = path.with_name(f"Renamed {n} {path.name}")
                    path.rename(target)
                    convs.append(target)
            else:
                path = convs.pop(rng.randrange(len(convs)))
                path.unlink(missing_ok=True)
            with lock:
                counts[f"file {action}"] += 1
            time.sleep(0.02)

    started = time.monotonic()
    threads = [threading.Thread(target=f) for f in (reader, reader, cli_writer, file_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    busy = time.monotonic() - started
    cache = os.environ["VAULT_CRM_CACHE"]
    monkeypatch.setenv("VAULT_CRM_CACHE", str(tmp_path / "fresh"))
    expected = state(root, refresh=True)
    monkeypatch.setenv("VAULT_CRM_CACHE", cache)
    # The daemon catches up within its debounce; a generous bound, polled.
    deadline = time.monotonic() + 60
    while (got := state(root, refresh=False)) != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    print(
        f"\nsoak: {ROUNDS} rounds on {PEOPLE} people in {busy:.1f} s:",
        dict(sorted(counts.items())),
    )
    assert failures == []
    assert daemon.returncode == 0, drained
    assert not any("locked" in ln or "Traceback" in ln for ln in drained), drained
    assert got == expected
    assert counts["read"] == 2 * ROUNDS and counts["log"] + counts["snooze"] == ROUNDS

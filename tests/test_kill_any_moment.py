"""A kill at any moment leaves the index usable and every note whole.

Each scenario runs a real `vault` process and sends it SIGKILL at 20 moments spread over
the time an uninterrupted run takes on this machine (fixed fractions of a measured
duration, so the moments are deterministic in shape and never depend on speed). After
each kill: the next command succeeds, the index equals a fresh rebuild (the same counts,
people and problems), every note holds its old or its new bytes, and no temporary file
is left behind."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Vault

pytestmark = pytest.mark.slow

KILLS = 20
TODAY = "2026-11-23"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    from generate import generate

    root = tmp_path / "vault"
    generate(root, people=50, conversations=150, daily=20, seed=7)
    return root


def command(root: Path, *args: str, today: str = TODAY) -> list[str]:
    return [sys.executable, "-m", "vault_crm", "--vault", str(root), "--today", today, *args]


def moments(seconds: float) -> Iterator[float]:
    """KILLS moments spread evenly over an uninterrupted run of `seconds`."""
    for i in range(KILLS):
        yield seconds * (i + 0.5) / KILLS


def timed(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, capture_output=True, check=True, timeout=120)
    return time.monotonic() - started


def kill_after(argv: list[str], delay: float) -> bool:
    """Start `argv`, SIGKILL it after `delay` seconds; True when it was still running."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return True


def notes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.md"))}


def temp_files(root: Path) -> list[str]:
    return [n for _d, _s, files in os.walk(root) for n in files if n.endswith(".tmp")]


class Checker:
    """The index state a user sees, compared with a fresh rebuild of the same files (the
    fresh state is cached by the vault's content, which repeats between kills)."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self.cache = os.environ["VAULT_CRM_CACHE"]
        self.fresh_dir = tmp_path / "fresh"
        self.fresh: dict[str, Any] = {}

    def state(self) -> Any:
        v = Vault(self.root, TODAY)
        counts = v.json("index")
        for key in ("seconds", "added", "updated", "removed"):
            counts.pop(key, None)
        check = v.run("check", "--json")
        assert check.exit_code in (0, 1), check.output
        return counts, v.json("--no-refresh", "people"), json.loads(check.stdout)

    def assert_consistent(self, n: int = 0) -> None:
        """The next command succeeds, leaves no temporary file and (every fourth kill, where
        the vault's content is new each time) sees what a fresh rebuild sees."""
        if n % 4:
            result = Vault(self.root, TODAY).run("index")
            assert result.exit_code == 0, result.output
            assert temp_files(self.root) == []
            return
        now = self.state()
        assert temp_files(self.root) == []
        key = hashlib.sha256(repr(sorted(notes(self.root).items())).encode()).hexdigest()
        if key not in self.fresh:
            self.monkeypatch.setenv("VAULT_CRM_CACHE", str(self.fresh_dir / key[:12]))
            try:
                self.fresh[key] = self.state()
            finally:
                self.monkeypatch.setenv("VAULT_CRM_CACHE", self.cache)
        assert now == self.fresh[key]


@pytest.fixture
def checker(vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Checker:
    return Checker(vault, monkeypatch, tmp_path)


def test_kill_during_a_rebuild(vault: Path, checker: Checker) -> None:
    argv = command(vault, "index", "--rebuild")
    killed = 0
    for d in moments(timed(argv)):
        killed += kill_after(argv, d)
        checker.assert_consistent()  # the content never changes: one fresh rebuild
    assert killed >= KILLS // 2


def _edit(root: Path, round_: int) -> None:
    """Touch a third of the conversations, add and remove a note: a refresh has work."""
    for i, path in enumerate(sorted((root / "Conversations").rglob("*.md"))):
        if i % 3 == round_ % 3:
            path.write_text(path.read_text() + f"\nRound {round_}.\n")
    (root / f"New {round_}.md").write_text(f"---\ntype: person\ncadence: 2w\n---\n{round_}\n")
    old = root / f"New {round_ - 1}.md"
    if old.exists():
        old.unlink()


def test_kill_during_a_refresh(vault: Path, checker: Checker) -> None:
    argv = command(vault, "people")
    checker.assert_consistent()
    _edit(vault, 0)
    seconds = timed(argv)
    for n, d in enumerate(moments(seconds), 1):
        _edit(vault, n)
        kill_after(argv, d)
        checker.assert_consistent(n)


def test_kill_during_due_while_it_writes_the_note(vault: Path, checker: Checker) -> None:
    reconnect = vault / "Reconnect.md"
    seconds = timed(command(vault, "due", "--within", "30d", "--write"))
    for n, d in enumerate(moments(seconds), 1):
        # A new day each time: the note's new bytes differ from its old ones.
        argv = command(vault, "due", "--within", "30d", "--write", today=f"2026-12-{n:02d}")
        old = reconnect.read_bytes()
        kill_after(argv, d)
        after = reconnect.read_bytes()
        assert (
            Vault(vault, f"2026-12-{n:02d}").run("due", "--within", "30d", "--write").exit_code == 0
        )
        assert after in (old, reconnect.read_bytes()), "Reconnect.md was torn"
        checker.assert_consistent(n)


def test_kill_during_snooze(vault: Path, checker: Checker) -> None:
    person = sorted((vault / "People").glob("*.md"))[0]
    person.write_bytes(person.read_bytes() + b"Long notes.\n" * 20_000)  # a 240 KB write
    name = person.stem
    seconds = timed(command(vault, "snooze", name, "2w"))
    states = {person.read_bytes()}
    for n, d in enumerate(moments(seconds), 1):
        before = person.read_bytes()
        until = f"2027-01-{n:02d}"
        kill_after(command(vault, "snooze", name, until), d)
        after = person.read_bytes()
        assert Vault(vault, TODAY).run("snooze", name, until).exit_code == 0
        states.add(person.read_bytes())
        assert after in (before, person.read_bytes()), "the note was torn"
        checker.assert_consistent(n)
    assert len(states) > KILLS // 2


def test_kill_the_daemon_while_it_applies_a_batch(vault: Path, checker: Checker) -> None:
    checker.assert_consistent()

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen([*command(vault, "watch", "-v")], stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        for line in proc.stderr:
            if "watching" in line:
                return proc
        raise AssertionError("the daemon did not start")

    # Calibrate: how long from a batch of edits to the daemon saying it applied them.
    proc = start()
    assert proc.stderr is not None
    _edit(vault, 0)
    started = time.monotonic()
    for line in proc.stderr:
        if " changed" in line:
            break
    seconds = time.monotonic() - started
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for n, d in enumerate(moments(seconds), 1):
        proc = start()
        _edit(vault, n)
        time.sleep(d)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        checker.assert_consistent(n)

"""A kill at any moment leaves the index usable and every note whole.

Each scenario runs `vault` as a process of its own that SIGKILLs itself at chosen moments
of its work (tests/killpoint.py): before the first statement written to the index, in the
middle of them, before the last one and before each commit; and before and after the
temporary file is created, its bytes are flushed to disk and it is moved into place. The
processes are forked from the tests (tests/forked.py); a kill during the index's writes,
during a note's write and of the daemon also runs the real executable. The moments are
counted steps of an uninterrupted run, so they are exact and never depend on speed. After
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
from pathlib import Path
from typing import Any

import forked
import pytest

from conftest import Vault

pytestmark = pytest.mark.slow

TODAY = "2026-11-23"
KILLPOINT = Path(__file__).with_name("killpoint.py")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    from generate import generate

    root = tmp_path / "vault"
    generate(root, people=25, conversations=75, daily=10, seed=7)
    return root


def command(root: Path, *args: str, today: str = TODAY) -> list[str]:
    """The arguments of `vault` with these arguments on `root`."""
    return ["--vault", str(root), "--today", today, *args]


@pytest.fixture(autouse=True)
def _counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILLPOINT_COUNTS", str(tmp_path / "steps.json"))


def steps(args: list[str]) -> dict[str, int]:
    """Run `vault args` to its end (forked, tests/forked.py); how many steps of each kind it
    took."""
    counts_file = os.environ["KILLPOINT_COUNTS"]
    done = forked.run(*args, counts=counts_file)
    assert done.returncode == 0, done.stderr.decode()
    counts: dict[str, int] = json.loads(Path(counts_file).read_text())
    return counts


def moments(counts: dict[str, int]) -> list[str]:
    """The moments where a kill matters, for a run that took `counts` steps."""
    sql = counts.get("sql", 0)
    # Before the first statement and halfway (the last one varies a little between runs).
    chosen = [f"sql:{n}" for n in sorted({1, (sql + 1) // 2}) if sql]
    chosen += [f"commit:{n}" for n in sorted({1, counts.get("commit", 0)}) if n]
    for kind in ("mkstemp", "fsync", "sync", "replace"):
        n = counts.get(kind, 0)
        for i in sorted({1, (n + 1) // 2, n}) if n else ():
            chosen.append(f"{kind}:{i}")
            # Just after a flush is just before the next step; after creating the temporary
            # file (empty) and after moving it into place are moments of their own.
            if kind in ("mkstemp", "replace"):
                chosen.append(f"{kind}:{i}+")
    return chosen


def kill_at(args: list[str], moment: str, *, executable: bool = False) -> bool:
    """Run `vault args`, SIGKILLed at `moment`; True when it was killed there. A process
    forked from the tests (tests/forked.py), or with `executable` the real `vault`."""
    if executable:
        argv = [sys.executable, str(KILLPOINT), "-", moment, *args]
        proc = subprocess.run(argv, capture_output=True, check=False, timeout=120)
        code, err = proc.returncode, proc.stderr
    else:
        done = forked.run(*args, moment=moment)
        code, err = done.returncode, done.stderr
    assert code in (0, -signal.SIGKILL), err.decode()
    return code == -signal.SIGKILL


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
    checker.assert_consistent()  # a rebuild replaces an index
    chosen = moments(steps(command(vault, "index", "--rebuild")))
    assert {"sql:1", "commit:1", "replace:1", "replace:1+"} <= set(chosen)
    for n, moment in enumerate(chosen):
        assert kill_at(command(vault, "index", "--rebuild"), moment, executable=n == 0), moment
        checker.assert_consistent()  # the content never changes: one fresh rebuild


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
    checker.assert_consistent()
    _edit(vault, 0)
    chosen = moments(steps(command(vault, "people")))
    assert {"sql:1", "commit:1"} <= set(chosen)
    killed = 0
    for n, moment in enumerate(chosen, 1):
        _edit(vault, n)
        killed += kill_at(command(vault, "people"), moment)
        checker.assert_consistent(n)
    # Each round edits as many notes, so nearly every moment comes again.
    assert killed >= len(chosen) - 1


def test_kill_during_due_while_it_writes_the_note(vault: Path, checker: Checker) -> None:
    reconnect = vault / "Reconnect.md"
    # Counted as the runs below go: an index and the note exist, and the day is new.
    assert Vault(vault, TODAY).run("due", "--within", "30d", "--write").exit_code == 0
    argv = command(vault, "due", "--within", "30d", "--write", today="2026-11-30")
    chosen = moments(steps(argv))
    assert {"mkstemp:1+", "fsync:1", "replace:1", "replace:1+"} <= set(chosen)
    for n, moment in enumerate(chosen, 1):
        # A new day each time: the note's new bytes differ from its old ones.
        day = f"2026-12-{n:02d}"
        old = reconnect.read_bytes()
        argv = command(vault, "due", "--within", "30d", "--write", today=day)
        assert kill_at(argv, moment), moment
        after = reconnect.read_bytes()
        assert Vault(vault, day).run("due", "--within", "30d", "--write").exit_code == 0
        assert after in (old, reconnect.read_bytes()), f"Reconnect.md was torn at {moment}"
        checker.assert_consistent(n)


def test_kill_during_snooze(vault: Path, checker: Checker) -> None:
    person = sorted((vault / "People").glob("*.md"))[0]
    person.write_bytes(person.read_bytes() + b"Long notes.\n" * 20_000)  # a 240 KB write
    name = person.stem
    checker.assert_consistent()
    chosen = moments(steps(command(vault, "snooze", name, "2w")))
    assert {"mkstemp:1+", "fsync:1", "replace:1", "replace:1+"} <= set(chosen)
    states = {person.read_bytes()}
    for n, moment in enumerate(chosen, 1):
        before = person.read_bytes()
        until = f"2027-01-{n:02d}"
        argv = command(vault, "snooze", name, until)
        assert kill_at(argv, moment, executable=n == 1), moment
        after = person.read_bytes()
        assert Vault(vault, TODAY).run("snooze", name, until).exit_code == 0
        states.add(person.read_bytes())
        assert after in (before, person.read_bytes()), f"the note was torn at {moment}"
        checker.assert_consistent(n)
    assert len(states) == len(chosen) + 1


def test_kill_the_daemon_while_it_applies_a_batch(vault: Path, checker: Checker) -> None:
    checker.assert_consistent()

    def start(moment: str = "-", *, real: bool = False) -> subprocess.Popen[str] | forked.Started:
        """The real `vault watch` counting its steps, or a forked one killed at `moment`."""
        args = command(vault, "watch", "-v")
        proc: subprocess.Popen[str] | forked.Started
        counts = os.environ["KILLPOINT_COUNTS"]
        if real:
            argv = [sys.executable, str(KILLPOINT), counts, moment, *args]
            proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        else:
            proc = forked.Started(args, moment=moment, counts=counts)
        assert proc.stderr is not None
        for line in proc.stderr:
            if "watching" in line:
                return proc
        raise AssertionError("the daemon did not start")

    def applied(proc: subprocess.Popen[str] | forked.Started) -> bool:
        """Wait until the daemon says it applied the batch (True) or is killed (False)."""
        assert proc.stderr is not None
        return any(" changed" in line for line in proc.stderr)

    # Count the steps of starting on an up-to-date index, then of applying one batch.
    proc = start()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    started = json.loads(Path(os.environ["KILLPOINT_COUNTS"]).read_text())["sql"]
    proc = start(real=True)
    _edit(vault, 0)
    assert applied(proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    total = json.loads(Path(os.environ["KILLPOINT_COUNTS"]).read_text())["sql"]
    checker.assert_consistent()
    batch = total - started
    assert batch > 10

    # Kills at the batch's first statement, halfway through it, and once it is applied.
    killed_while_applying = 0
    for n, at in enumerate([1, batch // 2, None], 1):
        proc = start("-" if at is None else f"sql:{started + at}")
        _edit(vault, n)
        if not applied(proc):
            killed_while_applying += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        checker.assert_consistent(n)
    assert killed_while_applying >= 1

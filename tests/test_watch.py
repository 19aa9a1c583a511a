"""`vault watch` as a real process, with real file operations (no mocked observer)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import forked
import pytest
from click.testing import Result

from conftest import Vault, write_vault

pytestmark = pytest.mark.slow

TODAY = "2026-11-23"
FILES = {
    "People/Ana Lima.md": "---\ntype: person\ncadence: 2w\nlast_contact: 2026-10-01\n---\n",
    "People/Bo Berg.md": "---\ntype: person\ncadence: 2w\nlast_contact: 2026-11-20\n---\n",
    "Notes/Ideas.md": "Nothing yet.\n",
}


class Daemon:
    """`vault watch -v` in a process of its own: forked from the tests (tests/forked.py),
    or with `real` the installed command's interpreter started afresh."""

    def __init__(self, root: Path, *args: str, poll: bool = False, real: bool = False) -> None:
        self.root = root
        argv = ["--vault", str(root), "watch", "-v", *args]
        if poll:
            argv.append("--poll")
        env = dict(os.environ, VAULT_TODAY=TODAY)
        self.proc: subprocess.Popen[str] | forked.Started
        if real:
            argv = [sys.executable, "-m", "vault_crm", *argv]
            self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
        else:
            self.proc = forked.Started(argv, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda: any("watching" in ln for ln in self.lines), "start")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return
            if self.proc.poll() is not None and what != "exit":
                raise AssertionError(f"daemon exited: {self.lines}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; daemon said: {self.lines}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=5)
        return self.proc.returncode

    def changed_lines(self) -> int:
        return sum(1 for ln in self.lines if " changed" in ln)


def cli(root: Path, *args: str) -> Result:
    """A command beside the daemon, in this process (the daemon is the other one)."""
    return Vault(root, TODAY).run(*args)


def indexed(root: Path) -> set[str]:
    """The notes the daemon has indexed (read without refreshing)."""
    done = cli(root, "--no-refresh", "search", "type:other", "--limit", "1000", "--json")
    people = json.loads(cli(root, "--no-refresh", "people", "--json").stdout)
    others = json.loads(done.stdout) if done.exit_code == 0 else []
    return {p["path"] for p in people} | {o["path"] for o in others}


def people(root: Path) -> dict[str, dict[str, object]]:
    return {
        p["person"]: p for p in json.loads(cli(root, "--no-refresh", "people", "--json").stdout)
    }


def note(root: Path) -> str:
    path = root / "Reconnect.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Path]:
    root = write_vault(tmp_path / "vault", FILES)
    yield root


_stopping: list[Daemon] = []


@pytest.fixture(scope="module", autouse=True)
def _reap_stopped_daemons() -> Iterator[None]:
    """Each test's daemon stops (SIGTERM) while the next test runs, and must have exited
    cleanly by the end of the module: the tests do not wait for each stop in turn."""
    yield
    codes = [(d.root, d.stop()) for d in _stopping]
    _stopping.clear()
    assert all(code == 0 for _, code in codes), codes


@pytest.fixture
def daemon(vault: Path) -> Iterator[Daemon]:
    d = Daemon(vault)
    yield d
    if d.proc.poll() is None:
        d.proc.send_signal(signal.SIGTERM)
    _stopping.append(d)


def test_start_writes_the_note_and_a_new_note_is_indexed(vault: Path, daemon: Daemon) -> None:
    assert "[[Ana Lima]]" in note(vault)
    (vault / "People/Cy Dias.md").write_text("---\ntype: person\ncadence: 1w\n---\n")
    daemon.wait_for(lambda: "[[Cy Dias]]" in note(vault), "the new person in the note")
    assert "People/Cy Dias.md" in indexed(vault)


def test_in_place_save(vault: Path, daemon: Daemon) -> None:
    with (vault / "People/Bo Berg.md").open("w") as fh:
        fh.write("---\ntype: person\ncadence: 2w\nlast_contact: 2026-09-01\n---\n")
    daemon.wait_for(lambda: "[[Bo Berg]]" in note(vault), "Bo overdue after the save")


def test_atomic_save_temp_then_rename(vault: Path, daemon: Daemon) -> None:
    tmp = vault / "People/.Ana Lima.md.tmp1234"
    tmp.write_text("---\ntype: person\ncadence: 2w\nlast_contact: 2026-11-22\n---\n")
    os.replace(tmp, vault / "People/Ana Lima.md")
    daemon.wait_for(lambda: "[[Ana Lima]]" not in note(vault), "Ana no longer due")
    assert people(vault)["Ana Lima"]["last_contact"] == "2026-11-22"


def test_vim_backup_dance_and_swap_files(vault: Path, daemon: Daemon) -> None:
    path = vault / "People/Ana Lima.md"
    (vault / "People/.Ana Lima.md.swp").write_bytes(b"\x00vim swap")
    (vault / "People/4913").write_text("")
    (vault / "People/4913").unlink()
    path.rename(vault / "People/Ana Lima.md~")
    path.write_text("---\ntype: person\ncadence: 2w\nlast_contact: 2026-11-21\n---\n")
    (vault / "People/Ana Lima.md~").unlink()
    daemon.wait_for(lambda: "[[Ana Lima]]" not in note(vault), "Ana's new last contact")
    assert people(vault)["Ana Lima"]["last_contact"] == "2026-11-21"
    assert all(p.endswith(".md") for p in indexed(vault))


def test_emacs_backup_and_autosave(vault: Path, daemon: Daemon) -> None:
    path = vault / "Notes/Ideas.md"
    (vault / "Notes/#Ideas.md#").write_text("autosave")
    shutil.copy(path, vault / "Notes/Ideas.md~")
    path.write_text("Call [[Ana Lima]] about the idea.\n")
    daemon.wait_for(
        lambda: json.loads(cli(vault, "--no-refresh", "links", "Ana Lima", "--json").stdout)[
            "incoming"
        ],
        "the new link",
    )
    assert not {p for p in indexed(vault) if "#" in p or p.endswith("~")}


def test_delete_and_rename(vault: Path, daemon: Daemon) -> None:
    (vault / "People/Ana Lima.md").rename(vault / "People/Ana Maria Lima.md")
    daemon.wait_for(lambda: "[[Ana Maria Lima]]" in note(vault), "the renamed person")
    assert "Ana Lima" not in people(vault)
    (vault / "People/Ana Maria Lima.md").unlink()
    # The daemon commits the index, then writes the note: wait for the note.
    daemon.wait_for(lambda: "Lima" not in note(vault), "the note without the deleted person")
    assert "Ana Maria Lima" not in people(vault)


def test_folders_moved_into_within_and_out_of_the_vault(
    vault: Path, daemon: Daemon, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "Team"
    write_vault(outside, {"Dee Reis.md": "---\ntype: person\ncadence: 1w\n---\n"})
    shutil.move(str(outside), str(vault / "Team"))
    daemon.wait_for(lambda: "Team/Dee Reis.md" in indexed(vault), "folder moved in")
    (vault / "Archive").mkdir()
    (vault / "Team").rename(vault / "Archive/Team")
    daemon.wait_for(lambda: "Archive/Team/Dee Reis.md" in indexed(vault), "folder moved within")
    assert "Team/Dee Reis.md" not in indexed(vault)
    shutil.move(str(vault / "Archive/Team"), str(tmp_path / "outside" / "Team2"))
    daemon.wait_for(lambda: "Dee Reis" not in people(vault), "folder moved out")


def test_many_files_at_once_like_a_git_pull(vault: Path, daemon: Daemon) -> None:
    for i in range(60):
        (vault / f"Conversations/2026-11-{1 + i % 20:02d} Call {i}.md").parent.mkdir(exist_ok=True)
        (vault / f"Conversations/2026-11-{1 + i % 20:02d} Call {i}.md").write_text(
            '---\nwith: ["[[Ana Lima]]"]\n---\nA call.\n'
        )
    daemon.wait_for(lambda: people(vault)["Ana Lima"]["last_contact"] == "2026-11-20", "pull")
    daemon.wait_for(lambda: "[[Ana Lima]]" not in note(vault), "Ana no longer due")


def test_no_feedback_loop_from_its_own_writes_and_no_cpu_while_idle(
    vault: Path, daemon: Daemon
) -> None:
    def cpu_seconds() -> float:
        fields = Path(f"/proc/{daemon.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    (vault / "Notes/Ideas.md").write_text("A change.\n")
    daemon.wait_for(lambda: daemon.changed_lines() == 1, "one batch")
    # Its own write of Reconnect.md starts no batch; after it, the daemon sits idle.
    time.sleep(1)
    before = cpu_seconds() if Path("/proc").is_dir() else 0.0
    time.sleep(3)
    assert daemon.changed_lines() == 1, daemon.lines
    if Path("/proc").is_dir():  # the daemon's CPU time is read there
        assert cpu_seconds() - before < 0.2


def test_one_daemon_per_vault(vault: Path, daemon: Daemon) -> None:
    argv = [sys.executable, "-m", "vault_crm", "--vault", str(vault), "watch"]
    second = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 1
    assert f"pid {daemon.proc.pid}" in second.stderr
    assert "Traceback" not in second.stderr


def test_sigterm_stops_cleanly_and_quickly(vault: Path) -> None:
    d = Daemon(vault, real=True)
    started = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - started < 2
    assert d.lines[-1].endswith("stopped")
    again = Daemon(vault)  # the lock was released
    assert again.stop() == 0


def test_cli_commands_run_beside_the_daemon(vault: Path, daemon: Daemon) -> None:
    target = vault / "Notes/Ideas.md"
    # Seven rounds, one per pause: commands start mid-batch, just after one and between
    # batches (more rounds repeat these same moments).
    for i in range(7):
        target.write_text(f"Edit {i} about [[Ana Lima]].\n")
        (vault / f"Notes/New {i}.md").write_text("x\n")
        time.sleep(0.1 * i)
        # A refreshing command writes to the index while the daemon does; a reading one
        # reads beside it (in this process: the daemon is the other one).
        for args in (("people", "--json"), ("--no-refresh", "due", "--no-write", "--json")):
            result = Vault(vault, TODAY).run(*args)
            assert result.exit_code == 0, result.stderr
            assert "locked" not in result.stderr
    daemon.wait_for(lambda: "Notes/New 6.md" in indexed(vault), "the last new note indexed")
    assert daemon.proc.poll() is None
    assert not [ln for ln in daemon.lines if "error" in ln], daemon.lines


def test_polling_mode(vault: Path) -> None:
    d = Daemon(vault, poll=True)
    try:
        assert "(polling)" in d.lines[0]
        (vault / "People/Cy Dias.md").write_text("---\ntype: person\ncadence: 1w\n---\n")
        d.wait_for(lambda: "[[Cy Dias]]" in note(vault), "polling notices the new note")
    finally:
        d.stop()


def test_commit_commits_the_note(vault: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(vault), *args], capture_output=True, text=True, check=True
        ).stdout

    git("init", "-q")
    git("config", "user.name", "T")
    git("config", "user.email", "t@example.com")
    git("add", "-A")
    git("commit", "-qm", "notes")
    d = Daemon(vault, "--commit")
    try:
        d.wait_for(lambda: "Reconnect.md" in git("log", "-1", "--name-only"), "first commit")
        (vault / "People/Cy Dias.md").write_text("---\ntype: person\ncadence: 1w\n---\n")
        d.wait_for(lambda: "[[Cy Dias]]" in git("show", "HEAD:Reconnect.md"), "second commit")
        assert "People/Cy Dias.md" in git("status", "--porcelain")  # not committed by us
    finally:
        d.stop()

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
        """Wait until `condition()` holds. What the daemon does shows in its log (-v: a line
        once a batch is applied and its notes written), so the condition, which may run
        commands, is checked again when the daemon has said something new, and at least
        every half second in any case."""
        end = time.monotonic() + timeout
        said, checked = -1, 0.0
        while time.monotonic() < end:
            if len(self.lines) != said or time.monotonic() - checked >= 0.5:
                said, checked = len(self.lines), time.monotonic()
                if condition():
                    return
            if self.proc.poll() is not None and what != "exit":
                raise AssertionError(f"daemon exited: {self.lines}")
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; daemon said: {self.lines}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=5)
        return self.proc.returncode


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


def overdue(last: str = "2026-10-01") -> str:
    return f"---\ntype: person\ncadence: 2w\nlast_contact: {last}\n---\n"


# One vault and one daemon for the tests of file operations: each test has people and notes
# of its own in it (named in its comment) and looks only at their rows.
SHARED = {
    "People/Ana Lima.md": overdue(),  # the start; a new note
    "People/Bo Berg.md": overdue("2026-11-20"),  # an in-place save (not due yet)
    "People/Ada Prates.md": overdue(),  # an atomic save
    "People/Vi Mendes.md": overdue(),  # vim
    "People/Em Costa.md": "---\ntype: person\n---\n",  # emacs (never due: no link to her)
    "Notes/Emacs Ideas.md": "Nothing yet.\n",
    "People/Del Souza.md": overdue(),  # delete and rename
    "People/Pul Gomes.md": overdue(),  # a git pull
    "Notes/Beside.md": "Nothing yet.\n",  # commands beside the daemon
}


def _home_env(home: Path) -> dict[str, str]:
    """What tests/conftest.py's _isolated gives each test, for a home the module shares."""
    return {
        "HOME": str(home),
        "VAULT_CRM_CACHE": str(home / "cache"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


@pytest.fixture(scope="module")
def _shared_daemon(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Daemon, dict[str, str]]]:
    env = _home_env(tmp_path_factory.mktemp("home"))
    root = write_vault(tmp_path_factory.mktemp("shared") / "vault", SHARED)
    with pytest.MonkeyPatch.context() as mp:
        for var, value in env.items():
            mp.setenv(var, value)
        for var in ("VAULT_DIR", "VAULT_TODAY", "EDITOR", "VISUAL"):
            mp.delenv(var, raising=False)
        d = Daemon(root)
    yield d, env
    assert d.stop() == 0, d.lines


@pytest.fixture
def shared(
    _shared_daemon: tuple[Daemon, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Daemon]:
    """The module's daemon, with this test's commands reading the index it keeps; it is
    still running after the test and logged no error."""
    d, env = _shared_daemon
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    yield d
    assert d.proc.poll() is None, d.lines
    assert not [ln for ln in d.lines if "error" in ln], d.lines


def test_start_writes_the_note_and_a_new_note_is_indexed(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Ana Lima]]" in note(vault)
    (vault / "People/Cy Dias.md").write_text("---\ntype: person\ncadence: 1w\n---\n")
    shared.wait_for(lambda: "[[Cy Dias]]" in note(vault), "the new person in the note")
    assert "People/Cy Dias.md" in indexed(vault)


def test_in_place_save(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Bo Berg]]" not in note(vault)
    with (vault / "People/Bo Berg.md").open("w") as fh:
        fh.write("---\ntype: person\ncadence: 2w\nlast_contact: 2026-09-01\n---\n")
    shared.wait_for(lambda: "[[Bo Berg]]" in note(vault), "Bo overdue after the save")


def test_atomic_save_temp_then_rename(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Ada Prates]]" in note(vault)
    tmp = vault / "People/.Ada Prates.md.tmp1234"
    tmp.write_text("---\ntype: person\ncadence: 2w\nlast_contact: 2026-11-22\n---\n")
    os.replace(tmp, vault / "People/Ada Prates.md")
    shared.wait_for(lambda: "[[Ada Prates]]" not in note(vault), "Ada no longer due")
    assert people(vault)["Ada Prates"]["last_contact"] == "2026-11-22"


def test_vim_backup_dance_and_swap_files(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Vi Mendes]]" in note(vault)
    path = vault / "People/Vi Mendes.md"
    (vault / "People/.Vi Mendes.md.swp").write_bytes(b"\x00vim swap")
    (vault / "People/4913").write_text("")
    (vault / "People/4913").unlink()
    path.rename(vault / "People/Vi Mendes.md~")
    path.write_text("---\ntype: person\ncadence: 2w\nlast_contact: 2026-11-21\n---\n")
    (vault / "People/Vi Mendes.md~").unlink()
    shared.wait_for(lambda: "[[Vi Mendes]]" not in note(vault), "Vi's new last contact")
    assert people(vault)["Vi Mendes"]["last_contact"] == "2026-11-21"
    assert all(p.endswith(".md") for p in indexed(vault))


def test_emacs_backup_and_autosave(shared: Daemon) -> None:
    vault = shared.root
    path = vault / "Notes/Emacs Ideas.md"
    (vault / "Notes/#Emacs Ideas.md#").write_text("autosave")
    shutil.copy(path, vault / "Notes/Emacs Ideas.md~")
    path.write_text("Call [[Em Costa]] about the idea.\n")

    def linking() -> list[str]:
        found = json.loads(cli(vault, "--no-refresh", "links", "Em Costa", "--json").stdout)
        return [link["path"] for link in found["incoming"]]

    assert linking() == []
    shared.wait_for(lambda: linking() == ["Notes/Emacs Ideas.md"], "the new link")
    assert not {p for p in indexed(vault) if "#" in p or p.endswith("~")}


def test_delete_and_rename(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Del Souza]]" in note(vault)
    (vault / "People/Del Souza.md").rename(vault / "People/Del Maria Souza.md")
    shared.wait_for(lambda: "[[Del Maria Souza]]" in note(vault), "the renamed person")
    assert "Del Souza" not in people(vault)
    (vault / "People/Del Maria Souza.md").unlink()
    # The daemon commits the index, then writes the note: wait for the note.
    shared.wait_for(lambda: "Souza" not in note(vault), "the note without the deleted person")
    assert "Del Maria Souza" not in people(vault)


def test_folders_moved_into_within_and_out_of_the_vault(shared: Daemon, tmp_path: Path) -> None:
    vault = shared.root
    outside = tmp_path / "outside" / "Team"
    write_vault(outside, {"Dee Reis.md": "---\ntype: person\ncadence: 1w\n---\n"})
    shutil.move(str(outside), str(vault / "Team"))
    shared.wait_for(lambda: "Team/Dee Reis.md" in indexed(vault), "folder moved in")
    (vault / "Archive").mkdir()
    (vault / "Team").rename(vault / "Archive/Team")
    shared.wait_for(lambda: "Archive/Team/Dee Reis.md" in indexed(vault), "folder moved within")
    assert "Team/Dee Reis.md" not in indexed(vault)
    shutil.move(str(vault / "Archive/Team"), str(tmp_path / "outside" / "Team2"))
    shared.wait_for(lambda: "Dee Reis" not in people(vault), "folder moved out")


def test_many_files_at_once_like_a_git_pull(shared: Daemon) -> None:
    vault = shared.root
    assert "[[Pul Gomes]]" in note(vault)
    (vault / "Conversations").mkdir()
    for i in range(60):
        (vault / f"Conversations/2026-11-{1 + i % 20:02d} Pull {i}.md").write_text(
            '---\nwith: ["[[Pul Gomes]]"]\n---\nA call.\n'
        )

    def pulled() -> int:
        found = cli(vault, "--no-refresh", "search", "type:conversation", "--limit", "99", "--json")
        return sum(" Pull " in hit["path"] for hit in json.loads(found.stdout))

    shared.wait_for(lambda: pulled() == 60, "every pulled note")
    assert people(vault)["Pul Gomes"]["last_contact"] == "2026-11-20"
    shared.wait_for(lambda: "[[Pul Gomes]]" not in note(vault), "Pul no longer due")


def test_no_feedback_loop_from_its_own_writes_and_no_cpu_while_idle(
    shared: Daemon, tmp_path: Path
) -> None:
    vault = shared.root

    def put(rel: str, text: str) -> None:
        """Written beside the vault, then moved in: one event, so one batch has it whole."""
        (tmp_path / "new.md").write_text(text)
        (tmp_path / "new.md").rename(vault / rel)

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{shared.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def said() -> list[str]:
        return [ln.split(" ", 1)[1] for ln in shared.lines]  # without the time of day

    def batch_of(path: str) -> int:
        """Which line logged the batch that held `path` (-v lists a batch's paths under
        its line), or -1."""
        lines = said()
        if f"  {path}" not in lines:
            return -1
        at = lines.index(f"  {path}")
        while lines[at].startswith("  "):
            at -= 1
        return at

    # A new person who is due: the daemon rewrites Reconnect.md.
    put("People/Quinn Barros.md", overdue())
    shared.wait_for(lambda: batch_of("People/Quinn Barros.md") >= 0, "the batch")
    first = batch_of("People/Quinn Barros.md")
    assert "Reconnect.md rewritten" in said()[first]
    # The events of that write came before any of the next change, so they are in the next
    # batch at the latest, where they change nothing: one note changed, and no batch between.
    put("Notes/Quiet.md", "A change.\n")
    shared.wait_for(lambda: batch_of("Notes/Quiet.md") >= 0, "the next batch")
    second = batch_of("Notes/Quiet.md")
    assert said()[second].startswith("1 note changed, Reconnect.md unchanged"), said()
    assert all(ln.startswith("  ") for ln in said()[first + 1 : second]), said()
    # After it, the daemon sits idle: no batch and (where /proc tells) no CPU.
    before = cpu_seconds() if Path("/proc").is_dir() else 0.0
    time.sleep(1)
    assert not [ln for ln in said()[second + 1 :] if not ln.startswith("  ")], said()
    if Path("/proc").is_dir():  # the daemon's CPU time is read there
        assert cpu_seconds() - before < 0.1


def test_one_daemon_per_vault(shared: Daemon) -> None:
    second = forked.run("--vault", str(shared.root), "watch")
    assert second.returncode == 1
    assert f"pid {shared.proc.pid}".encode() in second.stderr
    assert b"Traceback" not in second.stderr


def test_sigterm_stops_cleanly_and_quickly(vault: Path) -> None:
    d = Daemon(vault, real=True)
    started = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - started < 2
    assert d.lines[-1].endswith("stopped")
    again = Daemon(vault)  # the lock was released
    assert again.stop() == 0


def test_cli_commands_run_beside_the_daemon(shared: Daemon) -> None:
    vault = shared.root
    target = vault / "Notes/Beside.md"
    # Seven rounds, one per pause: commands start mid-batch, just after one and between
    # batches (more rounds repeat these same moments).
    for i in range(7):
        target.write_text(f"Edit {i} about [[Ana Lima]].\n")
        (vault / f"Notes/Beside {i}.md").write_text("x\n")
        time.sleep(0.1 * i)
        # A refreshing command writes to the index while the daemon does; a reading one
        # reads beside it (in this process: the daemon is the other one).
        for args in (("people", "--json"), ("--no-refresh", "due", "--no-write", "--json")):
            result = Vault(vault, TODAY).run(*args)
            assert result.exit_code == 0, result.stderr
            assert "locked" not in result.stderr
    shared.wait_for(lambda: "Notes/Beside 6.md" in indexed(vault), "the last new note indexed")
    assert shared.proc.poll() is None
    assert not [ln for ln in shared.lines if "error" in ln], shared.lines


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

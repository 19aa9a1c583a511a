"""Run `vault` as a real process forked from the test process, optionally SIGKILLed at a
chosen moment of its work (tests/killpoint.py).

A fork of the test process, which has already imported the tool, starts in milliseconds
where a new interpreter takes a few hundred; it is still a process of its own: its own
files, stdin, stdout and stderr, environment and session, and a real signal ends it.
The child runs the command's entry point (`vault_crm.cli.main`, as the installed `vault`
does) and leaves with `os._exit`, so nothing of the test process (its exit handlers, its
buffered output) runs twice. The suite keeps at least one run of the real executable for
each kind of kill (tests/killpoint.py as a script), so the fork is never the only way a
kind is tested."""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import killpoint


@dataclass
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes


def _stream(fd: int, *, line: bool) -> io.TextIOWrapper:
    """A text stream on `fd` as a new interpreter makes one (UTF-8 in this suite's locale)."""
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(
        io.BufferedWriter(raw), encoding="utf-8",
        errors="backslashreplace" if fd == 2 else "strict", line_buffering=line,
    )  # fmt: skip


def _child(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    moment: str,
    counts: str,
    stdout_fd: int,
    stderr_fd: int,
    preexec: Callable[[], None] | None,
    stdin_fd: int | None = None,
) -> None:
    """In the forked child: become a command of its own, run `vault argv`, and exit."""
    code = 3
    try:
        gc.freeze()  # the test process's objects are never collected (nor closed) here
        os.setsid()  # its own session: a signal to its group never reaches the tests
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as a new interpreter has it
        os.dup2(os.open(os.devnull, os.O_RDONLY) if stdin_fd is None else stdin_fd, 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # as subprocess's close_fds does
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = _stream(1, line=os.isatty(1))  # line by line on a terminal
        sys.stderr = _stream(2, line=True)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if preexec:
            preexec()
        killpoint.arm(moment)
        from vault_crm.cli import main

        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            if counts != "-":
                with open(counts, "w", encoding="utf-8") as fh:
                    json.dump(killpoint.counts, fh)
        finally:
            os._exit(code)


def _fork(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    moment: str,
    counts: str,
    stdout_fd: int,
    stderr_fd: int,
    preexec: Callable[[], None] | None,
    stdin_fd: int | None = None,
) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        _child(argv, env, moment, counts, stdout_fd, stderr_fd, preexec, stdin_fd)
    return pid


def spawn(
    *argv: str,
    stdout_fd: int,
    stderr_fd: int,
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> int:
    """Start `vault argv` forked, its stdout and stderr on these descriptors (a terminal's,
    say); its process id, for `wait`."""
    return _fork(
        argv, env=env, moment="-", counts="-",
        stdout_fd=stdout_fd, stderr_fd=stderr_fd, preexec=preexec,
    )  # fmt: skip


def wait(pid: int, timeout: float = 120) -> int:
    """The exit code of a process from `spawn` (minus the signal that killed it)."""
    return _wait(pid, timeout)


def _wait(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise TimeoutError(f"vault did not end within {timeout} s")
        time.sleep(0.005)


def run(
    *argv: str,
    env: Mapping[str, str] | None = None,
    moment: str = "-",
    counts: str = "-",
    preexec: Callable[[], None] | None = None,
    timeout: float = 120,
) -> Completed:
    """Run `vault argv` in a forked process to its end (or its kill at `moment`)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = _fork(
            argv, env=env, moment=moment, counts=counts,
            stdout_fd=out.fileno(), stderr_fd=err.fileno(), preexec=preexec,
        )  # fmt: skip
        code = _wait(pid, timeout)
        out.seek(0)
        err.seek(0)
        return Completed(code, out.read(), err.read())


class Started:
    """A forked `vault` still running, its stderr a pipe (as subprocess.Popen has it)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        moment: str = "-",
        counts: str = "-",
    ) -> None:
        read, write = os.pipe()
        try:
            self.pid = _fork(
                argv, env=env, moment=moment, counts=counts,
                stdout_fd=sys.__stdout__.fileno() if sys.__stdout__ else 1, stderr_fd=write,
                preexec=None,
            )  # fmt: skip
        finally:
            os.close(write)
        self.stderr: IO[str] = open(read, encoding="utf-8", errors="replace")  # noqa: SIM115
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def wait(self, timeout: float = 120) -> int:
        if self.returncode is None:
            self.returncode = _wait(self.pid, timeout)
        return self.returncode


SHIM = """\
import json, os, socket, sys
with socket.socket(socket.AF_UNIX) as server:
    server.connect(os.environ["VAULT_FORK_SERVER"])
    ask = {"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}
    socket.send_fds(server, [json.dumps(ask).encode()], [0, 1, 2])
    server.shutdown(socket.SHUT_WR)
    code = int(server.makefile().read() or 3)
sys.exit(code if code >= 0 else 128 - code)
"""


class Server:
    """Runs `vault` for programs that call it by name (a shell's completion function, say):
    `install(folder)` writes a `vault` there that hands its arguments, environment, working
    folder and stdin/stdout/stderr to this server, which forks a process of its own for the
    command (as above) and hands back its exit code. The `vault` in the folder is a small
    script (a Python without site-packages), so a call costs milliseconds, not the few
    hundred an interpreter importing the tool takes."""

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, "vault.sock")
        self._sock = socket.socket(socket.AF_UNIX)
        self._sock.bind(self.path)
        self._sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def install(self, folder: str) -> str:
        """Write the `vault` script into `folder`; the environment variable it needs."""
        script = os.path.join(folder, "vault")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(f"#!{sys.executable} -S\n{SHIM}")
        os.chmod(script, 0o755)
        return self.path

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
            chunks = [data]
            while chunk := conn.recv(1 << 16):
                chunks.append(chunk)
            ask = json.loads(b"".join(chunks))
            try:
                pid = _fork(
                    ask["argv"], env=ask["env"], moment="-", counts="-",
                    stdout_fd=fds[1], stderr_fd=fds[2], stdin_fd=fds[0],
                    preexec=functools.partial(os.chdir, ask["cwd"]),
                )  # fmt: skip
            finally:
                for fd in fds:
                    os.close(fd)
            conn.sendall(str(_wait(pid, 120)).encode())

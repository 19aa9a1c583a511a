"""Run `vault` as a real process that SIGKILLs itself at a chosen moment of its work.

    python tests/killpoint.py COUNTS MOMENT vault-arguments...

The moments are the steps where a kill matters, counted in the order the process reaches
them (in the main process; the parsing workers are not counted):

    sql      an SQL statement starts (sqlite's trace callback: BEGIN, INSERT, COMMIT...)
    commit   a COMMIT starts (also counted as an sql step)
    mkstemp  a temporary file is created (by tempfile, or by the batch writer of new notes:
             a file without a name, or its locked temporary file where there are none)
    fsync    a file's bytes are flushed to disk
    sync     every written file is flushed to disk at once (every file system's, or the
             one file system the batch writer wrote to)
    replace  a file is moved into place (a note, or a rebuilt index; a new note given its
             name)

Only the tool's own steps count (not, say, a library's cache files). MOMENT is `KIND:N`
(SIGKILL just before the Nth KIND step), `KIND:N+` (just after it) or `-` (no kill).
COUNTS is a file where a run that was not killed writes how many steps of each kind it
took (JSON), or `-`. A kill is a real SIGKILL from the process to itself, so
the moment is exact and never depends on the machine's speed.

With KILLPOINT_SIGNAL=TERM the process is sent SIGTERM instead (as `kill PID` does), with
INT its process group is sent SIGINT (as Ctrl-C does). The ids of its worker processes
at that moment are written to KILLPOINT_WORKERS (JSON), when that is set.

With KILLPOINT_WORKER=TEXT, the worker process handed the work that holds TEXT (a batch
of notes with TEXT in a path, a piece of a calendar with TEXT in it) writes its id to
KILLPOINT_WORKER_DIED and SIGKILLs itself before reading it, as the system's
out-of-memory killer would (with KILLPOINT_SIGNAL=TERM it sends the command SIGTERM
instead, while the workers read).

With KILLPOINT_NO_UNNAMED=1 every folder answers as a file system without files without a
name (O_TMPFILE) does, so the batch writer uses its temporary files."""

from __future__ import annotations

import atexit
import functools
import json
import os
import runpy
import signal
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import Any

MAIN = os.getpid()
counts: Counter[str] = Counter()
kind_to_kill, nth, after = "", 0, False


def kill() -> None:
    if workers := os.environ.get("KILLPOINT_WORKERS"):
        import multiprocessing

        with open(workers, "w", encoding="utf-8") as fh:
            json.dump([p.pid for p in multiprocessing.active_children()], fh)
    how = os.environ.get("KILLPOINT_SIGNAL", "KILL")
    if how == "KILL":
        os.kill(MAIN, signal.SIGKILL)
    elif how == "INT":
        os.killpg(os.getpgid(MAIN), signal.SIGINT)
    else:
        os.kill(MAIN, signal.SIGTERM)


def step(kind: str) -> None:
    """Count a step of `kind` that is about to happen; die here if it is the chosen one."""
    if os.getpid() != MAIN:
        return
    counts[kind] += 1
    if kind == kind_to_kill and counts[kind] == nth and not after:
        kill()


def stepped(kind: str) -> None:
    """A step of `kind` is done; die here if it is the chosen one."""
    if os.getpid() == MAIN and kind == kind_to_kill and counts[kind] == nth and after:
        kill()


def by_the_tool() -> bool:
    """Whether the step was asked for by vault_crm's code (directly or through pathlib)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in ("pathlib", "tempfile"):
        frame = frame.f_back  # type: ignore[assignment]
    return frame is not None and str(frame.f_globals.get("__name__")).startswith("vault_crm")


def counted(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not by_the_tool():
            return fn(*args, **kwargs)
        step(kind)
        result = fn(*args, **kwargs)
        stepped(kind)
        return result

    return wrapper


def statement(sql: str) -> None:
    if sql.lstrip().upper().startswith("COMMIT"):
        step("commit")
    step("sql")


def traced_connect(connect: Callable[..., sqlite3.Connection]) -> Callable[..., Any]:
    @functools.wraps(connect)
    def wrapper(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statement)
        return conn

    return wrapper


def arm(moment: str) -> None:
    """Count the steps of this process (from here on) and kill it at `moment`."""
    global MAIN, kind_to_kill, nth, after
    MAIN = os.getpid()
    counts.clear()
    if moment != "-":
        kind_to_kill, _, n = moment.partition(":")
        after = n.endswith("+")
        nth = int(n.rstrip("+"))
    os.fsync = counted("fsync", os.fsync)
    os.sync = counted("sync", os.sync)
    os.replace = counted("replace", os.replace)
    tempfile.mkstemp = counted("mkstemp", tempfile.mkstemp)
    # The batch writer's own temporary files and its flush of one file system.
    from vault_crm import edit

    edit._create_temp = counted("mkstemp", edit._create_temp)
    edit._place_new = counted("replace", edit._place_new)  # a new note put in place
    if os.environ.get("KILLPOINT_NO_UNNAMED") == "1":
        edit._create_unnamed = no_unnamed_files
    else:
        edit._create_unnamed = counted("mkstemp", edit._create_unnamed)
    edit._place_unnamed = counted("replace", edit._place_unnamed)
    edit._syncfs = counted("sync", edit._syncfs)
    sqlite3.connect = traced_connect(sqlite3.connect)
    if marker := os.environ.get("KILLPOINT_WORKER"):
        from vault_crm import records
        from vault_crm.importing import ics

        records._parse_batch = killed_on(marker, records._parse_batch)
        ics.read_chunk = killed_on(marker, ics.read_chunk)


def no_unnamed_files(_dir_fd: int) -> int:
    """What a file system without O_TMPFILE answers."""
    import errno

    raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))


def killed_on(marker: str, work: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`work` (a worker's piece of a read, pickled by name), dying on a job holding `marker`."""

    @functools.wraps(work)
    def wrapper(job: Any) -> Any:
        if os.getpid() != MAIN and marker in repr(job):
            with open(os.environ["KILLPOINT_WORKER_DIED"], "w", encoding="utf-8") as fh:
                fh.write(str(os.getpid()))
            if os.environ.get("KILLPOINT_SIGNAL") == "TERM":  # the command, as `kill PID`
                os.kill(MAIN, signal.SIGTERM)
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return work(job)

    return wrapper


def main() -> None:
    counts_file, moment, *argv = sys.argv[1:]
    arm(moment)
    if counts_file != "-":

        def save() -> None:
            if os.getpid() == MAIN:
                with open(counts_file, "w", encoding="utf-8") as fh:
                    json.dump(counts, fh)

        atexit.register(save)
    sys.argv = ["vault", *argv]
    runpy.run_module("vault_crm", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

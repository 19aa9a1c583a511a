"""`vault watch`: keep the index and the reconnect note current while you type."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import click

from vault_crm.app import App, pass_app
from vault_crm.errors import VaultError

RECONCILE_SECONDS = 600.0  # a full walk now and then heals any event the watcher missed
TICK_SECONDS = 30.0  # how often an idle daemon looks at the clock (date roll-over)


def _log(message: str) -> None:
    click.echo(f"{time.strftime('%H:%M:%S')} {message}", err=True)


class _OneLine(logging.Handler):
    """Warnings from libraries (watchdog, sqlite) as one line in the daemon's own log."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip().splitlines()
        _log(f"{record.levelname.lower()}: {record.name}: {text[-1] if text else ''}")


def _setup_logging() -> None:
    logging.captureWarnings(True)
    root = logging.getLogger()
    root.handlers[:] = [_OneLine()]
    root.setLevel(logging.WARNING)


@click.command()
@click.option("--poll", is_flag=True, help="Poll the folder instead of using OS file events.")
@click.option("--commit", is_flag=True, help="git-commit the reconnect note when it changes.")
@click.option("--verbose", "-v", is_flag=True, help="Log every changed path.")
@pass_app
def watch(app: App, poll: bool, commit: bool, verbose: bool) -> None:
    """Run in the foreground, keeping the index and the reconnect note current
    while you edit (in Obsidian, vim, a git pull…). One per vault; stop with
    Ctrl-C or SIGTERM. Run it as a service: see the README.

    It also imports the calendars in config `calendars` at start and whenever one
    changes, and keeps config `calendar_export` (reconnect dates and birthdays) current
    for a calendar app subscribed to it.

    \b
    Examples:
      vault watch
      vault --vault ~/Notes watch --commit
      vault watch --poll          # network drives, or when inotify is exhausted
    """
    from vault_crm.calendar_sync import CalendarSync
    from vault_crm.commands.due import write_reconnect
    from vault_crm.commands.insights import write_report
    from vault_crm.index import vault_cache_dir
    from vault_crm.watch import DaemonLock, Watcher

    _setup_logging()
    vault = app.vault
    lock = DaemonLock(vault_cache_dir(vault) / "watch.lock")
    holder = lock.acquire()
    if holder is not None:
        pid = f" (pid {holder})" if holder > 0 else ""
        raise VaultError(f"vault watch is already running for {vault}{pid}")

    stop = threading.Event()
    watcher = Watcher(vault, poll=poll, log=_log)
    calendars = CalendarSync(app.settings, lambda: app.today, poll=poll, log=_log)

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()
        watcher.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def write_note(write: Any, written: list[str]) -> str:
        """Regenerate a note; the index learns its new stat at once, so the event our
        own write causes finds nothing to do."""
        path, changed = write(app)
        if changed:
            idx.refresh_paths([path])
        # Also when unchanged: with --commit, a note git does not hold yet is committed.
        written.append(path)
        return f"{path} {'rewritten' if changed else 'unchanged'}"

    def write_notes() -> str:
        """The reconnect note, then the report note; a note that cannot be written is
        logged and does not stop the other. With --commit, one commit for both."""
        written: list[str] = []
        done = [
            _safely(lambda w=w: write_note(w, written)) for w in (write_reconnect, write_report)
        ]
        if commit and written:
            from vault_crm.gitops import commit_files

            try:
                commit_files(
                    vault, written, f"Update {', '.join(written)} for {app.today.isoformat()}"
                )
            except VaultError as exc:
                _log(f"error: {exc}")
        # The subscription calendar follows the due picture (rewritten only when it changes).
        exported = calendars.export(idx)
        return ", ".join(done + ([exported] if exported else []))

    try:
        # Observer first, then the full reconcile: nothing that changes in between is lost.
        watcher.start()
        calendars.start(wake=watcher.wake)
        idx = app.index(refresh=False)
        started = time.perf_counter()
        stats = idx.refresh()
        calendars.import_all(idx)
        note = write_notes()
        _log(
            f"watching {vault} ({watcher.mode}), {stats.notes:,} notes indexed in "
            f"{time.perf_counter() - started:.2f} s, {note}; Ctrl-C to stop"
        )
        last_reconcile = time.monotonic()
        day = app.today
        while not stop.is_set():
            batch = watcher.next_batch(TICK_SECONDS)
            if not watcher.healthy() and not stop.is_set():
                _log("the file watcher stopped; starting it again and reconciling")
                watcher.restart()
            full = batch is not None and batch.full
            if time.monotonic() - last_reconcile > RECONCILE_SECONDS:
                full = True
            new_day = app.today != day
            imported = calendars.import_changed(idx, new_day=new_day) > 0
            if batch is None and not full and not new_day and not imported:
                continue
            started = time.perf_counter()
            if full or (batch is not None and len(batch.paths) > 500):
                stats = idx.refresh()
                last_reconcile = time.monotonic()
            else:
                stats = idx.refresh_paths(batch.paths if batch else ())
            changed = stats.added + stats.updated + stats.removed
            if not changed and not new_day and not imported:
                continue
            day = app.today
            note = write_notes()
            _log(
                f"{changed} note{'s' if changed != 1 else ''} changed"
                f"{', new day' if new_day else ''}{', meetings imported' if imported else ''}, "
                f"{note}, "
                f"{time.perf_counter() - started:.2f} s"
            )
            if verbose and batch is not None:
                for path in sorted(batch.paths):
                    _log(f"  {path}")
    finally:
        calendars.stop()
        watcher.stop()
        lock.release()
    _log("stopped")


def _safely(write: Any) -> str:
    """A note that cannot be written (a foreign Reconnect.md, a broken template) is
    logged; the daemon keeps the index current regardless."""
    try:
        return str(write())
    except VaultError as exc:
        _log(f"error: {exc}")
        return "note not written"

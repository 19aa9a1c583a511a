"""`vault watch`: keep the index and the reconnect note current while you type."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import click

from vault_crm.cli.app import App, pass_app
from vault_crm.errors import VaultError

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
    from vault_crm.daemon import Daemon
    from vault_crm.store import vault_cache_dir
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

    try:
        # Observer first, then the full reconcile: nothing that changes in between is lost.
        watcher.start()
        calendars.start(wake=watcher.wake)
        daemon = Daemon(
            app.index(refresh=False), vault, _log, commit=commit, companions=[calendars]
        )
        started = time.perf_counter()
        stats, note = daemon.start(app.today, time.monotonic())
        _log(
            f"watching {vault} ({watcher.mode}), {stats.notes:,} notes indexed in "
            f"{time.perf_counter() - started:.2f} s, {note}; Ctrl-C to stop"
        )
        while not stop.is_set():
            batch = watcher.next_batch(TICK_SECONDS)
            if not watcher.healthy() and not stop.is_set():
                _log("the file watcher stopped; starting it again and reconciling")
                watcher.restart()
            started = time.perf_counter()
            line = daemon.step(batch, app.today, time.monotonic())
            if line is None:
                continue
            _log(f"{line}, {time.perf_counter() - started:.2f} s")
            if verbose and batch is not None:
                for path in sorted(batch.paths):
                    _log(f"  {path}")
    finally:
        calendars.stop()
        watcher.stop()
        lock.release()
    _log("stopped")

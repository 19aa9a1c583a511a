"""The daemon's eyes: file events in, debounced batches of paths out. The only watchdog user.

Events are hints, never facts: the handler only records which paths were touched; the
worker waits for a quiet moment, then the index re-stats those paths and applies what
really changed (the same apply path as any refresh). A folder event, or an error in the
observer, asks for a full reconcile instead, so nothing that happened is missed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Event kinds that say nothing about content: a file opened or closed for reading (the
# daemon's own reads among them) is no work.
_QUIET_EVENTS = {"opened", "closed_no_write", "attrib"}
DEBOUNCE_SECONDS = 0.5
MAX_WAIT_SECONDS = 5.0


@dataclass
class Batch:
    paths: set[str] = field(default_factory=set)  # vault-relative, as the file system spells them
    full: bool = False  # reconcile everything (folder events, observer trouble)


class Watcher:
    """Watch a vault folder with watchdog; hand out debounced batches of touched paths.
    Not `recursive`: only the folder's own files count, not its subfolders or what is in them."""

    def __init__(
        self, vault: Path, *, poll: bool, log: Callable[[str], None], recursive: bool = True
    ) -> None:
        self.root = os.path.realpath(vault)
        self.poll = poll
        self.recursive = recursive
        self.log = log
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending = Batch()
        self._last_event = 0.0
        self._first_event = 0.0
        self._observer: Any = None
        self.mode = "polling" if poll else "native"

    # -- observer --

    def start(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        if not self.poll:
            try:
                self._start(Observer())
                return
            except OSError as exc:
                self.log(_fallback_message(exc))
        self.mode = "polling"
        self._start(PollingObserver(timeout=1.0))

    def _start(self, observer: Any) -> None:
        from watchdog.events import FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher._record(event)

        observer.schedule(Handler(), self.root, recursive=self.recursive)
        observer.start()
        self._observer = observer

    def healthy(self) -> bool:
        return self._observer is not None and self._observer.is_alive()

    def restart(self) -> None:
        """After the observer died (e.g. the limit was hit later): start again, polling if
        the native one fails, and reconcile everything."""
        self.stop()
        self.start()
        self.request_full()

    def stop(self) -> None:
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                # Its threads are daemons: do not let a slow join hold up a clean exit.
                self._observer.join(timeout=0.5)
            self._observer = None

    # -- events --

    def _record(self, event: Any) -> None:
        if event.event_type in _QUIET_EVENTS:
            return
        if event.is_directory and not self.recursive:
            return  # a subfolder coming or going changes none of this folder's own files
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        with self._lock:
            for p in paths:
                rel = self._relative(os.fsdecode(p)) if p else None
                if rel is None:
                    continue
                if event.is_directory:
                    # A folder moved, created or deleted: its notes came or went as one.
                    if event.event_type != "modified":
                        self._pending.full = True
                else:
                    self._pending.paths.add(rel)
            now = time.monotonic()
            if not self._first_event:
                self._first_event = now
            self._last_event = now
        self._wake.set()

    def _relative(self, path: str) -> str | None:
        # Events arrive as str paths, one call per event: plain os.path string work.
        # The folder part is resolved (a symlinked vault), the name is not (a symlinked note).
        folder, name = os.path.split(path)
        real = os.path.join(os.path.realpath(folder), name)  # noqa: PTH118
        if real == self.root:
            return None
        rel = os.path.relpath(real, self.root)
        if rel.startswith("..") or (not self.recursive and os.sep in rel):
            return None
        return rel.replace(os.sep, "/")

    def request_full(self) -> None:
        with self._lock:
            self._pending.full = True
            self._last_event = self._first_event = time.monotonic()
        self._wake.set()

    def wake(self) -> None:
        """Interrupt a wait (used on shutdown)."""
        self._wake.set()

    def next_batch(self, timeout: float) -> Batch | None:
        """Wait up to `timeout` for events, then for a quiet moment (DEBOUNCE_SECONDS without
        new events, at most MAX_WAIT_SECONDS in all), and return what was touched."""
        if not self._wake.wait(timeout):
            return None
        while True:
            with self._lock:
                if not self._pending.paths and not self._pending.full:
                    self._wake.clear()
                    return None
                now = time.monotonic()
                quiet = now - self._last_event
                waited = now - self._first_event
                if quiet >= DEBOUNCE_SECONDS or waited >= MAX_WAIT_SECONDS:
                    batch, self._pending = self._pending, Batch()
                    self._first_event = 0.0
                    self._wake.clear()
                    return batch
            time.sleep(max(0.05, DEBOUNCE_SECONDS - quiet))


def _fallback_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return (
            "inotify's watch limit is reached, so vault watch is polling instead (slower to "
            "notice changes). Raise the limit with: sudo sysctl fs.inotify.max_user_watches=524288"
        )
    if exc.errno == errno.EMFILE:
        return (
            "inotify's instance limit is reached, so vault watch is polling instead. Raise it "
            "with: sudo sysctl fs.inotify.max_user_instances=512"
        )
    return f"the file watcher could not start ({exc}), so vault watch is polling instead"


class DaemonLock:
    """One daemon per vault: an exclusive flock on a file in the vault's cache folder,
    holding the pid of the daemon that has it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> int | None:
        """Take the lock; return None, or the pid of the daemon that already holds it."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = int(os.read(fd, 32).decode().strip() or 0)
            except ValueError:
                holder = 0
            os.close(fd)
            return holder or -1
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None

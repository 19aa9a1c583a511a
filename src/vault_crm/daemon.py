"""What `vault watch` does with each batch of file events, as a plain object: the clock
(today, and a monotonic `now` in seconds) and the batch are passed in, so the policy (when
to reconcile the whole vault, when the date rolls over, when to rewrite and commit the
notes) runs in a test without a process, a watcher or a sleep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vault_crm.errors import VaultError
from vault_crm.kept import Kept
from vault_crm.model import IndexStats
from vault_crm.reconnect import sharing_graph, write_reconnect, write_report
from vault_crm.refresh import refresh_index, refresh_paths
from vault_crm.store import Index
from vault_crm.watch import Batch

RECONCILE_SECONDS = 600.0  # a full walk now and then heals any event the watcher missed
LARGE_BATCH = 500  # more touched paths than this: a full walk is cheaper than one by one

Writer = Callable[[Index, Path, dt.date], tuple[str, bool]]


class Companion(Protocol):
    """Something the daemon keeps current beside the notes (e.g. calendars imported into
    the vault and exported from it): imports at start and when its sources change, exports
    after the notes are written."""

    def import_all(self, index: Index) -> int: ...

    def import_changed(self, index: Index, *, new_day: bool = False) -> int: ...

    def export(self, index: Index) -> str | None: ...


@dataclass
class Daemon:
    index: Index
    vault: Path
    log: Callable[[str], None]
    commit: bool = False
    writers: tuple[Writer, ...] = (write_reconnect, write_report)
    companions: Sequence[Companion] = ()
    day: dt.date | None = None
    last_reconcile: float = 0.0
    # The graph and the report's per-person shares, kept between steps.
    kept: Kept = field(default_factory=Kept)

    def start(self, today: dt.date, now: float) -> tuple[IndexStats, str]:
        """The first full reconcile and the notes; returns the stats and what was written."""
        stats = refresh_index(self.index)
        for companion in self.companions:
            companion.import_all(self.index)
        self.last_reconcile = now
        self.day = today
        return stats, self.write_notes(today)

    def step(self, batch: Batch | None, today: dt.date, now: float) -> str | None:
        """Apply one batch (None: the watcher was idle) at `today` / `now`; rewrite the
        notes when notes changed or the date rolled over. Returns the line logged, or None
        when there was nothing to do."""
        full = batch is not None and batch.full
        if now - self.last_reconcile > RECONCILE_SECONDS:
            full = True
        new_day = today != self.day
        imported = sum(c.import_changed(self.index, new_day=new_day) for c in self.companions) > 0
        if batch is None and not full and not new_day and not imported:
            return None
        if full or (batch is not None and len(batch.paths) > LARGE_BATCH):
            stats = refresh_index(self.index)
            self.last_reconcile = now
        else:
            stats = refresh_paths(self.index, batch.paths if batch else (), counts=False)
        changed = stats.added + stats.updated + stats.removed
        if not changed and not new_day and not imported:
            return None
        self.day = today
        note = self.write_notes(today)
        return (
            f"{changed} note{'s' if changed != 1 else ''} changed"
            f"{', new day' if new_day else ''}{', meetings imported' if imported else ''}, {note}"
        )

    def write_notes(self, today: dt.date) -> str:
        """The reconnect note, then the report note; a note that cannot be written is
        logged and does not stop the other. With commit, one commit for both."""
        written: list[str] = []
        with sharing_graph(self.kept):
            done = [self._write_one(w, today, written) for w in self.writers]
        if self.commit and written:
            from vault_crm.gitops import commit_files

            try:
                commit_files(
                    self.vault, written, f"Update {', '.join(written)} for {today.isoformat()}"
                )
            except VaultError as exc:
                self.log(f"error: {exc}")
        # What companions export follows the due picture (rewritten only when it changes).
        done += [e for c in self.companions if (e := c.export(self.index))]
        return ", ".join(done)

    def _write_one(self, write: Writer, today: dt.date, written: list[str]) -> str:
        # A note that cannot be written (a foreign Reconnect.md, a broken template) is
        # logged; the daemon keeps the index current regardless. The writer puts its own
        # write in the index at once, so the event it causes finds nothing to do.
        try:
            path, changed = write(self.index, self.vault, today)
        except VaultError as exc:
            self.log(f"error: {exc}")
            return "note not written"
        # Also when unchanged: with commit, a note git does not hold yet is committed.
        written.append(path)
        return f"{path} {'rewritten' if changed else 'unchanged'}"

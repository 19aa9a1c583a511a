"""Calendars and the vault, both ways: the use cases behind `vault import ics`,
`vault export ics` and what `vault watch` does with config `calendars` and
`calendar_export`.

`import_calendars` plans (and unless asked not to, writes) the meetings of a set of
calendar files; `export_calendar` is the subscription file's bytes. `CalendarSync` is the
daemon's side: it watches the calendars' folders, re-imports when one changes, and rewrites
the subscription file when its bytes would change.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault_crm.errors import VaultError
from vault_crm.importing.ics import MeetingPlan, MeetingPlanner, Window, count_events, read_calendar
from vault_crm.importing.plan import Known
from vault_crm.refresh import apply_written, refresh_index, refresh_paths

if TYPE_CHECKING:
    from vault_crm.config import Settings
    from vault_crm.model import IndexRecord
    from vault_crm.scan import FileStat
    from vault_crm.store import Index
    from vault_crm.watch import Watcher

Progress = Callable[[int, int], None]


def _expand(given: str, vault: Path) -> Path:
    path = Path(os.path.expanduser(given))  # noqa: PTH111 (a str that may hold glob characters)
    return path if path.is_absolute() else vault / path


def calendar_files(
    paths: Iterable[str], vault: Path, *, missing_ok: bool = False
) -> tuple[list[tuple[str, Path]], list[str]]:
    """(shown name, path) for each `.ics` named: files, folders (searched below, as
    vdirsyncer keeps one event a file), globs, `~`. Relative names are relative to the
    working folder on the command line (callers pass it) and to the vault in config.
    With missing_ok, a name that matches nothing is returned as a message; else an error."""
    found: dict[Path, str] = {}
    missing: list[str] = []
    for given in paths:
        expanded = _expand(given, vault)
        is_glob = glob.has_magic(str(expanded))
        if is_glob:
            # glob.glob, not Path.glob: the pattern may be absolute and hold ** anywhere.
            found_names = glob.glob(str(expanded), recursive=True)  # noqa: PTH207
            matches = [Path(m) for m in sorted(found_names)]
        else:
            matches = [expanded] if expanded.exists() else []
        if not matches:
            message = f"{given}: no such file or folder"
            if not missing_ok:
                raise VaultError(f"{message}; nothing was imported")
            missing.append(message)
        for match in matches:
            if match.is_dir():
                below = sorted(
                    p for p in match.rglob("*.ics") if p.is_file() and not p.name.startswith(".")
                )
                # A folder named is shown as spelt; one a glob found, as it is.
                folder = match if is_glob else Path(given)
                for p in below:
                    found.setdefault(p, str(folder / p.relative_to(match)))
            elif match.is_file():
                found.setdefault(match, given if match == expanded else str(match))
    return [(shown, path) for path, shown in found.items()], missing


@dataclass
class ImportResult:
    plan: MeetingPlan
    created: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # The index records of the notes written, when they can be applied as they are.
    records: list[tuple[FileStat, IndexRecord]] | None = field(default=None, repr=False)

    def count(self, action: str) -> int:
        return sum(1 for s in self.plan.steps if s.action == action)


def imported_sources(idx: Index) -> dict[str, str]:
    """`source` → vault path of every note a calendar import wrote (wherever it is now)."""
    found: dict[str, str] = {}
    for path, source in idx.sources("ics:"):
        found.setdefault(source.strip(), path)
    return found


def _note_type(settings: Settings) -> str:
    types = settings.interaction_types
    return "meeting" if "meeting" in types or not types else types[0]


def import_calendars(
    idx: Index,
    files: list[tuple[str, Path]],
    today: dt.date,
    *,
    since: dt.date | None = None,
    dry_run: bool = False,
    reading: Progress | None = None,
) -> ImportResult:
    """Read every file, plan a note per matched occurrence, and (unless dry_run) write
    the new ones. A file that cannot be read is a problem in the plan; the rest import."""
    from vault_crm.contacts import load_people
    from vault_crm.dates import parse_duration
    from vault_crm.views import Linker

    settings = idx.settings
    horizon = parse_duration(settings.calendar_horizon).add_to(today)
    window = Window(since, horizon)
    planner = MeetingPlanner(
        [Known(p.path, p.title, p.aliases, p.props) for p in load_people(idx)],
        folder=settings.calendar_folder,
        today=today,
        existing=imported_sources(idx),
        taken=idx.all_paths(),
        link=Linker(idx.ambiguous_titles()),
        note_type=_note_type(settings),
    )
    datas: list[tuple[str, bytes | None, str]] = []
    for shown, path in files:
        try:
            datas.append((shown, path.read_bytes(), ""))
        except OSError as exc:
            datas.append((shown, None, f"cannot read it ({exc.strerror})"))
    total = sum(max(1, count_events(d)) for _, d, _ in datas if d is not None) or 1
    done = 0
    from vault_crm.importing.ics import Broken

    for shown, data, error in datas:
        if data is None:
            planner.add(Broken(shown, None, error))
            continue
        events = max(1, count_events(data))
        heard = _every_percent(reading, done, min(events, total - done), total)
        for item in read_calendar(data, shown, window, settings.my_emails, heard):
            planner.add(item)
        done += events
        if reading is not None:
            reading(min(done, total), total)
    result = ImportResult(planner.plan)
    if not dry_run:
        write_planned(idx, result, today)
    return result


def _every_percent(
    reading: Progress | None, before: int, events: int, total: int
) -> Callable[[int], None] | None:
    """`reading` told of the events gone through in one file, about once a percent."""
    if reading is None:
        return None
    step = max(1, total // 100)
    last = [0]

    def heard(n: int) -> None:
        if n - last[0] >= step:
            last[0] = n
            reading(before + min(n, events), total)

    return heard


def write_planned(
    idx: Index, result: ImportResult, today: dt.date, progress: Progress | None = None
) -> None:
    """Write the notes a plan creates, and put them in the index."""
    write_meetings(idx, result, today, progress)
    if result.records is not None:
        apply_written(idx, result.records)
    elif result.created:
        refresh_paths(idx, result.created)
    result.records = None


def write_meetings(
    idx: Index, result: ImportResult, today: dt.date, progress: Progress | None = None
) -> None:
    """Write the notes a plan creates, with their index records made meanwhile, leaving
    the index to `index_written` (the command shows the two steps with a progress bar
    each)."""
    from vault_crm.importing.meetings import write_meetings as write

    written = write(idx, result.plan.steps, today, progress)
    result.created, result.refused, result.records = (
        written.created,
        written.refused,
        written.records,
    )


def index_written(idx: Index, result: ImportResult, progress: Progress) -> None:
    """Put the notes an import wrote in the index, telling how far it is: their records,
    made while they were written, in one transaction; else (a note was refused) the whole
    vault is brought up to date, which reads the new notes again in worker processes."""
    if result.records is not None:
        if result.records:
            apply_written(idx, result.records)
        progress(len(result.records), len(result.records))
        result.records = None
    elif result.created:
        refresh_index(idx, progress)


def export_calendar(
    idx: Index, today: dt.date, alarm: dt.timedelta | None = None
) -> tuple[bytes, int]:
    """The subscription calendar: each person's next reconnect date (today when overdue),
    birthdays and `dates`; and how many people it covers."""
    from vault_crm.contacts import load_graph
    from vault_crm.due import person_status
    from vault_crm.exporting.ics import Reminder, export_ics
    from vault_crm.exporting.vcard import display_name

    graph = load_graph(idx, today)
    reminders: list[Reminder] = []
    for person in graph.sorted_people():
        entry = person_status(person, graph.contacts.get(person.path, []), idx.settings, today)
        reconnect = None
        if entry.cadence is not None and entry.scheduled is None:
            reconnect = entry.due_date or today
        dates = person.props.get("dates")
        reminders.append(
            Reminder(
                person.path,
                display_name(person),
                reconnect,
                entry.cadence.cadence.text if entry.cadence else None,
                person.props.get("birthday"),
                tuple(sorted((str(k), v) for k, v in dates.items()))
                if isinstance(dates, dict)
                else (),
            )
        )
    return export_ics(reminders, today, alarm), len(reminders)


# --- the daemon's side ----------------------------------------------------------------


def _watch_root(given: str, vault: Path) -> tuple[Path, bool] | None:
    """The folder to watch for a `calendars` entry, and whether below it too: a folder and
    below (vdirsyncer keeps a subfolder per calendar); a file's folder alone, whether the
    file is there yet or not (a link's: its target's); a glob's folder before its first
    wildcard, alone when only the last part has wildcards and it can only match calendar
    files (`*.ics`), else with what is below (it may match folders, searched below)."""
    path = _expand(given, vault)
    if glob.has_magic(str(path)):
        parts = path.parts
        first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
        only_files = first == len(parts) - 1 and parts[-1].lower().endswith(".ics")
        root, recursive = Path(*parts[:first]), not only_files
    elif path.is_dir():
        root, recursive = path, True
    else:
        # A link to a calendar elsewhere changes where it is written: watch there.
        root, recursive = Path(os.path.realpath(path)).parent, False
    return (root, recursive) if root.is_dir() else None


def _watch_roots(roots: Iterable[tuple[Path, bool]]) -> list[tuple[Path, bool]]:
    """The fewest watches that cover `roots` (real paths): a folder watched with what is
    below it covers itself and every folder below; a folder alone only itself."""
    merged: dict[Path, bool] = {}
    for root, recursive in roots:
        merged[root] = merged.get(root, False) or recursive
    return [
        (root, recursive)
        for root, recursive in merged.items()
        if not any(merged[parent] for parent in root.parents if parent in merged)
    ]


class CalendarSync:
    """What `vault watch` does with config `calendars` and `calendar_export`."""

    def __init__(
        self,
        settings: Settings,
        today: Callable[[], dt.date],
        *,
        poll: bool,
        log: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.today = today
        self.poll = poll
        self.log = log
        self.watchers: list[Watcher] = []
        self._wake: Callable[[], None] = lambda: None
        # The calendar files named in config that are links, as the watchers see them, and
        # the real path each led to when watching started.
        self._links: dict[str, str] = {}

    def start(self, wake: Callable[[], None]) -> None:
        """Watch the folders of the configured calendars; `wake` interrupts the daemon's
        wait when a calendar changes."""
        self._wake = wake
        self._links = {}
        roots: list[tuple[Path, bool]] = []
        for given in self.settings.calendars:
            found = _watch_root(given, self.settings.vault)
            if found is None:
                self.log(f"warning: calendar {given}: no such folder to watch")
                continue
            roots.append((Path(os.path.realpath(found[0])), found[1]))
            # A link is watched where its target is written, and in its own folder, so
            # that pointing it at another file is a change too.
            path = _expand(given, self.settings.vault)
            if not glob.has_magic(str(path)) and path.is_symlink():
                folder = Path(os.path.realpath(path.parent))
                roots.append((folder, False))
                link = os.path.join(folder, path.name)  # noqa: PTH118
                self._links[link] = os.path.realpath(link)
        for root, recursive in _watch_roots(roots):
            watcher = _calendar_watcher(
                root, recursive=recursive, poll=self.poll, log=self.log, wake=wake
            )
            watcher.start()
            self.watchers.append(watcher)

    def stop(self) -> None:
        for watcher in self.watchers:
            watcher.stop()
        self.watchers = []

    def changed(self) -> set[str] | None:
        """The real paths of the calendar files that changed (waiting for the changes to
        settle, as for notes); an empty set when a whole folder changed (re-read them
        all); None when nothing did."""
        changed: set[str] | None = None
        for watcher in self.watchers:
            batch = watcher.next_batch(0)
            if batch is None or not (batch.paths or batch.full):
                continue
            if changed is None:
                changed = set()
            if batch.full:
                return set()
            changed.update(os.path.join(watcher.root, p) for p in batch.paths)  # noqa: PTH118
        for link, target in self._links.items():
            if changed is None or link not in changed:
                continue
            changed.discard(link)
            if os.path.realpath(link) != target:
                # The link now leads elsewhere: watch there, and read every calendar again.
                self.stop()
                self.start(self._wake)
                return set()
            changed.add(target)  # (polling sees its target's changes on the link too)
        return changed

    def import_changed(self, idx: Index, *, new_day: bool = False) -> int:
        """Import the calendar files that changed since the last call (all of them after a
        folder event): a vdirsyncer sync that touches one event re-reads one file. On a
        new day everything is read again: the horizon moved, so meetings booked further
        ahead may now be in it."""
        changed = self.changed()
        if new_day:
            return self.import_all(idx)
        if changed is None:
            return 0
        return self.import_all(idx, only=changed or None)

    def import_all(self, idx: Index, only: set[str] | None = None) -> int:
        """Import every configured calendar (or those of them in `only`, real paths) with
        the same code as `vault import ics`; log what happened; return how many notes
        were written."""
        if not self.settings.calendars:
            return 0
        files, missing = calendar_files(
            self.settings.calendars, self.settings.vault, missing_ok=True
        )
        if only is not None:
            files = [(shown, p) for shown, p in files if os.path.realpath(p) in only]
            if not files:
                return 0
        else:
            for message in missing:
                self.log(f"warning: calendar {message}")
        try:
            result = import_calendars(idx, files, self.today())
        except VaultError as exc:
            self.log(f"error: calendars: {exc}")
            return 0
        for step in result.plan.steps:
            if step.action == "problem":
                self.log(f"calendar problem: {step.source}: {step.reason}")
        for message in result.refused:
            self.log(f"error: {message}")
        self.log(
            f"calendars: {len(files)} file{'s' if len(files) != 1 else ''}, "
            f"{len(result.created)} meeting{'s' if len(result.created) != 1 else ''} imported, "
            f"{result.count('skip')} already there, {result.count('problem')} problem"
            f"{'s' if result.count('problem') != 1 else ''}"
        )
        return len(result.created)

    def export(self, idx: Index) -> str | None:
        """Rewrite `calendar_export` when its bytes would change; say what happened."""
        if not self.settings.calendar_export:
            return None
        from vault_crm.edit import write_atomic

        target = _expand(self.settings.calendar_export, self.settings.vault)
        shown = self.settings.calendar_export
        try:
            data, _ = export_calendar(idx, self.today())
            changed = write_atomic(target, data, shown=shown)
        except (OSError, VaultError) as exc:
            return f"{shown} not written ({exc})"
        return f"{shown} {'rewritten' if changed else 'unchanged'}"


def _calendar_watcher(
    root: Path,
    *,
    recursive: bool,
    poll: bool,
    log: Callable[[str], None],
    wake: Callable[[], None],
) -> Watcher:
    from vault_crm.watch import Watcher

    class CalendarWatcher(Watcher):
        """Only `.ics` files (and folders, when watched with what is below them) count;
        each one wakes the daemon."""

        def _record(self, event: Any) -> None:
            names = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", ""))]
            if event.is_directory:
                if not self.recursive:
                    return
            elif not any(n.lower().endswith(".ics") for n in names):
                return
            super()._record(event)
            wake()

    return CalendarWatcher(root, poll=poll, log=log, recursive=recursive)

"""Write the meetings of a calendar import and have their index records ready when the
last one is in place.

Each new conversation note is rendered (template, front-matter, the read-back check, as
`writer.note_text` does) and parsed into the record the index stores (`records.to_record`,
the refresh's own function) from the text about to be written: nothing is read back from
disk. With many notes this happens in worker processes, batch after batch, while this
process writes the notes of the batches before (`edit.NewNotes`: temporary files, one
flush to disk, the renames); each note's record then gets the modification time and size
the file has once in place, exactly what the next walk of the vault sees, and the records
are applied to the index in one transaction at the end (`refresh.apply_written`).

A kill at any moment leaves whole notes on disk that the index may not know yet: the next
refresh finds them by its walk, as it finds any note written by hand. When the records
cannot be trusted to be what a refresh would read (a note refused, a name the file system
may spell otherwise), none is applied and the caller refreshes the index instead.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault_crm.errors import VaultError, WriteRefusedError
from vault_crm.importing.plan import Step
from vault_crm.model import IndexRecord
from vault_crm.scan import FileStat

if TYPE_CHECKING:
    from concurrent.futures import Future

    from vault_crm.config import Settings
    from vault_crm.links import Resolver
    from vault_crm.store import Index
    from vault_crm.writing import ReadBack

Progress = Callable[[int, int], None]

# Below this many new notes, starting worker processes costs more than it saves.
PARALLEL_NOTES = 400
# Notes a worker renders and parses per batch: small enough that the writer starts at once.
BATCH_NOTES = 150
# Batches handed to each worker ahead of the writer.
AHEAD = 3


@dataclass
class Written:
    created: list[str]
    refused: list[str]
    # Each created note as the walk will see it, and its record; None when the records
    # are not to be applied (the index is then refreshed instead).
    records: list[tuple[FileStat, IndexRecord]] | None


_SIZE = IndexRecord._fields.index("size")

# One rendered note: (text, None, record as a tuple), or (None, why it was refused, None).
_Rendered = tuple[str | None, str | None, tuple[Any, ...] | None]


def write_meetings(
    idx: Index, steps: Iterable[Step], today: dt.date, progress: Progress | None = None
) -> Written:
    """Write the notes the plan creates; return them with their index records."""
    from vault_crm.edit import NewNotes
    from vault_crm.links import nfc
    from vault_crm.scan import ignore_matcher, is_candidate

    settings = idx.settings
    vault = settings.vault
    ignored = ignore_matcher(settings)
    todo = [s for s in steps if s.action == "create" and s.path]
    created: list[str] = []
    refused: list[str] = []
    records: list[tuple[FileStat, IndexRecord]] | None = []
    waiting: dict[str, tuple[str, tuple[Any, ...]]] = {}  # key → (fspath, record)
    folders: dict[str, Path] = {}

    def on_created(key: str) -> None:
        nonlocal records
        created.append(key)
        fspath, rec = waiting.pop(key)
        if records is None:
            return
        st = notes.placed  # as it was put in place: an edit since is a change to read
        if st is None or st.st_size != rec[_SIZE]:
            records = None  # changed already: the walk will read it
            return
        record = IndexRecord._make(rec)._replace(mtime_ns=st.st_mtime_ns)
        records.append((FileStat(key, fspath, st.st_mtime_ns, st.st_size), record))

    def on_refused(exc: WriteRefusedError) -> None:
        refused.append(str(exc))

    rendered = _rendered(idx, todo, today)
    try:
        with NewNotes(on_created=on_created, on_refused=on_refused) as notes:
            for done, (step, (text, reason, rec)) in enumerate(
                zip(todo, rendered, strict=True), start=1
            ):
                assert step.path is not None
                if text is None:
                    refused.append(str(reason))
                else:
                    assert rec is not None
                    folder, _, name = step.path.rpartition("/")
                    fspath = f"{folder}/{name}"
                    if nfc(fspath) != fspath:
                        records = None  # a name the walk may see spelt otherwise
                    elif not is_candidate(fspath, settings, ignored):
                        records = None  # `ignore`d: the walk leaves it out of the index
                    # (before `add`, which may put this note in place at once)
                    waiting[step.path] = (fspath, rec)
                    where = folders.get(folder)
                    if where is None:  # one Path a folder (its hash is then kept)
                        where = folders[folder] = vault / folder
                    try:
                        notes.add(
                            where,
                            name.removesuffix(".md"),
                            text,
                            folder,
                            key=step.path,
                            vault=vault,
                            what=f"the folder {folder}",
                        )
                    except WriteRefusedError as exc:
                        refused.append(str(exc))
                        waiting.pop(step.path, None)
                if progress is not None:
                    progress(done, len(todo))
    finally:
        close = getattr(rendered, "close", None)
        if close is not None:
            close()
    if refused:
        records = None  # the records were resolved as if every planned note existed
    return Written(created, refused, records)


def _rendered(idx: Index, todo: Sequence[Step], today: dt.date) -> Iterable[_Rendered]:
    """Each step's note text and record, in order: in worker processes when there are
    many (a generator that keeps them a few batches ahead), else here."""
    settings = idx.settings
    new_paths = {s.path for s in todo if s.path}
    attachments = idx.files()
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_NOTES or workers < 2:
        resolver = idx.resolver(new_paths, (), attachments)
        return _render(settings, today, todo, resolver)
    paths = sorted(set(idx.all_paths()) | new_paths)
    return _in_workers(settings, today, todo, paths, sorted(attachments), workers)


def _in_workers(
    settings: Settings,
    today: dt.date,
    todo: Sequence[Step],
    paths: list[str],
    attachments: list[str],
    workers: int,
) -> Iterable[_Rendered]:
    """`_render` in a pool of worker processes (`workers.Workers`), batches kept AHEAD per
    worker. A worker that dies is an error, not a wait."""
    from vault_crm.workers import WorkerDied, Workers

    jobs = (todo[i : i + BATCH_NOTES] for i in range(0, len(todo), BATCH_NOTES))
    # Leaving by an error, Ctrl-C or the generator closed early ends the workers at once.
    with Workers(workers, _init_worker, (settings, today, paths, attachments)) as pool:
        pending: deque[Future[list[_Rendered]]] = deque()
        for job in jobs:
            pending.append(pool.submit(_render_batch, job))
            if len(pending) >= AHEAD * workers:
                break
        while pending:
            try:
                batch = pending.popleft().result()
            except WorkerDied:
                raise VaultError(
                    "a worker process preparing the meetings stopped unexpectedly; "
                    "the meetings written so far are kept: run the import again"
                ) from None
            for job in jobs:
                pending.append(pool.submit(_render_batch, job))
                break
            yield from batch


def _render(
    settings: Settings,
    today: dt.date,
    steps: Sequence[Step],
    resolver: Resolver,
    read_back: ReadBack | None = None,
) -> list[_Rendered]:
    """The text of each new note (or why it is refused) and the record the index keeps of
    it, parsed from that text as a refresh parses the file. `read_back` holds the
    front-matter lines of the batches before (most lines are the same in every note)."""
    from vault_crm.edit import yaml_frontmatter
    from vault_crm.importing.writer import front_matter, note_text
    from vault_crm.notes import generated_pattern, parse_note
    from vault_crm.records import to_record
    from vault_crm.render import Templates
    from vault_crm.writing import ReadBack

    pattern = generated_pattern(settings)
    templates = Templates(settings.vault)
    blocks = [yaml_frontmatter(front_matter(s.props)) for s in steps]
    if read_back is None:
        read_back = ReadBack()
    read_back.learn(blocks)
    out: list[_Rendered] = []
    for step, block in zip(steps, blocks, strict=True):
        assert step.path is not None
        try:
            text = note_text(settings.vault, step, today, read_back, block, templates)
        except WriteRefusedError as exc:
            out.append((None, str(exc), None))
            continue
        note = parse_note(step.path, text.encode("utf-8"), settings, generated=pattern)
        out.append((text, None, tuple(to_record(note, resolver))))
    return out


# Each worker's settings, day and resolver, from its initializer.
_worker: tuple[Settings, dt.date, Resolver, ReadBack] | None = None


def _init_worker(
    settings: Settings, today: dt.date, paths: list[str], attachments: list[str]
) -> None:
    from vault_crm.links import Resolver
    from vault_crm.writing import ReadBack

    global _worker
    _worker = (settings, today, Resolver(paths, attachments), ReadBack())
    # What the worker holds now (forked: all the command had, the calendar read included)
    # stays until it exits: the cycle collector need not walk it in each full collection.
    gc.freeze()


def _render_batch(steps: Sequence[Step]) -> list[_Rendered]:
    assert _worker is not None
    settings, today, resolver, read_back = _worker
    return _render(settings, today, steps, resolver, read_back)

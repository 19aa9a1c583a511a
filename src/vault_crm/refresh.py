"""Bringing the index up to date with the vault: walk → diff → parse (the worker pool of
`records`) → `Index.apply` in one transaction (participants included) → stats. The command
line (`vault` refreshes before it reads) and the daemon (`vault watch`) both call it.

Refresh is a diff (zk's design): walk the vault, compare (mtime_ns, size) with what the
index holds, re-read only what changed, and apply everything in one short transaction.
A full rebuild is built in a temporary file and moved into place (pre-commit's store), so
an interrupted rebuild never leaves half a database behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from array import array
from collections.abc import Generator, Iterable, Sequence
from stat import S_ISREG

from vault_crm.links import nfc
from vault_crm.model import IndexRecord, IndexStats
from vault_crm.records import PARALLEL_THRESHOLD, Progress, read_records
from vault_crm.scan import (
    FileStat,
    Walk,
    diff,
    ignore_matcher,
    inside,
    is_candidate,
    walk_columns,
)
from vault_crm.store import Index


def refresh_index(
    index: Index, progress: Progress | None = None, *, rebuild: bool = False, counts: bool = True
) -> IndexStats:
    """Bring the index up to date with the vault; return counts (without `counts`, after
    a change only what changed is counted, as `refresh_paths` does: counting a large
    index's links again is a tenth of a second that a read command does not show)."""
    started = time.perf_counter()
    index.end_snapshot()
    if rebuild:
        return _rebuild(index, progress, started)
    generation, kept = index.generation(), index.walk_mark()
    others: list[str] = []
    skipped: list[tuple[str, str, str]] = []
    stale: list[str] = []
    walked = walk_columns(index.settings.vault, index.settings, others, skipped, stale)
    digest = _digest(walked, others)
    if kept == f"{generation}:{digest}":
        # The same files with the same (mtime, size) as when the index last matched the
        # vault, and nothing applied since: no note needs reading, and no table either.
        stats = index.stats(started) if counts else _changes(started)
    else:
        parts = _parts(walked)
        stored = index.walk_parts()
        part = None
        if stored is not None and kept is not None and kept.split(":", 1)[0] == str(generation):
            # Nothing applied since that walk: only the parts of it whose digest changed
            # can hold a change, and only theirs are compared.
            part = _changed_parts(index, walked, parts, stored)
        if part is not None:
            now, known = part
        else:
            maybe = index.note_stats()
            if maybe is None or (not maybe and walked.fspaths):
                # Corrupt beyond the header check at open, or a new index (first run, or
                # one started again after a schema change): build it whole, which is
                # several times faster than applying every note as a change.
                return _rebuild(index, progress, started, (walked, others, skipped, stale))
            now, known = walked.files(), maybe
        d = diff(iter(now), known)
        files = set(others)
        if d.empty and files == index.files():
            stats = index.stats(started) if counts else _changes(started)
            matches = True
        else:
            new_paths = {f.path for f in d.changed} - known.keys()
            stats = _apply_diff(
                index, d.changed, d.removed, new_paths, progress, started, files, counts=counts
            )
            generation = index.generation()
            matches = _stored_as_walked(index, d.changed)
        if matches:
            _keep_mark(index, f"{generation}:{digest}", walked, parts, stored or {})
    index.store_skipped(skipped)
    _remove_stale(stale)
    return stats


def _digest(walked: Walk | Sequence[FileStat], others: Sequence[str]) -> str:
    """One digest of a walk: every note's path, mtime and size, in the order walked (a
    different order only costs one full comparison), and every other file's path."""
    if not isinstance(walked, Walk):
        walked = Walk.of(walked)
    digest = hashlib.blake2b(digest_size=16)
    # Column by column: one string, two arrays of integers (no text per note).
    digest.update("\0".join(walked.fspaths).encode("utf-8", "surrogateescape"))
    digest.update(walked.mtimes.tobytes())
    digest.update(walked.sizes.tobytes())
    digest.update("\0".join(["", *others]).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


# A part of a walk (see `_parts`) by its key: its digest, and the range of its notes in
# the walk's columns.
_Parts = dict[str, tuple[bytes, int, int]]
# A folder's notes are kept in parts of this many, in the order walked: an edit changes
# one part, and only that part is read back.
PART_SIZE = 1024


def _parts(walked: Walk) -> _Parts:
    """The walk in parts, each keyed `folder#n` with the digest of its notes' paths,
    mtimes and sizes in the order walked. A folder with two names that normalise alike
    is one part: which of them is the note is decided in its folder."""
    fspaths = walked.fspaths
    mtimes, sizes = memoryview(walked.mtimes), memoryview(walked.sizes)
    found: _Parts = {}
    for folder, start, end in walked.folders:
        step = PART_SIZE if _distinct(fspaths[start:end]) else end - start
        for n, first in enumerate(range(start, end, step)):
            last = min(first + step, end)
            digest = _part_digest(fspaths[first:last], mtimes[first:last], sizes[first:last])
            found[f"{folder}#{n}"] = (digest, first, last)
    return found


def _part_digest(
    fspaths: list[str], mtimes: memoryview | array[int], sizes: memoryview | array[int]
) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\0".join(fspaths).encode("utf-8", "surrogateescape"))
    digest.update(mtimes)
    digest.update(sizes)
    return digest.digest()


def _distinct(names: list[str]) -> bool:
    """Do these names stay distinct once normalised (NFC), as vault paths are?"""
    if "".join(names).isascii():
        return True
    odd = [n for n in names if not n.isascii()]
    # NUL joins no character to another: one normalisation for the folder.
    forms = set(nfc("\0".join(odd)).split("\0"))
    if len(forms) < len(odd):
        return False
    plain = {f for f in forms if f.isascii()}  # KELVIN SIGN K normalises to K
    return not plain or plain.isdisjoint(names)


def _changed_parts(
    index: Index, walked: Walk, parts: _Parts, stored: dict[str, bytes]
) -> tuple[list[FileStat], dict[str, tuple[int, int]]] | None:
    """The notes of the parts whose digest differs from the stored walk's, and what the
    index holds of those parts (vault path → (mtime_ns, size)). A part with the same
    digest holds the same notes as stored, so comparing the rest with the rest gives what
    comparing the whole walk with the whole index gives. None when it may not (two
    folders whose names normalise alike) or the stored walk cannot be read."""
    changed = [k for k, (digest, _s, _e) in parts.items() if stored.get(k) != digest]
    changed += [k for k in stored if k not in parts]
    folders = {k.rsplit("#", 1)[0] for k in parts.keys() | stored.keys()}
    if not all(f.isascii() for f in folders) and len({nfc(f) for f in folders}) != len(folders):
        return None
    rows = index.walk_part_stats(changed) if changed else []
    if rows is None:
        return None
    known: dict[str, tuple[int, int]] = {}
    for fspaths, mtimes, sizes in rows:
        listed = fspaths.split("\0")
        if not len(listed) == len(mtimes) == len(sizes):
            return None
        for rel, mtime, size in zip(listed, mtimes, sizes, strict=True):
            known.setdefault(rel if rel.isascii() else nfc(rel), (mtime, size))
    now: list[FileStat] = []
    for k in changed:
        if k in parts:
            _, start, end = parts[k]
            part = Walk(
                walked.fspaths[start:end], walked.mtimes[start:end], walked.sizes[start:end], []
            )
            now += part.files()
    return now, known


def _keep_mark(
    index: Index, mark: str, walked: Walk, parts: _Parts, stored: dict[str, bytes]
) -> None:
    """Keep the mark of a walk the index now matches, and the parts of it that differ
    from those stored."""
    rows = [
        (
            f,
            digest,
            "\0".join(walked.fspaths[start:end]),
            walked.mtimes[start:end].tobytes(),
            walked.sizes[start:end].tobytes(),
        )
        for f, (digest, start, end) in parts.items()
        if stored.get(f) != digest
    ]
    index.keep_walk_mark(mark, rows, [f for f in stored if f not in parts])


def _stored_as_walked(
    index: Index, changed: Sequence[FileStat], stored: dict[str, tuple[int, int]] | None = None
) -> bool:
    """Does the index now hold each changed note with the (mtime, size) walked? Not one
    it could not read (kept without an mtime, so that the next refresh tries again)."""
    if stored is None:
        stored = index.note_stats_of(sorted({f.path for f in changed}))
    return all(stored.get(f.path) == (f.mtime_ns, f.size) for f in changed)


def refresh_paths(index: Index, rel_paths: Iterable[str], *, counts: bool = True) -> IndexStats:
    """Re-stat just these vault-relative paths (as the file system spells them) and
    apply what changed: the daemon's path for a batch of file events. Without `counts`,
    only what changed is counted (the index's totals are 0): counting a large index's
    links again after each save is most of a small refresh."""
    started = time.perf_counter()
    index.end_snapshot()
    before = index.generation()
    ignored = ignore_matcher(index.settings)
    changed: list[FileStat] = []
    gone: list[str] = []
    wanted = {nfc(r): r for r in rel_paths if is_candidate(r, index.settings, ignored)}
    known = index.note_stats_of(sorted(wanted))
    for path, rel in sorted(wanted.items()):
        full = os.path.join(index.settings.vault, rel)  # noqa: PTH118
        try:
            st = os.stat(full)  # noqa: PTH116
            regular = S_ISREG(st.st_mode) and inside(index.settings.vault, full)
        except OSError:
            regular = False
        if not regular:
            if path in known:
                gone.append(path)
        elif known.get(path) != (st.st_mtime_ns, st.st_size):
            changed.append(FileStat(path, rel, st.st_mtime_ns, st.st_size))
    # Attachments that came or went change the links to them.
    stored = index.files()
    files = set(stored)
    for rel in rel_paths:
        if rel.endswith(".md") or not is_candidate(rel, index.settings, ignored, notes_only=False):
            continue
        if os.path.isfile(os.path.join(index.settings.vault, rel)):  # noqa: PTH113, PTH118
            files.add(nfc(rel))
        else:
            files.discard(nfc(rel))
    new_paths = {f.path for f in changed} - known.keys()
    stats = _apply_diff(
        index,
        changed,
        gone,
        new_paths,
        None,
        started,
        files if files != stored else None,
        counts=counts,
    )
    _patch_parts(index, before, changed, gone)
    return stats


def _patch_parts(
    index: Index,
    before: int,
    changed: Sequence[FileStat],
    gone: Sequence[str],
    *,
    as_walked: bool = False,
) -> None:
    """After `refresh_paths` applied these notes to an index that matched the last walk
    (its mark is of the generation before), the parts of that walk holding them are
    brought up to date and the mark moved to the new generation: the next refresh then
    compares just the parts that differ, not every note (a command that wrote a note,
    as `vault due` writes the reconnect note, is followed by a quick refresh). A change
    in a folder holding two names that normalise alike, or a removed note whose path is
    not ASCII, leaves the mark behind: the next refresh compares everything."""
    kept = index.walk_mark()
    if kept is None or kept.split(":", 1)[0] != str(before) or index.generation() != before + 1:
        return
    if not all(p.isascii() for p in gone):
        return  # (kept by the name on disk, which may be spelt otherwise)
    if changed and not as_walked and not _stored_as_walked(index, changed):
        return
    updates: dict[str, dict[str, tuple[int, int] | None]] = {}
    for f in changed:
        updates.setdefault(f.fspath[: f.fspath.rfind("/") + 1], {})[f.fspath] = (
            f.mtime_ns,
            f.size,
        )
    for path in gone:
        updates.setdefault(path[: path.rfind("/") + 1], {})[path] = None
    stored = index.walk_parts_of(sorted(updates))
    if stored is None:
        return
    for folder, wanted in updates.items():
        names = [
            n
            for key, fspaths, _m, _s in stored
            if key.rsplit("#", 1)[0] == folder
            for n in fspaths.split("\0")
        ]
        listed = set(names)
        if not _distinct(names + [n for n in wanted if n not in listed]):
            return  # two names that normalise alike: which is the note is the walk's to say
    rows: list[tuple[str, bytes, str, bytes, bytes]] = []
    emptied: list[str] = []
    last: dict[str, int] = {}
    for key, fspaths, mtimes, sizes in stored:
        folder, n = key.rsplit("#", 1)
        last[folder] = max(last.get(folder, -1), int(n) if n.isdigit() else 0)
        wanted = updates[folder]
        names = fspaths.split("\0")
        if not len(names) == len(mtimes) == len(sizes):
            return
        if wanted.keys().isdisjoint(names):
            continue
        kept_names: list[str] = []
        kept_mtimes, kept_sizes = array("q"), array("q")
        for name, mtime, size in zip(names, mtimes, sizes, strict=True):
            if name in wanted:
                now = wanted.pop(name)
                if now is None:
                    continue
                mtime, size = now
            kept_names.append(name)
            kept_mtimes.append(mtime)
            kept_sizes.append(size)
        if kept_names:
            rows.append(_part_row(key, kept_names, kept_mtimes, kept_sizes))
        else:
            emptied.append(key)
    for folder, wanted in updates.items():
        added = [(name, now) for name, now in wanted.items() if now is not None]
        if added:  # new notes: a part of their own, compared by the next refresh
            names = [name for name, _now in added]
            mtimes = array("q", [now[0] for _name, now in added])
            sizes = array("q", [now[1] for _name, now in added])
            key = f"{folder}#{last.get(folder, -1) + 1}"
            rows.append(_part_row(key, names, mtimes, sizes))
    index.keep_walk_mark(f"{before + 1}:-", rows, emptied)


def _part_row(
    key: str, names: list[str], mtimes: array[int], sizes: array[int]
) -> tuple[str, bytes, str, bytes, bytes]:
    return (
        key,
        _part_digest(names, mtimes, sizes),
        "\0".join(names),
        mtimes.tobytes(),
        sizes.tobytes(),
    )


def _apply_diff(
    index: Index,
    changed: Sequence[FileStat],
    removed: Sequence[str],
    new_paths: set[str],
    progress: Progress | None,
    started: float,
    files: set[str] | None = None,
    *,
    counts: bool = True,
) -> IndexStats:
    if not changed and not removed and files is None:
        return index.stats(started) if counts else _changes(started)
    attachments = index.files() if files is None else files
    if len(changed) < PARALLEL_THRESHOLD:
        # A few notes: their links are resolved by looking up just the titles they name.
        resolver = index.resolver(new_paths, removed, attachments)
        records = read_records(index.settings, changed, (), progress, attachments, resolver)
    else:
        paths = (set(index.all_paths()) - set(removed)) | new_paths
        records = _read(index, changed, paths, progress, attachments)
    with contextlib.closing(records):
        index.apply(records, removed, new_paths=new_paths, files=files)
    return (index.stats if counts else _changes)(
        started,
        added=len(new_paths),
        updated=len(changed) - len(new_paths),
        removed=len(removed),
    )


def _changes(started: float, added: int = 0, updated: int = 0, removed: int = 0) -> IndexStats:
    """What a refresh changed, without the index's totals."""
    seconds = round(time.perf_counter() - started, 3)
    return IndexStats(0, 0, 0, 0, 0, 0, seconds, added, updated, removed)


_Walked = tuple[Walk, list[str], list[tuple[str, str, str]], list[str]]


def _rebuild(
    index: Index, progress: Progress | None, started: float, done: _Walked | None = None
) -> IndexStats:
    """Build the index whole in a temporary file; `done` is a walk already made (its
    notes, other files, skipped and stale paths)."""
    if done is None:
        others: list[str] = []
        skipped: list[tuple[str, str, str]] = []
        stale: list[str] = []
        walked = walk_columns(index.settings.vault, index.settings, others, skipped, stale)
    else:
        walked, others, skipped, stale = done
    files = _unique(walked.files())
    _remove_stale(stale)
    with index.rebuilding():
        paths = [f.path for f in files]
        attachments = set(others)
        records = _read(index, files, paths, progress, attachments)
        with contextlib.closing(records):
            index.apply(records, [], new_paths=None, files=attachments)
    index.store_skipped(skipped)
    known = index.note_stats() or {}
    if len(known) == len(files) and _stored_as_walked(index, files, known):
        mark = f"{index.generation()}:{_digest(walked, others)}"
        _keep_mark(index, mark, walked, _parts(walked), {})
    return index.stats(started, added=len(files))


def _read(
    index: Index,
    files: Sequence[FileStat],
    paths: Iterable[str],
    progress: Progress | None,
    attachments: set[str] | None = None,
) -> Generator[IndexRecord, None, None]:
    """Parsed records of `files`, their links resolved against `paths` (every note the
    index will hold) and `attachments` (every other file; default: as stored). In
    parallel when there are many; a generator, so the caller writes one batch while
    the workers parse the next."""
    if attachments is None:
        attachments = index.files()
    return read_records(index.settings, files, paths, progress, attachments)


def _remove_stale(paths: list[str]) -> None:
    """Temporary files of writes that were killed (never one still being written)."""
    if paths:
        from vault_crm.edit import remove_stale_temp

        for path in paths:
            remove_stale_temp(path)


def _unique(files: Iterable[FileStat]) -> list[FileStat]:
    seen: set[str] = set()
    out: list[FileStat] = []
    for f in files:
        if f.path not in seen:
            seen.add(f.path)
            out.append(f)
    return out


def apply_written(index: Index, written: Sequence[tuple[FileStat, IndexRecord]]) -> IndexStats:
    """Apply the records of new notes this process has just written (each with the
    (mtime, size) its file has now), as `refresh_paths` would after reading them again:
    in one transaction, and the kept walk brought up to date so that the next refresh
    compares just the parts that hold them. Only what changed is counted."""
    started = time.perf_counter()
    index.end_snapshot()
    before = index.generation()
    new_paths = {f.path for f, _rec in written}
    index.apply((rec for _f, rec in written), [], new_paths=new_paths)
    # Each record holds the (mtime, size) of its FileStat: no need to read them back.
    _patch_parts(index, before, [f for f, _rec in written], [], as_walked=True)
    return _changes(started, added=len(new_paths))

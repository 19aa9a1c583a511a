"""Note files → the records the index stores: read, parse and resolve each note, in a pool
of worker processes when there are many. Pure of SQL: the index writes what this yields.
SIGTERM and Ctrl-C stop the pool cleanly (`Terminated`)."""

from __future__ import annotations

import functools
import gc
import itertools
import json
import os
import re
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vault_crm import cjk
from vault_crm.config import Settings
from vault_crm.links import Resolver, is_attachment, link_key, nfc
from vault_crm.model import IndexRecord, Note, Problem
from vault_crm.scan import FileStat
from vault_crm.stopping import StopOnSignal

if TYPE_CHECKING:
    from concurrent.futures import Future

# Below this many changed notes, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400
# Batches handed to each worker ahead of the writer: enough that none waits for work.
IN_FLIGHT = 2
# A note's body is searchable up to here (notes.LARGE_NOTE_BYTES warns about larger ones).
MAX_SEARCHED_CHARS = 5_000_000

Progress = Callable[[int, int], None]


def _json_encoder() -> Callable[[Any], str]:
    """json.dumps(value, ensure_ascii=False), with its C encoder made once rather than on
    every call (a note needs up to five). Without the check for circular values: these are
    a note's parsed properties, which cannot hold themselves (load_yaml refuses them)."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False).encode
    fallback = json.JSONEncoder(ensure_ascii=False)
    # (markers, default, encoder, indent, key and item separators, sort_keys, skipkeys,
    # allow_nan), as JSONEncoder.iterencode passes them
    c_encode = make(
        None, fallback.default, encoder.encode_basestring, None, ": ", ", ", False, False, True
    )

    def to_json(value: Any) -> str:
        return "".join(c_encode(value, 0))

    return to_json


_to_json = _json_encoder()


def read_records(
    settings: Settings,
    files: Sequence[FileStat],
    paths: Iterable[str],
    progress: Progress | None,
    attachments: set[str],
    resolver: Resolver | None = None,
) -> Generator[IndexRecord, None, None]:
    """Parsed records of `files`, their links resolved against `paths` (every note the
    index will hold) and `attachments` (every other file), or by `resolver` when given
    (then in this process). In parallel when there are many; a
    generator, so the caller writes one batch while the workers parse the next."""
    total = len(files)
    vault = str(settings.vault)
    workers = min(os.cpu_count() or 1, 8)
    if total >= PARALLEL_THRESHOLD and workers > 1 and resolver is None:
        paths = list(paths)
        yield from _read_in_workers(settings, files, paths, progress, attachments, workers)
        return
    from vault_crm.notes import generated_pattern

    pattern = generated_pattern(settings)
    resolver = resolver or Resolver(paths, attachments)
    for i, f in enumerate(files, 1):
        rec = _read_one(vault, settings, f, pattern, resolver)
        if rec is not None:
            yield rec
        if progress and (i % 200 == 0 or i == total):
            progress(i, total)


def _read_in_workers(
    settings: Settings,
    files: Sequence[FileStat],
    paths: list[str],
    progress: Progress | None,
    attachments: set[str],
    workers: int,
) -> Generator[IndexRecord, None, None]:
    """`read_records` on `workers` worker processes, in the order of `files`. A worker
    that dies (killed, out of memory) costs time, not the result: the batches not yet
    read are read in this process."""
    # Imported here: most runs read a handful of notes and never need them.
    from concurrent.futures import wait

    from vault_crm.workers import WorkerDied, Workers

    total = len(files)
    vault = str(settings.vault)
    chunk = max(50, min(400, total // (workers * 6)))
    jobs = ((vault, settings, files[i : i + chunk]) for i in range(0, total, chunk))
    done = 0
    with StopOnSignal() as stop:
        # Left by an exception, a signal or the consumer closing this generator, the
        # pool drops the queued work and ends the workers now, not after the queue.
        with Workers(workers, _init_worker, (paths, sorted(attachments))) as pool:
            # At most IN_FLIGHT batches per worker are handed out and not yet written:
            # when the writer is slower than the workers, they wait for it instead of
            # piling parsed notes up in memory (the whole vault, on a large one).
            pending: deque[tuple[Future[list[tuple[Any, ...]]], Sequence[FileStat]]] = deque(
                (pool.submit(_parse_batch, job), job[2])
                for job in itertools.islice(jobs, IN_FLIGHT * workers)
            )
            while pending:
                future, batch_files = pending[0]
                # Short waits, so a signal is acted on within a moment.
                while not future.done():
                    wait([future], 0.2)
                    stop.check()
                stop.check()
                try:
                    batch = future.result()
                except WorkerDied:
                    pool.stop()
                    break
                pending.popleft()
                for job in itertools.islice(jobs, 1):
                    pending.append((pool.submit(_parse_batch, job), job[2]))
                done += len(batch_files)
                if progress:
                    progress(done, total)
                yield from map(_record, batch)
                del batch
            stop.check()
        if not pending:
            return
        # A worker died: what it and the others had not handed back is read here.
        rest = [f for _, batch_files in pending for f in batch_files]
        rest.extend(f for job in jobs for f in job[2])
        from vault_crm.notes import generated_pattern

        pattern = generated_pattern(settings)
        resolver = Resolver(paths, attachments)
        for f in rest:
            stop.check()
            rec = _read_one(vault, settings, f, pattern, resolver)
            if rec is not None:
                yield rec
            done += 1
            if progress and (done % 200 == 0 or done == total):
                progress(done, total)


def link_kind(target: str, resolved: str | None) -> int:
    """1 when a link is to an attachment: it resolved to a file that is not a note, or it
    resolved to nothing and names a file type Obsidian opens (`photo.png`)."""
    if resolved is not None:
        return int(not resolved.endswith(".md"))
    return int(is_attachment(target))


# Where an Excalidraw drawing's scene data starts: `%%` then `# Drawing` (or `## Drawing`
# under `# Excalidraw Data`), followed by the JSON that only the plugin reads.
_EXCALIDRAW_DATA = re.compile(r"^%%[ \t]*\r?\n#{1,2} Drawing[ \t]*\r?$", re.M)


def search_body(note: Note) -> str:
    """The text full-text search indexes: the body, without an Excalidraw drawing's scene
    JSON (coordinates and ids, not words; its text elements stay searchable)."""
    if "excalidraw-plugin" in note.props:
        m = _EXCALIDRAW_DATA.search(note.body)
        if m:
            return note.body[: m.start()]
    return note.body


def to_record(note: Note, resolver: Resolver) -> IndexRecord:
    prefetch = getattr(resolver, "prefetch", None)
    if prefetch is not None and len(note.links) > 1:
        # Resolved against the index (a refresh of a few notes): the titles a note with
        # many links names (the reconnect note: hundreds) in one query, not one by one.
        prefetch({link_key(ln.target) for ln in note.links if ln.target})
    props_text = _props_text(note.props)
    body = search_body(note)[:MAX_SEARCHED_CHARS]
    return IndexRecord(
        note.path,
        note.fspath,
        note.title,
        nfc(note.title).casefold(),
        note.kind,
        int(note.is_template),
        int(note.is_generated),
        note.mtime_ns,
        note.size,
        note.date.isoformat() if note.date else None,
        _to_json(note.props),
        _to_json(list(note.aliases)) if note.aliases else "[]",
        _to_json(list(note.tags)) if note.tags else "[]",
        _to_json(list(note.participant_names)) if note.participant_names else "[]",
        int(note.has_participant_props),
        _summary(note.body),
        " ".join(note.aliases),
        props_text,
        body,
        [
            (
                ln.target,
                link_key(ln.target) if ln.target else "",
                found,
                ln.line,
                ln.where,
                ln.prop,
                ln.subpath,
                ln.display,
                int(ln.embed),
                link_kind(ln.target, found),
            )
            for ln in note.links
            for found in (resolver.resolve(ln.target, note.path),)
        ],
        [nfc(t).casefold() for t in note.tags],
        [
            (t.line, t.text, int(t.checked), json.dumps(list(t.links)) if t.links else "[]")
            for t in note.tasks
        ],
        [(p.line, p.severity, p.message) for p in note.problems],
        (cjk.bigrams(note.title, " ".join(note.aliases)), cjk.bigrams(props_text, body)),
    )


def _read_one(
    vault: str, settings: Settings, f: FileStat, pattern: re.Pattern[str], resolver: Resolver
) -> IndexRecord | None:
    from vault_crm.notes import parse_note  # YAML and front-matter: only when parsing

    try:
        # os.path over pathlib here: this runs once per note on a full rebuild.
        data = read_bytes(os.path.join(vault, f.fspath), f.size)  # noqa: PTH118
    except FileNotFoundError:
        return None  # vanished between the walk and the read
    except OSError as exc:
        # Unreadable (permissions, an I/O error): listed by `vault check`, holding nothing,
        # and with no mtime so that the next refresh tries again.
        note = parse_note(f.path, b"", settings, fspath=f.fspath, generated=pattern)
        problem = Problem(note.path, None, "error", f"not read ({exc.strerror})")
        note = replace(note, kind="other", problems=(problem,))
        return to_record(note, resolver)
    note = parse_note(
        f.path, data, settings, fspath=f.fspath, mtime_ns=f.mtime_ns, generated=pattern
    )
    return to_record(note, resolver)


def read_bytes(path: str, size: int) -> bytes:
    """A file's bytes, in one system call when it is no bigger than the walk saw (`size`):
    os.read makes no buffered file object, which costs more than the read of a note."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size and size < _ONE_READ:
            return data  # a regular file's read returns less only at its end
        parts = [data]
        while more := os.read(fd, _ONE_READ):
            parts.append(more)
        return b"".join(parts)
    finally:
        os.close(fd)


# Below this size one read returns a whole file (the system caps one read near 2 GB).
_ONE_READ = 1 << 30


# Each worker process builds the resolver once, from the paths handed to its initializer.
_worker_resolver: Resolver | None = None


def _init_worker(paths: list[str], files: list[str]) -> None:
    global _worker_resolver
    _worker_resolver = Resolver(paths, files)


def _parse_batch(job: tuple[str, Settings, Sequence[FileStat]]) -> list[tuple[Any, ...]]:
    """A worker's records of these notes, as plain tuples: unpickled in the writer's
    process at half the cost of named ones (made records again by `_record`)."""
    from vault_crm.notes import generated_pattern

    vault, settings, files = job
    pattern = generated_pattern(settings)
    resolver = _worker_resolver or Resolver([])
    out = []
    # A worker process only parses, and parsing makes no cycles worth collecting: without
    # the cycle collector, which would walk the records each batch piles up (and all the
    # worker holds) again and again. (Left alone when called in the command's process.)
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        gc.disable()
    for f in files:
        rec = _read_one(vault, settings, f, pattern, resolver)
        if rec is not None:
            out.append(tuple(rec))
    return out


# An IndexRecord from a plain tuple, without the Python-level __new__ (once per note).
_record = functools.partial(tuple.__new__, IndexRecord)


def _props_text(props: dict[str, Any]) -> str:
    """Front-matter values as searchable text (keys left out: they are the same everywhere)."""
    parts: list[str] = []
    append = parts.append
    # Most values are strings or lists of strings: those are taken without the walk.
    for value in props.values():
        if type(value) is str:
            append(value)
        elif type(value) is list:
            for item in value:
                if type(item) is str:
                    append(item)
                else:
                    _value_text(item, parts)
        else:
            _value_text(value, parts)
    return " ".join(parts)


def _value_text(v: Any, parts: list[str]) -> None:
    """The strings of one property value, nested ones included, added to `parts`."""
    if isinstance(v, str):
        parts.append(v)
    elif isinstance(v, dict):
        for x in v.values():
            _value_text(x, parts)
    elif isinstance(v, list):
        for x in v:
            _value_text(x, parts)
    elif v is not None and not isinstance(v, bool):
        parts.append(str(v))


def plain_snippet(body: str, match: str, width: int = 60) -> str:
    """A snippet around the first place any word of the FTS `match` expression occurs
    (case-insensitive), marked like FTS5's; the body's start when none is found as typed."""
    words = [w.replace('""', '"') for w in re.findall(r'"((?:[^"]|"")*)"', match)]
    best: re.Match[str] | None = None
    for word in words:
        if word.strip():
            m = re.search(re.escape(word.strip()), body, re.IGNORECASE)
            if m and (best is None or m.start() < best.start()):
                best = m
    if best is None:
        return " ".join(body[: width * 2].split())
    start, end = max(0, best.start() - width), best.end() + width
    text = body[start : best.start()] + "\x02" + best.group(0) + "\x03" + body[best.end() : end]
    return ("…" if start else "") + text + ("…" if end < len(body) else "")


SUMMARY_LIMIT = 200


def _summary(body: str) -> str:
    """The first paragraph of prose: what a conversation was about, at a glance. Hard-wrapped
    lines are joined; a long paragraph is cut at a word boundary, with an ellipsis. Read
    line by line, so a long note is not split whole."""
    words: list[str] = []
    start = 0
    while start <= len(body):
        end = body.find("\n", start)
        line = body[start:] if end == -1 else body[start:end]
        start = len(body) + 1 if end == -1 else end + 1
        stripped = line.strip()
        if not stripped:
            if words:
                break
            continue
        marked = stripped[0] in "#>-*+"  # a heading, quote or list item stands alone
        text = stripped.lstrip("#>-*+ ").strip()
        skip = not text or text.startswith(("---", "```", "![[", "%%", "|")) or text == "[ ]"
        if words and (marked or skip):
            break
        if skip:
            continue
        words.append(text)
        if marked or sum(map(len, words)) > SUMMARY_LIMIT:
            break
    return _shorten(" ".join(words), SUMMARY_LIMIT)


def _shorten(text: str, limit: int) -> str:
    # Whitespace runs made single spaces: of only the start when that is long enough (the
    # same characters as the whole text's start; a long paragraph is not split whole).
    head = " ".join(text[: 2 * limit].split()) if len(text) > 2 * limit else ""
    text = head if len(head) > limit else " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"

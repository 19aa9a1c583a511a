"""The index: a disposable SQLite cache of the vault (WAL, FTS5). The only sqlite3 user.

Refresh is a diff (zk's design): walk the vault, compare (mtime_ns, size) with what the
index holds, re-read only what changed, and apply everything in one short transaction.
A full rebuild is built in a temporary file and moved into place (pre-commit's store), so
an interrupted rebuild never leaves half a database behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import re
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from vault_crm import cjk
from vault_crm.config import Settings
from vault_crm.errors import IndexUnavailable, QueryError
from vault_crm.links import Resolver, file_key, nfc
from vault_crm.model import (
    ConversationRow,
    IndexRecord,
    IndexStats,
    LinkRow,
    NoteRow,
    Problem,
)
from vault_crm.records import Progress, link_kind, plain_snippet, read_records
from vault_crm.scan import FileStat, diff, walk

SCHEMA_VERSION = 5  # 5: summaries join hard-wrapped lines; attachments (files table)
BUSY_TIMEOUT_MS = 15_000
# The person properties `vault who` and `vault intros` read, one FTS row each.
PROFILE_FIELDS = ("known_for", "working_on", "needs", "role", "company", "tags")
# FTS5's snippet() is quadratic in the matches within one note: larger notes get a snippet
# cut here, in one linear pass.
SNIPPET_MAX_BYTES = 32_000


_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE notes(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    fspath TEXT NOT NULL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    is_template INTEGER NOT NULL,
    is_generated INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    date TEXT,
    props TEXT NOT NULL,
    aliases TEXT NOT NULL,
    tags TEXT NOT NULL,
    participant_names TEXT NOT NULL,
    has_participants INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE links(
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    target_key TEXT NOT NULL,
    resolved TEXT,
    line INTEGER NOT NULL,
    place TEXT NOT NULL,
    prop TEXT,
    subpath TEXT,
    display TEXT,
    embed INTEGER NOT NULL,
    attachment INTEGER NOT NULL
);
CREATE TABLE tags(path TEXT NOT NULL, tag TEXT NOT NULL);
-- every file in the vault that is not a note (attachments), so links to them resolve
CREATE TABLE files(path TEXT PRIMARY KEY);
CREATE TABLE tasks(
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    text TEXT NOT NULL,
    checked INTEGER NOT NULL,
    links TEXT NOT NULL
);
CREATE TABLE problems(
    path TEXT NOT NULL,
    line INTEGER,
    severity TEXT NOT NULL,
    message TEXT NOT NULL
);
-- who took part in each dated conversation or was mentioned in a daily note; the
-- note's date and kind are copied here so "last contact" needs no join
CREATE TABLE participants(
    source TEXT NOT NULL,
    person TEXT NOT NULL,
    date TEXT,
    kind TEXT NOT NULL
);
CREATE TABLE graph_problems(
    path TEXT NOT NULL,
    line INTEGER,
    severity TEXT NOT NULL,
    message TEXT NOT NULL
);
-- cjk_title, cjk: the CJK text of title and aliases, and of props and body, as
-- overlapping bigrams (see cjk.py)
CREATE VIRTUAL TABLE fts USING fts5(
    title, aliases, props, body, cjk_title, cjk,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# Built after a bulk load: building them once is cheaper than maintaining them per row.
_SECONDARY = """
CREATE INDEX IF NOT EXISTS notes_kind ON notes(kind);
CREATE INDEX IF NOT EXISTS notes_title_key ON notes(title_key);
CREATE INDEX IF NOT EXISTS links_source ON links(source);
CREATE INDEX IF NOT EXISTS links_resolved ON links(resolved);
CREATE INDEX IF NOT EXISTS links_key ON links(target_key);
CREATE INDEX IF NOT EXISTS tags_path ON tags(path);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tasks_path ON tasks(path);
CREATE INDEX IF NOT EXISTS problems_path ON problems(path);
CREATE INDEX IF NOT EXISTS participants_source ON participants(source);
CREATE INDEX IF NOT EXISTS participants_person ON participants(person, date);
"""


# --- where the index lives -----------------------------------------------------------


def cache_root(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get("VAULT_CRM_CACHE"):
        return Path(env["VAULT_CRM_CACHE"]).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "vault-crm"
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "vault-crm"
    return Path.home() / ".cache" / "vault-crm"


def vault_cache_dir(vault: Path, root: Path | None = None) -> Path:
    """One folder per vault, keyed by the vault's real path (so two vaults with the same
    name never share an index, and a symlinked vault path finds the same one)."""
    real = str(vault.resolve())
    digest = hashlib.sha256(real.encode()).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", vault.resolve().name)[:40] or "vault"
    return (root or cache_root()) / f"{name}-{digest}"


# --- the database --------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _check_fts5() -> None:
    try:
        probe = sqlite3.connect(":memory:")
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        probe.close()
    except sqlite3.OperationalError:
        raise IndexUnavailable(
            f"this Python's SQLite ({sqlite3.sqlite_version}) was built without FTS5, "
            "which vault-crm needs for its index; use a Python whose sqlite3 has FTS5 "
            "(python.org and most distributions' builds do)"
        ) from None


_TABLES = set(re.findall(r"CREATE (?:VIRTUAL )?TABLE (\w+)", _SCHEMA))


def _private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm
    files the same mode), or make an existing one so."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


_F = TypeVar("_F", bound=Callable[..., Any])


def _fts_query(method: _F) -> _F:
    """A full-text expression SQLite refuses becomes a QueryError with its reason: the
    caller says what was looked for, and no sqlite3 error leaves the index."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise QueryError(str(exc)) from None

    return cast(_F, wrapper)


class Index:
    """An open index for one vault. Use `Index.open(settings)` and `close()` (or `with`)."""

    def __init__(self, settings: Settings, path: Path, conn: sqlite3.Connection) -> None:
        self.settings = settings
        self.path = path
        self.conn = conn

    # -- lifecycle --

    @classmethod
    def open(cls, settings: Settings, cache: Path | None = None) -> Index:
        _check_fts5()
        folder = vault_cache_dir(settings.vault, cache)
        path = folder / "index.sqlite"
        try:
            # Private: the index holds the notes' text. The folder 0700, the files 0600.
            folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            if stat.S_IMODE(folder.stat().st_mode) & 0o077:
                folder.chmod(0o700)
            conn = cls._open_valid(path, settings)
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise IndexUnavailable(
                f"cannot use the index at {path} ({reason}); make its folder writable,"
                " or set VAULT_CRM_CACHE to another folder"
            ) from None
        return cls(settings, path, conn)

    @staticmethod
    def _open_valid(path: Path, settings: Settings) -> sqlite3.Connection:
        """Open the index, or start a new empty one when it is missing, corrupt, of another
        schema version or built with other settings."""
        if path.exists():
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way of the index file")
            try:
                conn = _connect(path)
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
                if (
                    meta.get("schema") == str(SCHEMA_VERSION)
                    and meta.get("settings") == settings.fingerprint()
                    and tables >= _TABLES
                ):
                    _private(path)
                    return conn
                conn.close()
            except sqlite3.DatabaseError:
                pass
            _remove_db(path)
        return Index._create(path, settings)

    @staticmethod
    def _create(path: Path, settings: Settings) -> sqlite3.Connection:
        _private(path)
        conn = _connect(path)
        conn.executescript(_SCHEMA + _SECONDARY)
        _write_meta(conn, settings)
        return conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- refresh --

    def refresh(self, progress: Progress | None = None, *, rebuild: bool = False) -> IndexStats:
        """Bring the index up to date with the vault; return counts."""
        started = time.perf_counter()
        self.end_snapshot()
        if rebuild:
            return self._rebuild(progress, started)
        try:
            known = {
                p: (m, s) for p, m, s in self.conn.execute("SELECT path, mtime_ns, size FROM notes")
            }
        except sqlite3.DatabaseError:
            # Corrupt beyond the header check at open: start again from nothing.
            return self._rebuild(progress, started)
        others: list[str] = []
        skipped: list[tuple[str, str, str]] = []
        stale: list[str] = []
        d = diff(walk(self.settings.vault, self.settings, others, skipped, stale), known)
        files = set(others)
        if d.empty and files == self.files():
            stats = self.stats(started)
        else:
            stats = self._apply_diff(d.changed, d.removed, known, progress, started, files)
        self._store_skipped(skipped)
        _remove_stale(stale)
        return stats

    def _store_skipped(self, skipped: list[tuple[str, str, str]]) -> None:
        """Remember what the last walk passed over, for `vault check` (kept in `meta`)."""
        value = json.dumps(sorted(skipped), ensure_ascii=False)
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'skipped'").fetchone()
        if (row[0] if row else "[]") != value:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('skipped', ?)", (value,)
            )

    def refresh_paths(self, rel_paths: Iterable[str]) -> IndexStats:
        """Re-stat just these vault-relative paths (as the file system spells them) and
        apply what changed: the daemon's path for a batch of file events."""
        from stat import S_ISREG

        from vault_crm.scan import ignore_matcher, inside, is_candidate

        started = time.perf_counter()
        self.end_snapshot()
        ignored = ignore_matcher(self.settings)
        changed: list[FileStat] = []
        gone: list[str] = []
        wanted = {nfc(r): r for r in rel_paths if is_candidate(r, self.settings, ignored)}
        known = {
            p: (m, s)
            for p, m, s in self.conn.execute(
                "SELECT path, mtime_ns, size FROM notes WHERE path IN"
                " (SELECT value FROM json_each(?))",
                (json.dumps(sorted(wanted)),),
            )
        }
        for path, rel in sorted(wanted.items()):
            full = os.path.join(self.settings.vault, rel)  # noqa: PTH118
            try:
                st = os.stat(full)  # noqa: PTH116
                regular = S_ISREG(st.st_mode) and inside(self.settings.vault, full)
            except OSError:
                regular = False
            if not regular:
                if path in known:
                    gone.append(path)
            elif known.get(path) != (st.st_mtime_ns, st.st_size):
                changed.append(FileStat(path, rel, st.st_mtime_ns, st.st_size))
        # Attachments that came or went change the links to them.
        stored = self.files()
        files = set(stored)
        for rel in rel_paths:
            if rel.endswith(".md") or not is_candidate(
                rel, self.settings, ignored, notes_only=False
            ):
                continue
            if os.path.isfile(os.path.join(self.settings.vault, rel)):  # noqa: PTH113, PTH118
                files.add(nfc(rel))
            else:
                files.discard(nfc(rel))
        all_known = dict.fromkeys(self.all_paths(), (0, 0))
        return self._apply_diff(
            changed, gone, all_known, None, started, files if files != stored else None
        )

    def _apply_diff(
        self,
        changed: Sequence[FileStat],
        removed: Sequence[str],
        known: dict[str, tuple[int, int]],
        progress: Progress | None,
        started: float,
        files: set[str] | None = None,
    ) -> IndexStats:
        if not changed and not removed and files is None:
            return self.stats(started)
        new_paths = {f.path for f in changed} - known.keys()
        paths = (known.keys() - set(removed)) | new_paths
        records = self._read(changed, paths, progress, files)
        with contextlib.closing(records):
            self.apply(records, removed, new_paths=new_paths, files=files)
        return self.stats(
            started,
            added=len(new_paths),
            updated=len(changed) - len(new_paths),
            removed=len(removed),
        )

    def _rebuild(self, progress: Progress | None, started: float) -> IndexStats:
        others: list[str] = []
        skipped: list[tuple[str, str, str]] = []
        stale: list[str] = []
        files = _unique(walk(self.settings.vault, self.settings, others, skipped, stale))
        _remove_stale(stale)
        tmp = self.path.with_name(self.path.name + ".new")
        _remove_db(tmp)
        _private(tmp)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A private file until it is moved into place: no journal needed, and a crash
            # just leaves a stray temp file that the next rebuild deletes.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.executescript(_SCHEMA)
            _write_meta(conn, self.settings)
            old, self.conn = self.conn, conn
            try:
                paths = [f.path for f in files]
                attachments = set(others)
                records = self._read(files, paths, progress, attachments)
                with contextlib.closing(records):
                    self.apply(records, [], new_paths=None, files=attachments)
            finally:
                self.conn = old
            conn.executescript(_SECONDARY)
            conn.close()
        except BaseException:
            conn.close()
            _remove_db(tmp)
            raise
        self.conn.close()
        _remove_db(self.path)
        tmp.replace(self.path)
        self.conn = _connect(self.path)
        self._store_skipped(skipped)
        return self.stats(started, added=len(files))

    def _read(
        self,
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
            attachments = self.files()
        return read_records(self.settings, files, paths, progress, attachments)

    def apply(
        self,
        records: Iterable[IndexRecord],
        removed: Iterable[str],
        new_paths: set[str] | None,
        files: set[str] | None = None,
    ) -> None:
        """Apply parsed notes and removals in one transaction: write rows in batches,
        resolve links, then recompute who took part in what. `new_paths` None means the
        index was empty (a bulk load): resolve everything. `files`, when given, is every
        non-note file now in the vault: links to any that came or went are resolved again."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            gone = [
                (path, title, kind)
                for path in removed
                for title, kind in conn.execute(
                    "SELECT title, kind FROM notes WHERE path = ?", (path,)
                ).fetchall()
            ]
            # People as they were before this change: the paths and names of those
            # changed or removed (a conversation naming them may now name someone else).
            people: set[str] = set()
            names: set[str] = set()
            if new_paths is not None:
                self._people_names([g[0] for g in gone], people, names)
            self._delete([g[0] for g in gone])
            (next_id,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM notes").fetchone()
            keys = {nfc(title).casefold() for _path, title, _kind in gone}
            graph_kinds = {kind for _path, _title, kind in gone}
            # The notes whose participants may differ: each one written or removed, and
            # each one with a link resolved again below.
            touched = {g[0] for g in gone}
            batch: list[IndexRecord] = []
            for rec in records:
                touched.add(rec.path)
                batch.append(rec)
                if len(batch) >= 500:
                    if new_paths is not None:
                        self._people_names([r.path for r in batch], people, names)
                    graph_kinds |= self._write(batch, next_id, replace=new_paths is not None)
                    next_id += len(batch)
                    batch = []
            if batch:
                if new_paths is not None:
                    self._people_names([r.path for r in batch], people, names)
                graph_kinds |= self._write(batch, next_id, replace=new_paths is not None)
            if files is not None:
                stored = self.files()
                came, went = files - stored, stored - files
                conn.executemany("DELETE FROM files WHERE path = ?", [(f,) for f in went])
                conn.executemany("INSERT INTO files(path) VALUES (?)", [(f,) for f in came])
                keys |= {file_key(f) for f in came | went}
            if new_paths:
                keys |= {
                    t
                    for (t,) in conn.execute(
                        "SELECT title_key FROM notes WHERE path IN"
                        " (SELECT value FROM json_each(?))",
                        (json.dumps(sorted(new_paths)),),
                    )
                }
            # The new records came resolved; links elsewhere that may point at a note that
            # appeared or vanished are resolved again.
            if new_paths is not None and keys:
                resolver = Resolver(
                    (p for (p,) in conn.execute("SELECT path FROM notes")), self.files()
                )
                for part in _chunks(sorted(keys), 500):
                    touched |= self._resolve(
                        resolver,
                        "SELECT rowid, source, target FROM links WHERE"
                        " target_key IN (SELECT value FROM json_each(?))",
                        (json.dumps(list(part)),),
                    )
            if new_paths is None:
                self._rebuild_graph()
            elif "person" in graph_kinds:
                # People came, went or changed (names, aliases): the conversations that
                # named them, by path or by any name they had or have, are worked out again.
                self._people_names(sorted(touched), people, names)
                self._update_graph(touched | self._naming(people, names), people=True)
            elif touched:
                self._update_graph(touched)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _resolve(self, resolver: Resolver, sql: str, args: Sequence[str]) -> set[str]:
        """Resolve the links `sql` selects again; return the notes holding them."""
        rows = self.conn.execute(sql, args).fetchall()
        updates = []
        for rowid, source, target in rows:
            found = resolver.resolve(target, source)
            updates.append((found, link_kind(target, found), rowid))
        self.conn.executemany(
            "UPDATE links SET resolved = ?, attachment = ? WHERE rowid = ?", updates
        )
        return {source for _rowid, source, _target in rows}

    def _delete(self, paths: Sequence[str]) -> None:
        c = self.conn
        for part in _chunks(list(paths), 500):
            arg = (json.dumps(list(part)),)
            inside = "(SELECT value FROM json_each(?))"
            c.execute(
                f"DELETE FROM fts WHERE rowid IN (SELECT id FROM notes WHERE path IN {inside})", arg
            )
            c.execute(f"DELETE FROM notes WHERE path IN {inside}", arg)
            for table, col in (
                ("links", "source"),
                ("tags", "path"),
                ("tasks", "path"),
                ("problems", "path"),
            ):
                c.execute(f"DELETE FROM {table} WHERE {col} IN {inside}", arg)

    def _write(self, batch: Sequence[IndexRecord], first_id: int, *, replace: bool) -> set[str]:
        """Insert a batch of records (replacing their old rows); return the kinds touched,
        old and new, so the caller knows whether the people graph needs recomputing."""
        c = self.conn
        kinds = {r.kind for r in batch}
        if replace:
            paths = [r.path for r in batch]
            kinds |= {
                k
                for (k,) in c.execute(
                    "SELECT DISTINCT kind FROM notes WHERE path IN"
                    " (SELECT value FROM json_each(?))",
                    (json.dumps(paths),),
                )
            }
            self._delete(paths)
        ids = range(first_id, first_id + len(batch))
        c.executemany(
            "INSERT INTO notes(id, path, fspath, title, title_key, kind, is_template,"
            " is_generated, mtime_ns, size, date, props, aliases, tags, participant_names,"
            " has_participants, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(i, *r[:16]) for i, r in zip(ids, batch, strict=True)],
        )
        c.executemany(
            "INSERT INTO fts(rowid, title, aliases, props, body, cjk_title, cjk)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (i, r.title, r.aliases_text, r.props_text, r.body, *r.cjk)
                for i, r in zip(ids, batch, strict=True)
            ],
        )
        c.executemany(
            "INSERT INTO links(source, target, target_key, resolved, line, place, prop, subpath,"
            " display, embed, attachment) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(r.path, *ln) for r in batch for ln in r.links],
        )
        c.executemany(
            "INSERT INTO tags(path, tag) VALUES (?, ?)",
            [(r.path, t) for r in batch for t in r.tag_keys],
        )
        c.executemany(
            "INSERT INTO tasks(path, line, text, checked, links) VALUES (?,?,?,?,?)",
            [(r.path, *t) for r in batch for t in r.tasks],
        )
        c.executemany(
            "INSERT INTO problems(path, line, severity, message) VALUES (?,?,?,?)",
            [(r.path, *p) for r in batch for p in r.problems],
        )
        return kinds

    def _rebuild_graph(self) -> None:
        """Who took part in each conversation (and which people a daily note mentions),
        and the problems only the whole vault shows: stored, so reads need not redo it."""
        from vault_crm.contacts import build_graph, load_people

        rows = self.conversation_rows()
        graph = build_graph(load_people(self), rows, self.contact_links(), self.settings)
        notes = {r.path: r for r in rows}
        c = self.conn
        c.execute("DELETE FROM participants")
        c.execute("DELETE FROM graph_problems")
        c.executemany(
            "INSERT INTO participants(source, person, date, kind) VALUES (?, ?, ?, ?)",
            [
                (conv, person, notes[conv].date, notes[conv].kind)
                for conv, people in graph.participants.items()
                for person in people
            ],
        )
        c.executemany(
            "INSERT INTO graph_problems(path, line, severity, message) VALUES (?,?,?,?)",
            [(p.path, p.line, p.severity, p.message) for p in graph.problems],
        )

    def _people_names(self, paths: Sequence[str], people: set[str], names: set[str]) -> None:
        """Add the person notes among `paths` to `people`, and every name they are known
        by (display name, file title, aliases; as `contacts.name_key` spells them) to
        `names`."""
        from vault_crm.contacts import display_name, name_key

        for part in _chunks(list(paths), 500):
            for r in self._notes(
                "kind = 'person' AND is_template = 0 AND is_generated = 0"
                " AND path IN (SELECT value FROM json_each(?))",
                (json.dumps(list(part)),),
            ):
                people.add(r.path)
                for name in (r.title, display_name(r.title, r.props), *r.aliases):
                    names.add(name_key(name))

    def _naming(self, people: set[str], names: set[str]) -> set[str]:
        """The notes that may name one of `people` or one of `names`: a participant row,
        a link to one of the people or with one of the names as its target, or a
        participant name."""
        from vault_crm.contacts import name_key

        c = self.conn
        found: set[str] = set()
        for part in _chunks(sorted(people), 500):
            arg = (json.dumps(list(part)),)
            found |= {
                s
                for (s,) in c.execute(
                    "SELECT source FROM participants WHERE person IN"
                    " (SELECT value FROM json_each(?)) UNION"
                    " SELECT source FROM links WHERE resolved IN (SELECT value FROM json_each(?))",
                    arg * 2,
                )
            }
        for part in _chunks(sorted(names), 500):
            found |= {
                s
                for (s,) in c.execute(
                    "SELECT source FROM links WHERE target_key IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(part)),),
                )
            }
        for path, listed in c.execute(
            "SELECT path, participant_names FROM notes WHERE participant_names != '[]'"
        ):
            if any(name_key(n) in names for n in json.loads(listed)):
                found.add(path)
        return found

    def _update_graph(self, sources: set[str], *, people: bool = False) -> None:
        """Participants and problems of just these notes: who took part in a conversation
        depends only on its own rows and links, and on the people. With `people` (people
        changed), the clashes between people's aliases are worked out again too."""
        from vault_crm.contacts import Person, build_graph, display_name, name_key

        # Just what matching names needs (not every person's properties, as load_people).
        everyone = []
        for path, title, aliases, name in self.conn.execute(
            "SELECT path, title, aliases, CASE json_type(props, '$.name') WHEN 'text'"
            " THEN json_extract(props, '$.name') END FROM notes"
            " WHERE kind = 'person' AND is_template = 0 AND is_generated = 0"
        ):
            shown = display_name(title, {"name": name})
            stem = title if name_key(shown) != name_key(title) else ""
            everyone.append(Person(path, shown, tuple(json.loads(aliases)), (), {}, stem))
        persons = {p.path for p in everyone}
        wanted = sorted(sources if people else sources - persons)
        c = self.conn
        for part in _chunks(wanted, 500):
            arg = (json.dumps(list(part)),)
            c.execute(
                "DELETE FROM participants WHERE source IN (SELECT value FROM json_each(?))", arg
            )
            c.execute(
                "DELETE FROM graph_problems WHERE path IN (SELECT value FROM json_each(?))", arg
            )
            rows = self.conversation_rows(part)
            graph = build_graph(everyone, rows, self.contact_links(part), self.settings)
            notes = {r.path: r for r in rows}
            c.executemany(
                "INSERT INTO participants(source, person, date, kind) VALUES (?, ?, ?, ?)",
                [
                    (conv, person, notes[conv].date, notes[conv].kind)
                    for conv, found in graph.participants.items()
                    for person in found
                ],
            )
            # The alias clashes build_graph reports belong to person notes: unchanged.
            c.executemany(
                "INSERT INTO graph_problems(path, line, severity, message) VALUES (?,?,?,?)",
                [
                    (p.path, p.line, p.severity, p.message)
                    for p in graph.problems
                    if p.path in notes
                ],
            )
        if people:
            c.execute(
                "DELETE FROM graph_problems WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(persons)),),
            )
            clashes = build_graph(everyone, [], [], self.settings).problems
            c.executemany(
                "INSERT INTO graph_problems(path, line, severity, message) VALUES (?,?,?,?)",
                [(p.path, p.line, p.severity, p.message) for p in clashes],
            )

    # -- queries --

    def stats(
        self, started: float, added: int = 0, updated: int = 0, removed: int = 0
    ) -> IndexStats:
        c = self.conn
        counts = dict(
            c.execute(
                "SELECT kind, count(*) FROM notes WHERE is_template = 0 AND is_generated = 0"
                " GROUP BY kind"
            ).fetchall()
        )
        (notes,) = c.execute("SELECT count(*) FROM notes").fetchone()
        (links,) = c.execute("SELECT count(*) FROM links").fetchone()
        (unresolved,) = c.execute("SELECT count(*) FROM links WHERE resolved IS NULL").fetchone()
        return IndexStats(
            notes=notes,
            people=counts.get("person", 0),
            conversations=counts.get("conversation", 0),
            links=links,
            unresolved=unresolved,
            problems=0,  # filled in by the caller, who adds problems found across notes
            seconds=round(time.perf_counter() - started, 3),
            added=added,
            updated=updated,
            removed=removed,
        )

    def problems(self) -> list[Problem]:
        """Every problem: those found reading each note, those across notes, and the
        files and folders the walk could not read."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'skipped'").fetchone()
        walked = json.loads(row[0]) if row else []
        skipped = [Problem(item[0], None, item[-2], item[-1]) for item in walked if len(item) == 3]
        return skipped + [
            Problem(path, line, severity, message)
            for path, line, severity, message in self.conn.execute(
                "SELECT path, line, severity, message FROM problems UNION ALL"
                " SELECT path, line, severity, message FROM graph_problems"
            )
        ]

    def contacts(
        self, today: str | None = None, person: str | None = None
    ) -> list[tuple[str, str, str, str, str, str, str | None]]:
        """(person, date, path, title, kind, summary, channel) of dated conversations and
        daily notes a person took part in or was mentioned in.

        With `today`, only the rows the due rules look at: per person the latest contact,
        the latest conversation (both on or before today) and the next scheduled one;
        with `person`, all of one person's."""
        base = (
            "SELECT p.person, n.date, n.path, n.title, n.kind, n.summary,"
            " json_extract(n.props, '$.channel') AS channel"
            " FROM participants p JOIN notes n ON n.path = p.source"
            " WHERE n.date IS NOT NULL"
        )
        if person is not None:
            return self.conn.execute(base + " AND p.person = ?", (person,)).fetchall()
        if today is None:
            return self.conn.execute(base).fetchall()
        with self.snapshot():
            return self._latest_contacts(today)

    def begin_snapshot(self) -> None:
        """From here on, reads see the index as it is now (until a refresh or close)."""
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")

    def end_snapshot(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the index, whatever the daemon commits meanwhile."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def _latest_contacts(self, today: str) -> list[tuple[str, str, str, str, str, str, str | None]]:
        # One pass: per person, the latest contact (a conversation first on the same day),
        # the latest conversation, and the next scheduled one, each as "date␟...␟path" so
        # that max()/min() pick deterministically; then their details in a second query.
        sep = "char(31)"
        picks = self.conn.execute(
            f"""SELECT person,
                max(CASE WHEN date <= :t THEN
                    date || {sep} || (kind = 'conversation') || {sep} || source END),
                max(CASE WHEN date <= :t AND kind = 'conversation' THEN
                    date || {sep} || source END),
                min(CASE WHEN date > :t AND kind = 'conversation' THEN
                    date || {sep} || source END)
            FROM participants WHERE date IS NOT NULL GROUP BY person""",
            {"t": today},
        ).fetchall()
        wanted: list[tuple[str, str]] = []
        for person, *keys in picks:
            for key in keys:
                if key:
                    wanted.append((person, key.rsplit("\x1f", 1)[1]))
        details = {
            r[0]: r
            for r in self.conn.execute(
                "SELECT path, date, title, kind, summary, json_extract(props, '$.channel')"
                " FROM notes WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted({path for _p, path in wanted})),),
            )
        }
        rows = []
        for person, path in dict.fromkeys(wanted):
            d = details[path]
            rows.append((person, d[1], d[0], d[2], d[3], d[4], d[5]))
        return rows

    def open_followups(
        self, people: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, str, str | None, str]]:
        """(person, path, line, text, date, title) for each unchecked task in a
        conversation note, once for each participant and each person linked on the task's
        line; only for `people` when given."""
        keep = (
            "IN (SELECT value FROM json_each(:people))"
            if people is not None
            else "IN (SELECT path FROM notes WHERE kind = 'person')"
        )
        sql = f"""
            WITH t AS (SELECT t.path, t.line, t.text, n.date, n.title FROM tasks t
                JOIN notes n ON n.path = t.path
                WHERE t.checked = 0 AND n.kind = 'conversation' AND n.is_template = 0
                AND n.is_generated = 0)
            SELECT p.person, t.path, t.line, t.text, t.date, t.title FROM t
                JOIN participants p ON p.source = t.path WHERE p.person {keep}
            UNION
            SELECT l.resolved, t.path, t.line, t.text, t.date, t.title FROM t
                JOIN links l ON l.source = t.path AND l.line = t.line AND l.place = 'body'
                WHERE l.resolved {keep}
        """
        return self.conn.execute(sql, {"people": json.dumps(list(people or []))}).fetchall()

    def person_notes(self, *, with_generated: bool = False) -> list[NoteRow]:
        """The person notes (templates never; generated ones only if asked)."""
        where = "kind = 'person' AND is_template = 0"
        return self._notes(where if with_generated else where + " AND is_generated = 0")

    def person_fspaths(self) -> dict[str, str]:
        """Each person note's vault path → its path as the file system spells it."""
        rows = self.conn.execute("SELECT path, fspath FROM notes WHERE kind = 'person'")
        return dict(rows.fetchall())

    def fspath(self, path: str) -> str | None:
        """A note's path as the file system spells it (None: not in the index)."""
        row = self.conn.execute("SELECT fspath FROM notes WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def notes_with_source(self, prefix: str) -> list[NoteRow]:
        """Notes whose `source` property starts with `prefix` (`ics:`: what a calendar
        import wrote)."""
        return self._notes("json_extract(props, '$.source') LIKE ? ESCAPE '\\'", (_like(prefix),))

    def generated_paths(self) -> set[str]:
        """The notes the tool itself writes (reconnect list, report)."""
        return {r.path for r in self._notes("is_generated = 1")}

    def _notes(self, where: str, args: Sequence[Any] = ()) -> list[NoteRow]:
        rows = self.conn.execute(
            "SELECT path, title, kind, date, props, aliases, tags, participant_names,"
            f" has_participants, is_generated, is_template, summary FROM notes WHERE {where}",
            args,
        ).fetchall()
        return [
            NoteRow(
                path=r[0],
                title=r[1],
                kind=r[2],
                date=r[3],
                props=json.loads(r[4]),
                aliases=json.loads(r[5]),
                tags=json.loads(r[6]),
                participant_names=json.loads(r[7]),
                has_participants=bool(r[8]),
                is_generated=bool(r[9]),
                is_template=bool(r[10]),
                summary=r[11],
            )
            for r in rows
        ]

    def conversation_rows(self, paths: Sequence[str] | None = None) -> list[ConversationRow]:
        """Conversations and daily notes: everything that can be a contact (of `paths`
        only, when given)."""
        only = "" if paths is None else " AND path IN (SELECT value FROM json_each(?))"
        return [
            ConversationRow(
                r[0],
                r[1],
                r[2],
                r[3],
                tuple(json.loads(r[4])),
                bool(r[5]),
                r[6],
                r[7] if isinstance(r[7], str) else None,
            )
            for r in self.conn.execute(
                "SELECT path, title, kind, date, participant_names, has_participants, summary,"
                " json_extract(props, '$.channel') FROM notes"
                " WHERE kind IN ('conversation', 'daily') AND is_template = 0 AND is_generated = 0"
                + only,
                () if paths is None else (json.dumps(list(paths)),),
            )
        ]

    def contact_links(self, sources: Sequence[str] | None = None) -> list[LinkRow]:
        """The links of conversations and daily notes (participants and mentions); of
        `sources` only, when given."""
        only = "" if sources is None else " AND l.source IN (SELECT value FROM json_each(?))"
        return [
            LinkRow(*r)
            for r in self.conn.execute(
                "SELECT l.source, l.target, l.resolved, l.line, l.place, l.prop FROM links l"
                " JOIN notes n ON n.path = l.source"
                " WHERE n.kind IN ('conversation', 'daily') AND n.is_template = 0"
                " AND n.is_generated = 0 AND l.attachment = 0" + only,
                () if sources is None else (json.dumps(list(sources)),),
            )
        ]

    @_fts_query
    def search(
        self,
        match: str | None,
        exclude: Sequence[str],
        *,
        kinds: Sequence[str] = (),
        tags: Sequence[str] = (),
        with_people: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        limit: int = 20,
    ) -> list[tuple[str, str, str, str | None, float, str]]:
        """Ranked full-text search: (path, title, kind, date, score, snippet), best
        first. `match` is an FTS5 expression built by `query.parse_query` (never raw user
        text). Title and alias matches weigh more than property and body matches."""
        where: list[str] = ["1"]
        args: list[Any] = []
        if kinds:
            where.append(f"n.kind IN ({','.join('?' * len(kinds))})")
            args += list(kinds)
        for tag in tags:
            where.append(
                "EXISTS (SELECT 1 FROM tags t WHERE t.path = n.path AND"
                " (t.tag = ? OR substr(t.tag, 1, length(?) + 1) = ? || '/'))"
            )
            args += [tag, tag, tag]
        for person in with_people:
            where.append(
                "n.path IN (SELECT source FROM participants WHERE person = ?"
                " AND kind = 'conversation')"
            )
            args.append(person)
        if since:
            where.append("n.date >= ?")
            args.append(since)
        if until:
            where.append("n.date <= ?")
            args.append(until)
        for phrase in exclude:
            where.append("n.id NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            args.append(phrase)
        filters = " AND ".join(f"({w})" for w in where)
        if match is None:
            sql = (
                f"SELECT n.path, {_SHOWN_TITLE}, n.kind, n.date, 0.0, n.summary FROM notes n"
                f" WHERE {filters} ORDER BY n.kind = 'person' DESC, n.date DESC, n.title_key"
                " LIMIT ?"
            )
            return self.conn.execute(sql, [*args, limit]).fetchall()
        # A match in the title or an alias always ranks first: BM25 alone cannot promise
        # that (a word found in most notes of a small vault scores next to nothing).
        sql = (
            f"SELECT n.path, {_SHOWN_TITLE}, n.kind, n.date,"
            " -bm25(fts, 10.0, 6.0, 2.0, 1.0, 10.0, 1.0) AS score,"
            f" CASE WHEN n.size <= {SNIPPET_MAX_BYTES}"
            " THEN snippet(fts, -1, char(2), char(3), '…', 14) END,"
            " fts.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?) AS named,"
            f" {'fts.body' if cjk.has_cjk(match) else 'NULL'}"
            " FROM fts JOIN notes n ON n.id = fts.rowid"
            f" WHERE fts MATCH ? AND {filters}"
            " ORDER BY named DESC, round(score, 6) DESC, n.kind = 'person' DESC, n.title_key"
            " LIMIT ?"
        )
        named = "{title aliases cjk_title} : (" + match + ")"
        rows = self.conn.execute(sql, [named, match, *args, limit]).fetchall()
        # A CJK word may have matched only in the bigram column: show it in the note's text.
        words = cjk.runs(match) if cjk.has_cjk(match) else None
        out = []
        for r in rows:
            snippet = r[5]
            if words is not None:
                snippet = cjk.snippet(r[7] or "", words) or snippet
            if snippet is None:  # a large note: cut in one linear pass, not by FTS5
                body = self.conn.execute(
                    "SELECT body FROM fts WHERE rowid = (SELECT id FROM notes WHERE path = ?)",
                    (r[0],),
                ).fetchone()
                snippet = plain_snippet(body[0] if body else "", match)
            out.append((*r[:5], snippet))
        return out

    def outgoing(self, path: str) -> list[tuple[str, str | None, int, str, str | None]]:
        """(target, resolved path, line, place, property) for each link in the note."""
        return [r[:5] for r in self.outgoing_links(path)]

    def outgoing_links(
        self, path: str
    ) -> list[tuple[str, str | None, int, str, str | None, bool, bool]]:
        """(target, resolved path, line, place, property, embed, attachment) for each link
        in the note, in order."""
        return [
            (*r[:5], bool(r[5]), bool(r[6]))
            for r in self.conn.execute(
                "SELECT target, resolved, line, place, prop, embed, attachment FROM links"
                " WHERE source = ? ORDER BY line, rowid",
                (path,),
            )
        ]

    def files(self) -> set[str]:
        """Vault paths of every non-note file (attachments) as of the last refresh."""
        return {p for (p,) in self.conn.execute("SELECT path FROM files")}

    def incoming(self, path: str) -> list[tuple[str, int]]:
        """(source path, line) of every link to the note from another note."""
        return self.conn.execute(
            "SELECT source, line FROM links WHERE resolved = ? AND source != ?"
            " ORDER BY source, line",
            (path, path),
        ).fetchall()

    def ambiguous_titles(self) -> set[str]:
        """Title keys shared by more than one note: links to those need a path."""
        return {
            k
            for (k,) in self.conn.execute(
                "SELECT title_key FROM notes GROUP BY title_key HAVING count(*) > 1"
            )
        }

    def find_note(self, name: str) -> str | None:
        """A NOTE argument: a vault path (with or without .md), else a title resolved
        like a link from the vault root."""
        key = nfc(name.strip()).removesuffix(".md")
        row = self.conn.execute(
            "SELECT path FROM notes WHERE path = ? COLLATE NOCASE", (key + ".md",)
        ).fetchone()
        if row:
            return str(row[0])
        return Resolver(self.all_paths()).resolve(key, "")

    def all_paths(self) -> list[str]:
        return [p for (p,) in self.conn.execute("SELECT path FROM notes")]

    # -- what the relationship insights need (vault who / intros / report) --

    def _profiles(self) -> None:
        """A temporary FTS5 table of people's profile properties, one row per (person,
        property), built afresh for each question (a few milliseconds for a thousand
        people; the daemon's index moves on between questions): bm25 and snippets per
        property for `vault who`, and the stemmed words of each property for `vault
        intros`. In the temp schema, so a reader never writes to the shared index."""
        c = self.conn
        c.execute("DROP TABLE IF EXISTS temp.profile")
        c.execute("DROP TABLE IF EXISTS temp.profile_words")
        c.execute(
            "CREATE VIRTUAL TABLE temp.profile USING fts5(path UNINDEXED, field UNINDEXED,"
            " text, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        c.execute(
            "CREATE VIRTUAL TABLE temp.profile_words USING fts5vocab(temp, profile, instance)"
        )
        c.execute(
            """INSERT INTO temp.profile(path, field, text)
            SELECT n.path, k.value, group_concat(j.value, ', ')
            FROM notes n JOIN json_each(:fields) k
            JOIN json_each(CASE k.value WHEN 'tags' THEN n.tags ELSE n.props END,
                CASE k.value WHEN 'tags' THEN '$' ELSE '$."' || k.value || '"' END) j
            WHERE n.kind = 'person' AND n.is_template = 0 AND n.is_generated = 0
                AND j.type NOT IN ('object', 'array', 'null') AND trim(j.value) != ''
            GROUP BY n.path, k.value""",
            {"fields": json.dumps(list(PROFILE_FIELDS))},
        )

    @_fts_query
    def profile_hits(self, match: str) -> list[tuple[str, str, float, str]]:
        """(person path, property, score, snippet) of each profile property matching the
        FTS5 expression `match`; score is -bm25, higher is better."""
        self._profiles()
        return self.conn.execute(
            "SELECT path, field, -bm25(profile), snippet(profile, 2, char(2), char(3), '…', 12)"
            " FROM temp.profile WHERE profile MATCH ? ORDER BY path, field",
            (match,),
        ).fetchall()

    @_fts_query
    def note_hits(self, match: str) -> list[tuple[str, str, str, str | None, float, str]]:
        """(path, kind, title, date, score, participants as JSON) of the person notes whose
        body and the conversations whose title or body match `match`; score is -bm25.
        No snippets: a common word matches thousands of notes, and only the few shown
        need one (see `snippets`)."""
        # MATERIALIZED: the full-text match runs once; joined the other way round,
        # SQLite would run it again for every note.
        rows = self.conn.execute(
            """WITH person AS MATERIALIZED (
                SELECT rowid AS id, -bm25(fts, 0.0, 0.0, 0.0, 1.0) AS score FROM fts
                WHERE fts MATCH :person),
            conversation AS MATERIALIZED (
                SELECT rowid AS id, -bm25(fts, 2.0, 0.0, 0.0, 1.0) AS score FROM fts
                WHERE fts MATCH :conversation)
            SELECT n.path, n.kind, n.title, n.date, h.score, '[]' FROM person h
                JOIN notes n ON n.id = h.id
                WHERE n.kind = 'person' AND n.is_template = 0 AND n.is_generated = 0
            UNION ALL
            SELECT n.path, n.kind, n.title, n.date, h.score,
                (SELECT json_group_array(p.person) FROM participants p WHERE p.source = n.path)
                FROM conversation h JOIN notes n ON n.id = h.id
                WHERE n.kind = 'conversation' AND n.is_template = 0 AND n.is_generated = 0""",
            {
                "person": "{body} : (" + match + ")",
                "conversation": "{title body} : (" + match + ")",
            },
        ).fetchall()
        return sorted(rows)

    @_fts_query
    def snippets(self, match: str, paths: Sequence[str]) -> dict[str, str]:
        """The best snippet of each of `paths` for `match`, matches between \x02 and \x03
        (title and body only: a property's words are shown with the property)."""
        return dict(
            self.conn.execute(
                "SELECT n.path, snippet(fts, -1, char(2), char(3), '…', 12)"
                " FROM fts CROSS JOIN notes n ON n.id = fts.rowid"
                " WHERE fts MATCH ? AND fts.rowid IN"
                " (SELECT id FROM notes WHERE path IN (SELECT value FROM json_each(?)))",
                ("{title body} : (" + match + ")", json.dumps(sorted(set(paths)))),
            ).fetchall()
        )

    def profile_words(self) -> list[tuple[str, str, str, int, str]]:
        """(person path, property, stemmed word, position, property text) for each word of
        each profile property, stemmed by the index's own tokenizer (so 'designer' and
        'design' meet), in order."""
        self._profiles()
        return self.conn.execute(
            "SELECT p.path, p.field, w.term, w.offset, p.text FROM temp.profile_words w"
            " JOIN temp.profile p ON p.rowid = w.doc ORDER BY p.path, p.field, w.offset"
        ).fetchall()

    def person_titles(self) -> dict[str, str]:
        """Every person's vault path and title."""
        return dict(
            self.conn.execute(
                "SELECT path, title FROM notes"
                " WHERE kind = 'person' AND is_template = 0 AND is_generated = 0"
            ).fetchall()
        )

    def introduction_followups(self) -> list[tuple[str, str, int]]:
        """(person, path, line) of each open follow-up that speaks of an introduction
        ("introduce", "intro"), once for each person it belongs to: the note's
        participants and the people linked on the task's line (as open_followups)."""
        return self.conn.execute(
            """WITH t AS (SELECT t.path, t.line FROM tasks t JOIN notes n ON n.path = t.path
                WHERE t.checked = 0 AND t.text LIKE '%intro%' AND n.kind = 'conversation'
                AND n.is_template = 0 AND n.is_generated = 0)
            SELECT p.person, t.path, t.line FROM t JOIN participants p ON p.source = t.path
            UNION
            SELECT l.resolved, t.path, t.line FROM t
                JOIN links l ON l.source = t.path AND l.line = t.line AND l.place = 'body'
                JOIN notes n ON n.path = l.resolved AND n.kind = 'person'"""
        ).fetchall()

    def connected_people(self) -> list[tuple[str, str]]:
        """Pairs of people already connected: in one conversation together, or a link from
        one's note to the other's (`introduced_by` included)."""
        return self.conn.execute(
            """SELECT DISTINCT a.person, b.person FROM participants a
                JOIN participants b ON a.source = b.source AND a.person < b.person
                WHERE a.kind = 'conversation'
            UNION
            SELECT l.source, l.resolved FROM links l
                JOIN notes s ON s.path = l.source JOIN notes t ON t.path = l.resolved
                WHERE s.kind = 'person' AND t.kind = 'person' AND l.source != l.resolved"""
        ).fetchall()

    def contact_summary(self, today: dt.date) -> list[tuple[str, str, int]]:
        """(person, last contact date, contacts in the year up to today) of each person
        with a contact on or before today."""
        return self.conn.execute(
            "SELECT person, max(date), sum(date > :year_ago) FROM participants"
            " WHERE date IS NOT NULL AND date <= :today GROUP BY person",
            {
                "today": today.isoformat(),
                "year_ago": (today - dt.timedelta(days=365)).isoformat(),
            },
        ).fetchall()

    def interactions(
        self, people: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, str, Any, Any]]:
        """(person, date, path, kind, intent, initiated_by) of every dated conversation and
        daily-note mention, for `people` only when given, in no particular order."""
        sql = (
            "SELECT p.person, p.date, p.source, p.kind, json_extract(n.props, '$.intent'),"
            " json_extract(n.props, '$.initiated_by')"
            " FROM participants p JOIN notes n ON n.path = p.source WHERE p.date IS NOT NULL"
        )
        if people is None:
            return self.conn.execute(sql).fetchall()
        return self.conn.execute(
            sql + " AND p.person IN (SELECT value FROM json_each(?))", (json.dumps(list(people)),)
        ).fetchall()


# --- helpers -------------------------------------------------------------------------

# A person's `name` (their display name) when set, else the note's title.
_SHOWN_TITLE = (
    "CASE WHEN n.kind = 'person' AND json_type(n.props, '$.name') = 'text'"
    " AND trim(json_extract(n.props, '$.name')) != ''"
    " THEN trim(json_extract(n.props, '$.name')) ELSE n.title END"
)


def _write_meta(conn: sqlite3.Connection, settings: Settings) -> None:
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [
            ("schema", str(SCHEMA_VERSION)),
            ("settings", settings.fingerprint()),
            ("vault", str(settings.vault.resolve())),
        ],
    )


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


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# A parsed note as plain tuples: cheap to send from a worker process and ready for
# executemany. Fields 0-15 are the `notes` columns from `path` to `summary`; then the
# FTS aliases and properties text, the body, the rows of links, tags, tasks, problems, and
# the CJK bigrams of title and aliases, and of properties and body.


def _like(prefix: str) -> str:
    """A LIKE pattern matching text that starts with `prefix` as written."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

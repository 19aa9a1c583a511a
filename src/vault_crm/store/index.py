"""The index: a disposable SQLite cache of the vault (WAL, FTS5), and how it is written.

`Index` is the open handle (its reads are `queries.Queries`); `apply` writes parsed notes
and removals in one short transaction, resolves the links they affect again and updates
who took part in what; `rebuilding` puts a new index, built in a temporary file, in place
of the old one (pre-commit's store), so an interrupted rebuild never leaves half a
database behind. `refresh.py` decides what to apply.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault_crm.config import Settings
from vault_crm.links import LookupResolver, file_key, nfc
from vault_crm.model import ConversationRow, IndexRecord, IndexStats, LinkRow, Problem
from vault_crm.records import link_kind
from vault_crm.store import schema
from vault_crm.store.queries import PROFILE_FIELDS, Queries, asks_of

if TYPE_CHECKING:
    from vault_crm.contacts import NameTables, Person

# Conversations whose participants a rebuild works out at once (see Index._rebuild_graph).
GRAPH_SLICE = 10_000
# The page cache (in KiB, as SQLite's negative cache_size) of a change of many notes.
_LARGE_CACHE = -65536
# How many notes `_update_graph` works out at a time.
_CHUNK = 500
# The notes whose participants (or mentions) are worked out.
_CONTACT_KINDS = frozenset({"conversation", "daily"})


class Index(Queries):
    """An open index for one vault. Use `Index.open(settings)` and `close()` (or `with`)."""

    def __init__(self, settings: Settings, path: Path, conn: sqlite3.Connection) -> None:
        self.settings = settings
        self.path = path
        self.conn = conn
        self._people = _People()
        # The people whose contacts (participants rows) or whose own note changed since
        # the holder last took them (`take_changed_people`); None: not known (everyone).
        self._changed_people: set[str] | None = None
        self._generation = -1  # the generation `_changed_people` is known up to

    # -- lifecycle --

    @classmethod
    def open(cls, settings: Settings, cache: Path | None = None) -> Index:
        path, conn = schema.open_file(settings, cache)
        return cls(settings, path, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_changed_people(self) -> set[str] | None:
        """The people whose contacts or whose note `apply` changed since the last call
        (their paths, as they were and as they are); None when not known (the first call,
        a rebuild): then count everyone as changed. What the daemon keeps per person is
        worked out again for just these."""
        current = self.generation()
        changed, self._changed_people = self._changed_people, set()
        known, self._generation = self._generation, current
        # Another process (a command run meanwhile) applied changes: not known what.
        return changed if known == current else None

    # -- writing --

    @contextlib.contextmanager
    def rebuilding(self) -> Iterator[None]:
        """Inside, the index is a new, empty one in a temporary file (what `apply` writes
        goes there, with no journal); leaving without an error builds its secondary indexes
        and moves it into place, an error deletes it."""
        tmp = self.path.with_name(self.path.name + ".new")
        conn = schema.start_build(tmp, self.settings)
        try:
            old, self.conn = self.conn, conn
            try:
                yield
            finally:
                self.conn = old
            schema.finish_build(conn)
            conn.close()
        except BaseException:
            conn.close()
            schema.remove_db(tmp)
            raise
        self.conn.close()
        schema.remove_db(self.path)
        tmp.replace(self.path)
        self.conn = schema.connect(self.path)

    def store_skipped(self, skipped: list[tuple[str, str, str]]) -> None:
        """Remember what the last walk passed over, for `vault check` (kept in `meta`)."""
        value = json.dumps(sorted(skipped), ensure_ascii=False)
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'skipped'").fetchone()
        if (row[0] if row else "[]") != value:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('skipped', ?)", (value,)
            )

    def generation(self) -> int:
        """How many times `apply` has changed this index: what is kept per generation
        (the mark of the walk it matched, its counts) is stale once this moves on."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.DatabaseError:
            return 0  # corrupt: the refresh finds out and starts again
        return int(row[0]) if row else 0

    def people_mark(self) -> str | None:
        """A token that changes whenever a person note is added, changed or removed (None:
        the index has none yet); what is loaded from the people may be kept while it holds."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'people'").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def walk_mark(self) -> str | None:
        """What `keep_walk_mark` last kept (None: nothing, or the index is unreadable)."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'walk'").fetchone()
        except sqlite3.DatabaseError:
            return None
        return str(row[0]) if row else None

    def keep_walk_mark(
        self,
        mark: str,
        parts: Sequence[tuple[str, bytes, str, bytes, bytes]] = (),
        gone: Sequence[str] = (),
    ) -> None:
        """Remember that the index held exactly the notes of a walk (its digest, with the
        generation): a later walk with the same mark has nothing to apply. With it, the
        walk's parts whose digest changed, as (part, digest, paths, mtimes, sizes), and
        the parts `gone` from it (see `walk_parts`)."""
        conn = self.conn
        if parts or gone:
            # The mark goes first and comes back last, each statement on its own: a
            # process killed in between leaves no mark, and the next refresh compares
            # everything (and writes again the parts that differ).
            conn.execute("DELETE FROM meta WHERE key = 'walk'")
            conn.execute(
                "DELETE FROM walk_parts WHERE part IN (SELECT value FROM json_each(?))",
                (json.dumps(list(gone)),),
            )
            for i in range(0, len(parts), 1000):
                rows = parts[i : i + 1000]
                conn.execute(
                    "INSERT OR REPLACE INTO walk_parts VALUES "
                    + ",".join(["(?,?,?,?,?)"] * len(rows)),
                    [v for row in rows for v in row],
                )
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('walk', ?)", (mark,))

    def walk_parts(self) -> dict[str, bytes] | None:
        """Each part of the walk the index last matched (`keep_walk_mark`) → its
        digest; None when they cannot be read."""
        try:
            return dict(self.conn.execute("SELECT part, digest FROM walk_parts"))
        except sqlite3.DatabaseError:
            return None

    def walk_parts_of(
        self, folders: Sequence[str]
    ) -> list[tuple[str, str, array[int], array[int]]] | None:
        """(part, paths, mtimes, sizes) of every part of these folders (see
        `walk_part_stats`); None when they cannot be read."""
        found: list[tuple[str, str, array[int], array[int]]] = []
        try:
            for folder in folders:
                for part, fspaths, mtimes, sizes in self.conn.execute(
                    "SELECT part, fspaths, mtimes, sizes FROM walk_parts"
                    " WHERE part > ? AND part < ?",
                    (folder + "#", folder + "$"),
                ):
                    if part.rsplit("#", 1)[0] == folder:  # not a folder named `#…` in it
                        found.append((part, fspaths, array("q", mtimes), array("q", sizes)))
        except (sqlite3.DatabaseError, ValueError, TypeError):
            return None
        return found

    def walk_part_stats(
        self, parts: Sequence[str]
    ) -> list[tuple[str, array[int], array[int]]] | None:
        """(paths as on disk, NUL-separated; mtime_ns and size of each) of these parts
        as the index last matched them; None when they cannot be read."""
        found: list[tuple[str, array[int], array[int]]] = []
        try:
            for fspaths, mtimes, sizes in self.conn.execute(
                "SELECT fspaths, mtimes, sizes FROM walk_parts WHERE part IN"
                " (SELECT value FROM json_each(?))",
                (json.dumps(list(parts)),),
            ):
                found.append((fspaths, array("q", mtimes), array("q", sizes)))
        except (sqlite3.DatabaseError, ValueError, TypeError):
            return None
        return found

    def stats(
        self, started: float, added: int = 0, updated: int = 0, removed: int = 0
    ) -> IndexStats:
        """The index's counts (as `Queries.stats`), kept per generation: counting the
        links of a large vault again after a refresh that found nothing is most of it."""
        generation = self.generation()
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'counts'").fetchone()
        kept = json.loads(row[0]) if row else None
        if kept is not None and kept[0] == generation:
            notes, people, conversations, links, unresolved = kept[1:]
            return IndexStats(
                notes=notes,
                people=people,
                conversations=conversations,
                links=links,
                unresolved=unresolved,
                problems=0,
                seconds=round(time.perf_counter() - started, 3),
                added=added,
                updated=updated,
                removed=removed,
            )
        stats = super().stats(started, added, updated, removed)
        counts = [generation, stats.notes, stats.people, stats.conversations, stats.links]
        counts.append(stats.unresolved)
        with contextlib.suppress(sqlite3.OperationalError):  # read-only or busy: next time
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('counts', ?)",
                (json.dumps(counts),),
            )
        return stats

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
        # A bulk load keeps many small objects alive (the records in flight, the links it
        # holds): without the cycle collector, which would walk them again and again, and
        # makes no cycles worth collecting before it ends.
        collecting = new_paths is None and gc.isenabled()
        if collecting:
            gc.disable()
        cache: int | None = None  # the page cache's size before this change enlarged it
        try:
            if self.generation() != self._generation:
                self._changed_people = None  # changed by another process since our last
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
            # A bulk load keeps the links that decide who took part in what as the
            # records bring them (already resolved), so the graph need not read them back.
            held: dict[str, tuple[tuple[Any, ...], ...]] | None = {} if new_paths is None else None
            # Any other change keeps what the graph reads of each note it writes, so that
            # `_update_graph` need not read thousands of them back (an import's).
            known: dict[str, _Contact | None] | None = {} if new_paths is not None else None
            new_keys: set[str] = set()  # the titles of the notes new to the index
            for rec in records:
                touched.add(rec.path)
                batch.append(rec)
                if new_paths and rec.path in new_paths:
                    new_keys.add(rec.title_key)
                if held is not None:
                    self._hold_contact_links(rec, held)
                elif known is not None:
                    _keep_contact(rec, known)
                if len(batch) >= 500:
                    if new_paths is not None and cache is None:
                        # Thousands of notes (an import's) change more pages than SQLite's
                        # default cache (2 MB) holds: spilt to the WAL before the commit,
                        # they cost more CPU. A larger cache, for this change only.
                        (cache,) = conn.execute("PRAGMA cache_size").fetchone()
                        conn.execute(f"PRAGMA cache_size = {_LARGE_CACHE}")
                    if new_paths is not None:
                        self._people_names([r.path for r in batch], people, names)
                    graph_kinds |= self._write(batch, next_id, replace=new_paths is not None)
                    next_id += len(batch)
                    batch = []
            if batch:
                if new_paths is not None:
                    self._people_names([r.path for r in batch], people, names)
                graph_kinds |= self._write(batch, next_id, replace=new_paths is not None)
            written = set(touched)  # the notes written or removed
            if files is not None:
                stored = self.files()
                came, went = files - stored, stored - files
                conn.executemany("DELETE FROM files WHERE path = ?", [(f,) for f in went])
                conn.executemany("INSERT INTO files(path) VALUES (?)", [(f,) for f in came])
                keys |= {file_key(f) for f in came | went}
            keys |= new_keys
            # The new records came resolved; links elsewhere that may point at a note that
            # appeared or vanished are resolved again.
            if new_paths is not None and keys:
                # Only the titles some link names are fetched: an import's thousands of
                # new titles are mostly named by no link yet.
                rows = [
                    row
                    for part in _chunks(sorted(keys), 500)
                    for row in conn.execute(
                        "SELECT rowid, source, target, target_key FROM links WHERE"
                        " target_key IN (SELECT value FROM json_each(?))",
                        (json.dumps(list(part)),),
                    )
                ]
                if rows:
                    resolver = self.resolver()
                    resolver.prefetch({row[3] for row in rows})
                    resolved = self._resolve(resolver, rows)
                    touched |= resolved
                    for source in resolved:  # their links as resolved again: read back
                        if known is not None:
                            known.pop(source, None)
            if new_paths is None or "person" in graph_kinds:
                _People.changed(conn)
                self._keep_person_names(None if new_paths is None else written)
            if new_paths is None:
                self._rebuild_graph(held=held)
            elif "person" in graph_kinds:
                # People came, went or changed (names, aliases): the conversations that
                # named them, by path or by any name they had or have, are worked out again.
                self._people_names(sorted(touched), people, names)
                self._update_graph(touched | self._naming(people, names), known, people=True)
            elif touched:
                self._update_graph(touched, known)
            if new_paths is None:
                self._changed_people = None
            elif "person" in graph_kinds and self._changed_people is not None:
                self._changed_people |= people  # as they were and as they are
            # Every change counts: what was worked out from the index as it was (the
            # walk's mark, the counts) no longer holds.
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key)"
                " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            conn.execute("COMMIT")
            self._generation = self.generation()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            if collecting:
                gc.enable()
            if cache is not None:
                conn.execute(f"PRAGMA cache_size = {int(cache)}")

    def _resolve(
        self, resolver: LookupResolver, rows: Sequence[tuple[int, str, str, str]]
    ) -> set[str]:
        """Resolve these links (rowid, source, target, target_key) again; return the notes
        holding them."""
        updates = []
        for rowid, source, target, _key in rows:
            found = resolver.resolve(target, source)
            updates.append((found, link_kind(target, found), rowid))
        self.conn.executemany(
            "UPDATE links SET resolved = ?, attachment = ? WHERE rowid = ?", updates
        )
        return {source for _rowid, source, _target, _key in rows}

    def _delete(self, paths: Sequence[str]) -> None:
        c = self.conn
        for part in _chunks(list(paths), 500):
            arg = (json.dumps(list(part)),)
            inside = "(SELECT value FROM json_each(?))"
            c.execute(
                f"DELETE FROM fts WHERE rowid IN (SELECT id FROM notes WHERE path IN {inside})", arg
            )
            c.execute(
                "DELETE FROM profile WHERE rowid IN (SELECT n.id * 8 + k.key FROM notes n"
                f" JOIN json_each(?) k WHERE n.path IN {inside})",
                (json.dumps(PROFILE_FIELDS), *arg),
            )
            c.execute(
                "DELETE FROM conversation_people WHERE id IN"
                f" (SELECT id FROM notes WHERE path IN {inside})",
                arg,
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
            # Only the notes already in the index have rows to replace: a batch of new
            # notes (an import's) deletes nothing.
            old = c.execute(
                "SELECT path, kind FROM notes WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps([r.path for r in batch]),),
            ).fetchall()
            kinds |= {k for _p, k in old}
            if old:
                self._delete([p for p, _k in old])
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
        if "person" in {r.kind for r in batch}:
            c.execute(_PROFILE, (json.dumps(PROFILE_FIELDS), first_id, first_id + len(batch)))
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

    def _hold_contact_links(
        self, rec: IndexRecord, held: dict[str, tuple[tuple[Any, ...], ...]]
    ) -> None:
        """Keep the links of this record that `build_graph` may use (contact_links'
        rows, less those it would pass over), as (target, resolved, line, place, prop);
        the names and paths they repeat are kept once."""
        if rec.kind not in _CONTACT_KINDS or rec.is_template or rec.is_generated:
            return
        if rec.kind == "daily":
            if not self.settings.daily_notes_count:
                return
            keep = [ln for ln in rec.links if ln[2] is not None and not ln[9]]
        elif rec.has_participants:
            props = self.settings.participant_properties
            keep = [
                ln for ln in rec.links if ln[4] == "frontmatter" and ln[5] in props and not ln[9]
            ]
        else:
            keep = [ln for ln in rec.links if ln[4] == "body" and ln[2] is not None and not ln[9]]
        if keep:
            intern = sys.intern
            held[rec.path] = tuple(
                (intern(ln[0]), None if ln[2] is None else intern(ln[2]), ln[3], ln[4], ln[5])
                for ln in keep
            )

    def _rebuild_graph(
        self, size: int = GRAPH_SLICE, held: dict[str, tuple[tuple[Any, ...], ...]] | None = None
    ) -> None:
        """Who took part in each conversation (and which people a daily note mentions),
        and the problems only the whole vault shows: stored, so reads need not redo it.
        Worked out `size` conversations at a time, so a large vault's conversations
        are never all in memory at once (the rebuild's peak). `held`: the contact links
        the bulk load kept (see `_hold_contact_links`), instead of reading them back."""
        from vault_crm.contacts import build_graph, load_people, name_tables

        c = self.conn
        people = load_people(self)
        # The names people are known by, and what people alone show (an alias two of
        # them use): worked out once, not per slice.
        names = name_tables(people)
        shared = names.problems
        c.execute("DELETE FROM participants")
        c.execute("DELETE FROM conversation_people")
        c.execute("DELETE FROM graph_problems")
        self._graph_problems(shared)
        # Each slice reads its own notes' links: by source, so that index is built now.
        c.execute("CREATE INDEX IF NOT EXISTS links_source ON links(source)")
        for rows in self.conversation_slices(size):
            if held is None:
                links = self.contact_links([r.path for r in rows])
            else:
                links = [LinkRow(r.path, *ln) for r in rows for ln in held.pop(r.path, ())]
            graph = build_graph(people, rows, links, self.settings, names)
            self._participants(rows, graph.participants)
            self._graph_problems(graph.problems[len(shared) :])
        c.execute("DELETE FROM person_summary")
        c.execute(_SUMMARISE.format(only=""))
        c.execute("DELETE FROM person_asks")
        schema.build_secondary(c, "notes_intent")  # what _keep_asks reads everyone's by
        self._keep_asks(None)

    def _participants(
        self, rows: Sequence[ConversationRow], participants: Mapping[str, Iterable[str]]
    ) -> None:
        """Store who took part in each of these notes, with the note's date and kind, and
        each conversation's people in one row (`conversation_people`)."""
        notes = {r.path: r for r in rows}
        self.conn.executemany(
            "INSERT INTO participants(source, person, date, kind) VALUES (?, ?, ?, ?)",
            [
                (conv, person, notes[conv].date, notes[conv].kind)
                for conv, found in participants.items()
                for person in found
            ],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO conversation_people(id, people)"
            " SELECT id, ? FROM notes WHERE path = ?",
            [
                ("\0".join(dict.fromkeys(participants.get(r.path, ()))), r.path)
                for r in rows
                if r.kind == "conversation"
            ],
        )

    def _graph_problems(self, problems: Sequence[Problem]) -> None:
        self.conn.executemany(
            "INSERT INTO graph_problems(path, line, severity, message) VALUES (?,?,?,?)",
            [(p.path, p.line, p.severity, p.message) for p in problems],
        )

    def _summarise(self, people: set[str]) -> None:
        """Work out again the `person_summary` rows of these people (those whose
        participants rows changed), from their participants rows."""
        for part in _chunks(sorted(people), 500):
            arg = (json.dumps(list(part)),)
            inside = "IN (SELECT value FROM json_each(?))"
            self.conn.execute(f"DELETE FROM person_summary WHERE person {inside}", arg)
            self.conn.execute(_SUMMARISE.format(only=f"AND person {inside}"), arg)

    def _keep_asks(self, people: set[str] | None) -> None:
        """Work out again the `person_asks` rows of these people (those whose
        participants rows changed; everyone's: None), from their conversations."""
        c = self.conn
        if people is not None:
            for part in _chunks(sorted(people), 500):
                c.execute(
                    "DELETE FROM person_asks WHERE person IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(part)),),
                )
        found = asks_of(self.said_rows(None if people is None else sorted(people)))
        c.executemany(
            "INSERT INTO person_asks(person, last_date, asks, gave, said) VALUES (?, ?, ?, ?, ?)",
            [(person, *row) for person, row in found.items()],
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

    def _contacts(
        self, paths: Sequence[str], known: Mapping[str, _Contact | None]
    ) -> tuple[list[ConversationRow], list[LinkRow]]:
        """`conversation_rows` and `contact_links` of these notes (sorted): of those in
        `known`, what it holds; of the others, what the index holds. The rows come in
        the order the index gives them (by path)."""
        missing = [p for p in paths if p not in known]
        rows = self.conversation_rows(missing) if missing else []
        links = self.contact_links(missing) if missing else []
        if len(missing) == len(paths):
            return rows, links
        for path in paths:
            contact = known.get(path)
            if contact is not None:
                rows.append(contact[0])
                links.extend(contact[1])
        if missing:
            rows.sort(key=lambda r: r.path)
        return rows, links

    def _person_count(self) -> int:
        (n,) = self.conn.execute(
            "SELECT count(*) FROM notes WHERE kind = 'person' AND is_template = 0"
            " AND is_generated = 0"
        ).fetchone()
        return int(n)

    def _person_paths(self, paths: Iterable[str]) -> set[str]:
        """The person notes among `paths`."""
        return {p.path for p in _people_of(self.conn, sorted(paths))}

    def _named(self, rows: Sequence[ConversationRow], links: Sequence[LinkRow]) -> list[Person]:
        """Everyone these notes may name, as `_People.named` finds them, but looked up by
        the names and paths they use (`person_names`) instead of from everyone's."""
        from vault_crm.contacts import name_key

        keys = {name_key(ln.target) for ln in links}
        keys.update(name_key(n) for r in rows for n in r.participant_names)
        paths = {ln.resolved for ln in links if ln.resolved is not None}
        for part in _chunks(sorted(keys), 500):
            paths.update(
                p
                for (p,) in self.conn.execute(
                    "SELECT person FROM person_names WHERE key IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(part)),),
                )
            )
        return _people_of(self.conn, sorted(paths))

    def _keep_person_names(self, paths: Iterable[str] | None) -> None:
        """Write again the `person_names` rows of these notes (of every note: None)."""
        c = self.conn
        if paths is None:
            c.execute("DELETE FROM person_names")
            people = _people_of(c)
        else:
            listed = json.dumps(sorted(paths))
            c.execute(
                "DELETE FROM person_names WHERE person IN (SELECT value FROM json_each(?))",
                (listed,),
            )
            people = _people_of(c, json.loads(listed))
        c.executemany(
            "INSERT INTO person_names(key, person) VALUES (?, ?)",
            [(key, p.path) for p in people for key in sorted(_name_keys(p))],
        )

    def _update_graph(
        self,
        sources: set[str],
        known: Mapping[str, _Contact | None] | None = None,
        *,
        people: bool = False,
    ) -> None:
        """Participants and problems of just these notes: who took part in a conversation
        depends only on its own rows and links, and on the people. With `people` (people
        changed), the clashes between people's aliases are worked out again too. `known`:
        what `_keep_contact` kept of notes just written, instead of reading them back."""
        from vault_crm.contacts import build_graph

        # Everyone's names when people changed, when they are loaded already (the
        # daemon's), or when the notes fill several chunks and outnumber the people (an
        # import's thousands: everyone read once costs less than the people each chunk
        # names, looked up chunk by chunk); else just those people are looked up.
        c = self.conn
        many = len(sources) > _CHUNK and len(sources) > self._person_count()
        everyone = self._people.load(self) if people or many or self._people.fresh(c) else None
        persons = set(everyone.paths) if everyone is not None else self._person_paths(sources)
        wanted = sorted(sources if people else sources - persons)
        summarise: set[str] = set()  # people whose participants rows change
        for part in _chunks(wanted, _CHUNK):
            arg = (json.dumps(list(part)),)
            summarise.update(
                p
                for (p,) in c.execute(
                    "SELECT person FROM participants WHERE source IN"
                    " (SELECT value FROM json_each(?))",
                    arg,
                )
            )
            c.execute(
                "DELETE FROM participants WHERE source IN (SELECT value FROM json_each(?))", arg
            )
            c.execute(
                "DELETE FROM graph_problems WHERE path IN (SELECT value FROM json_each(?))", arg
            )
            rows, links = self._contacts(part, known or {})
            # Only the people these notes may name: everyone's names are not all needed,
            # unless they are matched against many chunks (their tables made once).
            if everyone is None:
                graph = build_graph(self._named(rows, links), rows, links, self.settings)
            elif people or many:
                graph = build_graph(everyone.people, rows, links, self.settings, everyone.tables())
            else:
                graph = build_graph(everyone.named(rows, links), rows, links, self.settings)
            self._participants(rows, graph.participants)
            summarise.update(p for found in graph.participants.values() for p in found)
            # The alias clashes build_graph reports belong to person notes: unchanged.
            written = {r.path for r in rows}
            self._graph_problems([p for p in graph.problems if p.path in written])
        self._summarise(summarise)
        self._keep_asks(summarise)
        if self._changed_people is not None:
            self._changed_people |= summarise
        if people and everyone is not None:
            c.execute(
                "DELETE FROM graph_problems WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(persons)),),
            )
            clashes = everyone.tables().problems
            c.executemany(
                "INSERT INTO graph_problems(path, line, severity, message) VALUES (?,?,?,?)",
                [(p.path, p.line, p.severity, p.message) for p in clashes],
            )


# --- helpers -------------------------------------------------------------------------

# The profile rows of the person notes with ids in [?2, ?3): each property's values (a
# list's items joined by ", "), as `vault who` and `vault intros` read them.
_PROFILE = """INSERT INTO profile(rowid, path, field, text)
    SELECT n.id * 8 + k.key, n.path, k.value, group_concat(j.value, ', ')
    FROM notes n JOIN json_each(?1) k
    JOIN json_each(CASE k.value WHEN 'tags' THEN n.tags ELSE n.props END,
        CASE k.value WHEN 'tags' THEN '$' ELSE '$."' || k.value || '"' END) j
    WHERE n.id >= ?2 AND n.id < ?3
        AND n.kind = 'person' AND n.is_template = 0 AND n.is_generated = 0
        AND j.type NOT IN ('object', 'array', 'null') AND trim(j.value) != ''
    GROUP BY n.path, k.value"""


# person_summary's rows from participants (of some people: `only`); the keys are those
# Queries.contacts compares, so max() picks the same rows. The notes they name are found
# by path: what follows the date and the flag (a path may hold a \x1f itself).
_SUMMARISE = """INSERT INTO person_summary
    SELECT s.*, c.date, c.path, c.title, c.kind, c.summary, json_extract(c.props, '$.channel'),
        v.date, v.path, v.title, v.kind, v.summary, json_extract(v.props, '$.channel')
    FROM (SELECT person, max(date) AS last_date,
            max(date || char(31) || (kind = 'conversation') || char(31) || source) AS contact,
            max(CASE WHEN kind = 'conversation' THEN date || char(31) || source END) AS talk
        FROM participants WHERE date IS NOT NULL {only} GROUP BY person) s
    LEFT JOIN notes c ON c.path = substr(s.contact, instr(s.contact, char(31)) + 3)
    LEFT JOIN notes v ON v.path = substr(s.talk, instr(s.talk, char(31)) + 1)"""


# A note as `_update_graph` reads it: its conversation row and its contact links.
_Contact = tuple[ConversationRow, list[LinkRow]]


def _keep_contact(rec: IndexRecord, known: dict[str, _Contact | None]) -> None:
    """Keep in `known` what `conversation_rows` and `contact_links` would read back of
    this record once written: None when they would read nothing (not a conversation or
    daily note). A `channel` that is a list or a mapping (which the index gives as JSON
    text) is not kept: that note is read back."""
    known.pop(rec.path, None)
    if rec.kind not in _CONTACT_KINDS or rec.is_template or rec.is_generated:
        known[rec.path] = None
        return
    channel = None
    if '"channel"' in rec.props:
        props = json.loads(rec.props)
        channel = props.get("channel") if isinstance(props, dict) else None
    if isinstance(channel, (list, dict)):
        return
    row = ConversationRow(
        rec.path,
        rec.title,
        rec.kind,
        rec.date,
        () if rec.participant_names == "[]" else tuple(json.loads(rec.participant_names)),
        bool(rec.has_participants),
        rec.summary,
        channel if isinstance(channel, str) else None,
    )
    links = [LinkRow(rec.path, ln[0], ln[2], ln[3], ln[4], ln[5]) for ln in rec.links if not ln[9]]
    known[rec.path] = (row, links)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# The people as name matching needs them: path, title, aliases and a `name` property.
_PEOPLE = """SELECT path, title, aliases, CASE json_type(props, '$.name') WHEN 'text'
    THEN json_extract(props, '$.name') END FROM notes
    WHERE kind = 'person' AND is_template = 0 AND is_generated = 0"""


def _people_of(conn: sqlite3.Connection, paths: Sequence[str] | None = None) -> list[Person]:
    """The people (of `paths` only, when given) in the order written, as name matching
    needs them (not every property, as load_people)."""
    from vault_crm.contacts import Person, display_name, name_key

    if paths is None:
        rows = conn.execute(_PEOPLE + " ORDER BY id")
    else:
        # By path (`+kind` keeps SQLite from reading every person by kind first).
        sql = _PEOPLE.replace("WHERE kind", "WHERE +kind")
        rows = conn.execute(
            sql + " AND path IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(paths)),),
        )
    people = []
    for path, title, aliases, name in rows:
        shown = display_name(title, {"name": name})
        stem = title if name_key(shown) != name_key(title) else ""
        people.append(Person(path, shown, tuple(json.loads(aliases)), (), {}, stem))
    return people


def _name_keys(person: Person) -> set[str]:
    """Every name a person is known by, as name matching compares them."""
    from vault_crm.contacts import name_key

    return {name_key(n) for n in (*person.names, *person.aliases)}


class _People:
    """The people as name matching needs them (not every property, as load_people), kept
    between refreshes of one open index (the daemon's) while the people stay the same:
    each change of a person note gives the index a new `people` mark in `meta`."""

    def __init__(self) -> None:
        self.mark: str | None = None
        self.people: list[Person] = []
        self.paths: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self._tables: NameTables | None = None

    @staticmethod
    def changed(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('people', ?)", (os.urandom(8).hex(),)
        )

    def fresh(self, conn: sqlite3.Connection) -> bool:
        """Are the people loaded those of the index as it is?"""
        row = conn.execute("SELECT value FROM meta WHERE key = 'people'").fetchone()
        return row is not None and row[0] == self.mark

    def load(self, index: Index) -> _People:
        conn = index.conn
        row = conn.execute("SELECT value FROM meta WHERE key = 'people'").fetchone()
        if row is None:  # an index from before the mark: give it one
            _People.changed(conn)
            row = conn.execute("SELECT value FROM meta WHERE key = 'people'").fetchone()
        if row[0] == self.mark:
            return self
        self.people = _people_of(conn)
        self.paths = {p.path: i for i, p in enumerate(self.people)}
        by_name: dict[str, list[int]] = {}
        for i, p in enumerate(self.people):
            for key in _name_keys(p):
                by_name.setdefault(key, []).append(i)
        self.by_name = by_name
        self._tables = None
        self.mark = row[0]
        return self

    def tables(self) -> NameTables:
        """`contacts.name_tables` of these people, made once."""
        from vault_crm.contacts import name_tables

        if self._tables is None:
            self._tables = name_tables(self.people)
        return self._tables

    def named(self, rows: Sequence[ConversationRow], links: Sequence[LinkRow]) -> list[Person]:
        """Everyone these notes may name: by a link that resolves to them, or by a name
        (a participant name, or a link's text) that is one of theirs. For these notes,
        matching against them finds what matching against everyone finds."""
        from vault_crm.contacts import name_key

        chosen: set[int] = set()
        for ln in links:
            if ln.resolved is not None and ln.resolved in self.paths:
                chosen.add(self.paths[ln.resolved])
            chosen.update(self.by_name.get(name_key(ln.target), ()))
        for r in rows:
            for name in r.participant_names:
                chosen.update(self.by_name.get(name_key(name), ()))
        return [self.people[i] for i in sorted(chosen)]

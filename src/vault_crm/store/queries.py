"""The index's named read queries: each returns records or plain rows, no SQL string
comes in or goes out, and a full-text expression SQLite refuses becomes a `QueryError`."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import operator
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from vault_crm import cjk
from vault_crm.errors import QueryError
from vault_crm.links import LookupResolver, nfc
from vault_crm.model import ConversationRow, IndexStats, LinkRow, NoteRow, Problem
from vault_crm.records import plain_snippet

# The person properties `vault who` and `vault intros` read, one row each of the index's
# `profile` table (kept by `Index.apply`).
PROFILE_FIELDS = ("known_for", "working_on", "needs", "role", "company", "tags")
# FTS5's snippet() is quadratic in the matches within one note: larger notes get a snippet
# cut here, in one linear pass.
SNIPPET_MAX_BYTES = 32_000


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


class Queries:
    """The reads of an open index (`store.Index`), over its connection."""

    conn: sqlite3.Connection

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

    def note_stats(self) -> dict[str, tuple[int, int]] | None:
        """Each note's vault path → (mtime_ns, size) as last read; None when the index
        cannot be read (corrupt beyond the check at open)."""
        try:
            return {
                p: (m, s) for p, m, s in self.conn.execute("SELECT path, mtime_ns, size FROM notes")
            }
        except sqlite3.DatabaseError:
            return None

    def note_stats_of(self, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(mtime_ns, size) of those of `paths` the index holds."""
        return {
            p: (m, s)
            for p, m, s in self.conn.execute(
                "SELECT path, mtime_ns, size FROM notes WHERE path IN"
                " (SELECT value FROM json_each(?))",
                (json.dumps(paths),),
            )
        }

    def paths_titled(self, keys: Sequence[str]) -> list[str]:
        """Vault paths of the notes whose title key (casefolded NFC title) is in `keys`."""
        if len(keys) == 1:
            rows = self.conn.execute("SELECT path FROM notes WHERE title_key = ?", (keys[0],))
        else:
            rows = self.conn.execute(
                "SELECT path FROM notes WHERE title_key IN (SELECT value FROM json_each(?))",
                (json.dumps(list(keys)),),
            )
        return [p for (p,) in rows]

    def resolver(
        self,
        added: Iterable[str] = (),
        removed: Iterable[str] = (),
        files: set[str] | None = None,
    ) -> LookupResolver:
        """Links resolved against the notes the index holds (plus `added`, less
        `removed`), fetching only the titles that links name: no read of every path."""
        return LookupResolver(
            self.paths_titled, self.files() if files is None else files, added, removed
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
        # Per person, the latest contact (a conversation first on the same day), the
        # latest conversation (both on or before today) and the next scheduled one, each
        # as "date␟...␟path" so that max()/min() pick deterministically; then their
        # details in a second query. person_summary holds the newest of any date, with
        # those notes' details: for everyone whose newest is on or before today, those are
        # the answer and nothing is scheduled; only the others' participants rows are read.
        rows: list[tuple[str, str, str, str, str, str, str | None]] = []
        later: list[str] = []
        for person, last_date, *found in self.conn.execute(
            "SELECT person, last_date, contact_date, contact_path, contact_title, contact_kind,"
            " contact_summary, contact_channel, conversation_date, conversation_path,"
            " conversation_title, conversation_kind, conversation_summary, conversation_channel"
            " FROM person_summary"
        ):
            if last_date > today:
                later.append(person)
                continue
            # On or before today: the newest contact and conversation, nothing scheduled.
            if found[1] is not None:
                rows.append((person, *found[:6]))
            if found[7] is not None and found[7] != found[1]:
                rows.append((person, *found[6:]))
        picks: list[tuple[str, str | None, str | None, str | None]] = []
        sep = "char(31)"
        for part in _chunks(later, 500):
            picks += self.conn.execute(
                f"""SELECT person,
                    max(CASE WHEN date <= :t THEN
                        date || {sep} || (kind = 'conversation') || {sep} || source END),
                    max(CASE WHEN date <= :t AND kind = 'conversation' THEN
                        date || {sep} || source END),
                    min(CASE WHEN date > :t AND kind = 'conversation' THEN
                        date || {sep} || source END)
                FROM participants WHERE date IS NOT NULL
                    AND person IN (SELECT value FROM json_each(:people))
                GROUP BY person""",
                {"t": today, "people": json.dumps(list(part))},
            ).fetchall()
        wanted: list[tuple[str, str]] = []
        for person, contact, conversation, scheduled in picks:
            # The path is what follows the date (and the flag): it may hold a \x1f itself.
            if contact:
                wanted.append((person, contact.split("\x1f", 2)[2]))
            for key in (conversation, scheduled):
                if key:
                    wanted.append((person, key.split("\x1f", 1)[1]))
        notes = {
            r[0]: r
            for r in self.conn.execute(
                "SELECT path, date, title, kind, summary, json_extract(props, '$.channel')"
                " FROM notes WHERE path IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted({path for _p, path in wanted})),),
            )
        }
        for person, path in dict.fromkeys(wanted):
            d = notes[path]
            rows.append((person, d[1], d[0], d[2], d[3], d[4], d[5]))
        return rows

    def open_followups(
        self, people: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, str, str | None, str]]:
        """(person, path, line, text, date, title) for each unchecked task in a
        conversation note, once for each participant and each person linked on the task's
        line; only for `people` when given."""
        if people is not None:
            # From the people to their notes (participants by person, links by target):
            # the few tasks of the people asked about, not every open task of the vault.
            # A participants row holds its note's date and kind (and only conversations
            # and daily notes that are neither templates nor generated have any), and a
            # note's title is its file name: the note itself need not be read.
            rows = self.conn.execute(
                """WITH asked AS (SELECT DISTINCT value AS person FROM json_each(:people))
                SELECT p.person, t.path, t.line, t.text, p.date FROM asked a
                    CROSS JOIN participants p ON p.person = a.person
                    CROSS JOIN tasks t ON t.path = p.source
                    WHERE t.checked = 0 AND p.kind = 'conversation'
                UNION
                SELECT l.resolved, t.path, t.line, t.text, n.date FROM asked a
                    CROSS JOIN links l INDEXED BY links_body ON l.resolved = a.person
                    CROSS JOIN tasks t ON t.path = l.source AND t.line = l.line
                    CROSS JOIN notes n ON n.path = t.path
                    WHERE l.place = 'body' AND t.checked = 0 AND n.kind = 'conversation'
                    AND n.is_template = 0 AND n.is_generated = 0""",
                {"people": json.dumps(list(people))},
            ).fetchall()
            # A conversation's tasks come once per participant: its title is worked out once.
            titles: dict[str, str] = {}
            return [
                (*r, titles[r[1]] if r[1] in titles else titles.setdefault(r[1], note_title(r[1])))
                for r in rows
            ]
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

    def person_records(
        self, paths: Sequence[str] | None = None
    ) -> list[tuple[str, str, dict[str, Any], list[str], list[str]]]:
        """(path, title, props, aliases, tags) of each person note (templates and generated
        notes never; of `paths` only, when given): just what a Person holds, each column's
        JSON decoded in one call for all rows (10,000 calls of json.loads cost three times
        as much)."""
        only = "" if paths is None else " AND path IN (SELECT value FROM json_each(?))"
        rows = self.conn.execute(
            "SELECT path, title, props, aliases, tags FROM notes"
            " WHERE kind = 'person' AND is_template = 0 AND is_generated = 0" + only,
            () if paths is None else (json.dumps(list(paths)),),
        ).fetchall()
        if not rows:
            return []
        paths, titles, props, aliases, tags = zip(*rows, strict=True)
        decoded = [json.loads("[" + ",".join(column) + "]") for column in (props, aliases, tags)]
        return list(zip(paths, titles, *decoded, strict=True))

    def person_directory(self) -> list[tuple[str, str, str | None, list[str], list[str]]]:
        """(path, title, `name` property or None, aliases, tags) of each person note, as
        `person_records` without the other properties: enough to find a person by name.
        Only the properties that may hold a `name` are decoded."""
        rows = self.conn.execute(
            "SELECT path, title, CASE WHEN instr(props, '\"name\"') THEN props END, aliases,"
            " tags FROM notes WHERE kind = 'person' AND is_template = 0 AND is_generated = 0"
        ).fetchall()
        if not rows:
            return []
        paths, titles, props, aliases, tags = zip(*rows, strict=True)
        names = [None if p is None else json.loads(p).get("name") for p in props]
        decoded = [json.loads("[" + ",".join(column) + "]") for column in (aliases, tags)]
        return list(zip(paths, titles, names, *decoded, strict=True))

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

    def sources(self, prefix: str) -> list[tuple[str, str]]:
        """(path, `source`) of the notes whose `source` is text starting with `prefix`,
        in the order `notes_with_source` gives them, without decoding every property."""
        return self.conn.execute(
            "SELECT path, json_extract(props, '$.source') FROM notes"
            " WHERE json_extract(props, '$.source') LIKE ? ESCAPE '\\'"
            " AND json_type(props, '$.source') = 'text'",
            (_like(prefix),),
        ).fetchall()

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
        # Of a few paths: found by path (`+kind` keeps SQLite from scanning every
        # conversation by kind first).
        kind = "kind" if paths is None else "+kind"
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
                f" WHERE {kind} IN ('conversation', 'daily') AND is_template = 0"
                " AND is_generated = 0" + only,
                () if paths is None else (json.dumps(list(paths)),),
            )
        ]

    def conversation_slices(self, size: int) -> Iterator[list[ConversationRow]]:
        """conversation_rows() in order of writing, `size` at a time: a large vault's are
        never all in memory at once."""
        after = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, path, title, kind, date, participant_names, has_participants,"
                " summary, json_extract(props, '$.channel') FROM notes"
                " WHERE id > ? AND kind IN ('conversation', 'daily') AND is_template = 0"
                " AND is_generated = 0 ORDER BY id LIMIT ?",
                (after, size),
            ).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield [
                ConversationRow(
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    () if r[5] == "[]" else tuple(json.loads(r[5])),  # most name nobody
                    bool(r[6]),
                    r[7],
                    r[8] if isinstance(r[8], str) else None,
                )
                for r in rows
            ]

    def contact_links(self, sources: Sequence[str] | None = None) -> list[LinkRow]:
        """The links of conversations and daily notes (participants and mentions); of
        `sources` only, when given."""
        only = "" if sources is None else " AND l.source IN (SELECT value FROM json_each(?))"
        kind = "n.kind" if sources is None else "+n.kind"  # of a few: by source, not by kind
        return [
            LinkRow(*r)
            for r in self.conn.execute(
                "SELECT l.source, l.target, l.resolved, l.line, l.place, l.prop FROM links l"
                " JOIN notes n ON n.path = l.source"
                f" WHERE {kind} IN ('conversation', 'daily') AND n.is_template = 0"
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

    def introduced_by(self, path: str) -> list[str]:
        """The notes whose `introduced_by` names `path`: whose first resolved link in
        that property (in line order) points at it."""
        first: dict[str, str] = {}
        for source, resolved in self.conn.execute(
            "SELECT source, resolved FROM links WHERE place = 'frontmatter'"
            " AND prop = 'introduced_by' AND resolved IS NOT NULL AND source IN"
            " (SELECT source FROM links WHERE resolved = ? AND place = 'frontmatter'"
            " AND prop = 'introduced_by') ORDER BY source, line, rowid",
            (path,),
        ):
            first.setdefault(source, resolved)
        return [source for source, resolved in first.items() if resolved == path]

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
        return self.resolver(files=set()).resolve(key, "")

    def all_paths(self) -> list[str]:
        return [p for (p,) in self.conn.execute("SELECT path FROM notes")]

    # -- what the relationship insights need (vault who / intros / report) --

    @_fts_query
    def profile_hits(self, match: str) -> list[tuple[str, str, float, str]]:
        """(person path, property, score, snippet) of each profile property matching the
        FTS5 expression `match`; score is -bm25, higher is better."""
        return self.conn.execute(
            "SELECT path, field, -bm25(profile), snippet(profile, 2, char(2), char(3), '…', 12)"
            " FROM profile WHERE profile MATCH ? ORDER BY path, field",
            (match,),
        ).fetchall()

    @_fts_query
    def note_hits(self, match: str) -> list[tuple[str, str, str, str | None, float, str | None]]:
        """(path, kind, title, date, score, participants) of the person notes whose body
        and the conversations whose title or body match `match`; score is -bm25, the
        participants' paths are joined by NUL (no path holds one; None: nobody). No
        snippets: a common word matches thousands of notes, and only the few shown need
        one (see `snippets`)."""
        # MATERIALIZED: the full-text match runs once; joined the other way round,
        # SQLite would run it again for every note.
        rows = self.conn.execute(
            """WITH person AS MATERIALIZED (
                SELECT rowid AS id, -bm25(fts, 0.0, 0.0, 0.0, 1.0) AS score FROM fts
                WHERE fts MATCH :person),
            conversation AS MATERIALIZED (
                SELECT rowid AS id, -bm25(fts, 2.0, 0.0, 0.0, 1.0) AS score FROM fts
                WHERE fts MATCH :conversation)
            SELECT n.path, n.kind, n.title, n.date, h.score, NULL FROM person h
                JOIN notes n ON n.id = h.id
                WHERE n.kind = 'person' AND n.is_template = 0 AND n.is_generated = 0
            UNION ALL
            SELECT n.path, n.kind, n.title, n.date, h.score,
                (SELECT group_concat(p.person, char(0)) FROM participants p
                    WHERE p.source = n.path)
                FROM conversation h JOIN notes n ON n.id = h.id
                WHERE n.kind = 'conversation' AND n.is_template = 0 AND n.is_generated = 0""",
            {
                "person": "{body} : (" + match + ")",
                "conversation": "{title body} : (" + match + ")",
            },
        ).fetchall()
        return sorted(rows)

    @_fts_query
    def person_body_hits(
        self, match: str
    ) -> list[tuple[str, str, str, str | None, float, str | None]]:
        """`note_hits` of the person notes only (their body matches `match`)."""
        # From the full-text match to each note (CROSS JOIN keeps that order), so bm25 is
        # worked out for the person notes only, not for every conversation that matches.
        rows = self.conn.execute(
            """SELECT n.path, n.kind, n.title, n.date, -bm25(fts, 0.0, 0.0, 0.0, 1.0), NULL
                FROM fts CROSS JOIN notes n ON n.id = fts.rowid
                WHERE fts MATCH :person
                AND n.kind = 'person' AND n.is_template = 0 AND n.is_generated = 0""",
            {"person": "{body} : (" + match + ")"},
        ).fetchall()
        return sorted(rows)

    @_fts_query
    def conversation_matches(self, match: str) -> list[tuple[int, float, str]]:
        """(note id, score, people) of each conversation whose title or body matches
        `match`: score is -bm25, higher is better; people are its participants' paths,
        each once, joined by NUL ('' for nobody). One read per match
        (`conversation_people` holds each conversation's people, and only
        conversations): a common word matches tens of thousands."""
        return self.conn.execute(
            """SELECT h.id, h.score, c.people FROM (
                SELECT rowid AS id, -bm25(fts, 2.0, 0.0, 0.0, 1.0) AS score FROM fts
                WHERE fts MATCH :conversation) h
                CROSS JOIN conversation_people c ON c.id = h.id""",
            {"conversation": "{title body} : (" + match + ")"},
        ).fetchall()

    def conversation_hits(
        self, matches: Sequence[tuple[int, float, str]]
    ) -> list[tuple[str, str, str, str | None, float, str | None]]:
        """`note_hits` of these `conversation_matches`, in order of path."""
        found = {m[0]: m for m in matches}
        rows = [
            (path, kind, title, date, found[i][1], found[i][2] or None)
            for i, path, kind, title, date in self.conn.execute(
                "SELECT id, path, kind, title, date FROM notes"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(found)),),
            )
        ]
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

    def profile_words(
        self,
    ) -> tuple[dict[int, tuple[str, str, str]], list[tuple[int, str]], list[tuple[int, str, int]]]:
        """The profile properties' words, stemmed by the index's own tokenizer (so
        'designer' and 'design' meet): each property by its row (person path, property,
        text); each property but `needs` with its words (row, stems separated by spaces);
        and each word of the `needs` as (row, stem, position)."""
        texts = {
            rowid: (path, field, text)
            for rowid, path, field, text in self.conn.execute(
                "SELECT rowid, path, field, text FROM profile"
            )
        }
        # a profile row's rowid is the note's id × 8 + the property's place
        needs = PROFILE_FIELDS.index("needs")
        offers = self.conn.execute(
            "SELECT doc, group_concat(term, ' ') FROM profile_words WHERE doc % 8 != ?"
            " GROUP BY doc",
            (needs,),
        ).fetchall()
        need_words = self.conn.execute(
            "SELECT doc, term, offset FROM profile_words WHERE doc % 8 = ?", (needs,)
        ).fetchall()
        return texts, offers, need_words

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
        # From the few matching tasks outwards (CROSS JOIN keeps that order): started from
        # the people or the conversations, SQLite would visit every one of them.
        return self.conn.execute(
            """WITH t AS MATERIALIZED (SELECT t.path, t.line FROM tasks t
                CROSS JOIN notes n ON n.path = t.path
                WHERE t.checked = 0 AND t.text LIKE '%intro%' AND n.kind = 'conversation'
                AND n.is_template = 0 AND n.is_generated = 0)
            SELECT p.person, t.path, t.line FROM t CROSS JOIN participants p ON p.source = t.path
            UNION
            SELECT l.resolved, t.path, t.line FROM t
                CROSS JOIN links l ON l.source = t.path AND l.line = t.line AND l.place = 'body'
                CROSS JOIN notes n ON n.path = l.resolved AND n.kind = 'person'"""
        ).fetchall()

    def connected_people(self, people: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """Pairs of people already connected: in one conversation together, or a link from
        one's note to the other's (`introduced_by` included). With `people`, only the
        pairs with one of them (found from them: no pass over every conversation), a
        pair possibly more than once (the caller's set drops the repeats cheaper than a
        sort here)."""
        if people is not None:
            return self.conn.execute(
                """WITH who AS (SELECT DISTINCT value AS person FROM json_each(:people))
                SELECT a.person, b.person FROM who w
                    CROSS JOIN participants a ON a.person = w.person
                    CROSS JOIN participants b ON b.source = a.source AND b.person != a.person
                    WHERE a.kind = 'conversation'
                UNION ALL
                SELECT l.source, l.resolved FROM notes s CROSS JOIN links l ON l.source = s.path
                    CROSS JOIN notes t ON t.path = l.resolved
                    WHERE s.kind = 'person' AND t.kind = 'person' AND l.source != l.resolved
                    AND (l.source IN who OR l.resolved IN who)""",
                {"people": json.dumps(list(people))},
            ).fetchall()
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

    def contact_figures(
        self, today: dt.date, first_month: dt.date, half: dt.date, year: dt.date
    ) -> tuple[dict[str, int], dict[str, tuple[int, int, int]]]:
        """Dated conversations and daily-note mentions on or before today, added up:
        per month ("YYYY-MM") since `first_month`, everyone's; and per person, how many
        after `half`, how many after `year` up to `half`, and how many in all."""
        args = {
            "today": today.isoformat(),
            "first": first_month.isoformat(),
            "half": half.isoformat(),
            "year": year.isoformat(),
        }
        months = dict(
            self.conn.execute(
                "SELECT substr(date, 1, 7), count(*) FROM participants"
                " WHERE date >= :first AND date <= :today GROUP BY 1",
                args,
            ).fetchall()
        )
        windows = {
            person: (recent, before, past)
            for person, recent, before, past in self.conn.execute(
                "SELECT person, sum(date > :half), sum(date > :year AND date <= :half),"
                " count(*) FROM participants WHERE date <= :today GROUP BY person",
                args,
            )
        }
        return months, windows

    def asks_since_give(self, today: dt.date) -> dict[str, tuple[int, bool]]:
        """Per person with an ask in a past conversation: the asks since their newest
        past give (newest by date, then path), and whether there was one. Read from
        `person_asks`: kept for any day after a person's last ask or give, and for the
        people with one after today, counted back along their `said`."""
        day = today.isoformat()
        out: dict[str, tuple[int, bool]] = {}
        for person, last, asks, gave, said in self.conn.execute(
            "SELECT person, last_date, asks, gave, CASE WHEN last_date > :day THEN said END"
            " FROM person_asks WHERE asks > 0 OR last_date > :day",
            {"day": day},
        ):
            if last > day:
                asks, gave = _asks_back(said.split("\x1f"), day)
            if asks:
                out[person] = (asks, bool(gave))
        return out

    def said_rows(self, people: Sequence[str] | None = None) -> Iterator[tuple[str, str]]:
        """(person, date and "a" or "g") of each dated conversation that was an ask or a
        give (its `intent` as `normalise_intent` reads it), of `people` only when
        given; by person, then date, then the conversation's path. (vault_intent: see
        schema.functions.)"""
        read = "substr(vault_intent(json_extract({}.props, '$.intent')), 1, 1)"
        if people is None:
            # From the conversations with an intent (read once each) to their people.
            yield from self.conn.execute(
                f"""WITH said AS MATERIALIZED (SELECT path, {read.format("notes")} AS r
                    FROM notes INDEXED BY notes_intent
                    WHERE kind = 'conversation' AND date IS NOT NULL
                    AND json_extract(props, '$.intent') IS NOT NULL)
                SELECT p.person, p.date || s.r FROM said s
                    CROSS JOIN participants p ON p.source = s.path
                    WHERE s.r IN ('a', 'g') AND p.kind = 'conversation' AND p.date IS NOT NULL
                    ORDER BY p.person, p.date, p.source"""
            )
            return
        for part in _chunks(list(people), 500):
            yield from self.conn.execute(
                f"""SELECT person, said FROM (SELECT p.person, p.date, p.source,
                        p.date || {read.format("n")} AS said
                    FROM participants p CROSS JOIN notes n ON n.path = p.source
                    WHERE p.person IN (SELECT value FROM json_each(?))
                    AND p.kind = 'conversation' AND p.date IS NOT NULL
                    AND n.kind = 'conversation' AND json_extract(n.props, '$.intent') IS NOT NULL)
                WHERE substr(said, -1) IN ('a', 'g') ORDER BY person, date, source""",
                (json.dumps(list(part)),),
            )

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


def asks_of(rows: Iterable[tuple[str, str]]) -> dict[str, tuple[str, int, bool, str]]:
    """`said_rows` -> per person: the newest date of them, the asks since the newest
    give (newest by date, then path; every ask when there was none), whether there was
    one, and all of them as `said` (see `_asks_back`)."""
    out = {}
    for person, items in itertools.groupby(rows, key=operator.itemgetter(0)):
        kept = [said for _person, said in items]  # oldest first
        last = kept[-1][:-1]
        asks, gave = _asks_back(kept, last)
        out[person] = (last, asks, gave, "\x1f".join(kept))
    return out


def _asks_back(said: Sequence[str], day: str) -> tuple[int, bool]:
    """`said`: a person's asks and gives, oldest first (by date, then path), each as its
    date and "a" or "g" -> the asks since the newest give on or before `day`, and
    whether there was one."""
    asks = 0
    for item in reversed(said):
        if item[:-1] > day:
            continue
        if item[-1] == "g":
            return asks, True
        asks += 1
    return asks, False


def note_title(path: str) -> str:
    """A note's title as the index stores it: its file name without `.md` (see
    notes.parse_note)."""
    name = path.rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".md") else name


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# A person's `name` (their display name) when set, else the note's title.
_SHOWN_TITLE = (
    "CASE WHEN n.kind = 'person' AND json_type(n.props, '$.name') = 'text'"
    " AND trim(json_extract(n.props, '$.name')) != ''"
    " THEN trim(json_extract(n.props, '$.name')) ELSE n.title END"
)


def _like(prefix: str) -> str:
    """A LIKE pattern matching text that starts with `prefix` as written."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

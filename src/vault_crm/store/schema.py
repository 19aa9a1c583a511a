"""The index's schema and its file: the tables and their version, where the file lives,
opening it (or starting again when it is missing, corrupt, of another schema version or
built with other settings), and the database file's modes. A table added to the index is
added here, to `SCHEMA`, with `SCHEMA_VERSION` raised."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import sqlite3
import stat
import sys
from pathlib import Path

from vault_crm.config import Settings
from vault_crm.errors import IndexUnavailable
from vault_crm.model import normalise_intent

# 13: conversation_people, person_asks; 12: links_body (the people a task line links,
# read from the index alone); 11: notes_intent; 10: walk_parts, person_names;
# 9: participants_person covers date, kind and source; 8: profile; 7: person_summary
# holds the notes' details; 6: person_summary; 5: summaries join hard-wrapped lines;
# files table
SCHEMA_VERSION = 13
BUSY_TIMEOUT_MS = 15_000

SCHEMA = """
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
-- per person, the newest participants row of any date (scheduled ones included), as
-- "date␟is_conversation␟source", and the newest conversation's "date␟source": for any
-- today on or after that date they are the last contact and the last conversation, and
-- nothing is scheduled, so reads need no GROUP BY over participants (apply keeps them);
-- then those two notes' date, path, title, kind, summary and channel, so reads need not
-- look each one up (a note written again summarises its participants again)
CREATE TABLE person_summary(
    person TEXT PRIMARY KEY,
    last_date TEXT NOT NULL,
    last_contact TEXT NOT NULL,
    last_conversation TEXT,
    contact_date TEXT,
    contact_path TEXT,
    contact_title TEXT,
    contact_kind TEXT,
    contact_summary TEXT,
    contact_channel,
    conversation_date TEXT,
    conversation_path TEXT,
    conversation_title TEXT,
    conversation_kind TEXT,
    conversation_summary TEXT,
    conversation_channel
);
-- per conversation note (by its id, the fts rowid; templates and generated notes never):
-- the people who took part, each once, NUL-separated in participants' order ('' for
-- nobody), so `vault who` credits each matching conversation with one read (apply keeps it)
CREATE TABLE conversation_people(id INTEGER PRIMARY KEY, people TEXT NOT NULL);
-- per person with a dated conversation that was an ask or a give (its `intent`), over
-- all of those: the newest one's date, the asks since the newest give (by date, then
-- path; all of them when there was no give), whether there was a give, and each of them
-- oldest first as its date and "a" or "g" (␟-separated). For any today on or after
-- last_date the counts are what `vault report` lists; for an earlier one, `said` counted
-- back from today is (apply keeps them).
CREATE TABLE person_asks(
    person TEXT PRIMARY KEY,
    last_date TEXT NOT NULL,
    asks INTEGER NOT NULL,
    gave INTEGER NOT NULL,
    said TEXT NOT NULL
);
-- people's profile properties (PROFILE_FIELDS: known_for, working_on, needs, role,
-- company, tags), one row per person and property, kept by apply: bm25 and snippets per
-- property for `vault who`, and through profile_words each property's stemmed words for
-- `vault intros`. rowid = the note's id × 8 + the property's place in PROFILE_FIELDS.
CREATE VIRTUAL TABLE profile USING fts5(path UNINDEXED, field UNINDEXED,
    text, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE profile_words USING fts5vocab(profile, instance);
-- the walk of the vault the index last matched (meta 'walk'), in parts (refresh.py's
-- `_parts`: a folder, or a run of a folder's notes, keyed "folder#n"): each part's
-- digest and its notes' paths as on disk (NUL-separated), mtime_ns and size (int64
-- arrays); a refresh reads back only the parts whose digest changed
CREATE TABLE walk_parts(
    part TEXT PRIMARY KEY,
    digest BLOB NOT NULL,
    fspaths TEXT NOT NULL,
    mtimes BLOB NOT NULL,
    sizes BLOB NOT NULL
);
-- every name a person is known by (display name, file title, aliases; as contacts'
-- name_key spells them) → the person note, kept by apply: the people one changed note
-- may name are looked up by the names it uses, not found among everyone's
CREATE TABLE person_names(key TEXT NOT NULL, person TEXT NOT NULL);
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
SECONDARY = """
CREATE INDEX IF NOT EXISTS notes_kind ON notes(kind);
CREATE INDEX IF NOT EXISTS notes_title_key ON notes(title_key);
CREATE INDEX IF NOT EXISTS notes_generated ON notes(path) WHERE is_generated = 1;
CREATE INDEX IF NOT EXISTS links_source ON links(source);
CREATE INDEX IF NOT EXISTS links_resolved ON links(resolved);
CREATE INDEX IF NOT EXISTS links_key ON links(target_key);
-- covering: the notes and lines whose body links a person (their follow-ups)
CREATE INDEX IF NOT EXISTS links_body ON links(resolved, source, line) WHERE place = 'body';
CREATE INDEX IF NOT EXISTS tags_path ON tags(path);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tasks_path ON tasks(path);
CREATE INDEX IF NOT EXISTS problems_path ON problems(path);
CREATE INDEX IF NOT EXISTS person_names_key ON person_names(key);
CREATE INDEX IF NOT EXISTS person_names_person ON person_names(person);
CREATE INDEX IF NOT EXISTS participants_source ON participants(source);
-- covering: a person's contacts (their dates, kinds and notes) are read from the index alone
CREATE INDEX IF NOT EXISTS participants_person ON participants(person, date, kind, source);
-- covering: the conversations that were an ask or a give (the report's asks since the
-- last give) are read without decoding every conversation's properties
CREATE INDEX IF NOT EXISTS notes_intent ON notes(json_extract(props, '$.intent'), path)
    WHERE kind = 'conversation' AND date IS NOT NULL;
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


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    functions(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def functions(conn: sqlite3.Connection) -> None:
    """The functions the index's queries call: vault_intent(value), a conversation's
    `intent` as `normalise_intent` reads it."""
    conn.create_function("vault_intent", 1, normalise_intent, deterministic=True)


def check_fts5() -> None:
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


TABLES = set(re.findall(r"CREATE (?:VIRTUAL )?TABLE (\w+)", SCHEMA))


def private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm
    files the same mode), or make an existing one so."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


def open_file(settings: Settings, cache: Path | None = None) -> tuple[Path, sqlite3.Connection]:
    """The vault's index file and a connection to it, valid for these settings."""
    check_fts5()
    folder = vault_cache_dir(settings.vault, cache)
    path = folder / "index.sqlite"
    try:
        # Private: the index holds the notes' text. The folder 0700, the files 0600.
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            folder.chmod(0o700)
        conn = open_valid(path, settings)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise IndexUnavailable(
            f"cannot use the index at {path} ({reason}); make its folder writable,"
            " or set VAULT_CRM_CACHE to another folder"
        ) from None
    return path, conn


def open_valid(path: Path, settings: Settings) -> sqlite3.Connection:
    """Open the index, or start a new empty one when it is missing, corrupt, of another
    schema version or built with other settings."""
    if path.exists():
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder is in the way of the index file")
        try:
            conn = connect(path)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
            if (
                meta.get("schema") == str(SCHEMA_VERSION)
                and meta.get("settings") == settings.fingerprint()
                and tables >= TABLES
            ):
                private(path)
                return conn
            conn.close()
        except sqlite3.DatabaseError:
            pass
        remove_db(path)
    return create(path, settings)


def create(path: Path, settings: Settings) -> sqlite3.Connection:
    private(path)
    conn = connect(path)
    conn.executescript(SCHEMA + SECONDARY)
    write_meta(conn, settings)
    return conn


def start_build(tmp: Path, settings: Settings) -> sqlite3.Connection:
    """A new, empty index in the temporary file `tmp`, without its secondary indexes (built
    after the bulk load by `finish_build`)."""
    remove_db(tmp)
    private(tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    functions(conn)
    try:
        # A private file until it is moved into place: no journal needed, and a crash
        # just leaves a stray temp file that the next rebuild deletes.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(SCHEMA)
        write_meta(conn, settings)
    except BaseException:
        conn.close()
        remove_db(tmp)
        raise
    return conn


def finish_build(conn: sqlite3.Connection) -> None:
    conn.executescript(SECONDARY)


def build_secondary(conn: sqlite3.Connection, name: str) -> None:
    """Build one of the secondary indexes now (a bulk load that reads by it before
    `finish_build`)."""
    (statement,) = re.findall(rf"CREATE INDEX IF NOT EXISTS {name} .*?;", SECONDARY, re.S)
    conn.execute(statement)


def write_meta(conn: sqlite3.Connection, settings: Settings) -> None:
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?)",
        [
            ("schema", str(SCHEMA_VERSION)),
            ("settings", settings.fingerprint()),
            ("vault", str(settings.vault.resolve())),
        ],
    )

"""Plain records that flow between modules. Frozen, no behaviour beyond trivial helpers."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Severity = Literal["error", "warning"]
Kind = Literal["person", "conversation", "daily", "other"]
Where = Literal["body", "frontmatter"]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    severity: Severity
    message: str

    def render(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Link:
    """One link occurrence in a note. `target` is the link path as written (decoded, trimmed,
    without `#subpath` or `|display`); empty for a link to the note itself (`[[#Heading]]`)."""

    target: str
    line: int
    where: Where
    prop: str | None = None  # front-matter property holding the link
    subpath: str | None = None
    display: str | None = None
    embed: bool = False
    unquoted: bool = False  # a front-matter [[T]] that YAML read as a nested list


@dataclass(frozen=True)
class Task:
    line: int
    text: str
    checked: bool
    links: tuple[str, ...] = ()  # link targets on the task's own line


@dataclass(frozen=True)
class Note:
    """One markdown file as read from disk: everything later stages need, nothing resolved."""

    path: str  # vault path, NFC, '/'-separated
    fspath: str  # relative path as on disk (may differ from `path` in normalisation)
    title: str
    mtime_ns: int
    size: int
    kind: Kind
    is_template: bool
    is_generated: bool
    props: dict[str, Any]  # front-matter as JSON-able values (dates as ISO strings)
    body: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    links: tuple[Link, ...]
    tasks: tuple[Task, ...]
    date: dt.date | None  # conversation date or daily-note date
    participant_names: tuple[str, ...]  # plain (non-link) names in participant properties
    has_participant_props: bool  # any participant property is non-empty
    problems: tuple[Problem, ...] = field(default=())


@dataclass(frozen=True)
class IndexStats:
    notes: int
    people: int
    conversations: int
    links: int
    unresolved: int
    problems: int
    seconds: float
    added: int = 0
    updated: int = 0
    removed: int = 0


@dataclass(frozen=True)
class NoteRow:
    """What the index keeps of a note, as read back."""

    path: str
    title: str
    kind: str
    date: str | None
    props: dict[str, Any]
    aliases: list[str]
    tags: list[str]
    participant_names: list[str]
    has_participants: bool
    is_generated: bool
    is_template: bool
    summary: str


@dataclass(frozen=True)
class ConversationRow:
    path: str
    title: str
    kind: str  # conversation | daily
    date: str | None
    participant_names: tuple[str, ...]
    has_participants: bool
    summary: str
    channel: str | None


@dataclass(frozen=True)
class LinkRow:
    source: str
    target: str
    resolved: str | None
    line: int
    place: str
    prop: str | None


@dataclass(frozen=True)
class FollowUp:
    person: str  # person vault path
    text: str
    path: str
    line: int
    date: dt.date | None
    title: str


class IndexRecord(NamedTuple):
    """One note as the index stores it: made by a parsing worker (so it pickles cheaply),
    written by the index in batches. The first 16 fields are the notes table's columns."""

    path: str
    fspath: str
    title: str
    title_key: str
    kind: str
    is_template: int
    is_generated: int
    mtime_ns: int
    size: int
    date: str | None
    props: str  # JSON
    aliases: str  # JSON
    tags: str  # JSON
    participant_names: str  # JSON
    has_participants: int
    summary: str
    aliases_text: str
    props_text: str
    body: str
    # (target, key, resolved, line, place, prop, subpath, display, embed, kind)
    links: list[tuple[Any, ...]]
    tag_keys: list[str]
    tasks: list[tuple[int, str, int, str]]  # (line, text, checked, links as JSON)
    problems: list[tuple[int | None, str, str]]  # (line, severity, message)
    cjk: tuple[str, str]  # bigrams of (title + aliases, properties + body)


# A conversation's `intent` as written -> what it was (SPEC §9): the same few words repeat
# across thousands of conversations, so each is read once.
_INTENTS = {"give": "give", "ask": "ask", "catch-up": "catch-up", "catchup": "catch-up"}


def normalise_intent(value: Any) -> str | None:
    """What a conversation's `intent` says it was: "give", "ask", "catch-up", or None
    (anything else, or not a string)."""
    return _intent(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=256)
def _intent(value: str) -> str | None:
    return _INTENTS.get(value.strip().casefold().replace(" ", "-"))

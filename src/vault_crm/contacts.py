"""People, who took part in which conversation, and when each person was last in touch.

`build_graph` is pure (rows in, Graph out); `load_graph` feeds it from the index, through
`PeopleSource`: what this module needs from the store, declared here so that the index
(which builds the graph when it refreshes) and this module do not import each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from vault_crm.errors import NotFoundError
from vault_crm.links import nfc
from vault_crm.model import ConversationRow, FollowUp, LinkRow, NoteRow, Problem

if TYPE_CHECKING:
    from vault_crm.config import Settings


class PeopleSource(Protocol):
    """The index's named queries this module reads (see Index for what each returns)."""

    def person_notes(self, *, with_generated: bool = False) -> list[NoteRow]: ...

    def person_records(
        self, paths: Sequence[str] | None = None
    ) -> list[tuple[str, str, dict[str, Any], list[str], list[str]]]: ...

    def person_directory(self) -> list[tuple[str, str, str | None, list[str], list[str]]]: ...

    def people_mark(self) -> str | None: ...

    def contacts(
        self, today: str | None = None, person: str | None = None
    ) -> list[tuple[str, str, str, str, str, str, str | None]]: ...

    def open_followups(
        self, people: Sequence[str] | None = None
    ) -> list[tuple[str, str, int, str, str | None, str]]: ...


def name_key(name: str) -> str:
    return nfc(name.strip()).casefold()


@dataclass(frozen=True)
class Person:
    path: str
    title: str  # the display name: `name` when the note has one, else the file's title
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    props: dict[str, Any]
    stem: str = ""  # the file's title when `name` replaces it (`max-klein`)

    @property
    def names(self) -> tuple[str, ...]:
        """The names a person is known by besides aliases: display name and file title."""
        return (self.title, self.stem) if self.stem else (self.title,)

    @property
    def name(self) -> str:
        """The name shown for the person: `name` when the file name is a slug or a safe
        title (`AC - DC.md` with `name: "AC/DC"`), else the title."""
        shown = self.props.get("name")
        return shown.strip() if isinstance(shown, str) and shown.strip() else self.title


class Contact(NamedTuple):
    """A dated touch point with a person: a conversation, or a daily note mentioning them.
    A NamedTuple rather than a dataclass: `vault due` makes one or two per person."""

    date: dt.date
    path: str
    title: str
    kind: str  # "conversation" | "daily"
    summary: str
    channel: str | None


# Contact from a tuple without the Python-level __new__.
_contact = functools.partial(tuple.__new__, Contact)


@dataclass
class Graph:
    people: dict[str, Person]
    participants: dict[str, list[str]] = field(default_factory=dict)
    contacts: dict[str, list[Contact]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # title/alias key -> paths: worked out by `names` when first asked (only finding a
    # person by name needs it, and a large vault's table costs a tenth of a second)
    names: dict[str, list[str]] | None = None
    load_names: Callable[[], dict[str, list[str]]] | None = field(default=None, repr=False)

    @property
    def by_name(self) -> dict[str, list[str]]:
        if self.names is None:
            self.names = self.load_names() if self.load_names is not None else {}
        return self.names

    @by_name.setter
    def by_name(self, value: dict[str, list[str]]) -> None:
        self.names = value

    def sorted_people(self) -> list[Person]:
        return sorted(self.people.values(), key=lambda p: (name_key(p.title), p.path))

    def find(self, name: str) -> Person:
        """A PERSON argument: title or alias (case-insensitive, NFC), then a unique prefix."""
        key = name_key(name.removesuffix(".md"))
        by_path = {nfc(p).casefold(): p for p in self.people}
        if key in by_path:
            return self.people[by_path[key]]
        if key + ".md" in by_path:
            return self.people[by_path[key + ".md"]]
        titles = [p for p in self.people.values() if key in map(name_key, p.names)]
        if len(titles) == 1:
            return titles[0]
        exact = titles or [self.people[p] for p in self.by_name.get(key, [])]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise NotFoundError(
                f"'{name}' matches more than one person: {_names(exact)}; "
                "use the vault path to choose"
            )
        prefixed = {
            path for k, paths in self.by_name.items() if k.startswith(key) and key for path in paths
        }
        if len(prefixed) == 1:
            return self.people[prefixed.pop()]
        if prefixed:
            raise NotFoundError(
                f"'{name}' matches more than one person: {_names(self.people[p] for p in prefixed)}"
            )
        raise NotFoundError(f"no person named '{name}'" + _suggest(self, key))


def _names(people: Iterable[Person]) -> str:
    shown = sorted({f"{p.title} ({p.path})" for p in people}, key=str.casefold)
    return ", ".join(shown)


def _suggest(graph: Graph, key: str) -> str:
    import difflib

    names = {p.title for p in graph.people.values()}
    close = difflib.get_close_matches(name_key(key), [n.casefold() for n in names], n=3)
    if not close:
        return ""
    lookup = {n.casefold(): n for n in names}
    return "; did you mean " + ", ".join(lookup[c] for c in close) + "?"


@dataclass(frozen=True)
class NameTables:
    """The people by path, and by the names they are known by (see `name_tables`)."""

    people: dict[str, Person]
    titles: dict[str, list[str]]  # name key of display name or file title -> paths
    aliases: dict[str, list[str]]  # name key of an alias (not also a title) -> paths
    by_name: dict[str, list[str]]  # both, titles first
    problems: list[Problem]  # an alias that two people use


def name_tables(people: Iterable[Person]) -> NameTables:
    """What `build_graph` matches names against: made once when the same people are
    matched against many slices of conversations (a rebuild's)."""
    by_path = {p.path: p for p in people}
    titles: dict[str, list[str]] = defaultdict(list)
    aliases: dict[str, list[str]] = defaultdict(list)
    problems: list[Problem] = []
    for p in by_path.values():
        named = {name_key(n) for n in p.names}
        for key in named:
            titles[key].append(p.path)
        for a in p.aliases:
            if name_key(a) not in named and p.path not in aliases[name_key(a)]:
                aliases[name_key(a)].append(p.path)
    for key, paths in aliases.items():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(by_path[o].title for o in paths if o != path)
                problems.append(
                    Problem(path, None, "warning", f"alias '{key}' is also used by {others}")
                )
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, paths in titles.items():
        by_name[key].extend(paths)
    for key, paths in aliases.items():
        for path in paths:
            if path not in by_name[key]:
                by_name[key].append(path)
    return NameTables(by_path, dict(titles), dict(aliases), dict(by_name), problems)


def _copy_names(by_name: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: list(paths) for key, paths in by_name.items()}


def build_graph(
    people: Iterable[Person],
    conversations: Iterable[ConversationRow],
    links: Iterable[LinkRow],
    settings: Settings,
    names: NameTables | None = None,
) -> Graph:
    """Who took part in each conversation (or is mentioned in each daily note), and the
    problems only the whole vault shows. The index stores the result at refresh time.
    `names`: the name tables of these `people`, when already made."""
    if names is None:
        names = name_tables(people)
    graph = Graph(
        people=dict(names.people),
        problems=list(names.problems),
        load_names=functools.partial(_copy_names, names.by_name),
    )
    titles, aliases = names.titles, names.aliases

    def match_name(text: str) -> str | None:
        key = name_key(text)
        found = titles.get(key) or aliases.get(key) or []
        return found[0] if len(found) == 1 else None

    participant_props = set(settings.participant_properties)
    links_by_source: dict[str, list[LinkRow]] = defaultdict(list)
    for link in links:
        links_by_source[link.source].append(link)

    for conv in conversations:
        found: list[str] = []
        own = links_by_source.get(conv.path, [])
        if conv.kind == "daily":
            if settings.daily_notes_count:
                found = [ln.resolved for ln in own if ln.resolved in graph.people]
        elif conv.has_participants:
            for ln in own:
                if ln.place != "frontmatter" or ln.prop not in participant_props:
                    continue
                person = ln.resolved if ln.resolved in graph.people else None
                if person is None and ln.resolved is None:
                    # Aliases are a fallback for participants only: Obsidian itself
                    # never resolves [[Alias]], but "with: [[Ana]]" clearly means Ana.
                    person = match_name(ln.target)
                if person is None:
                    graph.problems.append(
                        Problem(
                            conv.path,
                            ln.line,
                            "warning",
                            f"participant [[{ln.target}]] matches no person",
                        )
                    )
                else:
                    found.append(person)
            for name in conv.participant_names:
                person = match_name(name)
                if person is None:
                    graph.problems.append(
                        Problem(
                            conv.path, None, "warning", f"participant '{name}' matches no person"
                        )
                    )
                else:
                    found.append(person)
        else:
            found = [
                ln.resolved for ln in own if ln.place == "body" and ln.resolved in graph.people
            ]
        graph.participants[conv.path] = list(dict.fromkeys(found))
    return graph


def display_name(title: str, props: dict[str, Any]) -> str:
    """A person's `name` property when it holds one (a slug file name's real name), else
    the note's title."""
    name = props.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else title


# An open index (the daemon's) -> (its people mark, the people loaded at that mark).
_loaded: weakref.WeakKeyDictionary[Any, tuple[str, list[Person]]] = weakref.WeakKeyDictionary()


def load_people(index: PeopleSource) -> list[Person]:
    """The people with all their properties. An open index that is asked again while no
    person note changed (its people mark is the same) gets the same Person objects, so
    the daemon does not read 10,000 people's properties after every save."""
    mark = index.people_mark()
    if mark is not None:
        kept = _loaded.get(index)
        if kept is not None and kept[0] == mark:
            return list(kept[1])
    people = []
    for path, title, props, aliases, tags in index.person_records():
        shown = display_name(title, props)
        stem = title if shown != title and name_key(shown) != name_key(title) else ""
        people.append(Person(path, shown, tuple(aliases), tuple(tags), props, stem))
    if mark is not None:
        with contextlib.suppress(TypeError):  # an object that cannot be weakly referenced
            _loaded[index] = (mark, list(people))
    return people


def _person(path: str, title: str, props: dict[str, Any], aliases: Any, tags: Any) -> Person:
    shown = display_name(title, props)
    stem = title if shown != title and name_key(shown) != name_key(title) else ""
    return Person(path, shown, tuple(aliases), tuple(tags), props, stem)


def load_directory(index: PeopleSource) -> Graph:
    """The people as finding one by name needs them (display name, file title, aliases,
    tags), without their other properties (see `load_person`); no contacts."""
    people = [
        _person(path, title, {} if name is None else {"name": name}, aliases, tags)
        for path, title, name, aliases, tags in index.person_directory()
    ]
    graph = Graph(people={p.path: p for p in people})
    graph.load_names = functools.partial(_names_of, index, people)
    return graph


def load_person(index: PeopleSource, path: str) -> Person:
    """One person with all their properties."""
    (record,) = index.person_records([path])
    return _person(*record)


def load_graph(
    index: PeopleSource,
    today: dt.date | None = None,
    person: str | None = None,
    *,
    contacts: bool = True,
) -> Graph:
    """People and their contacts as the index stored them at the last refresh. With
    `today`, only the contacts that decide who is due are loaded (see Index.contacts);
    with `person`, all of that person's."""
    people = load_people(index)
    graph = Graph(people={p.path: p for p in people})
    graph.load_names = functools.partial(_names_of, index, people)
    if not contacts:
        return graph
    graph.contacts = _contacts(index.contacts(today.isoformat() if today else None, person), graph)
    return graph


# An open index -> the people its last load_people returned and their names' table.
_named: weakref.WeakKeyDictionary[Any, tuple[list[Person], dict[str, list[str]]]]
_named = weakref.WeakKeyDictionary()


def _names_of(index: PeopleSource, people: list[Person]) -> dict[str, list[str]]:
    """Each title/alias key -> the paths of the people known by it (for the same Person
    objects as last time, the table worked out then)."""
    kept = _named.get(index)
    same = kept is not None and len(kept[0]) == len(people)
    if kept is not None and same and all(a is b for a, b in zip(kept[0], people, strict=True)):
        return dict(kept[1])
    by_name: dict[str, list[str]] = defaultdict(list)
    for p in people:
        for name in (*p.names, *p.aliases):
            if p.path not in by_name[name_key(name)]:
                by_name[name_key(name)].append(p.path)
    found = dict(by_name)
    with contextlib.suppress(TypeError):  # an object that cannot be weakly referenced
        _named[index] = (list(people), found)
    return dict(found)


def contacts_of(
    rows: Iterable[tuple[str, str, str, str, str, str, str | None]], graph: Graph
) -> dict[str, list[Contact]]:
    """Contact rows (as `Index.contacts` gives them) -> each of `graph`'s people's
    contacts, newest first."""
    return _contacts(rows, graph)


def load_contacts(index: PeopleSource, graph: Graph, person: str) -> list[Contact]:
    """All of one person's contacts (of `graph`'s people), newest first."""
    return _contacts(index.contacts(person=person), graph).get(person, [])


def _contacts(
    rows: Iterable[tuple[str, str, str, str, str, str, str | None]], graph: Graph
) -> dict[str, list[Contact]]:
    found: dict[str, list[Contact]] = defaultdict(list)
    people = graph.people
    days: dict[str, dt.date] = {}  # a vault's contacts fall on a few thousand days
    for who, date, path, title, kind, summary, channel in rows:
        if who in people:
            day = days.get(date)
            if day is None:
                day = days[date] = dt.date.fromisoformat(date)
            found[who].append(
                _contact(
                    (
                        day,
                        path,
                        title,
                        kind,
                        summary,
                        channel if isinstance(channel, str) else None,
                    )
                )
            )
    for items in found.values():
        if len(items) > 1:
            items.sort(key=_contact_order, reverse=True)
    return dict(found)


def _contact_order(c: Contact) -> tuple[dt.date, bool, str]:
    # newest first; on one day a conversation before a daily-note mention
    return (c.date, c.kind == "conversation", c.path)


def has_tag(person: Person, wanted: str) -> bool:
    for t in person.tags:
        key = nfc(t).casefold().lstrip("#")
        if key == wanted or key.startswith(wanted + "/"):
            return True
    return False


def load_followups(index: PeopleSource, people: Sequence[str] | None = None) -> list[FollowUp]:
    """Open follow-ups: each unchecked task in a conversation note belongs to every
    participant of that note and to every person linked on the task's own line."""
    dates: dict[str, dt.date] = {}  # a note's date, read once for all its tasks
    return [
        FollowUp(
            person,
            text,
            path,
            line,
            (dates.get(date) or dates.setdefault(date, dt.date.fromisoformat(date)))
            if date
            else None,
            title,
        )
        for person, path, line, text, date, title in index.open_followups(people)
    ]

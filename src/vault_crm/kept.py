"""What the daemon keeps between saves, so that one saved note costs work for the people
it touches, not for the whole vault: the people and their contacts (the graph the due
list is worked out from), and each person's share of the network report.

The index says which people a change touched (`Index.take_changed_people`: whose
contacts or whose own note changed); only their contacts are read again and only their
share of the report worked out again. A new day, a rebuild or a change made by another
process (not known what) works everything out again.

The report is a sum of per-person shares: its counts, contacts per month and tags add up
person by person, and each of its lists keeps the people that qualify on their own
(`build_report` of one person says whether they do), sorted and cut to the first ten; so
a list is `build_report` of just the people who qualify, which is what the whole vault
gives, and, when people join it, the first ten of its old ten and them. Only when one of
the ten leaves or changes is it worked out again from everyone on it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vault_crm.config import Settings
from vault_crm.contacts import Graph, contacts_of, load_graph, name_key
from vault_crm.due import person_status
from vault_crm.insights.reciprocity import Touch, touches
from vault_crm.insights.report import Listed, Report, build_report
from vault_crm.insights.sources import contact_dates
from vault_crm.store import Index

LISTS = ("fading", "weak_ties", "asks", "met")  # the report's lists of people

# More people touched than this at once: reading everyone's contacts in one query is cheaper.
FEW_PEOPLE = 200


@dataclass(frozen=True)
class _Share:
    """One person's share of the report (small: ten thousand of them are kept)."""

    counts: tuple[int, ...]
    months: tuple[int, ...]
    tags: tuple[str, ...]
    lists: tuple[str, ...]  # the report's lists they are on by themselves


class Kept:
    """The graph and the report shares of one open index at one day."""

    def __init__(self) -> None:
        self.today: dt.date | None = None
        self.graph: Graph | None = None
        self.shares: dict[str, _Share] = {}
        self.keys: tuple[str, ...] = ()  # the report's count names, in its order
        self.labels: tuple[str, ...] = ()  # its months
        self.counts: list[int] = []
        self.months: list[int] = []
        self.tags: Counter[str] = Counter()
        # Each list as last worked out. A list is the first ten, in its order, of the
        # people on it by themselves; when people join it, the first ten of the old ten
        # and them; when one of the ten leaves or changes, of everyone on it again.
        self.lists: dict[str, list[Listed]] = {name: [] for name in LISTS}
        self.whole: set[str] = set(LISTS)  # lists to work out from everyone on them
        self.joined: dict[str, set[str]] = {name: set() for name in LISTS}
        self._changed: set[str] | None = None

    def update(self, index: Index, today: dt.date) -> Graph:
        """Bring the graph up to date with the index (for `today`) and return it."""
        changed = index.take_changed_people()
        if self.graph is None or today != self.today or changed is None:
            self.graph = load_graph(index, today)
            self.today = today
            self.shares.clear()
            self._changed = None
            return self.graph
        if self._changed is not None:
            self._changed |= changed
        if not changed:
            return self.graph
        graph = load_graph(index, contacts=False)  # the people: kept while none changed
        contacts = {p: c for p, c in self.graph.contacts.items() if p in graph.people}
        touched = sorted(changed & graph.people.keys())
        for person in changed:
            contacts.pop(person, None)
        if len(touched) > FEW_PEOPLE:
            graph.contacts = load_graph(index, today).contacts
        else:
            for person in touched:
                found = _due_contacts(index.contacts(person=person), today)
                mine = contacts_of(found, graph).get(person)
                if mine:
                    contacts[person] = mine
            graph.contacts = contacts
        self.graph = graph
        return graph

    def report(self, index: Index, today: dt.date) -> Report:
        """The network report for `today` (after `update`): the shares of the people
        changed since the last report worked out again, then added up."""
        graph = self.graph
        assert graph is not None and self.today == today
        inputs: tuple[dict[str, list[dt.date]], dict[str, list[Touch]]] | None = None
        if self._changed is None or not self.shares:
            inputs = self._start(index, graph, today)
        else:
            wanted = (self._changed | (graph.people.keys() - self.shares.keys())) & set(
                graph.people
            )
            for gone in self.shares.keys() - graph.people.keys():
                self._drop(gone)
            if wanted:
                rows = index.interactions(sorted(wanted))
                found = contact_dates(rows), touches(rows, today)
                self._add(index.settings, graph, sorted(wanted), *found, today)
        self._changed = set()
        for name in LISTS:
            if name in self.whole:
                on = {p for p, share in self.shares.items() if name in share.lists}
            elif self.joined[name]:
                on = {i.path for i in self.lists[name]} | self.joined[name]
            else:
                continue
            self.lists[name] = self._list(name, on, index, graph, today, inputs)
        self.whole.clear()
        self.joined = {name: set() for name in LISTS}
        return Report(
            today=today,
            counts=dict(zip(self.keys, self.counts, strict=True)),
            months=list(zip(self.labels, self.months, strict=True)),
            tags=sorted(((t, n) for t, n in self.tags.items() if n > 0), key=_tag_order),
            **{name: list(self.lists[name]) for name in LISTS},
        )

    def _list(
        self,
        name: str,
        paths: set[str],
        index: Index,
        graph: Graph,
        today: dt.date,
        inputs: tuple[dict[str, list[dt.date]], dict[str, list[Touch]]] | None,
    ) -> list[Listed]:
        """One of the report's lists, of `paths` (those of them still on it by
        themselves): `build_report` of just them, in the report's order of people."""
        on = [graph.people[p] for p in paths if p in self.shares and name in self.shares[p].lists]
        on.sort(key=lambda p: (name_key(p.title), p.path))
        if inputs is None:
            rows = index.interactions([p.path for p in on])
            inputs = contact_dates(rows), touches(rows, today)
        dates, history = inputs
        entries = [
            person_status(p, graph.contacts.get(p.path, []), index.settings, today) for p in on
        ]
        found = build_report(
            entries,
            {p.path: dates.get(p.path, []) for p in on},
            {p.path: history.get(p.path, []) for p in on},
            today,
        )
        listed: list[Listed] = getattr(found, name)
        return listed

    def _start(
        self, index: Index, graph: Graph, today: dt.date
    ) -> tuple[dict[str, list[dt.date]], dict[str, list[Touch]]]:
        empty = build_report([], {}, {}, today)
        self.keys = tuple(empty.counts)
        self.labels = tuple(m for m, _n in empty.months)
        self.counts = [0] * len(self.keys)
        self.months = [0] * len(self.labels)
        self.tags = Counter()
        self.shares = {}
        self.lists = {name: [] for name in LISTS}
        self.whole = set(LISTS)
        rows = index.interactions()
        found = contact_dates(rows), touches(rows, today)
        del rows
        self._add(index.settings, graph, list(graph.people), *found, today)
        return found

    def _add(
        self,
        settings: Settings,
        graph: Graph,
        people: Sequence[str],
        dates: dict[str, list[dt.date]],
        history: dict[str, list[Touch]],
        today: dt.date,
    ) -> None:
        for path in people:
            self._drop(path)
            person = graph.people[path]
            entry = person_status(person, graph.contacts.get(path, []), settings, today)
            mine, theirs = dates.get(path, []), history.get(path, [])
            one = build_report([entry], {path: mine}, {path: theirs}, today)
            share = _Share(
                tuple(one.counts.values()),
                tuple(n for _m, n in one.months),
                tuple(t for t, _n in one.tags),
                tuple(name for name in LISTS if getattr(one, name)),
            )
            self.shares[path] = share
            _sum(self.counts, share.counts, 1)
            _sum(self.months, share.months, 1)
            self.tags.update(share.tags)
            for name in share.lists:
                self.joined[name].add(path)

    def _drop(self, path: str) -> None:
        share = self.shares.pop(path, None)
        if share is None:
            return
        _sum(self.counts, share.counts, -1)
        _sum(self.months, share.months, -1)
        self.tags.subtract(share.tags)
        for name in share.lists:
            # Someone leaving a list's first ten lets the next one in: work it out whole.
            if any(i.path == path for i in self.lists[name]):
                self.whole.add(name)


def _sum(into: list[int], values: Iterable[int], sign: int) -> None:
    for i, v in enumerate(values):
        into[i] += sign * v


def _tag_order(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _due_contacts(
    rows: Iterable[tuple[str, str, str, str, str, str, str | None]], today: dt.date
) -> list[tuple[str, str, str, str, str, str, str | None]]:
    """Of one person's contact rows, those `Index.contacts(today)` gives: the latest
    contact (a conversation first on the same day), the latest conversation (both on or
    before today) and the next scheduled conversation."""
    until = today.isoformat()
    rows = list(rows)
    past = [r for r in rows if r[1] <= until]
    talks = [r for r in past if r[4] == "conversation"]
    later = [r for r in rows if r[1] > until and r[4] == "conversation"]
    picks = []
    if past:
        picks.append(max(past, key=lambda r: (r[1], r[4] == "conversation", r[2])))
    if talks:
        picks.append(max(talks, key=lambda r: (r[1], r[2])))
    if later:
        picks.append(min(later, key=lambda r: (r[1], r[2])))
    # Once each (a contact that is also the latest conversation), as the index does.
    return list({r[2]: r for r in picks[::-1]}.values())[::-1]

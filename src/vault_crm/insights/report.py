"""`vault report`: the network at a glance, as figures a note can hold.

Pure: people, their contact dates and conversations, their cadence and due state, and
today in; the report's figures and lists out. Every list says why each person is on it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vault_crm.contacts import name_key
from vault_crm.dates import add_months, format_overdue, parse_date
from vault_crm.due import DueEntry
from vault_crm.insights.reciprocity import Touch

LIST_LIMIT = 10  # people per list: a report to read, not a dump
_NONE = (0, 0, 0)  # no contacts: none recent, none before, none at all


@dataclass(frozen=True)
class Listed:
    path: str
    person: str
    why: str


@dataclass(frozen=True)
class Report:
    today: dt.date
    counts: dict[str, int]
    months: list[tuple[str, int]]  # ("2026-01", contacts), oldest first, 12 of them
    tags: list[tuple[str, int]]  # most people first
    fading: list[Listed]
    weak_ties: list[Listed]
    asks: list[Listed]
    met: list[Listed]

    def as_json(self) -> dict[str, Any]:
        def people(items: list[Listed]) -> list[dict[str, str]]:
            return [{"person": i.person, "path": i.path, "why": i.why} for i in items]

        return {
            "today": self.today.isoformat(),
            "counts": self.counts,
            "contacts_per_month": [{"month": m, "contacts": n} for m, n in self.months],
            "tags": [{"tag": t, "people": n} for t, n in self.tags],
            "fading": people(self.fading),
            "weak_ties": people(self.weak_ties),
            "asks_without_a_give": people(self.asks),
            "met_this_year": people(self.met),
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class History:
    """What the report reads of everyone's contacts, added up: contacts per month over
    the 12 months up to today ("YYYY-MM" -> contacts, everyone's); per person, their
    contacts in the last 6 months, in the 6 before those, and all their past contacts;
    and per person, the asks since their newest give (counted back from the newest past
    conversation) and whether there was a give. Only people with a contact or an ask
    need an entry."""

    months: Mapping[str, int]
    windows: Mapping[str, tuple[int, int, int]]
    asks: Mapping[str, tuple[int, bool]]


def report_windows(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The report's periods for `today`: the first day of its 12 months, the start of
    the last 6 months and of the 6 before them."""
    return add_months(today.replace(day=1), -11), add_months(today, -6), add_months(today, -12)


def history_of(
    contacts: Mapping[str, Sequence[dt.date]],
    conversations: Mapping[str, Sequence[Touch]],
    today: dt.date,
) -> History:
    """`contacts`: each person's contact dates (conversations and daily-note mentions);
    `conversations`: each person's past conversations, newest first (back to the newest
    give at least), added up as the report needs them."""
    first_month, half, year = report_windows(today)
    months: Counter[str] = Counter()
    windows = {}
    for person, ds in contacts.items():
        past = [d for d in ds if d <= today]
        # "YYYY-MM": the ISO date's first 7 characters (strftime is slow in a loop)
        months.update(d.isoformat()[:7] for d in past if d >= first_month)
        windows[person] = (
            sum(d > half for d in past),
            sum(year < d <= half for d in past),
            len(past),
        )
    asks = {}
    for person, touched in conversations.items():
        n = 0
        gave = False
        for t in touched:
            if t.intent == "give":
                gave = True
                break
            n += t.intent == "ask"
        asks[person] = (n, gave)
    return History(months, windows, asks)


def build_report(
    entries: Sequence[DueEntry],
    contacts: Mapping[str, Sequence[dt.date]],
    conversations: Mapping[str, Sequence[Touch]],
    today: dt.date,
) -> Report:
    """`entries`: every person's due state (person_status); `contacts`: each person's
    contact dates (conversations and daily-note mentions); `conversations`: each
    person's past conversations, newest first (back to the newest give at least)."""
    return report_of(entries, history_of(contacts, conversations, today), today)


def report_of(entries: Sequence[DueEntry], history: History, today: dt.date) -> Report:
    """The report of every person's due state (person_status) and their `history`."""

    def within(entry: DueEntry, days: int) -> bool:
        last = entry.last_contact
        return last is not None and (today - last).days <= days

    counts = {
        "people": len(entries),
        "with_cadence": sum(e.cadence is not None for e in entries),
        "contacted_30_days": sum(within(e, 30) for e in entries),
        "contacted_90_days": sum(within(e, 90) for e in entries),
        "contacted_365_days": sum(within(e, 365) for e in entries),
        "overdue": sum(
            e.cadence is not None
            and e.scheduled is None
            and e.due_date is not None
            and e.due_date <= today
            for e in entries
        ),
    }
    first_month = report_windows(today)[0]
    labels = [add_months(first_month, i).isoformat()[:7] for i in range(12)]
    tags: Counter[str] = Counter()
    for e in entries:
        keys = {t.casefold().lstrip("#") for t in e.person.tags} or {"(no tag)"}
        tags.update(keys)
    return Report(
        today=today,
        counts=counts,
        months=[(m, history.months.get(m, 0)) for m in labels],
        tags=sorted(tags.items(), key=lambda kv: (-kv[1], kv[0])),
        fading=_fading(entries, history.windows),
        weak_ties=_weak_ties(entries, history.windows, today),
        asks=_asks(entries, history.asks),
        met=_met(entries, today),
    )


def _fading(
    entries: Sequence[DueEntry], windows: Mapping[str, tuple[int, int, int]]
) -> list[Listed]:
    """Contacts in the last 6 months below half those of the 6 months before, with at
    least 2 before."""
    found = []
    for e in entries:
        recent, before, _past = windows.get(e.person.path, _NONE)
        if before >= 2 and recent * 2 < before:
            why = f"{_plural(recent, 'contact')} in the last 6 months, {before} in the 6 before"
            found.append((before - recent, e, why))
    found.sort(key=lambda x: (-x[0], name_key(x[1].person.title), x[1].person.path))
    return [_listed(e, why) for _drop, e, why in found[:LIST_LIMIT]]


def _weak_ties(
    entries: Sequence[DueEntry], windows: Mapping[str, tuple[int, int, int]], today: dt.date
) -> list[Listed]:
    """3 or more past contacts, and none for twice their cadence (a year without one)."""
    found = []
    for e in entries:
        past = windows.get(e.person.path, _NONE)[2]
        if past < 3 or e.last_contact is None:
            continue
        quiet = (today - e.last_contact).days
        limit = 2 * e.cadence_days if e.cadence is not None and e.cadence_days else 365
        if quiet < limit:
            continue
        why = (
            f"{past} contacts, none for {format_overdue(quiet)} (last {e.last_contact.isoformat()})"
        )
        found.append((past, e, why))
    found.sort(key=lambda x: (-x[0], x[1].last_contact, name_key(x[1].person.title)))
    return [_listed(e, why) for _n, e, why in found[:LIST_LIMIT]]


def _asks(entries: Sequence[DueEntry], counted: Mapping[str, tuple[int, bool]]) -> list[Listed]:
    """The most asks since the last give (or ever, with no give), 2 or more."""
    found = []
    for e in entries:
        asks, gave = counted.get(e.person.path, (0, False))
        if asks >= 2:
            why = f"{asks} asks " + ("since the last give" if gave else "and no give")
            found.append((asks, e, why))
    found.sort(key=lambda x: (-x[0], name_key(x[1].person.title), x[1].person.path))
    return [_listed(e, why) for _n, e, why in found[:LIST_LIMIT]]


def _met(entries: Sequence[DueEntry], today: dt.date) -> list[Listed]:
    """People whose `met` date falls in this year, up to today. Only `met` says when you
    met: a first conversation in the vault is often just the day you started writing
    notes (and a LinkedIn import records `met` as the day you connected)."""
    found = []
    for e in entries:
        value = e.person.props.get("met")
        if value in (None, ""):
            continue
        try:
            met = parse_date(value)
        except ValueError:
            continue
        if met.year == today.year and met <= today:
            found.append((met, e, f"met {met.isoformat()}"))
    found.sort(key=lambda x: (x[0], name_key(x[1].person.title), x[1].person.path))
    return [_listed(e, why) for _d, e, why in found]


def _listed(e: DueEntry, why: str) -> Listed:
    return Listed(e.person.path, e.person.title, why)


def report_context(report: Report, link: Callable[[str, str], str]) -> dict[str, Any]:
    """What the report template sees: figures, and people as wikilinks."""

    def people(items: list[Listed]) -> list[dict[str, str]]:
        return [{"link": link(i.path, i.person), "why": i.why} for i in items]

    def label(text: str) -> str:
        return text.replace('"', "'")

    return {
        "today": report.today.isoformat(),
        "counts": report.counts,
        "months": [{"month": m, "contacts": n} for m, n in report.months],
        "months_max": max([n for _m, n in report.months] + [1]),
        "tags": [{"tag": label(t), "people": n} for t, n in report.tags],
        "fading": people(report.fading),
        "weak_ties": people(report.weak_ties),
        "asks": people(report.asks),
        "met": people(report.met),
        "year": report.today.year,
    }

"""Who is due for reconnection: a pure function of people, contacts, settings and today."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from vault_crm.config import Settings
from vault_crm.contacts import Contact, Graph, Person, has_tag, name_key
from vault_crm.dates import (
    Cadence,
    MonthDay,
    age_on,
    next_occurrence,
    parse_birthday,
    parse_cadence,
    parse_date,
    parse_duration,
)
from vault_crm.links import nfc
from vault_crm.model import FollowUp


@dataclass(frozen=True)
class Upcoming:
    label: str
    date: dt.date
    age: int | None


@dataclass(frozen=True)
class EffectiveCadence:
    cadence: Cadence
    source: str  # "note" | "tag:NAME" | "default"


@dataclass(frozen=True)
class DueEntry:
    person: Person
    cadence: EffectiveCadence | None
    cadence_days: int | None
    last_contact: dt.date | None
    last_conversation: Contact | None
    due_date: dt.date | None
    days_overdue: int | None
    scheduled: Contact | None
    followups: tuple[FollowUp, ...] = ()
    upcoming: tuple[Upcoming, ...] = ()

    @property
    def ratio(self) -> float:
        if self.days_overdue is None or not self.cadence_days:
            return 0.0
        return self.days_overdue / self.cadence_days


@dataclass(frozen=True)
class DueReport:
    today: dt.date
    due: list[DueEntry]
    coming_up: list[DueEntry]
    never_contacted: list[DueEntry]
    more: int
    upcoming_only: list[DueEntry] = field(default_factory=list)  # dates soon, not due

    def entries(self) -> list[DueEntry]:
        """Everyone the report lists, in every section."""
        return self.due + self.coming_up + self.never_contacted + self.upcoming_only


# The effective cadence of each (own cadence as written, tags) for one settings object and
# day: a large vault's people share a few dozen of them, each worked out once.
_cadence_memo: dict[tuple[Any, ...], EffectiveCadence | None] = {}
_memo_settings: list[Settings] = []


def effective_cadence(
    person: Person, settings: Settings, today: dt.date
) -> EffectiveCadence | None:
    """The person's own cadence, else the shortest of their tags' cadences, else the default.
    An unreadable own cadence means no cadence (`vault check` reports it)."""
    own = person.props.get("cadence")
    if own is not None and not isinstance(own, (str, int, float)):
        return _effective_cadence(own, person.tags, settings, today)
    if not _memo_settings or _memo_settings[0] is not settings:
        _cadence_memo.clear()
        _memo_settings[:] = [settings]
    # The type too: True == 1 as a key, but a cadence of `true` is unreadable.
    key = (type(own), own, person.tags, today)
    try:
        return _cadence_memo[key]
    except KeyError:
        pass
    if len(_cadence_memo) > 4096:
        _cadence_memo.clear()
    found = _cadence_memo[key] = _effective_cadence(own, person.tags, settings, today)
    return found


def _effective_cadence(
    own: Any, tags: tuple[str, ...], settings: Settings, today: dt.date
) -> EffectiveCadence | None:
    if own not in (None, "", []):
        try:
            parsed = parse_cadence(own)
        except ValueError:
            return None
        return EffectiveCadence(parsed, "note") if parsed else None
    best: tuple[int, str, Cadence] | None = None
    for tag in tags:
        key = nfc(tag).casefold().lstrip("#")
        for candidate in _tag_and_parents(key):
            text = settings.cadence_tags.get(candidate)
            if text is None:
                continue
            try:
                parsed = parse_cadence(text)
            except ValueError:
                continue
            if parsed is None:
                continue
            days = parsed.days_from(today)
            if best is None or (days, candidate) < (best[0], best[1]):
                best = (days, candidate, parsed)
    if best is not None:
        return EffectiveCadence(best[2], f"tag:{best[1]}")
    try:
        default = parse_cadence(settings.default_cadence)
    except ValueError:
        return None
    return EffectiveCadence(default, "default") if default else None


def _tag_and_parents(tag: str) -> list[str]:
    # #family/cousins is also #family, as Obsidian's tag search treats it.
    parts = tag.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _prop_date(person: Person, key: str) -> dt.date | None:
    value = person.props.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def upcoming_dates(person: Person, today: dt.date, window: Cadence) -> list[Upcoming]:
    """Birthday and `dates` entries whose next occurrence falls within the window."""
    return _upcoming(person, today, window.add_to(today))


def _upcoming(person: Person, today: dt.date, end: dt.date) -> list[Upcoming]:
    props = person.props
    birthday = props.get("birthday")
    extra = props.get("dates")
    if birthday in (None, "") and not isinstance(extra, dict):  # most people
        return []
    entries: list[tuple[str, Any]] = []
    if birthday not in (None, ""):
        entries.append(("birthday", birthday))
    if isinstance(extra, dict):
        entries.extend((str(k), v) for k, v in extra.items() if v not in (None, ""))
    if not entries:
        return []
    found: list[Upcoming] = []
    for label, value in entries:
        try:
            md: MonthDay = parse_birthday(value)
        except ValueError:
            continue
        when = next_occurrence(md, today)
        if when <= end:
            found.append(Upcoming(label, when, age_on(md, when)))
    found.sort(key=lambda u: (u.date, u.label))
    return found


# A person's path -> the inputs and the entry last worked out for them. The daemon asks
# again after every save with the same Person objects (see load_people): only the people
# whose contacts, follow-ups or note changed, or everyone on a new day, are worked out anew.
# Kept only inside `keeping_statuses` (the daemon's steps): a single command asks once per
# person, and keeping would cost it a copy of each one's contacts.
_Kept = tuple[Person, list[Contact], "Settings", dt.date, tuple[FollowUp, ...], "DueEntry"]
_statuses: dict[str, _Kept] = {}
_keeping: list[bool] = []


@contextlib.contextmanager
def keeping_statuses() -> Iterator[None]:
    """Inside, person_status keeps each entry it works out for the next call."""
    _keeping.append(True)
    try:
        yield
    finally:
        _keeping.pop()


def person_status(
    person: Person,
    contacts: list[Contact],
    settings: Settings,
    today: dt.date,
    followups: Iterable[FollowUp] = (),
    *,
    dates: bool = True,
) -> DueEntry:
    """Where the person stands on `today`; without `dates`, no upcoming dates (the
    people list does not show them)."""
    followups = tuple(followups)
    if not _keeping or not dates:
        return _person_status(person, contacts, settings, today, followups, dates)
    kept = _statuses.get(person.path)
    if (
        kept is not None
        and kept[0] is person
        and kept[2] is settings
        and kept[3] == today
        and kept[1] == contacts
        and kept[4] == followups
    ):
        return kept[5]
    entry = _person_status(person, contacts, settings, today, followups)
    _statuses[person.path] = (person, list(contacts), settings, today, followups, entry)
    return entry


def _person_status(
    person: Person,
    contacts: list[Contact],
    settings: Settings,
    today: dt.date,
    followups: tuple[FollowUp, ...],
    dates: bool = True,
) -> DueEntry:
    cadence = effective_cadence(person, settings, today)
    # Contacts come newest first: the first on or before today is the last contact.
    last: dt.date | None = None
    last_conversation: Contact | None = None
    future: list[Contact] = []
    for c in contacts:
        if c.date > today:
            if c.kind == "conversation":
                future.append(c)
        else:
            if last is None:
                last = c.date
            if c.kind == "conversation":
                last_conversation = c
                break
    override = _prop_date(person, "last_contact")
    if override is not None and override <= today and (last is None or override > last):
        last = override
    scheduled = min(future, key=lambda c: c.date) if future else None
    due_date: dt.date | None = None
    cadence_days: int | None = None
    days_overdue: int | None = None
    if cadence is not None:
        start = last or today
        end = cadence.cadence.add_to(start)  # the due date, when there is a last contact
        cadence_days = (end - start).days
        if last is not None:
            due_date = end
            snooze = _prop_date(person, "snooze_until")
            if snooze is not None and snooze > due_date:
                due_date = snooze
            days_overdue = (today - due_date).days
    return DueEntry(
        person=person,
        cadence=cadence,
        cadence_days=cadence_days,
        last_contact=last,
        last_conversation=last_conversation,
        due_date=due_date,
        days_overdue=days_overdue,
        scheduled=scheduled,
        followups=followups,
        upcoming=tuple(_upcoming(person, today, _window_end(settings.dates_window, today)))
        if dates
        else (),
    )


@functools.lru_cache(maxsize=8)
def _window_end(text: str, today: dt.date) -> dt.date:
    """The last day of the upcoming-dates window that starts today."""
    return parse_duration(text).add_to(today)


def compute_due(
    graph: Graph,
    followups: Iterable[FollowUp],
    settings: Settings,
    today: dt.date,
    *,
    within: Cadence | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> DueReport:
    within = within or Cadence(7, "d", "7d")
    horizon = within.add_to(today)
    by_person: dict[str, list[FollowUp]] = {}
    for f in followups:
        by_person.setdefault(f.person, []).append(f)
    due: list[DueEntry] = []
    coming: list[DueEntry] = []
    never: list[DueEntry] = []
    dated: list[DueEntry] = []
    wanted = nfc(tag).casefold().lstrip("#") if tag else None
    contacts = graph.contacts
    for person in graph.people.values():
        if wanted is not None and not has_tag(person, wanted):
            continue
        mine = by_person.get(person.path)
        entry = person_status(
            person,
            contacts.get(person.path, []),
            settings,
            today,
            sorted(mine, key=followup_order) if mine else (),
        )
        if entry.cadence is None or entry.scheduled is not None:
            if entry.upcoming:
                dated.append(entry)
            continue
        if entry.due_date is None:
            snooze = _prop_date(person, "snooze_until")
            if snooze is None or snooze <= today:
                never.append(entry)
        elif entry.due_date <= today:
            due.append(entry)
        elif entry.due_date <= horizon:
            coming.append(entry)
        elif entry.upcoming:
            dated.append(entry)
    due.sort(
        key=lambda e: (-e.ratio, -(e.days_overdue or 0), name_key(e.person.title), e.person.path)
    )
    coming.sort(key=lambda e: (e.due_date, name_key(e.person.title), e.person.path))
    never.sort(key=lambda e: (name_key(e.person.title), e.person.path))
    dated.sort(key=lambda e: (e.upcoming[0].date, name_key(e.person.title)))
    limit = settings.due_limit if limit is None else limit
    more = max(0, len(due) - limit)
    return DueReport(today, due[:limit], coming, never, more, dated)


def followup_order(f: FollowUp) -> tuple[dt.date, str, int]:
    return (f.date or dt.date.min, f.path, f.line)


def with_followups(report: DueReport, followups: Iterable[FollowUp]) -> DueReport:
    """The same report with each listed person's open follow-ups, oldest first."""
    by_person: dict[str, list[FollowUp]] = {}
    for f in followups:
        by_person.setdefault(f.person, []).append(f)

    def attach(entries: list[DueEntry]) -> list[DueEntry]:
        return [
            replace(
                e, followups=tuple(sorted(by_person.get(e.person.path, []), key=followup_order))
            )
            for e in entries
        ]

    return replace(
        report,
        due=attach(report.due),
        coming_up=attach(report.coming_up),
        never_contacted=attach(report.never_contacted),
        upcoming_only=attach(report.upcoming_only),
    )

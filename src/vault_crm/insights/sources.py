"""What the insights read from the index, as plain records: the one place where the
insights meet the store. The insights themselves (who, intros, reciprocity, report) are
pure functions of these records; SQL stays in the index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vault_crm.insights.intros import Intro, closeness, profile_words, suggest
from vault_crm.insights.reciprocity import (
    Reciprocity,
    reciprocity,
    something_to_give,
    touches,
)

if TYPE_CHECKING:
    from vault_crm.due import DueEntry
    from vault_crm.insights.report import History
    from vault_crm.insights.who import Expert
    from vault_crm.store import Index
    from vault_crm.views import Linker


def contact_dates(
    rows: Sequence[tuple[str, str, str, str, object, object]],
) -> dict[str, list[dt.date]]:
    """Index interaction rows -> each person's contact dates (conversations and daily-note
    mentions, scheduled ones included: callers keep what is on or before today)."""
    out: dict[str, list[dt.date]] = {}
    for person, date, *_rest in rows:
        out.setdefault(person, []).append(dt.date.fromisoformat(date))
    return out


def load_experts(index: Index, match: str, limit: int | None) -> list[Expert]:
    """`vault who`: the first `limit` people for the FTS5 expression `match`, without
    snippets. The matching conversations are read once, with their people, and each
    person's share added up; only the conversations of the people who can be among the
    first `limit` are looked up (a common word matches tens of thousands)."""
    from vault_crm.insights.who import (  # only `vault who`
        contenders,
        conversation_credit,
        note_hit,
        rank_people,
    )

    people = index.person_titles()
    profile = index.profile_hits(match)
    bodies = [note_hit(r) for r in index.person_body_hits(match)]
    matches = index.conversation_matches(match)
    best, credit = conversation_credit(matches)
    among = contenders(people, profile, bodies, credit, limit)
    if among is None:
        mine = [m for m in matches if m[2]]
    else:
        mine = [m for m in matches if m[2] and not among.isdisjoint(m[2].split("\0"))]
    talks = [note_hit(r) for r in index.conversation_hits(mine)]
    return rank_people(people, profile, bodies + talks, limit, among, best)


def report_summary(index: Index, today: dt.date) -> History:
    """What `vault report` reads of everyone's history, added up by the index: contacts
    per month, each person's contacts in the report's periods, and their asks since
    their newest give (what `history_of` adds up from each person's contacts)."""
    from vault_crm.insights.report import History, report_windows  # only the report

    first_month, half, year = report_windows(today)
    with index.snapshot():  # the reads see the same index
        months, windows = index.contact_figures(today, first_month, half, year)
        asks = index.asks_since_give(today)
    return History(months, windows, asks)


def introduction_pairs(index: Index) -> list[tuple[str, str]]:
    """People an open follow-up already promises to introduce: every two people that one
    unchecked "introduce …" task belongs to (its note's participants and the people linked
    on its line)."""
    groups: dict[tuple[str, int], set[str]] = {}
    for person, path, line in index.introduction_followups():
        groups.setdefault((path, line), set()).add(person)
    return [(a, b) for people in groups.values() for a in people for b in people if a < b]


def load_intros(
    index: Index,
    today: dt.date,
    limit: int | None = None,
    needing: Sequence[str] | None = None,
) -> tuple[list[Intro], int]:
    """Introductions worth making (at most `limit`; only for the needs of `needing` when
    given), and how many there are in all."""
    people = index.person_titles()
    words = profile_words(*index.profile_words())
    # Only the connections of people with a need can stop an introduction.
    needers = sorted(p for p, fields in words.items() if "needs" in fields and p in people)
    connected = index.connected_people(needers) + introduction_pairs(index)
    close = closeness(index.contact_summary(today), today)
    return suggest(people, words, connected, close, limit, needing)


def load_reciprocity(index: Index, people: Sequence[str], today: dt.date) -> dict[str, Reciprocity]:
    """Reciprocity of each of `people` (vault paths); only people with a conversation."""
    history = touches(index.interactions(people), today)
    return {path: reciprocity(items) for path, items in history.items()}


def reconnect_lines(
    index: Index, entries: Sequence[DueEntry], link: Linker, today: dt.date
) -> dict[str, list[str]]:
    """The reciprocity lines of the reconnect note, per person path: "the last 3 contacts
    were asks: offer something first" with something to give, and "you started the last
    N contacts", each only where true. Introductions are looked for only when needed."""
    found = load_reciprocity(index, [e.person.path for e in entries], today)
    intros: list[Intro] | None = None
    out: dict[str, list[str]] = {}
    for e in entries:
        r = found.get(e.person.path)
        if r is None:
            continue
        lines = r.warnings()  # worded as SPEC §9 words them
        if r.only_asks:
            offers: list[str] = []
            if not e.followups:
                if intros is None:
                    asking = [x.person.path for x in entries]
                    intros = load_intros(index, today, needing=asking)[0]
                offers = [
                    f"{link(i.b_path, i.b)}, who {i.offer_phrase}"
                    for i in intros
                    if i.a_path == e.person.path
                ][:1]
            working_on = e.person.props.get("working_on")
            give = something_to_give(
                [f.text for f in e.followups],
                offers,
                working_on if isinstance(working_on, str) and working_on.strip() else None,
            )
            if give:
                lines.append(give)
        if lines:
            out[e.person.path] = lines
    return out

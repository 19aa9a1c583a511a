"""`vault intros`: introductions worth making.

A `needs` what B is `known_for` or `working_on` (or B's role, tags, company), and the two
are not connected yet. Words are compared after the index's own stemming (so "designer"
meets "design"), weighted by how rare they are among people's profiles, and the match is
what share of A's need B covers. Ranked by that times how close the user is to the
weaker of the two: an introduction is only as good as the weaker relationship behind it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from vault_crm.contacts import name_key

# Where B's offer was found, what it is worth, and how the reason says it.
OFFERS = {
    "known_for": (1.0, "is known for"),
    "working_on": (0.8, "is working on"),
    "role": (0.6, "works as"),
    "tags": (0.5, "is tagged"),
    "company": (0.4, "works at"),
}
# Words a need is phrased with that say nothing about what is needed.
STOPWORDS = frozenset(
    """a an and any are as at be been by can could for from get getting has have help
    helping her his how i in into intro introduction introductions is it its looking me
    more my need needs of on or our out advice someone somebody anyone that the their them
    they this to want wants was we what who whom will with would you your find finding
    good best new know knows knowing people person""".split()
)
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Intro:
    a: str  # title of the person with the need
    b: str  # title of the person who can help
    a_path: str
    b_path: str
    reason: str
    needs: str  # A's need as written
    field: str  # B's property that matched: known_for, working_on, role, tags, company
    offer: str  # its text as written
    words: tuple[str, ...]  # the matched words, as A wrote them
    score: float

    @property
    def offers(self) -> str:
        """What B offers, with the property: "known_for: pricing strategy"."""
        return f"{self.field}: {self.offer}"

    @property
    def offer_phrase(self) -> str:
        """What B offers, in words: "is known for pricing strategy"."""
        return f"{OFFERS[self.field][1]} {self.offer}"


@dataclass(frozen=True)
class Word:
    term: str  # stemmed
    raw: str  # as written


def profile_words(
    rows: Iterable[tuple[str, str, str, int, str]],
) -> dict[str, dict[str, tuple[str, list[Word]]]]:
    """Index rows (path, property, stemmed term, position, text) -> per person, per
    property, the text and its words, stop words left out."""
    out: dict[str, dict[str, tuple[str, list[Word]]]] = {}
    raw_words: dict[tuple[str, str], list[str]] = {}
    for path, field, term, offset, text in rows:
        key = (path, field)
        if key not in raw_words:
            raw_words[key] = _WORD.findall(text)
        raws = raw_words[key]
        raw = raws[offset] if offset < len(raws) else term
        entry = out.setdefault(path, {}).setdefault(field, (text, []))
        if raw.casefold() in STOPWORDS or term.isdigit() or len(term) < 2:
            continue
        entry[1].append(Word(term, raw))
    return out


def closeness(contacts: Mapping[str, list[dt.date]], today: dt.date) -> dict[str, float]:
    """How close the user is to each person, in [0, 1]: half recency (a contact today is
    1, three months ago 0.5), half frequency (contacts in the last year, 12 or more is 1).
    Someone never contacted is 0."""
    out: dict[str, float] = {}
    year_ago = today - dt.timedelta(days=365)
    for person, dates in contacts.items():
        past = [d for d in dates if d <= today]
        if not past:
            continue
        days = (today - max(past)).days
        recent = sum(d > year_ago for d in past)
        out[person] = 0.5 / (1 + days / 90) + 0.5 * min(recent, 12) / 12
    return out


def suggest(
    people: Mapping[str, str],
    words: Mapping[str, Mapping[str, tuple[str, list[Word]]]],
    connected: Iterable[tuple[str, str]],
    close: Mapping[str, float],
    limit: int | None = None,
) -> list[Intro]:
    """Introductions worth making, best first; one per pair of people."""
    pairs = {frozenset(p) for p in connected}
    # How many people's offers use each word: a rare word says more than a common one.
    offered_by: dict[str, set[str]] = {}
    for path, fields in words.items():
        for field, (_text, ws) in fields.items():
            if field in OFFERS:
                for w in ws:
                    offered_by.setdefault(w.term, set()).add(path)
    total = max(1, len(words))

    def idf(term: str) -> float:
        return math.log(1 + total / (1 + len(offered_by.get(term, ()))))

    best: dict[frozenset[str], Intro] = {}
    for a_path in sorted(words):
        if a_path not in people or "needs" not in words[a_path]:
            continue
        need_text, need_words = words[a_path]["needs"]
        need_terms = list(dict.fromkeys(w.term for w in need_words))
        if not need_terms:
            continue
        need_weight = sum(idf(t) for t in need_terms)
        candidates = sorted({b for t in need_terms for b in offered_by.get(t, ())})
        for b_path in candidates:
            if b_path == a_path or b_path not in people:
                continue
            if frozenset((a_path, b_path)) in pairs:
                continue
            match, field, matched = _best_offer(need_terms, words[b_path], idf)
            if not matched:
                continue
            share = match / need_weight
            weaker = min(close.get(a_path, 0.0), close.get(b_path, 0.0))
            score = round(share * (1 + weaker) / 2, 4)
            shown = tuple(dict.fromkeys(w.raw for w in need_words if w.term in matched))
            offer_text = words[b_path][field][0]
            a, b = people[a_path], people[b_path]
            intro = Intro(
                a=a,
                b=b,
                a_path=a_path,
                b_path=b_path,
                reason=(
                    f"{a} needs {need_text}; {b} {OFFERS[field][1]} {offer_text}"
                    f" (matched: {', '.join(shown)})"
                ),
                needs=need_text,
                field=field,
                offer=offer_text,
                words=shown,
                score=score,
            )
            key = frozenset((a_path, b_path))
            if key not in best or _order(intro) < _order(best[key]):
                best[key] = intro
    ranked = sorted(best.values(), key=_order)
    return ranked[:limit] if limit is not None else ranked


def _best_offer(
    need_terms: list[str],
    fields: Mapping[str, tuple[str, list[Word]]],
    idf: Callable[[str], float],
) -> tuple[float, str, set[str]]:
    """The property of B that covers most of A's need: (weighted match, property, terms)."""
    found: tuple[float, str, set[str]] = (0.0, "", set())
    for field, (weight, _verb) in OFFERS.items():
        if field not in fields:
            continue
        terms = {w.term for w in fields[field][1]}
        matched = {t for t in need_terms if t in terms}
        value = weight * sum(idf(t) for t in matched)
        if value > found[0]:
            found = (value, field, matched)
    return found


def _order(i: Intro) -> tuple[float, str, str, str, str]:
    return (-i.score, name_key(i.a), name_key(i.b), i.a_path, i.b_path)

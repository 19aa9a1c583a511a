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
from collections import defaultdict
from collections.abc import Iterable, Mapping
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
# The share of a need (its words weighted by rarity) an offer must cover.
MIN_COVER = 0.4
# Words a need is phrased with that say nothing about what is needed.
STOPWORDS = frozenset(
    """a an and any are as at be been by can could for from get getting has have help
    helping her his how i in into intro introduction introductions is it its looking me
    more my need needs of on or our out advice someone somebody anyone that the their them
    they this to want wants was we what who whom will with would you your find finding
    intros
    good best new know knows knowing people person""".split()
)
_WORD = re.compile(r"[^\W_]+")
# A candidate before it is written out: (score, A's path, B's path, B's property).
Found = tuple[float, str, str, str]
_ORDER = {field: i for i, field in enumerate(OFFERS)}


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
    texts: Mapping[int, tuple[str, str, str]],
    offers: Iterable[tuple[int, str]],
    needs: Iterable[tuple[int, str, int]],
) -> dict[str, dict[str, tuple[str, list[Word]]]]:
    """Index rows -> per person, per property, the text and its words. `texts`: each
    property's row -> (path, property, text); `offers`: (row, its stems separated by
    spaces) of every property but `needs`; `needs`: (row, stem, position). A need's
    words keep their written form (the reason quotes them), their order, and lose their
    stop words; an offer's are just its distinct stems (a stop word there can only meet a
    stop word of a need, which is gone)."""
    out: dict[str, dict[str, tuple[str, list[Word]]]] = {}
    stems: dict[str, Word] = {}  # one Word per stem: most stems are offered many times
    for doc, terms in offers:
        path, field, text = texts[doc]
        ws = []
        for t in set(terms.split(" ")):
            w = stems.get(t)
            if w is None:
                w = stems[t] = Word(t, t)
            ws.append(w)
        out.setdefault(path, {})[field] = (text, ws)
    needed: dict[int, list[tuple[int, str]]] = {}
    for doc, term, offset in needs:
        needed.setdefault(doc, []).append((offset, term))
    for doc, positions in needed.items():
        path, field, text = texts[doc]
        raws = _WORD.findall(text)
        need: list[Word] = []
        for offset, term in sorted(positions):
            raw = raws[offset] if offset < len(raws) else term
            if raw.casefold() in STOPWORDS or term.isdigit() or len(term) < 2:
                continue
            need.append(Word(term, raw))
        out.setdefault(path, {})[field] = (text, need)
    return out


def closeness(contacts: Iterable[tuple[str, str, int]], today: dt.date) -> dict[str, float]:
    """How close the user is to each person, in [0, 1], from (person, last contact date,
    contacts in the last year): half recency (a contact today is 1, three months ago
    0.5), half frequency (12 or more contacts in the last year is 1). Someone never
    contacted is 0."""
    out: dict[str, float] = {}
    for person, last, recent in contacts:
        days = max(0, (today - dt.date.fromisoformat(last)).days)
        out[person] = 0.5 / (1 + days / 90) + 0.5 * min(recent, 12) / 12
    return out


def suggest(
    people: Mapping[str, str],
    words: Mapping[str, Mapping[str, tuple[str, list[Word]]]],
    connected: Iterable[tuple[str, str]],
    close: Mapping[str, float],
    limit: int | None = None,
    needing: Iterable[str] | None = None,
) -> tuple[list[Intro], int]:
    """Introductions worth making, best first, one per pair of people; at most `limit`,
    with how many there are in all. `needing`: only for these people's needs. `connected`
    needs only the pairs with someone who has a need."""
    # Who offers each word, by property (term -> (person, property) pairs), and how many
    # people offer it: a rare word says more than a common one (its weight is idf[term]).
    postings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    offered_by: dict[str, set[str]] = defaultdict(set)
    for path, fields in words.items():
        listed = path in people
        for field, (_text, ws) in fields.items():
            if field in OFFERS:
                for t in {w.term for w in ws}:
                    offered_by[t].add(path)
                    if listed:
                        postings[t].append((path, field))
    total = max(1, len(words))
    idf = {t: math.log(1 + total / (1 + len(by))) for t, by in offered_by.items()}
    wanted = set(needing) if needing is not None else None

    # who each person is connected with, both ways (a pair may be listed more than once)
    linked: dict[str, set[str]] = defaultdict(set)
    for a, b in connected:
        linked[a].add(b)
        linked[b].add(a)
    linked = dict(linked)
    needers = {a for a in words if a in people and "needs" in words[a]}
    # People who need the same words share who can help them: each distinct need is
    # matched once, however many people have it.
    groups: dict[tuple[str, ...], list[str]] = {}
    for a_path in sorted(needers):
        if wanted is not None and a_path not in wanted:
            continue
        need_terms = tuple(sorted({w.term for w in words[a_path]["needs"][1]}))
        if need_terms:
            groups.setdefault(need_terms, []).append(a_path)
    helpers = [_helpers(need, postings, idf, total) for need in groups]
    group_of = {a: g for g, members in enumerate(groups.values()) for a in members}

    # How many pairs in all: each person's candidates (those who cover their need, less
    # themselves and those already connected), less the pairs found in both directions.
    candidates = 0
    for g, members in enumerate(groups.values()):
        found = helpers[g][1]
        for a_path in members:
            skip = linked.get(a_path, ())
            candidates -= (a_path in found) + sum(b in found for b in skip)
        candidates += len(found) * len(members)
    # Both ways: a helps b's need and b helps a's. Counted per two needs: how many with
    # the first need help the second, times how many with the second help the first.
    helping: dict[tuple[int, int], int] = {}
    for h, (_w, found) in enumerate(helpers):
        for b_path in found:
            if b_path in group_of:
                k = (group_of[b_path], h)
                helping[k] = helping.get(k, 0) + 1
    both_ways = 0
    for (g, h), n in helping.items():
        both_ways += n * helping.get((h, g), 0)
    for g in range(len(helpers)):
        both_ways -= helping.get((g, g), 0)  # a person with their own need among its helpers
    for a, others in linked.items():
        if a not in group_of:
            continue
        mine = helpers[group_of[a]][1]
        for b in others:  # each pair once: from the first of the two
            if a <= b and b in group_of and b in mine and a in helpers[group_of[b]][1]:
                both_ways -= 2
    both_ways //= 2  # each such pair was counted from both sides

    keys = {path: name_key(title) for path, title in people.items()}
    results = _ranked_candidates(groups, helpers, linked, close, keys, limit)
    # One suggestion per pair: the better of the two directions (the first, once sorted).
    seen: set[tuple[str, str]] = set()
    ranked: list[Found] = []
    for neg, _ak, _bk, a_path, b_path, field in results:
        pair = (min(a_path, b_path), max(a_path, b_path))
        if pair not in seen:
            seen.add(pair)
            ranked.append((-neg, a_path, b_path, field))
    shown = ranked[:limit] if limit is not None else ranked
    return [_intro(f, people, words) for f in shown], candidates - both_ways


# The people who can help with one need: the need's weight, and per helper (what their
# best property is worth, -its order, the property).
Helpers = tuple[float, dict[str, tuple[float, int, str]]]


def _helpers(
    need_terms: tuple[str, ...],
    postings: Mapping[str, list[tuple[str, str]]],
    idf: Mapping[str, float],
    total: int,
) -> Helpers:
    # A word nobody offers still counts in the need's weight.
    need_weight = sum(idf.get(t, math.log(1 + total)) for t in need_terms)
    matches: dict[tuple[str, str], float] = {}
    for t in need_terms:
        found = postings.get(t)
        if found:
            value = idf[t]
            for key in found:
                matches[key] = matches.get(key, 0.0) + value
    # A match covers at least MIN_COVER of the need (a single common word in a long
    # need is a coincidence, not an introduction).
    enough = MIN_COVER * need_weight
    order = _ORDER
    by_person: dict[str, tuple[float, int, str]] = {}
    for (b_path, field), covered in matches.items():
        if covered < enough:
            continue
        mine = (OFFERS[field][0] * covered, -order[field], field)
        if b_path not in by_person or mine > by_person[b_path]:
            by_person[b_path] = mine
    return need_weight, by_person


def _ranked_candidates(
    groups: Mapping[tuple[str, ...], list[str]],
    helpers: list[Helpers],
    linked: Mapping[str, set[str]],
    close: Mapping[str, float],
    keys: Mapping[str, str],
    limit: int | None,
) -> list[tuple[float, str, str, str, str, str]]:
    """Candidates as (-score, A's name key, B's, A's path, B's, B's property), sorted:
    all of them, or with a limit at least the first 2 × limit (each pair comes at most
    twice, both directions, so those hold the first `limit` pairs). A pair scores at most
    what its need's best helper is worth times the closeness of either of the two: the
    people likeliest to score best go first, and once `2 × limit` are kept, anyone who
    cannot reach the worst of them is never looked at."""
    keep = None if limit is None else 2 * limit
    cutoff = -math.inf
    results: list[tuple[float, str, str, str, str, str]] = []
    tops: list[list[tuple[float, str]]] = []  # per need: (bound, helper), best first
    work: list[tuple[float, str, int]] = []  # (bound, person with the need, need)
    for g, ((need_weight, found), members) in enumerate(zip(helpers, groups.values(), strict=True)):
        tops.append(
            sorted(
                (
                    (value / need_weight * (1 + close.get(b_path, 0.0)) / 2, b_path)
                    for b_path, (value, _o, _f) in found.items()
                ),
                reverse=True,
            )
        )
        best = max((value for value, _o, _f in found.values()), default=0.0)
        work.extend((best / need_weight * (1 + close.get(a, 0.0)) / 2, a, g) for a in members)
    if keep is not None:
        work.sort(key=lambda w: -w[0])
    for bound, a_path, g in work:
        if round(bound, 4) < cutoff:
            break
        need_weight, found = helpers[g]
        skip = linked.get(a_path, ())
        a_close = close.get(a_path, 0.0)
        a_key = keys[a_path]
        for b_bound, b_path in tops[g]:
            if round(b_bound, 4) < cutoff:
                break
            if b_path == a_path or b_path in skip:
                continue
            value, _o, field = found[b_path]
            b_close = close.get(b_path, 0.0)
            weaker = a_close if a_close < b_close else b_close
            score = round(value / need_weight * (1 + weaker) / 2, 4)
            if score < cutoff:
                continue
            results.append((-score, a_key, keys[b_path], a_path, b_path, field))
        if keep is not None and len(results) > keep:
            results.sort()
            del results[keep:]
            cutoff = -results[-1][0]
    results.sort()
    return results


def _intro(
    found: Found,
    people: Mapping[str, str],
    words: Mapping[str, Mapping[str, tuple[str, list[Word]]]],
) -> Intro:
    score, a_path, b_path, field = found
    need_text, need_words = words[a_path]["needs"]
    matched = {w.term for w in words[b_path][field][1]}
    shown = tuple(dict.fromkeys(w.raw for w in need_words if w.term in matched))
    offer_text = words[b_path][field][0]
    a, b = people[a_path], people[b_path]
    return Intro(
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

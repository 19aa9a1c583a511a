"""`vault who TOPIC`: whom you know about a topic.

Document-centric expert finding (Balog, Azzopardi and de Rijke, SIGIR 2006, "model 2"):
rank the notes that mention the topic, then credit each note's score to the people it is
about. A person's own profile properties count for more than a mention, and what they are
`known_for` most of all: a passing mention never outranks a stated expertise, because the
tier of a person's strongest evidence decides before any score does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from vault_crm.contacts import name_key

# How much one matching piece of evidence is worth, by where it was found.
WEIGHTS = {
    "known_for": 8.0,
    "working_on": 5.0,
    "role": 4.0,
    "company": 3.0,
    "tags": 3.0,
    "body": 2.0,
    "conversation": 1.0,
}
# The tier of a person's strongest evidence: stated expertise, then what their profile
# says, then mentions (their note's body, conversations they took part in).
TIERS = {"known_for": 2, "working_on": 1, "role": 1, "company": 1, "tags": 1}
FIELDS = tuple(WEIGHTS)


@dataclass(frozen=True)
class Evidence:
    path: str
    field: str  # a property, "body", or "conversation"
    snippet: str  # the matching words between \x02 and \x03
    score: float
    date: str | None = None


@dataclass(frozen=True)
class Expert:
    person: str  # title
    path: str
    score: float
    tier: int
    evidence: tuple[Evidence, ...]


class NoteHit(NamedTuple):
    """A note that matches the topic (a NamedTuple: there may be thousands)."""

    path: str
    kind: str  # "person" | "conversation"
    title: str
    date: str | None
    score: float  # -bm25: higher is better
    participants: tuple[str, ...]
    snippet: str = ""  # filled in later, for the notes shown


def note_hit(row: tuple[str, str, str, str | None, float, str | None]) -> NoteHit:
    """An index row (its participants' paths joined by NUL) as a NoteHit."""
    path, kind, title, date, score, people = row
    return NoteHit(path, kind, title, date, score, tuple(people.split("\0")) if people else ())


def needs_snippets(experts: Iterable[Expert]) -> list[str]:
    """The notes whose snippets the shown evidence still lacks."""
    return sorted({e.path for x in experts for e in x.evidence if not e.snippet})


def with_snippets(experts: Iterable[Expert], snippets: Mapping[str, str]) -> list[Expert]:
    """The same experts, each piece of evidence with its note's snippet."""
    return [
        replace(
            x,
            evidence=tuple(
                e if e.snippet else replace(e, snippet=snippets.get(e.path, "")) for e in x.evidence
            ),
        )
        for x in experts
    ]


def conversation_credit(
    matches: Iterable[tuple[int, float, str]],
) -> tuple[float, dict[str, float]]:
    """The best score of the matching conversations (note id, score, their people's
    paths joined by NUL), and per person the credit they take of them as `rank_people`
    shares it: each conversation worth 1 + its score / the best, shared equally among
    its people (added in another order: the sums may differ in their last bits)."""
    matches = list(matches)
    best = max((score for _id, score, _people in matches), default=0.0)
    scale = 1 / best if best > 0 else 0.0
    credit: dict[str, float] = {}
    get = credit.get
    for _id, score, people in matches:
        if not people:
            continue
        if "\0" not in people:  # most conversations are with one person
            credit[people] = get(people, 0.0) + 1 + score * scale
            continue
        names = people.split("\0")
        share = (1 + score * scale) / len(names)
        for person in names:
            credit[person] = get(person, 0.0) + share
    return best, credit


def contenders(
    people: Mapping[str, str],
    profile_hits: Iterable[tuple[str, str, float, str]],
    person_hits: Iterable[NoteHit],
    credit: Mapping[str, float],
    limit: int | None,
) -> set[str] | None:
    """The people who can be among the first `limit` of `rank_people` (None: anyone),
    from each person's conversation `credit` added up in advance (the conversations'
    share of their score, as `rank_people` works it out): the first `limit` by these
    sums and anyone within a hundredth of the last of them (sums added in another order
    differ in their last bits, never by that much)."""
    profile = [h for h in profile_hits if h[0] in people and h[1] in WEIGHTS]
    best = max((h[2] for h in profile), default=0.0)
    scores: dict[str, float] = {p: c for p, c in credit.items() if p in people}
    tiers: dict[str, int] = {}
    for path, field, score, _snippet in profile:
        scores[path] = scores.get(path, 0.0) + WEIGHTS[field] * (1 + _relative(score, best))
        tiers[path] = max(tiers.get(path, 0), TIERS.get(field, 0))
    bodies = [h for h in person_hits if h.kind == "person" and h.path in people]
    best = max((h.score for h in bodies), default=0.0)
    for h in bodies:
        scores[h.path] = scores.get(h.path, 0.0) + WEIGHTS["body"] * (1 + _relative(h.score, best))
    if limit is None or len(scores) <= limit:
        return None
    ranked = sorted(((tiers.get(p, 0), s) for p, s in scores.items()), reverse=True)
    tier, last = ranked[limit - 1]
    return {
        p
        for p, s in scores.items()
        if (t := tiers.get(p, 0)) > tier or (t == tier and s >= last - 0.01)
    }


def rank_people(
    people: Mapping[str, str],
    profile_hits: Iterable[tuple[str, str, float, str]],
    note_hits: Iterable[NoteHit],
    limit: int | None = None,
    among: Collection[str] | None = None,
    conversation_best: float | None = None,
) -> list[Expert]:
    """People (path -> title) ranked by their evidence for the topic.

    Each piece of evidence is worth its place's weight times (1 + its bm25 relative to
    the best of its kind in this query), so within a place the better match counts more
    and no single match is worth more than twice its weight. A conversation's credit is
    shared among its participants (one of two people in a coffee knows more of what was
    said than one of twelve in a meeting).

    `among`: rank only these people (`contenders`), from every profile and person hit,
    their conversations and `conversation_best`, the best score of all the
    conversations that match."""
    # (field, weight, path, snippet, date) per person: plain tuples, because a common
    # word matches thousands of conversations and only the people shown need records;
    # beside them each person's weights (in the same order) and strongest tier.
    found: dict[str, list[tuple[str, float, str, str, str | None]]] = {}
    weights: dict[str, list[float]] = {}
    tiers: dict[str, int] = {}
    profile = [h for h in profile_hits if h[0] in people and h[1] in WEIGHTS]
    best = max((h[2] for h in profile), default=0.0)
    if among is not None:
        profile = [h for h in profile if h[0] in among]
    for path, field, score, snippet in profile:
        weight = WEIGHTS[field] * (1 + _relative(score, best))
        found.setdefault(path, []).append((field, weight, path, snippet, None))
        weights.setdefault(path, []).append(weight)
        tiers[path] = max(tiers.get(path, 0), TIERS.get(field, 0))
    notes = list(note_hits)
    for kind, field in (("person", "body"), ("conversation", "conversation")):
        hits = [h for h in notes if h.kind == kind]
        best = max((h.score for h in hits), default=0.0)
        if kind == "conversation" and conversation_best is not None:
            best = conversation_best
        base = WEIGHTS[field]
        for h in hits:
            weight = base * (1 + (h.score / best if best > 0 else 0.0))
            if kind == "person":
                credited = [h.path] if h.path in people else []
                if among is not None and h.path not in among:
                    continue
            elif len(h.participants) == 1:
                credited = [h.participants[0]] if h.participants[0] in people else []
            else:
                credited = [p for p in dict.fromkeys(h.participants) if p in people]
            for person in credited:
                if among is not None and person not in among:
                    continue
                share = weight / len(credited)
                evidence = (field, share, h.path, h.snippet, h.date)
                if person in found:
                    found[person].append(evidence)
                    weights[person].append(share)
                else:
                    found[person] = [evidence]
                    weights[person] = [share]
    ranked = sorted(
        (-tiers.get(path, 0), -round(sum(ws), 3), name_key(people[path]), path)
        for path, ws in weights.items()
    )
    experts = []
    for neg_tier, neg_score, _key, path in ranked[:limit] if limit is not None else ranked:
        ordered = sorted(
            found[path], key=lambda e: (FIELDS.index(e[0]), -e[1], _newest(e[4]), e[2])
        )
        experts.append(
            Expert(
                person=people[path],
                path=path,
                score=-neg_score,
                tier=-neg_tier,
                evidence=tuple(
                    Evidence(where, field, snippet, weight, date)
                    for field, weight, where, snippet, date in ordered
                ),
            )
        )
    return experts


def _relative(score: float, best: float) -> float:
    return score / best if best > 0 else 0.0


def _newest(date: str | None) -> str:
    # newest first among equal scores: invert the ISO date's characters
    return "".join(chr(0x7F - ord(ch)) for ch in (date or ""))

"""From incoming people to a plan: create, merge, skip, possible duplicate or problem.

Pure: the vault's people come in as `Known` records and nothing is written. Matching
(SPEC §8), in order: the recorded `uid`; any e-mail (casefold); the LinkedIn URL
(normalised); the title, `name` or an alias (NFC, casefold) only when no e-mail disagrees.
A weaker likeness (the same name with another e-mail, the same given and family names,
the same name once honorifics and middle names are dropped) is a possible duplicate,
never merged. Incoming people are matched against the vault *and* against those met
earlier in the same import, so an address book exported three times gives one person.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vault_crm.links import nfc

# Properties in the order a new note lists them.
ORDER = (
    "type",
    "name",
    "aliases",
    "tags",
    "cadence",
    "company",
    "role",
    "email",
    "phone",
    "birthday",
    "dates",
    "linkedin",
    "met",
    "uid",
)
# Never added to a matched person by --merge: they would change who the note says it is.
_NOT_MERGED = {"type", "name"}

_HONORIFICS = set(
    "mr mrs ms miss mx dr prof sir dame rev fr jr sr ii iii iv phd md esq herr frau".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_UNSAFE = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]+')


@dataclass(frozen=True)
class Incoming:
    """One person as another tool described them, already in vault properties."""

    source: str  # where it came from: "file.vcf#3" (card 3), "Connections.csv:12" (line 12)
    name: str  # the real name, every character kept
    props: dict[str, Any]  # email/phone/aliases/tags as lists; dates as a dict
    body: str = ""
    given: str = ""  # from a vCard's N, for the duplicate check
    family: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """A card or row that cannot be imported, and why."""

    source: str
    reason: str
    name: str = ""


@dataclass(frozen=True)
class Known:
    """A person already in the vault."""

    path: str
    title: str
    aliases: tuple[str, ...]
    props: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One line of the plan. `props` are the new note's front-matter (create) or the
    properties to add (merge). For a possible duplicate, `path` is the person it
    resembles and `matched_by` says how."""

    action: str  # create | merge | skip | possible-duplicate | problem
    title: str
    path: str | None
    matched_by: str | None
    source: str
    reason: str | None = None
    props: dict[str, Any] = field(default_factory=dict)
    body: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "title": self.title,
            "path": self.path,
            "matched_by": self.matched_by,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass(eq=False)  # compared by identity: `in` checks stay cheap for 10,000 people
class _Person:
    path: str
    title: str
    props: dict[str, Any]
    names: set[str]
    step: int | None  # index of its `create` step when it is new in this import


def strings(value: Any) -> list[str]:
    """A property that may be a string or a list, as a list of non-empty strings."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def name_key(name: str) -> str:
    return nfc(name.strip()).casefold()


def email_key(email: str) -> str:
    return email.strip().removeprefix("mailto:").strip().casefold()


def linkedin_key(url: str) -> str:
    """linkedin.com/in/ana, https://www.linkedin.com/in/ana/ and http://linkedin.com/in/Ana
    are one profile."""
    u = url.strip().casefold()
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u)
    u = u.removeprefix("www.")
    return u.rstrip("/")


def loose_key(name: str) -> str | None:
    """First and last word once honorifics, suffixes and middle names are dropped, in
    either order ("Mr. John Richter, James Doe Sr." and "Doe, John" both give "doe john")."""
    words = [w for w in _WORD.findall(nfc(name).casefold()) if w not in _HONORIFICS]
    if len(words) < 2:
        return None
    return " ".join(sorted((words[0], words[-1])))


def safe_title(name: str) -> str:
    """A file name for a real name: characters Obsidian refuses become spaces or dashes,
    no leading dot, no '..'. Empty when nothing usable is left."""
    text = nfc(name)
    text = re.sub(r"\s*[/\\|]\s*", " - ", text)
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text).strip().strip(". ")
    # Trailing dots and spaces are dropped too: Windows and some sync tools refuse them.
    return text[:120].rstrip(". ")


class Planner:
    """Builds the plan one incoming person at a time, remembering the people it plans to
    create so later cards match them."""

    def __init__(
        self,
        known: Iterable[Known],
        *,
        folder: str,
        taken: Iterable[str] = (),
        merge: bool = False,
        allow_duplicates: bool = False,
        tags: Sequence[str] = (),
        cadence: str | None = None,
    ) -> None:
        self.folder = folder
        self.merge = merge
        self.allow_duplicates = allow_duplicates
        self.tags = [t.lstrip("#") for t in tags]
        self.cadence = cadence
        self.taken = {p.casefold() for p in taken}
        self.steps: list[Step] = []
        self.by_uid: dict[str, _Person] = {}
        self.by_email: dict[str, _Person] = {}
        self.by_linkedin: dict[str, _Person] = {}
        self.by_name: dict[str, list[_Person]] = defaultdict(list)
        self.by_loose: dict[str, list[_Person]] = defaultdict(list)
        for k in known:
            names = {k.title, *k.aliases, *strings(k.props.get("name"))}
            self._remember(_Person(k.path, k.title, dict(k.props), names, None))
            self.taken.add(k.path.casefold())

    # --- indexes --------------------------------------------------------------------

    def _remember(self, person: _Person) -> None:
        self._index_props(person, person.props)
        for n in person.names:
            self._index_name(person, n)

    def _index_name(self, person: _Person, name: str) -> None:
        if person not in self.by_name[name_key(name)]:
            self.by_name[name_key(name)].append(person)
        loose = loose_key(name)
        if loose and person not in self.by_loose[loose]:
            self.by_loose[loose].append(person)

    def _index_props(self, person: _Person, props: dict[str, Any]) -> None:
        for uid in strings(props.get("uid")):
            self.by_uid.setdefault(uid, person)
        for e in strings(props.get("email")):
            self.by_email.setdefault(email_key(e), person)
        for url in strings(props.get("linkedin")):
            self.by_linkedin.setdefault(linkedin_key(url), person)

    # --- matching -------------------------------------------------------------------

    def _match(self, item: Incoming) -> tuple[_Person | None, str | None, _Person | None]:
        """(matched person, how) or (None, why it is a possible duplicate, resembled)."""
        for uid in strings(item.props.get("uid")):
            if uid in self.by_uid:
                return self.by_uid[uid], "uid", None
        emails = {email_key(e) for e in strings(item.props.get("email"))}
        for e in sorted(emails):
            if e in self.by_email:
                return self.by_email[e], "email", None
        for url in strings(item.props.get("linkedin")):
            if linkedin_key(url) in self.by_linkedin:
                return self.by_linkedin[linkedin_key(url)], "linkedin", None
        disagreeing: _Person | None = None
        for person in self.by_name.get(name_key(item.name), []):
            theirs = {email_key(e) for e in strings(person.props.get("email"))}
            if emails and theirs and not emails & theirs:
                disagreeing = disagreeing or person
                continue
            return person, "name", None
        if disagreeing is not None:
            return None, "same name, another e-mail", disagreeing
        keys = [(loose_key(item.name), "same name without honorifics or middle names")]
        if item.given and item.family:
            keys.insert(0, (loose_key(f"{item.given} {item.family}"), "same given and family name"))
        for key, why in keys:
            if key and self.by_loose.get(key):
                return None, why, self.by_loose[key][0]
        return None, None, None

    # --- planning -------------------------------------------------------------------

    def add(self, item: Incoming | Rejected) -> Step:
        step = self._plan(item)
        self.steps.append(step)
        return step

    def _plan(self, item: Incoming | Rejected) -> Step:
        if isinstance(item, Rejected):
            return Step("problem", item.name, None, None, item.source, item.reason)
        props = self._incoming_props(item)
        person, how, resembled = self._match(item)
        if person is not None:
            return self._matched(item, props, person, how or "")
        if resembled is not None and not self.allow_duplicates:
            return Step(
                "possible-duplicate",
                item.name,
                resembled.path,
                how,
                item.source,
                f"resembles {resembled.title} ({resembled.path}); --allow-duplicates creates it",
            )
        return self._create(item, props, resembled, how)

    def _incoming_props(self, item: Incoming) -> dict[str, Any]:
        props = dict(item.props)
        if self.tags:
            props["tags"] = _union(strings(props.get("tags")), self.tags)
        if self.cadence:
            props["cadence"] = self.cadence
        return {k: v for k, v in props.items() if v not in (None, "", [], {})}

    def _matched(self, item: Incoming, props: dict[str, Any], person: _Person, how: str) -> Step:
        missing = {
            k: v
            for k, v in props.items()
            if k not in _NOT_MERGED and person.props.get(k) in (None, "", [], {})
        }
        if person.step is not None:
            # Met earlier in this import: the note is not written yet, so what this card
            # adds goes into it (no value already there changes).
            if missing:
                person.props.update(missing)
                self._index_props(person, missing)
                created = self.steps[person.step]
                self.steps[person.step] = Step(
                    created.action,
                    created.title,
                    created.path,
                    created.matched_by,
                    created.source,
                    created.reason,
                    _ordered({**created.props, **missing}),
                    created.body or item.body,
                )
            return Step("skip", item.name, person.path, how, item.source, "same as an earlier card")
        if self.merge and missing:
            person.props.update(missing)
            self._index_props(person, missing)
            return Step("merge", person.title, person.path, how, item.source, None, missing)
        return Step("skip", person.title, person.path, how, item.source)

    def _create(
        self, item: Incoming, props: dict[str, Any], resembled: _Person | None, how: str | None
    ) -> Step:
        base = safe_title(item.name)
        if not base:
            return Step("problem", item.name, None, None, item.source, "no name usable as a title")
        title, n = base, 2
        while f"{self.folder}/{title}.md".casefold() in self.taken:
            title, n = f"{base} ({n})", n + 1
        path = f"{self.folder}/{title}.md"
        self.taken.add(path.casefold())
        full: dict[str, Any] = {"type": "person", **props}
        if title != item.name.strip():
            full["name"] = item.name.strip()
        reason = None
        if resembled is not None:
            reason = f"{how}: {resembled.title} ({resembled.path}); created (--allow-duplicates)"
        step = Step("create", title, path, None, item.source, reason, _ordered(full), item.body)
        person = _Person(path, title, dict(full), {title, item.name}, len(self.steps))
        self._remember(person)
        return step


def _union(a: list[str], b: Iterable[str]) -> list[str]:
    seen = {x.casefold() for x in a}
    out = list(a)
    for x in b:
        if x.casefold() not in seen:
            seen.add(x.casefold())
            out.append(x)
    return out


def _ordered(props: dict[str, Any]) -> dict[str, Any]:
    rank = {k: i for i, k in enumerate(ORDER)}
    return dict(sorted(props.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def make_plan(
    items: Iterable[Incoming | Rejected],
    known: Iterable[Known],
    *,
    folder: str,
    taken: Iterable[str] = (),
    merge: bool = False,
    allow_duplicates: bool = False,
    tags: Sequence[str] = (),
    cadence: str | None = None,
) -> list[Step]:
    planner = Planner(
        known,
        folder=folder,
        taken=taken,
        merge=merge,
        allow_duplicates=allow_duplicates,
        tags=tags,
        cadence=cadence,
    )
    for item in items:
        planner.add(item)
    return planner.steps

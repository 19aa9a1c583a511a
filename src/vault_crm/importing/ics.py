"""Calendars in, meetings out: `.ics` bytes → occurrences → a plan of conversation notes.

Pure: the vault's people come in as `Known` records, the notes already imported as a map
of `source` → path, and nothing is written (the plan goes to `writer.apply_plan`).

- icalendar parses; x-wr-timezone turns Google's "UTC times plus X-WR-TIMEZONE" into
  local times first, so `DTSTART:20211223T020000Z` in New York is a meeting on 22 December;
  recurring-ical-events expands RRULE/RDATE/EXDATE and RECURRENCE-ID overrides, bounded by
  the window the caller gives.
- Each series (all the components sharing a UID) is expanded on its own, so one broken
  event is one problem (file, UID, reason) and the rest of the file imports.
- A participant is an attendee or the organiser, by e-mail, unless it is one of the user's
  own addresses, declined or delegated, a non-participant (FYI), a room, resource or group,
  or a Google resource/group calendar or its "unknown organizer".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vault_crm.importing.ics_chunks import MAX_CHUNKS, MIN_CHUNK_EVENTS, PARALLEL_EVENTS, split
from vault_crm.importing.plan import Known, Step, email_key, safe_title, strings
from vault_crm.links import nfc

_NOT_PEOPLE_CUTYPES = {"ROOM", "RESOURCE", "GROUP"}
_NOT_ATTENDING = {"DECLINED", "DELEGATED"}
_NOT_PEOPLE_DOMAINS = ("@resource.calendar.google.com", "@group.calendar.google.com")
_NOT_PEOPLE_ADDRESSES = {"unknownorganizer@calendar.google.com"}
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Attendee:
    email: str  # normalised: no mailto:, no whitespace, casefolded
    name: str  # CN as written, or ""


@dataclass(frozen=True)
class Occurrence:
    """One meeting on one day, with the people in it (the user's own addresses and
    non-people already left out)."""

    uid: str
    recurrence_id: str | None  # None for an event that does not repeat
    day: dt.date
    summary: str
    description: str
    attendees: tuple[Attendee, ...]
    file: str

    @property
    def source(self) -> str:
        return f"ics:{self.uid}" + (f"/{self.recurrence_id}" if self.recurrence_id else "")


@dataclass(frozen=True)
class Broken:
    """An event, or a whole file, that could not be read."""

    file: str
    uid: str | None  # None: the whole file
    reason: str
    summary: str = ""


@dataclass(frozen=True)
class Window:
    start: dt.date | None  # None: from the beginning of the calendar
    end: dt.date  # inclusive: today + calendar_horizon


def address(value: Any) -> str:
    """`MAILTO:Ana@Example.org` or `mailto:hcabot@ example.com` (a folded line) → a
    comparable e-mail; "" when it is not an e-mail address."""
    text = _SPACE.sub("", str(value))
    # The address is what follows the last "mailto:" (a badly folded line can leave
    # parameters in the value: `x-key=1;cn=dan:mailto:dan@example.org`).
    found = list(_MAILTO.finditer(text))
    if found:
        text = text[found[-1].end() :]
    return email_key(text) if "@" in text else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a property written twice
        value = value[0] if value else ""
    return str(value)


def _param(prop: Any, name: str) -> str:
    params = getattr(prop, "params", None) or {}
    value = params.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip().upper()


def _cn(prop: Any) -> str:
    params = getattr(prop, "params", None) or {}
    value = params.get("CN", "")
    return _SPACE.sub(" ", str(value)).strip().strip('"').strip()


def participants(component: Any, mine: frozenset[str]) -> tuple[Attendee, ...]:
    """Attendees and the organiser who are people the user met, each once."""
    props: list[Any] = []
    for key in ("ORGANIZER", "ATTENDEE"):
        value = component.get(key)
        if value is None:
            continue
        props.extend(value if isinstance(value, list) else [value])
    found: dict[str, Attendee] = {}
    for prop in props:
        email = address(prop)
        if not email or email in mine or email in _NOT_PEOPLE_ADDRESSES:
            continue
        if email.endswith(_NOT_PEOPLE_DOMAINS):
            continue
        if _param(prop, "CUTYPE") in _NOT_PEOPLE_CUTYPES:
            continue
        if _param(prop, "PARTSTAT") in _NOT_ATTENDING or _param(prop, "ROLE") == "NON-PARTICIPANT":
            # An organiser's own PARTSTAT is not written; a declined attendee line for the
            # organiser's address (Google writes both) removes them.
            found.pop(email, None)
            found[email] = Attendee("", "")  # mark: left out even if listed again
            continue
        if email in found:
            continue
        found[email] = Attendee(email, _cn(prop))
    return tuple(a for a in found.values() if a.email)


def _rid(value: Any) -> str:
    """A RECURRENCE-ID as text: UTC `YYYYMMDDTHHMMSSZ`, floating `YYYYMMDDTHHMMSS`, or an
    all-day `YYYYMMDD`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value)


def _day(value: Any) -> dt.date:
    # The day in the event's own time zone: an aware datetime keeps its zone, a floating
    # one is the wall-clock day, an all-day event is its date.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError("DTSTART is not a date or a date-time")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return f"no {exc.args[0]} property"
    text = str(exc).strip().splitlines()
    detail = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {detail}"[:200] if detail else name


def _uid_of(component: Any) -> str:
    uid = _text(component.get("UID")).strip()
    if uid:
        return uid
    # No UID (khal's without_uid.ics): a stable key from what identifies the event, so a
    # re-import still recognises it.
    key = f"{_text(component.get('DTSTART', ''))}|{_text(component.get('SUMMARY'))}"
    return "no-uid-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def count_events(data: bytes) -> int:
    """How many VEVENTs a file holds, cheaply (for the progress bar)."""
    return data.count(b"BEGIN:VEVENT")


def read_calendar(
    data: bytes,
    file: str,
    window: Window,
    my_emails: Iterable[str],
    progress: Callable[[int], None] | None = None,
) -> Iterator[Occurrence | Broken]:
    """Every occurrence in the window of every event in `data`, or a Broken for each event
    (or the whole file) that cannot be read. Cancelled events and occurrences, EXDATEs and
    events without any participant yield nothing. `progress` hears how many events have
    been gone through so far, as they are."""
    import icalendar
    import recurring_ical_events
    import x_wr_timezone

    mine = frozenset(a for a in (address(e) for e in my_emails) if a)
    start = dt.datetime.combine(window.start or dt.date(1900, 1, 1), dt.time())
    stop = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time())
    # A large file is read on every core (the same occurrences, in the same order).
    found = read_parallel(data.removeprefix(_BOM), file, start, stop, mine, progress)
    if found is not None:
        yield from found
        return
    try:
        calendars = icalendar.Calendar.from_ical(data.removeprefix(_BOM), multiple=True)
    except Exception as exc:  # a third-party parser on arbitrary bytes: any failure is "unreadable"
        yield Broken(file, None, f"not a calendar ({_reason(exc)})")
        return
    if not calendars:
        yield Broken(file, None, "not a calendar (no BEGIN:VCALENDAR)")
        return
    for raw in calendars:
        try:
            cal = x_wr_timezone.to_standard(raw)
        except Exception as exc:  # same: a bad X-WR-TIMEZONE or VTIMEZONE
            yield Broken(file, None, f"cannot read its time zone ({_reason(exc)})")
            continue
        by_uid: dict[str, list[Any]] = {}
        for component in cal.walk("VEVENT"):
            by_uid.setdefault(_uid_of(component), []).append(component)
        for _uid, items in _series(
            cal, by_uid, file, start, stop, mine, recurring_ical_events, progress
        ):
            yield from items


def _series(
    cal: Any,
    by_uid: dict[str, list[Any]],
    file: str,
    start: dt.datetime,
    stop: dt.datetime,
    mine: frozenset[str],
    library: Any,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, list[Occurrence | Broken]]]:
    """The occurrences of every series in which someone was met (or the problem reading
    it), series by series in the order of the file, each with its UID. All of them are
    expanded in one pass of the library; only when that pass fails is each series
    expanded on its own, so the broken one is reported and the rest still import."""
    import icalendar

    people = _Participants(mine)
    zones = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    series: dict[str, list[Any]] = {}
    for uid, components in by_uid.items():
        if not any(people.of(c) for c in components):
            continue  # nobody met here (a holiday, a reminder): nothing to expand
        for c in components:
            if not _text(c.get("UID")).strip():
                c["UID"] = uid
        series[uid] = components

    def calendar_of(components: Iterable[Any]) -> Any:
        one = icalendar.Calendar()
        for zone in zones:
            one.add_component(zone)
        for c in components:
            one.add_component(c)
        return one

    found: dict[str, list[Any]] | None = {uid: [] for uid in series}
    try:
        everything = [c for components in series.values() for c in components]
        for component in library.of(calendar_of(everything)).between(start, stop):
            found[_text(component.get("UID")).strip()].append(component)  # type: ignore[index]
    except Exception:  # a broken series somewhere: find it by expanding each on its own
        found = None
    done = sum(len(c) for uid, c in by_uid.items() if uid not in series)
    for uid, components in series.items():
        done += len(components)
        if progress is not None:
            progress(done)
        recurring = any(k in c for c in components for k in ("RRULE", "RDATE", "RECURRENCE-ID"))
        try:
            if found is None:
                expanded = library.of(calendar_of(components)).between(start, stop)
            else:
                expanded = found[uid]
            items = [_occurrence(c, uid, recurring, file, people) for c in expanded]
        except Exception as exc:  # expansion of one broken series: report it, go on
            summary = _text(components[0].get("SUMMARY")).strip()
            yield uid, [Broken(file, uid, _reason(exc), summary)]
            continue
        yield uid, [item for item in items if item is not None]


class _Participants:
    """`participants` of the components of one calendar, each distinct list of attendees
    worked out once: every occurrence of a series shares its master's."""

    def __init__(self, mine: frozenset[str]) -> None:
        self.mine = mine
        self.seen: dict[tuple[int, int], tuple[Any, Any, tuple[Attendee, ...]]] = {}

    def of(self, component: Any) -> tuple[Attendee, ...]:
        organizer, attendees = component.get("ORGANIZER"), component.get("ATTENDEE")
        key = (id(organizer), id(attendees))
        hit = self.seen.get(key)
        if hit is not None and hit[0] is organizer and hit[1] is attendees:
            return hit[2]
        found = participants(component, self.mine)
        # The values are kept with the answer, so their ids cannot be reused meanwhile.
        self.seen[key] = (organizer, attendees, found)
        return found


def _occurrence(
    component: Any, uid: str, recurring: bool, file: str, participants: _Participants
) -> Occurrence | None:
    if _text(component.get("STATUS")).strip().upper() == "CANCELLED":
        return None
    people = participants.of(component)
    if not people:
        return None
    start = component.decoded("DTSTART")
    rid = None
    if recurring:
        rid = _rid(component.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in component else start)
    return Occurrence(
        uid=uid,
        recurrence_id=rid,
        day=_day(start),
        summary=_SPACE.sub(" ", _text(component.get("SUMMARY"))).strip(),
        description=_text(component.get("DESCRIPTION")).replace("\r\n", "\n").strip("\n"),
        attendees=people,
        file=file,
    )


# --- a large file on every core ---------------------------------------------------------

# (the file position of a series' first event, its UID, what reading it gave)
_Series = tuple[int, str, list[Occurrence | Broken]]


def read_chunk(
    job: tuple[bytes, list[int], str, Any, frozenset[str]],
) -> tuple[list[str], list[_Series]] | None:
    """Every UID in one chunk, and its series with what reading them gave; None when the
    chunk cannot be read on its own (the file is then read whole)."""
    import gc

    # A chunk makes little garbage, and a collection would walk every object the worker
    # inherited from the command: none while the chunk is read.
    gc.disable()
    try:
        return _read_chunk(job)
    finally:
        gc.enable()


def _read_chunk(
    job: tuple[bytes, list[int], str, Any, frozenset[str]],
) -> tuple[list[str], list[_Series]] | None:
    import icalendar
    import recurring_ical_events
    import x_wr_timezone

    data, positions, file, window, mine = job
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
        if len(calendars) != 1:
            return None
        cal = x_wr_timezone.to_standard(calendars[0])
    except Exception:  # the whole file is read again, and says what is wrong with it
        return None
    components = list(cal.walk("VEVENT"))
    if len(components) != len(positions):
        return None
    by_uid: dict[str, list[Any]] = {}
    first: dict[str, int] = {}
    for component, position in zip(components, positions, strict=True):
        uid = _uid_of(component)
        by_uid.setdefault(uid, []).append(component)
        first.setdefault(uid, position)
    start, stop = window
    return list(by_uid), [
        (first[uid], uid, items)
        for uid, items in _series(cal, by_uid, file, start, stop, mine, recurring_ical_events)
    ]


def read_parallel(
    data: bytes,
    file: str,
    start: dt.datetime,
    stop: dt.datetime,
    mine: frozenset[str],
    progress: Callable[[int], None] | None = None,
    *,
    at_least: int = PARALLEL_EVENTS,
    parts: int | None = None,
) -> list[Occurrence | Broken] | None:
    """What `read_calendar` yields for this (one-calendar, BOM-less) file, read in worker
    processes, a chunk each (`ics_chunks.split`), the series put back in file order; None
    when the file has fewer than `at_least` events, the machine has one core, or the
    file cannot be cut (then read it whole). `parts`: how many chunks at most (default:
    one per MIN_CHUNK_EVENTS events, up to MAX_CHUNKS)."""
    import os

    workers = min(os.cpu_count() or 1, 8)
    events = data.count(b"BEGIN:VEVENT")
    if workers < 2 or events < at_least:
        return None
    chunks = split(data, parts or min(MAX_CHUNKS, max(2, events // MIN_CHUNK_EVENTS)))
    if chunks is None or len(chunks) < 2:
        return None
    from concurrent.futures import wait

    # The libraries are loaded once here, so that forked workers start with them.
    import icalendar  # noqa: F401
    import recurring_ical_events  # noqa: F401
    import x_wr_timezone  # noqa: F401

    from vault_crm.stopping import StopOnSignal
    from vault_crm.workers import WorkerDied, Workers

    jobs = [(chunk, positions, file, (start, stop), mine) for chunk, positions in chunks]
    found: list[_Series] = []
    uids: list[str] = []
    done = 0
    # Done, given up, an error, Ctrl-C or SIGTERM: the workers are ended on the way out.
    # A signal is acted on between short waits, never raised inside the pool's own code.
    with StopOnSignal() as signalled, Workers(min(workers, len(jobs))) as pool:
        pending = [pool.submit(read_chunk, job) for job in jobs]
        for result, (_, positions) in zip(pending, chunks, strict=True):
            while not result.done():
                wait([result], 0.2)
                signalled.check()
            try:
                read = result.result()
            except WorkerDied:
                read = None  # killed, out of memory: the file is read whole here instead
            if read is None:
                pool.stop()
                return None
            uids.extend(read[0])
            found.extend(read[1])
            done += len(positions)
            if progress is not None:
                progress(done)
        signalled.check()
    if len(set(uids)) != len(uids):
        return None  # one UID read in two chunks: only reading it whole is right
    found.sort(key=lambda s: s[0])
    return [item for _, _, items in found for item in items]


# --- planning -------------------------------------------------------------------------


@dataclass
class Unmatched:
    """Someone you met who is no person in the vault."""

    email: str
    name: str
    count: int = 0  # meetings up to today
    last: dt.date | None = None  # the latest of them
    scheduled: int = 0  # meetings after today

    def to_json(self) -> dict[str, Any]:
        return {
            "action": "unmatched",
            "title": self.name or self.email,
            "path": None,
            "matched_by": None,
            "source": f"mailto:{self.email}",
            "reason": None,
            "email": self.email,
            "count": self.count,
            "last": self.last.isoformat() if self.last else None,
            "scheduled": self.scheduled,
        }


@dataclass
class MeetingPlan:
    steps: list[Step] = field(default_factory=list)
    unmatched: dict[str, Unmatched] = field(default_factory=dict)

    def unmatched_sorted(self) -> list[Unmatched]:
        """Most met first, then most recent, then by address."""
        return sorted(
            self.unmatched.values(),
            key=lambda u: (-u.count, -(u.last or dt.date.min).toordinal(), -u.scheduled, u.email),
        )


def _title(path: str) -> str:
    return nfc(path.rpartition("/")[2].removesuffix(".md"))


class MeetingPlanner:
    """Turns occurrences into conversation-note steps, remembering what it planned so the
    same event met twice (two exports, or an export and a synced folder) is one note."""

    def __init__(
        self,
        known: Iterable[Known],
        *,
        folder: str,
        today: dt.date,
        existing: dict[str, str],
        taken: Iterable[str],
        link: Callable[[str, str], str],
        note_type: str = "meeting",
    ) -> None:
        self.folder = folder
        self.today = today
        self.existing = dict(existing)  # source → vault path of the note holding it
        # Titles, not paths: a link `[[2026-11-20 Sync]]` must name one note in the vault.
        self.taken = {_title(p).casefold() for p in taken}
        self.link = link
        self.note_type = note_type
        self.plan = MeetingPlan()
        self.by_email: dict[str, Known] = {}
        for k in known:
            for e in strings(k.props.get("email")):
                if address(e):
                    self.by_email.setdefault(address(e), k)

    def add(self, item: Occurrence | Broken) -> None:
        if isinstance(item, Broken):
            where = item.file if item.uid is None else f"{item.file}: {item.uid}"
            self.plan.steps.append(Step("problem", item.summary, None, None, where, item.reason))
            return
        matched: dict[str, Known] = {}
        for a in item.attendees:
            person = self.by_email.get(a.email)
            if person is not None:
                matched.setdefault(person.path, person)
            else:
                self._unmatched(a, item.day)
        if not matched:
            return
        source = item.source
        if source in self.existing:
            path = self.existing[source]
            title = _title(path)
            self.plan.steps.append(Step("skip", title, path, "source", source))
            return
        base = safe_title(f"{item.day.isoformat()} {item.summary or 'Meeting'}")
        title, n = base, 2
        while title.casefold() in self.taken:
            title, n = f"{base} ({n})", n + 1
        path = f"{self.folder}/{title}.md"
        self.taken.add(title.casefold())
        self.existing[source] = path
        people = sorted(matched.values(), key=lambda k: (k.title.casefold(), k.path))
        props: dict[str, Any] = {
            "type": self.note_type,
            "date": item.day,
            "with": [self.link(k.path, k.title) for k in people],
            "channel": "meeting",
            "source": source,
        }
        self.plan.steps.append(
            Step("create", title, path, "email", source, None, props, item.description)
        )

    def _unmatched(self, attendee: Attendee, day: dt.date) -> None:
        u = self.plan.unmatched.get(attendee.email)
        if u is None:
            u = self.plan.unmatched[attendee.email] = Unmatched(attendee.email, attendee.name)
        if not u.name and attendee.name:
            u.name = attendee.name
        if day > self.today:
            u.scheduled += 1
        else:
            u.count += 1
            if u.last is None or day > u.last:
                u.last = day

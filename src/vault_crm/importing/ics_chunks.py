"""Cutting a large calendar into independent calendars, so that `ics.read_parallel` can
read each (icalendar, x-wr-timezone, recurring-ical-events) in a worker process and put
the results back in the order of the file: the occurrences and problems are exactly
those of reading it whole. Pure: bytes in, bytes out.

The cut is made on the lines that open and close the calendar's components, never inside
one: every chunk holds the calendar's own properties (`X-WR-TIMEZONE` among them), every
`VTIMEZONE`, and a share of the events, all the events sharing a UID (a series and its
`RECURRENCE-ID` overrides) in the same chunk and in their order. Anything the cut cannot
vouch for (several calendars in one file, a property after the first component, a line it
does not understand, a chunk that does not parse, a UID that the library reads the same
in two chunks) makes the caller read the file whole as before.
"""

from __future__ import annotations

import re

# Below this many events a file is read in one process: starting workers costs more.
PARALLEL_EVENTS = 1000
# At most this many chunks, of at least MIN_CHUNK_EVENTS events each: the progress bar
# moves as each chunk is read, about once a percent, at little cost (a chunk of 50 events
# costs about 1% more than reading them in one piece).
MAX_CHUNKS = 100
MIN_CHUNK_EVENTS = 10

_BEGIN = re.compile(rb"BEGIN:([A-Z0-9-]+)")
_END = re.compile(rb"END:([A-Z0-9-]+)")
_UID = re.compile(rb"UID[;:]")


def split(data: bytes, parts: int) -> list[tuple[bytes, list[int]]] | None:
    """`data` (one VCALENDAR, no BOM) as up to `parts` calendars, each with the file
    positions of its events (counting VEVENTs from 0, in file order); None when the file
    is not of a shape this can cut safely."""
    lines = data.splitlines(keepends=True)
    if not lines or _name(_BEGIN, lines[0]) != b"VCALENDAR":
        return None
    header: list[bytes] = [lines[0]]
    # The calendar's components, in file order: (name, lines).
    components: list[tuple[bytes, list[bytes]]] = []
    stack: list[bytes] = []
    current: list[bytes] = []
    end: bytes | None = None
    for i in range(1, len(lines)):
        line = lines[i]
        begin = _name(_BEGIN, line)
        if begin is not None:
            stack.append(begin)
            current.append(line)
            continue
        ended = _name(_END, line)
        if ended is not None:
            if not stack:
                if ended != b"VCALENDAR":
                    return None
                end = line
                if any(rest.strip() for rest in lines[i + 1 :]):
                    return None  # a second calendar, or something after the first
                break
            if stack.pop() != ended:
                return None
            current.append(line)
            if not stack:
                components.append((ended, current))
                current = []
            continue
        if stack:
            current.append(line)
        elif components:
            return None  # a calendar property after a component
        else:
            header.append(line)
    if end is None or stack:
        return None
    # Events sharing a UID go to the chunk of the first of them; a new UID to the chunk
    # being filled, until it holds its share of the file.
    events = [lines for name, lines in components if name == b"VEVENT"]
    share = max(1, sum(sum(map(len, e)) for e in events) // max(1, parts))
    chunk_of_uid: dict[bytes | None, int] = {}
    chunk_of_event: list[int] = []
    filling, filled = 0, 0
    for event in events:
        key = _uid_key(event)
        chunk = chunk_of_uid.get(key)
        if chunk is None:
            if filled >= share and filling < parts - 1:
                filling, filled = filling + 1, 0
            chunk = chunk_of_uid[key] = filling
        filled += sum(map(len, event))
        chunk_of_event.append(chunk)
    out: list[tuple[list[bytes], list[int]]] = [([*header], []) for _ in range(filling + 1)]
    position = 0
    for name, component in components:
        if name == b"VEVENT":
            body, positions = out[chunk_of_event[position]]
            body.extend(component)
            positions.append(position)
            position += 1
        elif name == b"VTIMEZONE":
            for body, _ in out:
                body.extend(component)
        else:  # a to-do, a journal…: read once, so that a broken one still breaks the file
            out[0][0].extend(component)
    return [(b"".join([*body, end]), positions) for body, positions in out if positions]


def _name(pattern: re.Pattern[bytes], line: bytes) -> bytes | None:
    m = pattern.fullmatch(line.rstrip(b"\r\n").upper())
    return m.group(1) if m else None


def _uid_key(event: list[bytes]) -> bytes | None:
    """The event's UID as written (unfolded), to keep the events of one series together;
    None without one. Only the event's own lines count, not those of its alarms."""
    depth = 0
    for i, line in enumerate(event[1:-1], start=1):
        if _name(_BEGIN, line) is not None:
            depth += 1
        elif _name(_END, line) is not None:
            depth -= 1
        elif depth == 0 and _UID.match(line.upper()):
            value = line.rstrip(b"\r\n")
            for more in event[i + 1 : -1]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value += more[1:].rstrip(b"\r\n")
            return value.partition(b":")[2].strip()
    return None

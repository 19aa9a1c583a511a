"""Reconnect dates, birthdays and dates → one iCalendar file (icalendar writes it).

Subscribed in a phone's calendar app, it is how the vault's reminders reach the phone.
Pure: the caller hands in who is due when; the same vault and today give the same bytes
(`DTSTAMP` is today, UIDs derive from the vault path, events are sorted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from vault_crm.dates import parse_birthday

LEAP_YEAR = 2000  # a year-less date is anchored here, so --02-29 is a real day


@dataclass(frozen=True)
class Reminder:
    """One person's dates, as the command computed them."""

    path: str
    name: str
    reconnect: dt.date | None  # None: no cadence, or a conversation is already scheduled
    cadence: str | None
    birthday: object = None
    dates: tuple[tuple[str, object], ...] = ()


def _uid(kind: str, path: str, label: str = "") -> str:
    digest = hashlib.sha256(f"{path}\0{label}".encode()).hexdigest()[:20]
    return f"{kind}-{digest}@vault-crm"


def _all_day(event: object, day: dt.date) -> None:
    event.add("dtstart", day)  # type: ignore[attr-defined]
    event.add("dtend", day + dt.timedelta(days=1))  # type: ignore[attr-defined]
    event.add("transp", "TRANSPARENT")  # type: ignore[attr-defined]


def export_ics(
    reminders: Iterable[Reminder], today: dt.date, alarm: dt.timedelta | None = None
) -> bytes:
    from icalendar import Alarm, Calendar, Event

    stamp = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    events: list[tuple[dt.date, str, Event]] = []

    def event(uid: str, summary: str, day: dt.date, description: str) -> Event:
        ev = Event()
        ev.add("uid", uid)
        ev.add("dtstamp", stamp)
        ev.add("summary", summary)
        ev.add("description", description)
        _all_day(ev, day)
        if alarm is not None:
            al = Alarm()
            al.add("action", "DISPLAY")
            al.add("description", summary)
            al.add("trigger", -alarm)
            ev.add_component(al)
        events.append((day, uid, ev))
        return ev

    for r in reminders:
        if r.reconnect is not None:
            day = max(r.reconnect, today)
            event(
                _uid("reconnect", r.path),
                f"Reconnect with {r.name}",
                day,
                f"Cadence {r.cadence}. {r.path}" if r.cadence else r.path,
            )
        yearly = [("birthday", r.birthday), *r.dates]
        for label, value in yearly:
            if value in (None, ""):
                continue
            try:
                md = parse_birthday(value)
            except ValueError:
                continue
            start = dt.date(md.year or LEAP_YEAR, md.month, md.day)
            summary = f"{r.name}'s birthday" if label == "birthday" else f"{r.name}: {label}"
            ev = event(_uid("date", r.path, label), summary, start, r.path)
            if md.month == 2 and md.day == 29:
                ev.add("rrule", {"freq": "yearly", "bymonth": 2, "bymonthday": -1})
            else:
                ev.add("rrule", {"freq": "yearly"})

    cal = Calendar()
    cal.add("prodid", "-//vault-crm//vault export ics//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "vault-crm")
    for _, _, ev in sorted(events, key=lambda e: (e[0], e[1])):
        cal.add_component(ev)
    return bytes(cal.to_ical())

"""Reciprocity: over the last conversations with a person, who gave, who asked, who
reached out. A network is built before the ask; this notices when you only ever ask, or
when you always do the reaching out."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from vault_crm.model import normalise_intent

WINDOW = 10  # conversations looked at
ASKS_IN_A_ROW = 3  # this many asks in a row: offer something first
STARTED_IN_A_ROW = 5  # you started this many in a row: say so

_SIDES = {"me": "me", "i": "me", "myself": "me", "them": "them", "they": "them"}


class Touch(NamedTuple):
    """One conversation with the person, as reciprocity sees it (a NamedTuple: a vault
    holds thousands)."""

    date: dt.date
    path: str
    intent: str | None  # give | ask | catch-up
    initiated_by: str | None  # me | them


@dataclass(frozen=True)
class Reciprocity:
    conversations: int  # how many were looked at (at most WINDOW)
    give: int
    ask: int
    catch_up: int
    me: int
    them: int
    asks_in_a_row: int  # the newest conversations that were asks, counted back
    started_in_a_row: int  # the newest conversations you started, counted back

    @property
    def only_asks(self) -> bool:
        return self.asks_in_a_row >= ASKS_IN_A_ROW

    @property
    def always_me(self) -> bool:
        return self.started_in_a_row >= STARTED_IN_A_ROW

    def warnings(self) -> list[str]:
        """What the reconnect note says about this person, when true."""
        lines = []
        if self.only_asks:
            # SPEC §9's words: the last 3, even when the run is longer (`vault show`
            # gives the count).
            lines.append(f"the last {ASKS_IN_A_ROW} contacts were asks: offer something first")
        if self.always_me:
            lines.append(f"you started the last {self.started_in_a_row} contacts")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "intent": {"give": self.give, "ask": self.ask, "catch-up": self.catch_up},
            "initiated_by": {"me": self.me, "them": self.them},
            "asks_in_a_row": self.asks_in_a_row,
            "started_in_a_row": self.started_in_a_row,
        }


def normalise_side(value: Any) -> str | None:
    return _side(value) if isinstance(value, str) else None


# The same few words repeat across thousands of conversations: read each once.
@functools.lru_cache(maxsize=256)
def _side(value: str) -> str | None:
    return _SIDES.get(value.strip().casefold())


def touches(
    rows: Iterable[tuple[str, str, str, str, Any, Any]], today: dt.date
) -> dict[str, list[Touch]]:
    """Index rows (person, date, path, kind, intent, initiated_by) -> each person's past
    conversations, newest first. Daily-note mentions and scheduled conversations are not
    exchanges yet, so they do not count."""
    out: dict[str, list[Touch]] = {}
    until = today.isoformat()  # ISO dates compare as text
    for person, date, path, kind, intent, side in rows:
        if kind != "conversation" or date > until:
            continue
        out.setdefault(person, []).append(
            Touch(dt.date.fromisoformat(date), path, normalise_intent(intent), normalise_side(side))
        )
    for items in out.values():
        items.sort(key=lambda t: (t.date, t.path), reverse=True)
    return out


def reciprocity(history: list[Touch]) -> Reciprocity:
    """Counts over the newest WINDOW conversations (`history` is newest first)."""
    last = history[:WINDOW]
    return Reciprocity(
        conversations=len(last),
        give=sum(t.intent == "give" for t in last),
        ask=sum(t.intent == "ask" for t in last),
        catch_up=sum(t.intent == "catch-up" for t in last),
        me=sum(t.initiated_by == "me" for t in last),
        them=sum(t.initiated_by == "them" for t in last),
        asks_in_a_row=_run(t.intent == "ask" for t in last),
        started_in_a_row=_run(t.initiated_by == "me" for t in last),
    )


def _run(flags: Iterable[bool]) -> int:
    n = 0
    for flag in flags:
        if not flag:
            break
        n += 1
    return n


def something_to_give(
    followups: list[str], introductions: list[str], working_on: str | None
) -> str | None:
    """One thing to offer, the most concrete first: an open follow-up (a promise already
    made), an introduction they would value, or help with what they are working on."""
    if followups:
        return f"Something to give: follow through on “{followups[0]}”"
    if introductions:
        return f"Something to give: an introduction to {introductions[0]}"
    if working_on:
        return f"Something to give: help with what they are working on, {working_on}"
    return None

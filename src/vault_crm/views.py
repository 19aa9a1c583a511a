"""Domain results as plain data: the JSON the CLI prints and the context templates see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vault_crm.contacts import Contact
from vault_crm.dates import Cadence, format_overdue
from vault_crm.due import DueEntry, DueReport, Upcoming
from vault_crm.model import FollowUp


class Linker:
    """Wikilinks the way Obsidian resolves them back: `[[Title]]`, or
    `[[path/without/ext|Title]]` when another note shares the title."""

    def __init__(self, ambiguous_titles: set[str]) -> None:
        self.ambiguous = ambiguous_titles

    def __call__(self, path: str, title: str, shown: str | None = None) -> str:
        from vault_crm.links import nfc

        # The link names the file; a display name (a person's `name`) is what it shows.
        stem = path.rsplit("/", 1)[-1].removesuffix(".md")
        shown = shown or (title if title != stem else None)
        if nfc(stem).casefold() in self.ambiguous:
            return f"[[{path.removesuffix('.md')}|{shown or stem}]]"
        if shown and shown != stem:
            return f"[[{stem}|{shown}]]"
        return f"[[{stem}]]"


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def upcoming_json(u: Upcoming) -> dict[str, Any]:
    return {"label": u.label, "date": u.date.isoformat(), "age": u.age}


def upcoming_context(u: Upcoming) -> dict[str, Any]:
    return {**upcoming_json(u), "text": upcoming_phrase(u)}


def followup_json(f: FollowUp) -> dict[str, Any]:
    return {"text": f.text, "path": f.path, "line": f.line}


def conversation_json(c: Contact | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"path": c.path, "date": c.date.isoformat(), "title": c.title}


def due_entry_json(e: DueEntry) -> dict[str, Any]:
    return {
        "person": e.person.name,
        "path": e.person.path,
        "cadence": e.cadence.cadence.text if e.cadence else None,
        "cadence_source": e.cadence.source if e.cadence else None,
        "cadence_days": e.cadence_days,
        "last_contact": iso(e.last_contact),
        "due_date": iso(e.due_date),
        "days_overdue": e.days_overdue,
        "last_conversation": conversation_json(e.last_conversation),
        "followups": [followup_json(f) for f in e.followups],
        "upcoming": [upcoming_json(u) for u in e.upcoming],
    }


def due_json(report: DueReport) -> dict[str, Any]:
    return {
        "today": report.today.isoformat(),
        "due": [due_entry_json(e) for e in report.due],
        "coming_up": [due_entry_json(e) for e in report.coming_up],
        "never_contacted": [due_entry_json(e) for e in report.never_contacted],
        "dates": [
            {"person": e.person.title, "path": e.person.path, **upcoming_json(u)}
            for e in report.upcoming_only
            for u in e.upcoming
        ],
        "more": report.more,
    }


def cadence_phrase(cadence: Cadence | None) -> str:
    """'every 2w', or the word itself when the cadence is written as one ('quarterly')."""
    if cadence is None:
        return "no cadence"
    text = cadence.text
    if text.isdigit():
        return f"every {text} days"
    return text if text[:1].isalpha() else f"every {text}"


def upcoming_phrase(u: Upcoming) -> str:
    """'birthday on 2026-12-02 (turns 35)', 'wedding anniversary on 2026-11-30 (41 years)'."""
    text = f"{u.label} on {u.date.isoformat()}"
    if u.age is None:
        return text
    return text + (f" (turns {u.age})" if u.label == "birthday" else f" ({u.age} years)")


def last_phrase(e: DueEntry) -> str:
    """When and how the person was last in touch: 'last 2026-10-28 (coffee)'."""
    if e.last_contact is None:
        return ""
    c = e.last_conversation
    if c is not None and c.date == e.last_contact:
        return f"last {c.date.isoformat()}" + (f" ({c.channel})" if c.channel else "")
    return f"last {e.last_contact.isoformat()}"


def why(e: DueEntry, today: dt.date) -> str:
    """Why a person is listed, in a few words: 'overdue by 2 weeks · every 2w'."""
    every = cadence_phrase(e.cadence.cadence if e.cadence else None)
    if e.due_date is None:
        return f"never contacted · {every}"
    days = (today - e.due_date).days
    if days > 0:
        head = f"overdue by {format_overdue(days)}"
    elif days == 0:
        head = "due today"
    else:
        head = f"due {e.due_date.isoformat()} (in {-days} day{'s' if days != -1 else ''})"
    return f"{head} · {every}"


def _text(value: Any) -> str | None:
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return str(value)


def met_phrase(props: dict[str, Any]) -> str | None:
    """How you met, from `met` (a date or words) and `introduced_by`: '2026-11-05, through
    [[Ana Lima]]'."""
    met = _text(props.get("met"))
    through = _text(props.get("introduced_by"))
    if through:
        through = f"through {through}"
    return ", ".join(p for p in (met, through) if p) or None


def entry_context(
    e: DueEntry, link: Linker, today: dt.date, notes: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    last = e.last_conversation
    props = e.person.props
    return {
        "person": e.person.name,
        "path": e.person.path,
        "link": link(e.person.path, e.person.title),
        "why": why(e, today),
        "cadence": e.cadence.cadence.text if e.cadence else None,
        "last_contact": iso(e.last_contact),
        "due_date": iso(e.due_date),
        "days_overdue": e.days_overdue,
        "last": None
        if last is None
        else {
            "link": link(last.path, last.title),
            "date": last.date.isoformat(),
            "channel": last.channel,
            "summary": last.summary,
        },
        "followups": [
            {
                "text": f.text,
                "source": link(f.path, f.title),
                "date": iso(f.date),
            }
            for f in e.followups
        ],
        "upcoming": [upcoming_context(u) for u in e.upcoming],
        "working_on": _text(props.get("working_on")),
        "met": met_phrase(props),
        "needs": _text(props.get("needs")),
        "company": _text(props.get("company")),
        "reciprocity": (notes or {}).get(e.person.path, []),
    }


def reconnect_context(
    report: DueReport,
    link: Linker,
    within_days: int,
    dates_days: int,
    reciprocity: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    t = report.today
    return {
        "today": t.isoformat(),
        "due": [entry_context(e, link, t, reciprocity) for e in report.due],
        "coming_up": [entry_context(e, link, t) for e in report.coming_up],
        "never_contacted": [entry_context(e, link, t) for e in report.never_contacted],
        "dates": [entry_context(e, link, t) for e in report.upcoming_only],
        "more": report.more,
        "within_days": within_days,
        "dates_days": dates_days,
    }

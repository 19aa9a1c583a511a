"""`vault people`, `vault show`, `vault links`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from vault_crm.cli.app import App, pass_app, print_json
from vault_crm.cli.params import PERSON
from vault_crm.contacts import (
    has_tag,
    load_contacts,
    load_directory,
    load_followups,
    load_graph,
    load_person,
    name_key,
)
from vault_crm.dates import format_overdue
from vault_crm.due import DueEntry, followup_order, person_status
from vault_crm.errors import NotFoundError
from vault_crm.store import Index
from vault_crm.views import (
    cadence_phrase,
    conversation_json,
    followup_json,
    iso,
    upcoming_json,
    upcoming_phrase,
)


@click.command()
@click.option("--tag", "tag", metavar="TAG", help="Only people with this tag (#a/b matches a).")
@click.option(
    "--sort",
    type=click.Choice(["name", "last", "due"]),
    default="name",
    show_default=True,
    help="name; last = longest out of touch first; due = soonest due first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_app
def people(app: App, tag: str | None, sort: str, as_json: bool) -> None:
    """List people with their last contact, cadence and next due date.

    \b
    Examples:
      vault people
      vault people --tag mentor --sort due
      vault people --json | jq '.[] | select(.last_contact == null) | .person'
    """
    idx = app.index()
    today = app.today
    graph = load_graph(idx, today)
    entries = [
        person_status(p, graph.contacts.get(p.path, []), idx.settings, today, dates=False)
        for p in graph.sorted_people()
        if tag is None or has_tag(p, name_key(tag).lstrip("#"))
    ]
    far = dt.date.max
    if sort == "last":
        entries.sort(key=lambda e: (e.last_contact or dt.date.min, name_key(e.person.title)))
    elif sort == "due":
        entries.sort(key=lambda e: (e.due_date or far, name_key(e.person.title)))
    if as_json:
        print_json(
            [
                {
                    "person": e.person.name,
                    "path": e.person.path,
                    "tags": list(e.person.tags),
                    "cadence": e.cadence.cadence.text if e.cadence else None,
                    "last_contact": iso(e.last_contact),
                    "due_date": iso(e.due_date),
                }
                for e in entries
            ]
        )
        return
    if not entries:
        click.echo("No people found." + (f" (tag: {tag})" if tag else ""), err=True)
        return
    width = min(32, max(len(e.person.name) for e in entries))
    for e in entries:
        click.echo(
            f"{e.person.name:<{width}}  last {iso(e.last_contact) or 'never':<10}"
            f"  {cadence_phrase(e.cadence.cadence if e.cadence else None):<18}"
            f"  {_due_text(e, today)}"
        )


def _due_text(e: DueEntry, today: dt.date) -> str:
    if e.scheduled is not None:
        return f"scheduled {e.scheduled.date.isoformat()}"
    if e.due_date is None:
        return "" if e.cadence is None else "never contacted"
    days = (today - e.due_date).days
    if days > 0:
        return click.style(f"overdue by {format_overdue(days)}", fg="red")
    if days == 0:
        return click.style("due today", fg="yellow")
    return f"due {e.due_date.isoformat()}"


@click.command()
@PERSON
@click.option("--json", "as_json", is_flag=True, help="Print the dossier as JSON.")
@pass_app
def show(app: App, person: str, as_json: bool) -> None:
    """Everything about one person: properties, last contact, due date,
    conversations (newest first), open follow-ups, upcoming dates, backlinks,
    who introduced them and whom they introduced.

    PERSON is a name or alias (case-insensitive) or a unique prefix of one.

    \b
    Examples:
      vault show "Ana Lima"
      vault show ana --json
    """
    idx = app.index()
    graph = load_directory(idx)
    p = load_person(idx, graph.find(person).path)
    contacts = load_contacts(idx, graph, p.path)
    today = app.today
    followups = sorted(load_followups(idx, [p.path]), key=followup_order)
    entry = person_status(p, contacts, idx.settings, today, followups)
    conversations = [c for c in contacts if c.kind == "conversation"]
    generated = idx.generated_paths()
    backlinks = sorted(
        {src for src, _line in idx.incoming(p.path) if src not in generated}, key=str.casefold
    )
    introduced_by = _introducer(idx, p.path)
    introduced = sorted(
        (graph.people[q].title for q in idx.introduced_by(p.path) if q in graph.people),
        key=name_key,
    )
    data: dict[str, Any] = {
        "person": p.name,
        "path": p.path,
        "aliases": list(p.aliases),
        "tags": list(p.tags),
        "properties": p.props,
        "cadence": entry.cadence.cadence.text if entry.cadence else None,
        "cadence_days": entry.cadence_days,
        "last_contact": iso(entry.last_contact),
        "due_date": iso(entry.due_date),
        "conversations": [conversation_json(c) for c in conversations],
        "followups": [followup_json(f) for f in followups],
        "upcoming": [upcoming_json(u) for u in entry.upcoming],
        "backlinks": backlinks,
        "introduced_by": graph.people[introduced_by].title
        if introduced_by in graph.people
        else None,
        "introduced": introduced,
        "reciprocity": None,
    }
    from vault_crm.insights.sources import load_reciprocity

    balance = load_reciprocity(idx, [p.path], today).get(p.path)
    if balance is not None:
        data["reciprocity"] = balance.as_json()
    if as_json:
        print_json(data)
        return
    click.secho(p.name, bold=True)
    click.echo(f"  {p.path}")
    if p.aliases:
        click.echo(f"  also: {', '.join(p.aliases)}")
    if p.tags:
        click.echo(f"  tags: {', '.join('#' + t for t in p.tags)}")
    skip = {"aliases", "alias", "tags", "tag", "type", "cadence"}
    for key, value in p.props.items():
        if key not in skip and value not in (None, "", []):
            click.echo(f"  {key}: {_plain(value)}")
    click.echo()
    cadence = cadence_phrase(entry.cadence.cadence if entry.cadence else None)
    click.echo(f"  cadence: {cadence}    last contact: {iso(entry.last_contact) or 'never'}")
    if entry.due_date:
        click.echo(f"  next due: {entry.due_date.isoformat()}  {_due_text(entry, today)}")
    if entry.scheduled:
        click.echo(f"  scheduled: {entry.scheduled.date.isoformat()} {entry.scheduled.title}")
    if data["introduced_by"]:
        click.echo(f"  introduced by: {data['introduced_by']}")
    if introduced:
        click.echo(f"  introduced: {', '.join(introduced)}")
    if balance is not None:
        click.echo(
            f"  last {balance.conversations} conversation"
            f"{'s' if balance.conversations != 1 else ''}: {balance.give} give · "
            f"{balance.ask} ask · {balance.catch_up} catch-up; "
            f"you started {balance.me}, they started {balance.them}"
        )
        for line in balance.warnings():
            click.echo(f"  {line}")
    _section(
        "Conversations",
        [
            c.title
            if c.title.startswith(c.date.isoformat())
            else f"{c.date.isoformat()}  {c.title}"
            for c in conversations
        ],
    )
    _section("Open follow-ups", [f"[ ] {f.text}  ({f.path}:{f.line})" for f in followups])
    _section(
        "Upcoming dates",
        [upcoming_phrase(u) for u in entry.upcoming],
    )
    _section("Linked from", backlinks)


def _introducer(idx: Index, path: str) -> str | None:
    for _target, resolved, _line, place, prop in idx.outgoing(path):
        if place == "frontmatter" and prop == "introduced_by" and resolved:
            return resolved
    return None


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _section(title: str, lines: list[str]) -> None:
    if not lines:
        return
    click.echo()
    click.secho(f"  {title} ({len(lines)})", bold=True)
    for line in lines:
        click.echo(f"    {line}")


@click.command()
@click.argument("note")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {note, outgoing, incoming, unresolved}."
)
@pass_app
def links(app: App, note: str, as_json: bool) -> None:
    """Outgoing, incoming and unresolved links of NOTE (a vault path, with or
    without .md, or a title resolved like a link).

    \b
    Examples:
      vault links "Ana Lima"
      vault links "Conversations/2026-03-14 Coffee with Ana Lima.md" --json
    """
    idx = app.index()
    path = idx.find_note(note)
    if path is None:
        raise NotFoundError(f"no note named '{note}'")
    outgoing = [
        {
            "target": t,
            "path": r,
            "line": line,
            "where": place,
            "embed": embed,
            "kind": "attachment" if attachment else "note",
        }
        for t, r, line, place, _prop, embed, attachment in idx.outgoing_links(path)
    ]
    incoming = [{"path": src, "line": line} for src, line in idx.incoming(path)]
    unresolved = [{"target": o["target"], "line": o["line"]} for o in outgoing if not o["path"]]
    if as_json:
        print_json(
            {"note": path, "outgoing": outgoing, "incoming": incoming, "unresolved": unresolved}
        )
        return
    click.secho(path, bold=True)
    resolved = [o for o in outgoing if o["path"]]
    _section(
        "Links to",
        [
            f"{o['path']}  (line {o['line']}, {o['where']}"
            + (", attachment" if o["kind"] == "attachment" else "")
            + ")"
            for o in resolved
        ],
    )
    _section("Unresolved", [f"[[{o['target']}]]  (line {o['line']})" for o in unresolved])
    _section("Linked from", [f"{i['path']}:{i['line']}" for i in incoming])
    if not outgoing and not incoming:
        click.echo("  no links in or out", err=True)

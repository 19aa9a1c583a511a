"""`vault add`, `vault log`, `vault snooze`: the commands that write notes."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from vault_crm.cli.app import App, checked, parsed, pass_app, print_json
from vault_crm.cli.params import complete_person
from vault_crm.contacts import Person, load_graph, name_key
from vault_crm.dates import parse_birthday, parse_cadence, parse_date, parse_date_or_duration
from vault_crm.errors import VaultError
from vault_crm.views import Linker


def _done(app: App, path: str, action: str, as_json: bool, fspath: str | None = None) -> None:
    """Put the change in the index so the next command sees it, and say what changed."""
    app.wrote(fspath or path)
    if as_json:
        print_json({"path": path, "action": action})
    else:
        click.echo(path)
        click.echo(f"{action.capitalize()} {path}", err=True)


def _create(
    app: App,
    folder: str,
    title: str,
    frontmatter: dict[str, Any],
    template: str,
    context: dict[str, Any],
    as_json: bool,
    key: str,
) -> None:
    """Write a new note `<folder>/<title>.md` (see writing.create_from_template), then
    refresh and report."""
    from vault_crm.writing import create_from_template

    shown = create_from_template(app.vault, folder, title, frontmatter, template, context, key)
    _done(app, shown, "created", as_json)


@click.command()
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, metavar="A", help="Another name (repeatable).")
@click.option("--tag", "tags", multiple=True, metavar="T", help="A tag (repeatable).")
@click.option(
    "--cadence",
    metavar="C",
    callback=checked(parse_cadence),
    help="How often to reconnect: 2w, monthly, 3 months…",
)
@click.option("--company", metavar="X")
@click.option("--role", metavar="R")
@click.option("--email", metavar="E")
@click.option("--phone", metavar="P")
@click.option(
    "--birthday",
    metavar="D",
    callback=checked(parse_birthday),
    help="YYYY-MM-DD, or --MM-DD when the year is unknown.",
)
@click.option("--met", metavar="D", callback=checked(parse_date), help="When you met (YYYY-MM-DD).")
@click.option("--introduced-by", metavar="PERSON", shell_complete=complete_person)
@click.option("--json", "as_json", is_flag=True, help="Print {path, action}.")
@pass_app
def add(
    app: App,
    name: str,
    aliases: tuple[str, ...],
    tags: tuple[str, ...],
    cadence: str | None,
    company: str | None,
    role: str | None,
    email: str | None,
    phone: str | None,
    birthday: str | None,
    met: str | None,
    introduced_by: str | None,
    as_json: bool,
) -> None:
    """Create a person note in the people folder (People/ by default).

    \b
    Examples:
      vault add "Ana Lima" --tag design --cadence 2w --company Pago
      vault add "Zoë Ångström" --alias Zoe --birthday --03-21
      vault add "Sam Okafor" --introduced-by "Chloé Martin" --json
    """
    from vault_crm.edit import check_note_name

    title = check_note_name(name)
    idx = app.index()
    graph = load_graph(idx, contacts=False)
    for candidate in (title, *aliases):
        existing = graph.by_name.get(name_key(candidate))
        if existing:
            raise VaultError(f"'{candidate}' is already a person: {', '.join(sorted(existing))}")
    linker = Linker(idx.ambiguous_titles())
    introducer = None
    if introduced_by:
        introducer = linker(*_path_title(graph.find(introduced_by)))
    folder = app.settings.people_folders[0] if app.settings.people_folders else "People"
    props: dict[str, Any] = {
        "type": "person",
        "aliases": list(aliases),
        "tags": [t.lstrip("#") for t in tags],
        "cadence": cadence,
        "company": company,
        "role": role,
        "email": email,
        "phone": phone,
        "birthday": birthday,
        "met": met,
        "introduced_by": introducer,
    }
    context = {
        "name": title,
        "today": app.today.isoformat(),
        "company": company,
        "role": role,
        "introduced_by": introducer,
    }
    _create(app, folder, title, props, "person.md.j2", context, as_json, "people_folders")


def _path_title(person: Person) -> tuple[str, str]:
    return person.path, person.title


def _utf8(text: str, what: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise VaultError(f"{what} is not valid UTF-8; nothing was written") from None
    return text


SCISSORS = "# ------------------------ >8 ------------------------"
"""The editor's cut line, as git's: everything from it down is left out, everything above
it is kept as written (headings and #tags too)."""

_INLINE_TASK = re.compile(r"(?<=\S)[ \t]+(?=- \[ \] \S)")


def _from_options(messages: tuple[str, ...]) -> str:
    """Each -m is its own paragraph (as git). An open task written inline after other text
    (`… done. - [ ] send it`) starts its own line, so it becomes a follow-up."""
    paragraphs = [_INLINE_TASK.sub("\n", m.strip("\n")) for m in messages]
    return "\n\n".join(p for p in paragraphs if p.strip()) + "\n"


def _from_editor(edited: str) -> str:
    """What the user wrote above the cut line; every line of it kept."""
    lines = edited.splitlines()
    if SCISSORS in lines:
        lines = lines[: lines.index(SCISSORS)]
    return "\n".join(lines).strip("\n") + "\n"


def _message(messages: tuple[str, ...], title: str) -> str:
    """The conversation's text: -m, else piped stdin, else $EDITOR on a terminal."""
    if messages:
        return _utf8(_from_options(messages), "the message")
    if not sys.stdin.isatty():
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            return _utf8(sys.stdin.read(), "the piped text")
        data = stream.read()
        try:
            return str(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise VaultError(
                f"the piped text is not valid UTF-8 (byte 0x{data[exc.start]:02x} at"
                f" offset {exc.start}); nothing was written"
            ) from None
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise VaultError("no message: use -m TEXT, pipe the text in, or set $EDITOR")
    instructions = (
        f"\n\n{SCISSORS}\n# Do not modify or remove the line above.\n"
        f"# Write what you talked about with {title} above it; everything from it down\n"
        "# is left out. Leave it empty to write nothing.\n"
    )
    edited = click.edit(instructions, editor=editor, extension=".md")
    if edited is None:
        return ""
    return _from_editor(edited)


@click.command()
@click.argument("people", nargs=-1, required=True, shell_complete=complete_person)
@click.option(
    "--date",
    "when",
    metavar="D",
    callback=parsed(parse_date),
    help="When it happened (default: today).",
)
@click.option("--channel", metavar="C", help="coffee, call, email, … (also names the note).")
@click.option("--intent", type=click.Choice(["give", "ask", "catch-up"]))
@click.option(
    "--title", metavar="T", help="The note's title (default: '<date> <Channel> with <Name>')."
)
@click.option(
    "-m",
    "--message",
    "messages",
    multiple=True,
    metavar="TEXT",
    help="What you talked about; each -m is a paragraph, an inline '- [ ] …' a follow-up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print {path, action}.")
@pass_app
def log(
    app: App,
    people: tuple[str, ...],
    when: dt.date | None,
    channel: str | None,
    intent: str | None,
    title: str | None,
    messages: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record a conversation with one or more people, as a note in the
    conversations folder. Each -m is a paragraph. Without -m, the text comes from a
    pipe, else from $EDITOR: every line above the '>8' cut line is kept, headings and
    #tags too (an empty message writes nothing).

    \b
    Examples:
      vault log "Ana Lima" --channel coffee -m "Talked about her pricing page."
      vault log ana -m "Pricing." -m "Hiring. - [ ] send her the article"
      vault log ana rui --channel lunch --intent give --date 2026-11-20
      echo "Quick call about the launch." | vault log sam --channel call
    """
    from vault_crm.edit import check_note_name

    day = when or app.today
    idx = app.index()
    graph = load_graph(idx, contacts=False)
    found = [graph.find(p) for p in people]
    found = list({p.path: p for p in found}.values())
    base = (
        title
        or f"{day.isoformat()} {(channel or 'conversation').capitalize()} with {found[0].title}"
    )
    base = check_note_name(base)
    folder_name = (
        app.settings.conversation_folders[0]
        if app.settings.conversation_folders
        else "Conversations"
    )
    folder = app.vault / folder_name
    name, n = base, 2
    while (folder / f"{name}.md").exists():
        name, n = f"{base} ({n})", n + 1
    text = _message(messages, name)
    if not text.strip():
        raise VaultError("empty message; nothing was written")
    linker = Linker(idx.ambiguous_titles())
    links = [linker(p.path, p.title) for p in found]
    props: dict[str, Any] = {
        "type": "conversation",
        "date": day,
        "with": links,
        "channel": channel,
        "intent": intent,
    }
    context = {
        "title": name,
        "date": day.isoformat(),
        "channel": channel,
        "people": links,
        "message": text.strip("\n"),
    }
    _create(
        app,
        folder_name,
        name,
        props,
        "conversation.md.j2",
        context,
        as_json,
        "conversation_folders",
    )


@click.command()
@click.argument("person", shell_complete=complete_person)
@click.argument("until", required=False, metavar="DURATION|DATE")
@click.option("--clear", is_flag=True, help="Remove snooze_until.")
@click.option("--json", "as_json", is_flag=True, help="Print {path, action}.")
@pass_app
def snooze(app: App, person: str, until: str | None, clear: bool, as_json: bool) -> None:
    """Not due before a date: set `snooze_until` on a person (or remove it with
    --clear). Only that line of the note changes; every other byte stays.

    \b
    Examples:
      vault snooze "Daniel Weber" 3w
      vault snooze daniel 2026-12-15
      vault snooze daniel --clear
    """
    from vault_crm.edit import check_inside, edit_property

    if clear == (until is not None):
        raise click.UsageError("give a DURATION or DATE, or --clear")
    idx = app.index()
    p = load_graph(idx, contacts=False).find(person)
    value = None
    if until is not None:
        try:
            value = parse_date_or_duration(until, app.today).isoformat()
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'DURATION|DATE'") from None
    fspath = idx.fspath(p.path) or p.path
    check_inside(app.vault, Path(app.vault, fspath), p.path)
    changed = edit_property(Path(app.vault, fspath), "snooze_until", value, p.path)
    action = (
        ("cleared snooze on" if clear else f"snoozed until {value}:") if changed else "unchanged:"
    )
    _done(app, p.path, action, as_json, fspath)

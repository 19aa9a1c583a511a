"""`vault search`."""

from __future__ import annotations

import datetime as dt
import sys

import click

from vault_crm.cli.app import App, colour_on, parsed, pass_app, print_json
from vault_crm.contacts import load_directory
from vault_crm.dates import parse_date
from vault_crm.errors import QueryError, VaultError
from vault_crm.query import parse_query

KINDS = ["person", "conversation", "daily", "other"]
HL_START, HL_END = "\x02", "\x03"


def _highlight(snippet: str, terminal: bool) -> str:
    snippet = " ".join(snippet.split())
    if terminal:
        return snippet.replace(HL_START, "\x1b[1;33m").replace(HL_END, "\x1b[0m")
    return snippet.replace(HL_START, "[").replace(HL_END, "]")


# Unknown options pass through as words, so `vault search pricing -hiring` excludes; only
# --help asks for help here, or "-hiring" would read as -h.
@click.command(context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("query", nargs=-1, required=True)
@click.option("--type", "kind", type=click.Choice(KINDS), help="Only notes of this kind.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only notes with this tag.")
@click.option("--with", "with_", metavar="PERSON", help="Only conversations with this person.")
@click.option(
    "--since", callback=parsed(parse_date), metavar="DATE", help="Dated notes on or after DATE."
)
@click.option(
    "--until", callback=parsed(parse_date), metavar="DATE", help="Dated notes on or before DATE."
)
@click.option("--limit", type=click.IntRange(min=1, max=1_000_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_app
def search(
    app: App,
    query: tuple[str, ...],
    kind: str | None,
    tags: tuple[str, ...],
    with_: str | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search over titles, aliases, properties and bodies, best first.

    All words must match; "exact phrase"; pric* for a prefix; OR between
    words; -word or NOT word to exclude; type:person, tag:mentor and
    with:"Ana Lima" filter like the options. Accents and case are ignored
    (chloe finds Chloé), and a match in a title or alias ranks first.

    \b
    Examples:
      vault search pricing
      vault search '"series a" OR fundraising -internal'
      vault search pricing --with "Ana Lima" --since 2026-01-01
      vault search tag:mentor type:person --json
    """
    text = " ".join(query)
    parsed = parse_query(text)
    if parsed.empty:
        # Nothing searchable (a lone `"`, `-`, `*`): no notes match, as with any other text.
        _show([], text, as_json)
        return
    idx = app.index()
    kinds = [kind] if kind else []
    for k in parsed.filters.get("type", []):
        if k.casefold() not in KINDS:
            raise VaultError(f"unknown type '{k}' (use one of {', '.join(KINDS)})")
        kinds.append(k.casefold())
    people: list[str] = []
    names = ([with_] if with_ else []) + parsed.filters.get("with", [])
    if names:
        graph = load_directory(idx)
        people = [graph.find(name).path for name in names]
    tag_keys = [t.lstrip("#").casefold() for t in (*tags, *parsed.filters.get("tag", []))]
    try:
        rows = idx.search(
            parsed.match,
            parsed.exclude,
            kinds=kinds,
            tags=tag_keys,
            with_people=people,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            limit=limit,
        )
    except QueryError as exc:
        # The expression is built from quoted strings only; if FTS5 still refuses it, say
        # so in one line rather than with a traceback.
        raise VaultError(f"cannot search for '{text}': {exc}") from None
    _show(rows, text, as_json)


def _show(
    rows: list[tuple[str, str, str, str | None, float, str]], text: str, as_json: bool
) -> None:
    if as_json:
        print_json(
            [
                {
                    "path": path,
                    "title": title,
                    "type": note_kind,
                    "score": round(score, 6),
                    "snippet": _highlight(snippet or "", False),
                }
                for path, title, note_kind, _date, score, snippet in rows
            ]
        )
        return
    if not rows:
        click.echo(f"No notes match {text!r}.", err=True)
        return
    terminal = colour_on(sys.stdout)
    for path, title, note_kind, date, _score, snippet in rows:
        when = f", {date}" if date else ""
        click.echo(click.style(title, bold=True) + f"  ({note_kind}{when})")
        click.echo(f"  {path}")
        if snippet:
            click.echo(f"  {_highlight(snippet, terminal)}")
        click.echo()

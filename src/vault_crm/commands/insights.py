"""`vault who`, `vault intros`, `vault report`: the relationship insights. Each command
parses its options, hands records from the index to a pure insight, and prints text or
JSON (or writes the report note)."""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

import click

from vault_crm.app import App, pass_app, print_json
from vault_crm.contacts import load_people
from vault_crm.errors import VaultError
from vault_crm.insights.who import Expert, note_hit, rank_people
from vault_crm.query import parse_query

HL_START, HL_END = "\x02", "\x03"


def _shown(snippet: str, terminal: bool) -> str:
    snippet = " ".join(snippet.split())
    if terminal:
        return snippet.replace(HL_START, "\x1b[1;33m").replace(HL_END, "\x1b[0m")
    return snippet.replace(HL_START, "[").replace(HL_END, "]")


def expert_json(x: Expert) -> dict[str, Any]:
    return {
        "person": x.person,
        "path": x.path,
        "score": x.score,
        "evidence": [
            {"path": e.path, "field": e.field, "snippet": _shown(e.snippet, False)}
            for e in x.evidence
        ],
    }


@click.command()
@click.argument("topic", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_app
def who(app: App, topic: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Whom you know about TOPIC, best first, each with the evidence: what
    their note says they are known for, working on, their role, company and
    tags, their note's text, and the conversations that mention TOPIC (credited
    to the people in them). A stated expertise (known_for) always ranks above
    a passing mention. Words must all match; "exact phrase" and pric* work as
    in vault search.

    \b
    Examples:
      vault who pricing
      vault who '"machine learning"' --limit 3
      vault who hiring --json | jq -r '.[0].person'
    """
    text = " ".join(topic)
    parsed = parse_query(text)
    if parsed.exclude or parsed.filters:
        raise VaultError(
            f"vault who takes words and \"phrases\" ('{text}' has a filter or an exclusion; "
            "those are for vault search)"
        )
    if parsed.match is None:
        raise VaultError(f"nothing to look for in '{text}'; try a word or a \"phrase\"")
    idx = app.index()
    people = {p.path: p.title for p in load_people(idx)}
    try:
        profile = idx.profile_hits(parsed.match)
        notes = [note_hit(r) for r in idx.note_hits(parsed.match)]
    except sqlite3.OperationalError as exc:
        raise VaultError(f"cannot look for '{text}': {exc}") from None
    experts = rank_people(people, profile, notes, limit)
    if as_json:
        print_json([expert_json(x) for x in experts])
        return
    if not experts:
        click.echo(f"Nobody in the vault is linked to {text!r}.", err=True)
        return
    terminal = sys.stdout.isatty()
    for x in experts:
        click.echo(click.style(x.person, bold=True) + f"  ({x.score:g})  {x.path}")
        shown = x.evidence[:4]
        for e in shown:
            where = e.field if e.field != "conversation" else f"{e.path}"
            click.echo(f"  {where}: {_shown(e.snippet, terminal)}")
        if len(x.evidence) > len(shown):
            rest = len(x.evidence) - len(shown)
            click.echo(f"  …and {rest} more (--json lists them all)")
        click.echo()

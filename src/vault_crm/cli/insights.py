"""`vault who`, `vault intros`, `vault report`: the relationship insights. Each command
parses its options, hands records from the index to a pure insight, and prints text or
JSON (or writes the report note)."""

from __future__ import annotations

import sys
from typing import Any

import click

from vault_crm.cli.app import App, pass_app, print_json, warn
from vault_crm.errors import QueryError, VaultError
from vault_crm.insights.intros import Intro
from vault_crm.insights.who import Expert, needs_snippets, with_snippets
from vault_crm.query import parse_query
from vault_crm.reconnect import network_report, write_report

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
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="List at most N people.",
)
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
    from vault_crm.insights.sources import load_experts

    idx = app.index()
    try:
        experts = load_experts(idx, parsed.match, limit)
        snippets = idx.snippets(parsed.match, needs_snippets(experts))
    except QueryError as exc:
        raise VaultError(f"cannot look for '{text}': {exc}") from None
    experts = with_snippets(experts, snippets)
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


def intro_json(i: Intro) -> dict[str, Any]:
    return {
        "a": i.a,
        "b": i.b,
        "a_path": i.a_path,
        "b_path": i.b_path,
        "reason": i.reason,
        "needs": i.needs,
        "offers": i.offers,
        "score": i.score,
    }


@click.command()
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    metavar="N",
    help="List at most N introductions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_app
def intros(app: App, limit: int, as_json: bool) -> None:
    """Introductions worth making: one person `needs` what another is
    `known_for` or `working_on` (or their role, tags, company), and the two
    are not connected yet (no conversation together, no link either way, no
    `introduced_by`, no open "introduce" follow-up). Best match first, and
    closer to both of them first. Each with the reason and the matched words.

    \b
    Examples:
      vault intros
      vault intros --limit 3
      vault intros --json | jq -r '.[] | "\\(.a) -> \\(.b)"'
    """
    from vault_crm.insights.sources import load_intros

    idx = app.index()
    shown, total = load_intros(idx, app.today, limit)
    if as_json:
        print_json([intro_json(i) for i in shown])
        return
    if not shown:
        click.echo(
            "No introductions to suggest: add `needs` to people who need something, and "
            "`known_for` or `working_on` to people who can help.",
            err=True,
        )
        return
    for i in shown:
        click.echo(click.style(f"{i.a} → {i.b}", bold=True) + f"  ({i.score:g})")
        click.echo(f"  {i.reason}")
        click.echo()
    if total > len(shown):
        click.echo(f"…and {total - len(shown)} more (use --limit to see them)", err=True)


@click.command()
@click.option("--commit", is_flag=True, help="git-commit the report note if it changed.")
@click.option("--json", "as_json", is_flag=True, help="Also print the figures as JSON.")
@pass_app
def report(app: App, commit: bool, as_json: bool) -> int:
    """Write the network report note (config report_note, default "Network
    report.md"): how many people, how many you reached in the last 30 / 90 /
    365 days, who is overdue, contacts per month for 12 months, people by
    tag, fading ties, weak ties worth reviving, asks without a give and people
    met this year. Charts are Mermaid blocks Obsidian draws, each followed by
    the same figures as a table. Text outside the note's markers is kept.

    \b
    Examples:
      vault report
      vault report --commit
      vault report --json | jq .counts
    """
    data = network_report(app.index(), app.today)
    path, changed = write_report(app.index(), app.vault, app.today, data)
    if as_json:
        print_json({"path": path, **data.as_json()})
    else:
        c = data.counts
        click.echo(
            f"{c['people']} people, {c['contacted_90_days']} contacted in the last 90 days, "
            f"{c['overdue']} overdue; {len(data.fading)} fading, "
            f"{len(data.weak_ties)} weak ties worth reviving"
        )
    warn(f"{'Wrote' if changed else 'Unchanged:'} {path}")
    if commit:
        if not changed:
            warn("Nothing to commit: the note did not change.")
            return 0
        from vault_crm.gitops import commit_files

        try:
            sha = commit_files(app.vault, [path], f"Update {path} for {app.today.isoformat()}")
        except VaultError as exc:
            warn(f"Error: {exc}")
            return 1
        warn(f"Committed {path} ({sha}).")
    return 0

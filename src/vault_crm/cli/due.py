"""`vault due` (the main job) and `vault followups`."""

from __future__ import annotations

import datetime as dt

import click

from vault_crm.cli.app import App, parsed, pass_app, print_json, warn
from vault_crm.cli.params import person_arg
from vault_crm.contacts import load_directory, load_followups, load_graph
from vault_crm.dates import Cadence, parse_duration
from vault_crm.due import DueEntry, DueReport, followup_order
from vault_crm.errors import VaultError
from vault_crm.reconnect import due_report, narrowing, reconnect_path, write_reconnect
from vault_crm.views import (
    due_json,
    last_phrase,
    upcoming_phrase,
    why,
)


@click.command()
@click.option(
    "--within",
    metavar="DUR",
    callback=parsed(parse_duration),
    help="Also list who comes due within DUR (default 7d).",
)
@click.option("--tag", metavar="TAG", help="Only people with this tag.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=1_000_000),
    metavar="N",
    help="List at most N due people (config due_limit, default 15).",
)
@click.option(
    "--write/--no-write",
    default=None,
    help="Write the reconnect note into the vault. Default: write it, unless --tag, "
    "--limit or --within narrow the list (then only with --write, and the note says so).",
)
@click.option(
    "--commit",
    is_flag=True,
    help="git-commit the reconnect note when it differs from what git holds (also the "
    "first time, untracked), and nothing else.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable results.")
@pass_app
def due(
    app: App,
    within: Cadence | None,
    tag: str | None,
    limit: int | None,
    write: bool | None,
    commit: bool,
    as_json: bool,
) -> int:
    """Who is due for reconnection, with what you last talked about, open
    follow-ups and upcoming birthdays; writes the list into the vault as the
    reconnect note (Reconnect.md by default). When nobody can be due because
    nobody has a cadence, it says how to set one.

    \b
    Examples:
      vault due
      vault due --within 14d --tag mentor     # shown, not written
      vault due --tag mentor --write          # a Reconnect.md of mentors only
      vault due --no-write --json | jq -r '.due[].person'
      vault due --commit          # and commit Reconnect.md in the vault's git repo
    """
    today = app.today
    narrowed = narrowing(within, tag, limit)
    asked = write is not None
    if write is None:
        write = not narrowed
    if commit and not write:
        raise VaultError(
            "--commit needs the note to be written; add --write"
            if narrowed
            else "--commit needs the note to be written; drop --no-write"
        )
    report = due_report(app.index(), today, within, tag, limit)
    written: tuple[str, bool] | None = None
    if write:
        written = write_reconnect(app.index(), app.vault, today, report, within, narrowed)
    if as_json:
        print_json(due_json(report))
    else:
        _print_report(report, today, within or Cadence(7, "d", "7d"))
    if not report.due and not report.coming_up and not report.never_contacted and not tag:
        hint = _nobody_due_hint(app)
        if hint:
            warn(hint)
    if written is not None:
        path, changed = written
        warn(f"{'Wrote' if changed else 'Unchanged:'} {path}")
        if commit:
            from vault_crm.gitops import commit_files

            try:
                sha = commit_files(app.vault, [path], f"Update {path} for {today.isoformat()}")
            except VaultError as exc:
                warn(f"Error: {exc}")
                return 1
            if sha is None:
                warn(f"Nothing to commit: git already holds this {path}.")
            else:
                warn(f"Committed {path} ({sha}).")
    elif narrowed and not asked:
        warn(
            f"Not writing {reconnect_path(app.index(), today)} for a list narrowed by {narrowed}; "
            "add --write to write it."
        )
    return 0


def _nobody_due_hint(app: App) -> str:
    from vault_crm.onboarding import count_with_cadence, nobody_due_hint

    graph = load_graph(app.index(), contacts=False)
    people = list(graph.people.values())
    with_cadence = count_with_cadence(people, app.settings, app.today)
    return nobody_due_hint(len(people), with_cadence, app.settings, app.vault)


def _print_report(report: DueReport, today: dt.date, within: Cadence) -> None:
    def entry(e: DueEntry) -> None:
        last = last_phrase(e)
        line = f"  {click.style(e.person.name, bold=True)} · {why(e, today)}"
        click.echo(line + (f" · {last}" if last else ""))
        for f in e.followups:
            click.echo(f"      [ ] {f.text}")
        for u in e.upcoming:
            click.echo(f"      {upcoming_phrase(u)}")

    if report.due:
        click.secho(f"Due ({len(report.due) + report.more})", fg="red", bold=True)
        for e in report.due:
            entry(e)
        if report.more:
            click.echo(f"  …and {report.more} more (use --limit to see them)")
    else:
        click.echo("Nobody is due today.")
    if report.coming_up:
        click.secho(
            f"\nComing up in the next {within.days_from(today)} days", fg="yellow", bold=True
        )
        for e in report.coming_up:
            entry(e)
    if report.never_contacted:
        click.secho("\nNever contacted", bold=True)
        for e in report.never_contacted:
            entry(e)
    if report.upcoming_only:
        click.secho("\nDates coming up", bold=True)
        for e in report.upcoming_only:
            for u in e.upcoming:
                click.echo(f"  {e.person.name} · {upcoming_phrase(u)}")


@click.command()
@person_arg(required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_app
def followups(app: App, person: str | None, as_json: bool) -> None:
    """Open follow-ups (unchecked `- [ ]` tasks in conversation notes), oldest
    first, for everyone or for one PERSON.

    \b
    Examples:
      vault followups
      vault followups "Ana Lima" --json
    """
    idx = app.index()
    graph = load_directory(idx)
    items = load_followups(idx, [graph.find(person).path] if person else None)
    items.sort(key=lambda f: (*followup_order(f), graph.people[f.person].title.casefold()))
    if as_json:
        print_json(
            [
                {
                    "person": graph.people[f.person].name,
                    "text": f.text,
                    "path": f.path,
                    "line": f.line,
                    "date": f.date.isoformat() if f.date else None,
                }
                for f in items
            ]
        )
        return
    if not items:
        click.echo("No open follow-ups.", err=True)
        return
    for f in items:
        when = f.date.isoformat() if f.date else "undated"
        click.echo(f"{when}  {graph.people[f.person].name}: {f.text}  ({f.path}:{f.line})")

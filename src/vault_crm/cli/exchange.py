"""`vault import vcard|linkedin` and `vault export vcard|ics`: contacts in and out."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from vault_crm.cli.app import App, ProgressBar, parsed, pass_app, print_json, warn
from vault_crm.dates import parse_date
from vault_crm.errors import VaultError
from vault_crm.importing.plan import Incoming, Planner, Rejected, Step
from vault_crm.refresh import refresh_index

_ACTIONS = ("create", "merge", "skip", "possible-duplicate", "problem")


def _cadence(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from vault_crm.dates import parse_cadence

    if value is None:
        return None
    try:
        parse_cadence(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _import_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--dry-run", is_flag=True, help="Print the plan; write nothing."),
            click.option(
                "--merge",
                is_flag=True,
                help="Add missing properties to people already in the vault (never changes "
                "a value).",
            ),
            click.option(
                "--allow-duplicates",
                is_flag=True,
                help="Create possible duplicates (a like name, another e-mail) as new people.",
            ),
            click.option("--tag", "tags", multiple=True, metavar="T", help="Tag every new person."),
            click.option(
                "--cadence", metavar="C", callback=_cadence, help="Cadence for new people."
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON."),
        ]
    ):
        f = option(f)
    return f


@click.group("import")
def import_() -> None:
    """Bring people in from an address book or LinkedIn, and meetings from calendars.

    \b
    Examples:
      vault import vcard contacts.vcf --dry-run
      vault import linkedin Connections.csv --tag linkedin
      vault import ics ~/Downloads/calendar.ics --since 2026-01-01
    """


@click.group("export")
def export() -> None:
    """Hand the vault's people and dates to other tools.

    \b
    Examples:
      vault export vcard -o contacts.vcf
      vault export ics -o ~/Calendars/vault.ics --alarm 9h
    """


def _vcf_files(paths: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(shown name, path) for each file named, and each .vcf below each folder named."""
    found: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            below = sorted(
                (p for p in path.rglob("*") if p.suffix.lower() == ".vcf" and p.is_file()),
                key=lambda p: str(p.relative_to(path)),
            )
            found.extend((str(Path(given) / p.relative_to(path)), p) for p in below)
        elif path.is_file():
            found.append((given, path))
        else:
            raise VaultError(f"{given}: no such file or folder; nothing was imported")
    return found


def _read(shown: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise VaultError(
            f"{shown}: cannot read it ({exc.strerror}); nothing was imported"
        ) from None


def _shown_source(source: str) -> str:
    m = re.fullmatch(r"(.*)#(\d+)", source)
    return f"{m.group(1)}: card {m.group(2)}" if m else source


def _run_import(
    app: App,
    items: Iterator[Incoming | Rejected],
    total: int,
    *,
    what: str,
    dry_run: bool,
    merge: bool,
    allow_duplicates: bool,
    tags: tuple[str, ...],
    cadence: str | None,
    as_json: bool,
    notes: Callable[[], list[str]] = list,
) -> None:
    """Plan (and unless --dry-run, write) the import; print the plan; exit 1 when any
    card or row was a problem (after the rest were imported)."""
    from vault_crm.contacts import load_people
    from vault_crm.importing.plan import Known

    idx = app.index()
    people = load_people(idx)
    folder = app.settings.people_folders[0] if app.settings.people_folders else "People"
    planner = Planner(
        [Known(p.path, p.title, p.aliases, p.props) for p in people],
        folder=folder,
        taken=idx.all_paths(),
        merge=merge,
        allow_duplicates=allow_duplicates,
        tags=tags,
        cadence=cadence,
    )
    with ProgressBar("Reading") as bar:
        for done, item in enumerate(items, start=1):
            planner.add(item)
            if isinstance(item, Incoming):
                for w in item.warnings:
                    warn(f"{_shown_source(item.source)}: warning: {w}")
            bar.update(min(done, total), total)
    steps = planner.steps
    for note in notes():
        warn(note)
    applied_note = "dry run: nothing written"
    if not dry_run:
        from vault_crm.importing.writer import apply_plan

        fspaths = idx.person_fspaths()
        with ProgressBar("Writing") as bar:
            applied = apply_plan(app.vault, steps, app.today, fspaths, bar.update)
        if applied.created or applied.merged:
            refresh_index(idx)
        applied_note = f"{len(applied.created)} created, {len(applied.merged)} merged"
        for message in applied.refused:
            warn(f"Error: {message}")
    _print_plan(steps, as_json)
    counts = Counter(s.action for s in steps)
    summary = _summary(counts)
    warn(f"{what}: {summary or 'nothing to import'} ({applied_note})")
    if not dry_run and applied.refused:
        raise VaultError(f"{len(applied.refused)} note(s) could not be written (listed above)")
    if counts["problem"]:
        raise VaultError(
            f"{counts['problem']} {'entry' if counts['problem'] == 1 else 'entries'} could not "
            "be imported (listed above); the rest were" + (" planned" if dry_run else " imported")
        )


def _summary(counts: Counter[str]) -> str:
    """The plan's actions counted, "2 create, 1 skip, 3 problems" (nouns in the plural)."""
    nouns = ("possible-duplicate", "problem")
    return ", ".join(
        f"{counts[a]} {a}{'s' if a in nouns and counts[a] != 1 else ''}"
        for a in _ACTIONS
        if counts[a]
    )


def _print_plan(steps: list[Step], as_json: bool) -> None:
    if as_json:
        print_json([s.to_json() for s in steps])
        return
    for s in steps:
        if s.action == "problem":
            warn(f"{_shown_source(s.source)}: problem: {s.reason}")
    rows = [
        (s.action, s.title, s.path or "", s.matched_by or "", _shown_source(s.source))
        for s in steps
    ]
    if not rows:
        return
    header = ("ACTION", "TITLE", "PATH", "MATCHED BY", "SOURCE")
    widths = [min(40, max(len(r[i]) for r in [header, *rows])) for i in range(4)]
    for r in [header, *rows]:
        cells = [r[i][: widths[i]].ljust(widths[i]) for i in range(4)]
        click.echo("  ".join([*cells, r[4]]).rstrip())


@import_.command("vcard")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@_import_options
@pass_app
def import_vcard(
    app: App,
    paths: tuple[str, ...],
    dry_run: bool,
    merge: bool,
    allow_duplicates: bool,
    tags: tuple[str, ...],
    cadence: str | None,
    as_json: bool,
) -> None:
    """Create people from vCard files (.vcf), or folders of them: exports from Google,
    Apple, Outlook, Android, Thunderbird, khard, or a CardDAV folder kept by vdirsyncer.

    A person already in the vault (same uid, e-mail, LinkedIn URL, or the same name with
    no other e-mail) is skipped, or with --merge gets the properties it lacks. A like
    name with another e-mail is listed as a possible duplicate and not created. Running
    the same import again changes nothing. A card that cannot be read is reported with
    its file and number; the rest are imported, and the exit code is 1.

    \b
    Examples:
      vault import vcard ~/Downloads/contacts.vcf --dry-run
      vault import vcard ~/.contacts/ --tag friends --cadence 3m
      vault import vcard google.vcf icloud.vcf --merge --json
    """
    from vault_crm.importing.vcard import count_cards, iter_vcards

    files = [(shown, _read(shown, path)) for shown, path in _vcf_files(paths)]
    total = sum(max(1, count_cards(data)) for _, data in files)

    def items() -> Iterator[Incoming | Rejected]:
        for shown, data in files:
            yield from iter_vcards(data, shown)

    _run_import(
        app,
        items(),
        total,
        what="vCard import",
        dry_run=dry_run,
        merge=merge,
        allow_duplicates=allow_duplicates,
        tags=tags,
        cadence=cadence,
        as_json=as_json,
    )


@import_.command("linkedin")
@click.argument("file", metavar="FILE")
@_import_options
@pass_app
def import_linkedin(
    app: App,
    file: str,
    dry_run: bool,
    merge: bool,
    allow_duplicates: bool,
    tags: tuple[str, ...],
    cadence: str | None,
    as_json: bool,
) -> None:
    """Create people from LinkedIn's Connections.csv (Settings → Data privacy → Get a
    copy of your data → Connections). The date you connected becomes `met`; it is not
    counted as a contact. Rows of restricted profiles (no name) are counted, not imported.

    \b
    Examples:
      vault import linkedin ~/Downloads/Connections.csv --dry-run
      vault import linkedin Connections.csv --tag linkedin --merge
    """
    from vault_crm.importing.linkedin import NotAConnectionsFile, read_connections

    path = Path(file).expanduser()
    if not path.is_file():
        raise VaultError(f"{file}: no such file; nothing was imported")
    try:
        export_ = read_connections(_read(file, path), file)
    except NotAConnectionsFile as exc:
        raise VaultError(f"{file}: {exc}; nothing was imported") from None

    def notes() -> list[str]:
        if not export_.restricted:
            return []
        n = export_.restricted
        return [
            f"{file}: {n} row{'s' if n != 1 else ''} without a name (restricted profiles) "
            "not imported"
        ]

    _run_import(
        app,
        iter(export_.items),
        len(export_.items),
        what="LinkedIn import",
        dry_run=dry_run,
        merge=merge,
        allow_duplicates=allow_duplicates,
        tags=tags,
        cadence=cadence,
        as_json=as_json,
        notes=notes,
    )


def _write_output(data: bytes, output: str | None, what: str) -> None:
    if output is None or output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from vault_crm.edit import write_atomic

    path = Path(output).expanduser()
    if path.is_dir():
        raise VaultError(f"{output}: is a folder; name a file")
    try:
        changed = write_atomic(path, data, shown=output)
    except OSError as exc:
        raise VaultError(f"{output}: cannot write it ({exc.strerror})") from None
    warn(f"{'Wrote' if changed else 'Unchanged:'} {output} ({what})")


@export.command("vcard")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: stdout).")
@pass_app
def export_vcard(app: App, output: str | None) -> None:
    """Every person as a vCard 3.0 file, for a phone or another address book. The uid
    an import recorded is kept; others get one derived from the note's path, so a phone
    updates rather than duplicates on the next import.

    \b
    Examples:
      vault export vcard -o contacts.vcf
      vault export vcard | khard import
    """
    from vault_crm.contacts import load_people
    from vault_crm.exporting.vcard import export_vcards

    people = load_people(app.index())
    _write_output(export_vcards(people), output, f"{len(people)} people")


def _alarm(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.timedelta | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(m|min|h|d|w)\s*", value)
    if not m:
        raise click.BadParameter(f"'{value}': use minutes, hours, days or weeks (30m, 9h, 1d)")
    n, unit = int(m.group(1)), m.group(2)
    return {
        "m": dt.timedelta(minutes=n),
        "min": dt.timedelta(minutes=n),
        "h": dt.timedelta(hours=n),
        "d": dt.timedelta(days=n),
        "w": dt.timedelta(weeks=n),
    }[unit]


@export.command("ics")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (default: stdout).")
@click.option(
    "--alarm",
    metavar="DUR",
    callback=_alarm,
    help="Add a reminder DUR before each all-day event starts (30m, 9h, 1d).",
)
@pass_app
def export_ics(app: App, output: str | None, alarm: dt.timedelta | None) -> None:
    """A calendar of reconnect dates (today when overdue), birthdays and `dates`, to
    subscribe to from a phone's calendar app. Same vault and day, same bytes.

    \b
    Examples:
      vault export ics -o ~/Sync/vault.ics
      vault export ics --alarm 9h > reminders.ics
    """
    from vault_crm.calendar_sync import export_calendar

    data, people = export_calendar(app.index(), app.today, alarm)
    _write_output(data, output, f"{people} people")


@import_.command("ics")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--since",
    metavar="D",
    callback=parsed(parse_date),
    help="Leave out meetings before this day (YYYY-MM-DD).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@pass_app
def import_ics(
    app: App, paths: tuple[str, ...], since: dt.date | None, dry_run: bool, as_json: bool
) -> None:
    """Turn meetings into conversation notes: calendar exports (.ics from Google, Apple,
    Outlook, Thunderbird…), folders of them (one event a file, as vdirsyncer keeps a
    CalDAV calendar), or globs.

    Each occurrence whose attendees or organiser match a person by e-mail becomes a note
    in `calendar_folder` (Meetings/): `YYYY-MM-DD Summary`, with the people, `channel:
    meeting`, and the description as the text. Meetings up to today + `calendar_horizon`
    (30d) are imported; booked ones are scheduled conversations, so those people are not
    due. Your `my_emails`, declined attendees, rooms and groups are never participants;
    cancelled meetings write nothing. A meeting already imported is skipped. The plan
    lists the people you met who are not in the vault, most met first. A broken event is
    reported (file, UID, reason) and the rest imports; the exit code is then 1.

    \b
    Examples:
      vault import ics ~/Downloads/calendar.ics --dry-run
      vault import ics ~/.calendars/work/ --since 2026-01-01
      vault import ics 'exports/*.ics' --json
    """
    from vault_crm.calendar_sync import (
        calendar_files,
        import_calendars,
        index_written,
        write_meetings,
    )

    files, _ = calendar_files(paths, Path.cwd())
    idx = app.index()
    with ProgressBar("Reading calendars") as bar:
        result = import_calendars(
            idx, files, app.today, since=since, dry_run=True, reading=bar.update
        )
    if not dry_run:
        with ProgressBar("Writing meetings") as bar:
            write_meetings(idx, result, app.today, bar.update)
        with ProgressBar("Indexing meetings") as bar:
            index_written(idx, result, bar.update)
    steps = result.plan.steps
    unmatched = result.plan.unmatched_sorted()
    if as_json:
        print_json([s.to_json() for s in steps] + [u.to_json() for u in unmatched])
    else:
        _print_plan(steps, as_json=False)
        _print_unmatched(unmatched)
    for message in result.refused:
        warn(f"Error: {message}")
    counts = Counter(s.action for s in steps)
    summary = _summary(counts)
    done = "dry run: nothing written" if dry_run else f"{len(result.created)} created"
    warn(
        f"Calendar import: {len(files)} file{'s' if len(files) != 1 else ''}, "
        f"{summary or 'no meeting with a person in the vault'}, "
        f"{len(unmatched)} unmatched attendee{'s' if len(unmatched) != 1 else ''} ({done})"
    )
    if result.refused:
        raise VaultError(f"{len(result.refused)} note(s) could not be written (listed above)")
    if counts["problem"]:
        n = counts["problem"]
        raise VaultError(
            f"{n} {'event or file' if n == 1 else 'events or files'} could not be imported "
            "(listed above); the rest were" + (" planned" if dry_run else " imported")
        )


def _print_unmatched(unmatched: list[Any]) -> None:
    if not unmatched:
        return
    click.echo("")
    click.echo("Met but not in the vault (vault add NAME --email E to track them):")
    for u in unmatched:
        last = f"last {u.last.isoformat()}" if u.last else "not met yet"
        booked = f", {u.scheduled} booked" if u.scheduled else ""
        who = f"{u.name} <{u.email}>" if u.name and u.name.casefold() != u.email else u.email
        click.echo(f"  {who}: {u.count} meeting{'s' if u.count != 1 else ''}, {last}{booked}")

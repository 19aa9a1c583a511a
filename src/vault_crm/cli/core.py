"""`vault init`, `vault index`, `vault check`, `vault completion`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from vault_crm.cli.app import App, NotAVaultError, pass_app, print_json
from vault_crm.config import init_vault
from vault_crm.onboarding import config_text_for
from vault_crm.problems import all_problems


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_app
def init(app: App, path: Path | None) -> None:
    """Set up a vault: a commented .vault/config.toml and the People/ and
    Conversations/ folders. In a vault that already has folders for them
    (Contacts/, people/, Meetings/, …) the config names those instead and no new
    folder is made. Safe to run again: it never overwrites anything.

    \b
    Examples:
      vault init ~/Notes
      vault init                 # the vault you are in, else this folder
    """
    if path is not None:
        vault = path.resolve()
    else:
        try:
            vault = app.vault
        except NotAVaultError:
            vault = Path.cwd().resolve()
    created = init_vault(vault, config_text_for(vault))
    if created:
        for item in created:
            click.echo(f"created {item}")
    else:
        click.echo(f"{vault} is already set up; nothing changed.")


@click.command()
@click.option("--rebuild", is_flag=True, help="Throw the index away and read every note again.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable counts.")
@pass_app
def index(app: App, rebuild: bool, as_json: bool) -> None:
    """Refresh the index (only changed notes are read again) and print counts.

    The index is a cache kept outside the vault; it is rebuilt by itself when
    missing, corrupt or out of date.

    \b
    Examples:
      vault index
      vault index --rebuild --json
    """
    idx = app.index(refresh=True, rebuild=rebuild, counts=True)
    stats = app.last_stats
    assert stats is not None
    problems = all_problems(idx)
    data = asdict(stats)
    data["problems"] = len(problems)
    if as_json:
        print_json(
            {
                k: data[k]
                for k in (
                    "notes",
                    "people",
                    "conversations",
                    "links",
                    "unresolved",
                    "problems",
                    "seconds",
                )
            }
        )
        return
    errors = sum(1 for p in problems if p.severity == "error")
    click.echo(
        f"{stats.notes:,} notes ({stats.people:,} people, {stats.conversations:,} conversations),"
        f" {stats.links:,} links ({stats.unresolved:,} unresolved) in {stats.seconds:.2f} s."
    )
    if stats.added or stats.updated or stats.removed:
        click.echo(
            f"Read {stats.added + stats.updated:,} new or changed notes,"
            f" dropped {stats.removed:,}.",
            err=True,
        )
    if problems:
        click.echo(
            f"{len(problems):,} problems ({errors:,} errors): run `vault check` to see them."
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@pass_app
def check(app: App, as_json: bool) -> int:
    """List notes the tool cannot read right, as `path:line: severity: message`.

    Errors (front-matter that does not parse, bytes that are not UTF-8, an
    unreadable cadence or date) make it exit 1; warnings (a participant who
    matches no person, an unquoted link in front-matter) do not.

    \b
    Examples:
      vault check
      vault check --json | jq '.[] | select(.severity == "error")'
    """
    problems = all_problems(app.index())
    if as_json:
        print_json([asdict(p) for p in problems])
    else:
        for p in problems:
            click.echo(p.render())
        if not problems:
            click.echo("No problems found.", err=True)
    return 1 if any(p.severity == "error" for p in problems) else 0


_COMPLETION_ENV = {"bash": "bash_source", "zsh": "zsh_source", "fish": "fish_source"}


@click.command()
@click.argument("shell", type=click.Choice(sorted(_COMPLETION_ENV)))
def completion(shell: str) -> None:
    """Print the shell-completion script for SHELL (completes commands, options and
    person names). A name matches by title, alias or `name`, ignoring case and
    accents, and is completed as one argument (Chloé\\ Martin in bash).

    \b
    Examples:
      vault completion bash >> ~/.bashrc
      vault completion zsh > ~/.zfunc/_vault
      vault completion fish > ~/.config/fish/completions/vault.fish
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command
    cls = get_completion_class(shell)
    assert cls is not None
    comp = cls(root, {}, "vault", "_VAULT_COMPLETE")
    click.echo(comp.source())

"""The command line: options, output (text or --json), and errors mapped to exit codes.

Exit codes: 0 success; 1 an error the user can fix; 2 bad usage; 3 an unexpected failure
(the traceback is shown with --debug); 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click
from click.shell_completion import CompletionItem

from vault_crm import __version__
from vault_crm.cli import completion
from vault_crm.cli.app import App, checked, no_color
from vault_crm.cli.commands import COMMANDS
from vault_crm.dates import parse_date
from vault_crm.errors import VaultError
from vault_crm.stopping import Terminated

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyGroup(click.Group):
    """A group whose commands are imported when one is asked for (click's documented lazy
    loading): `vault show` imports the show command's module, not the importers, the
    daemon or the insights. `vault --help` lists the registry's summaries without
    importing any command."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def listed(self, name: str) -> click.Command:
        """The command if it is loaded, else a stand-in holding its registry summary as
        help (so click shortens it exactly as it shortens the command's own help)."""
        return self.commands.get(name) or click.Command(name, help=self.lazy[name][1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, command.get_short_help_str(limit))
            for name in names
            if not (command := self.listed(name)).hidden
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # `vault <Tab>` offers the commands from the registry, importing none of them.
        results = [
            CompletionItem(name, help=command.get_short_help_str())
            for name in self.list_commands(ctx)
            if name.startswith(incomplete) and not (command := self.listed(name)).hidden
        ]
        results.extend(super(click.Group, self).shell_complete(ctx, incomplete))
        return results


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--vault",
    "vault",
    envvar="VAULT_DIR",
    metavar="PATH",
    help="The vault folder. Default: the nearest folder above holding .vault/ or .obsidian/ "
    "(outside one, an error). [env: VAULT_DIR]",
)
@click.option(
    "--today",
    envvar="VAULT_TODAY",
    metavar="DATE",
    callback=checked(parse_date),
    help="Pretend today is DATE (YYYY-MM-DD). [env: VAULT_TODAY]",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.option(
    "--no-refresh",
    is_flag=True,
    help="Read the index as it stands (e.g. while `vault watch` keeps it current).",
)
@click.version_option(__version__, "--version", prog_name="vault-crm")
@click.pass_context
def cli(
    ctx: click.Context, vault: str | None, today: str | None, debug: bool, no_refresh: bool
) -> None:
    """vault-crm: a personal networking CRM inside your folder of markdown notes.

    People and conversations are ordinary notes with YAML front-matter. vault-crm
    indexes them, tells you who is due for reconnection, and writes that list back
    into the vault as a note.

    \b
    Examples:
      vault --vault ~/Notes due          who to reconnect with today
      vault index                        refresh the index, count problems
      vault check                        list notes it cannot read right
    """
    app = App(vault, today, debug, no_refresh)
    ctx.obj = app
    ctx.call_on_close(app.close)


# The shells' completion scripts and replies (completing a person's name needs only the
# command being completed, which `get_command` imports).
completion.register()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `vault` command; return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    stdout = sys.stdout
    try:
        # NO_COLOR (no-color.org) turns colour off even on a terminal; otherwise click
        # colours a terminal and strips colour from a pipe.
        result = cli.main(
            args=args, prog_name="vault", standalone_mode=False, color=False if no_color() else None
        )
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort; SIGTERM during a parallel
        # rebuild arrives as Terminated, a KeyboardInterrupt: exit as a killed command does.
        if isinstance(exc.__cause__ or exc.__context__, Terminated):
            click.echo("Terminated.", err=True)
            return 143
        click.echo("Aborted.", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        # click turns a closed pipe (`vault people | head`) into exit 1 after swapping
        # stdout for a quiet wrapper; the reader leaving is not an error.
        if sys.stdout is not stdout:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except VaultError as exc:
        click.echo(f"Error: {exc}", err=True)
        if debug:
            import traceback

            traceback.print_exc()
        return 1
    except BrokenPipeError:
        # `vault people | head`: the reader left; not an error worth a traceback.
        return 0
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        else:
            click.echo(
                f"Unexpected error: {type(exc).__name__}: {exc}\n"
                "Run again with --debug for the details, and please report it.",
                err=True,
            )
        return 3
    return result if isinstance(result, int) else 0

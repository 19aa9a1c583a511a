"""What every command shares: where the vault is, what day it is, the open index.

This is the edge between the command line and the core: it reads the environment and the
clock once, and hands plain values to the core.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from vault_crm.config import CONFIG_DIR, Settings, load_settings
from vault_crm.dates import parse_date
from vault_crm.errors import VaultError
from vault_crm.model import IndexStats
from vault_crm.refresh import refresh_index, refresh_paths
from vault_crm.store import Index


def find_vault(start: Path) -> Path | None:
    """The nearest ancestor of `start` (itself included) holding `.vault/` or `.obsidian/`;
    None when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_DIR).is_dir() or (folder / ".obsidian").is_dir():
            return folder
    return None


class NotAVaultError(VaultError):
    """No --vault, no VAULT_DIR, and no vault above the working folder."""

    def __init__(self, cwd: Path) -> None:
        super().__init__(
            f"not in a vault: neither {cwd} nor any folder above it holds .vault/ or "
            ".obsidian/. Run `vault init` to make this folder a vault, or point at one with "
            "--vault PATH (or VAULT_DIR)"
        )


@dataclass
class App:
    vault_option: str | None
    today_option: str | None
    debug: bool
    no_refresh: bool
    _settings: Settings | None = None
    _index: Index | None = None
    last_stats: IndexStats | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def vault(self) -> Path:
        if self.vault_option:
            path = Path(self.vault_option).expanduser()
            if not path.is_dir():
                raise VaultError(f"vault folder not found: {self.vault_option}")
            return path.resolve()
        cwd = Path.cwd()
        found = find_vault(cwd)
        if found is None:
            raise NotAVaultError(cwd)
        return found

    @property
    def today(self) -> dt.date:
        if self.today_option:
            try:
                return parse_date(self.today_option)
            except ValueError as exc:
                raise VaultError(f"--today / VAULT_TODAY: {exc}") from None
        return dt.date.today()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.vault)
        return self._settings

    def index(
        self, *, refresh: bool | None = None, rebuild: bool = False, counts: bool = False
    ) -> Index:
        """The open index, refreshed first unless `--no-refresh` (or refresh=False); with
        `counts`, `last_stats` holds the index's totals, not just what changed."""
        if self._index is None:
            self._index = Index.open(self.settings)
            self.closers.append(self._index.close)
            do_refresh = (not self.no_refresh) if refresh is None else refresh
            if do_refresh or rebuild:
                with ProgressBar("Indexing") as bar:
                    self.last_stats = refresh_index(
                        self._index, bar.update, rebuild=rebuild, counts=counts
                    )
            elif self.no_refresh:
                # `--no-refresh` beside the daemon: the whole command reads one snapshot,
                # whatever the daemon commits meanwhile.
                self._index.begin_snapshot()
        return self._index

    def wrote(self, *fs_paths: str) -> None:
        """Apply the files this command just wrote (vault-relative, as the file system
        spells them) to the index, so the next command sees them even with --no-refresh."""
        refresh_paths(self.index(refresh=False), fs_paths)

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()


class ProgressBar:
    """A progress bar on stderr, shown only on a terminal and only once the work has taken
    about a second (short runs stay quiet)."""

    def __init__(self, label: str, delay: float = 1.0) -> None:
        self.label = label
        self.delay = delay
        self.started = time.monotonic()
        self.bar: Any = None
        self.done = 0
        self.enabled = sys.stderr.isatty()

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < self.delay or done >= total:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def parsed(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that parses an option with `parse`; a ValueError becomes a usage
    error (exit 2) naming the option."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            hint = None
            source = ctx.get_parameter_source(param.name) if param.name else None
            if source is click.core.ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
                hint = f"{param.envvar} ({param.opts[0]})"
            raise click.BadParameter(str(exc), ctx, param, hint) from None

    return callback


def checked(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Like `parsed`, but the option keeps its text as written (a cadence or birthday that
    goes into a note as the user typed it)."""
    check = parsed(parse)

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        check(ctx, param, value)
        return value

    return callback


def no_color() -> bool:
    """The NO_COLOR convention (no-color.org): present and not empty turns colour off."""
    return bool(os.environ.get("NO_COLOR"))


def colour_on(stream: Any) -> bool:
    """Whether to write ANSI colour to `stream`: a terminal, and NO_COLOR not set."""
    return not no_color() and bool(getattr(stream, "isatty", lambda: False)())


def print_json(data: Any) -> None:
    """JSON on stdout: indented for a person at a terminal, compact for a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent))


def warn(message: str) -> None:
    click.echo(message, err=True)


pass_app = click.make_pass_decorator(App)

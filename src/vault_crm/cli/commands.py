"""The command registry: every `vault` subcommand, grouped by topic in its own module."""

from __future__ import annotations

import click

from vault_crm.cli.capture import add, log, snooze
from vault_crm.cli.core import check, completion, index, init
from vault_crm.cli.due import due, followups
from vault_crm.cli.exchange import export, import_
from vault_crm.cli.insights import intros, report, who
from vault_crm.cli.people import links, people, show
from vault_crm.cli.search import search
from vault_crm.cli.watch import watch

ALL: list[click.Command] = [
    init,
    index,
    check,
    people,
    show,
    links,
    search,
    due,
    followups,
    add,
    log,
    snooze,
    who,
    intros,
    report,
    watch,
    import_,
    export,
    completion,
]

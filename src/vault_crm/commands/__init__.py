"""The `vault` subcommands, grouped by topic. Each module exposes click commands."""

from __future__ import annotations

import click

from vault_crm.commands.capture import add, log, snooze
from vault_crm.commands.core import check, completion, index, init
from vault_crm.commands.due import due, followups
from vault_crm.commands.exchange import export, import_
from vault_crm.commands.insights import intros, report, who
from vault_crm.commands.people import links, people, show
from vault_crm.commands.search import search
from vault_crm.commands.watch import watch

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

"""The command registry: every `vault` subcommand, grouped by topic in its own module.

Each name maps to where its command lives ("module:attribute") and its one-line summary
(the first sentence of its help, as `vault --help` lists it). A command's module is
imported only when that command runs, so `vault show` never loads the importers, the
daemon or the insights; `vault --help` lists every command from this table alone.
`tests/test_lazy_commands.py` checks each entry against the command it names.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "vault_crm.cli.core:init",
        "Set up a vault: a commented .vault/config.toml and the People/ and Conversations/ "
        "folders.",
    ),
    "index": (
        "vault_crm.cli.core:index",
        "Refresh the index (only changed notes are read again) and print counts.",
    ),
    "check": (
        "vault_crm.cli.core:check",
        "List notes the tool cannot read right, as `path:line: severity: message`.",
    ),
    "people": (
        "vault_crm.cli.people:people",
        "List people with their last contact, cadence and next due date.",
    ),
    "show": (
        "vault_crm.cli.people:show",
        "Everything about one person: properties, last contact, due date, conversations "
        "(newest first), open follow-ups, upcoming dates, backlinks, who introduced them "
        "and whom they introduced.",
    ),
    "links": (
        "vault_crm.cli.people:links",
        "Outgoing, incoming and unresolved links of NOTE (a vault path, with or without "
        ".md, or a title resolved like a link).",
    ),
    "search": (
        "vault_crm.cli.search:search",
        "Full-text search over titles, aliases, properties and bodies, best first.",
    ),
    "due": (
        "vault_crm.cli.due:due",
        "Who is due for reconnection, with what you last talked about, open follow-ups and "
        "upcoming birthdays; writes the list into the vault as the reconnect note "
        "(Reconnect.md by default).",
    ),
    "followups": (
        "vault_crm.cli.due:followups",
        "Open follow-ups (unchecked `- [ ]` tasks in conversation notes), oldest first, for "
        "everyone or for one PERSON.",
    ),
    "add": (
        "vault_crm.cli.capture:add",
        "Create a person note in the people folder (People/ by default).",
    ),
    "log": (
        "vault_crm.cli.capture:log",
        "Record a conversation with one or more people, as a note in the conversations folder.",
    ),
    "snooze": (
        "vault_crm.cli.capture:snooze",
        "Not due before a date: set `snooze_until` on a person (or remove it with --clear).",
    ),
    "who": (
        "vault_crm.cli.insights:who",
        "Whom you know about TOPIC, best first, each with the evidence: what their note "
        "says they are known for, working on, their role, company and tags, their note's "
        "text, and the conversations that mention TOPIC (credited to the people in them).",
    ),
    "intros": (
        "vault_crm.cli.insights:intros",
        "Introductions worth making: one person `needs` what another is `known_for` or "
        "`working_on` (or their role, tags, company), and the two are not connected yet "
        '(no conversation together, no link either way, no `introduced_by`, no open "introduce" '
        "follow-up).",
    ),
    "report": (
        "vault_crm.cli.insights:report",
        'Write the network report note (config report_note, default "Network report.md"): '
        "how many people, how many you reached in the last 30 / 90 / 365 days, who is "
        "overdue, contacts per month for 12 months, people by tag, fading ties, weak ties "
        "worth reviving, asks without a give and people met this year.",
    ),
    "watch": (
        "vault_crm.cli.watch:watch",
        "Run in the foreground, keeping the index and the reconnect note current while you "
        "edit (in Obsidian, vim, a git pull…).",
    ),
    "import": (
        "vault_crm.cli.exchange:import_",
        "Bring people in from an address book or LinkedIn, and meetings from calendars.",
    ),
    "export": (
        "vault_crm.cli.exchange:export",
        "Hand the vault's people and dates to other tools.",
    ),
    "completion": (
        "vault_crm.cli.core:completion",
        "Print the shell-completion script for SHELL (completes commands, options and "
        "person names).",
    ),
}

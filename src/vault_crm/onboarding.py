"""First-run help: a config that fits the folders a vault already has, and an explanation
when `vault due` has nobody to list because nobody has a cadence."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from vault_crm.config import CONFIG_DIR, CONFIG_FILE, DEFAULT_CONFIG_TEXT, Settings, config_path
from vault_crm.contacts import Person

# Folder names people use for contacts and for meeting notes, in order of preference;
# matched case-insensitively against the vault's top-level folders.
PEOPLE_NAMES = ("People", "Contacts", "Persons", "Person", "CRM", "Network")
CONVERSATION_NAMES = ("Conversations", "Meetings", "Meeting notes", "Calls", "Interactions")


def existing_folders(vault: Path, names: tuple[str, ...]) -> list[str]:
    """The vault's top-level folders whose names are in `names` (any case), as spelled on
    disk, in the order of `names`."""
    try:
        present = {p.name.casefold(): p.name for p in vault.iterdir() if p.is_dir()}
    except OSError:
        return []
    return [present[n.casefold()] for n in names if n.casefold() in present]


def config_text_for(vault: Path) -> str:
    """The commented default config, with `people_folders` and `conversation_folders` set
    to the folders this vault already has (`Contacts/`, `people/`), when it has any."""
    text = DEFAULT_CONFIG_TEXT
    for key, names in (
        ("people_folders", PEOPLE_NAMES),
        ("conversation_folders", CONVERSATION_NAMES),
    ):
        found = existing_folders(vault, names)
        if not found:
            continue
        default_line = next(ln for ln in text.splitlines() if ln.startswith(f"{key} = "))
        text = text.replace(
            default_line,
            f"{key} = {json.dumps(found, ensure_ascii=False)}  # found by vault init",
        )
    return text


def nobody_due_hint(people: int, with_cadence: int, settings: Settings, vault: Path) -> str:
    """Why `vault due` lists nobody, when the reason is the setup rather than the people:
    there are no people, or none of them has a cadence. Empty otherwise."""
    if people and with_cadence:
        return ""
    cfg = config_path(vault)
    where = str(cfg) if cfg.is_file() else f"{cfg} (create it with `vault init`)"
    if not people:
        folders = ", ".join(f"{f}/" for f in settings.people_folders)
        return (
            f"No people in this vault yet: a person is a note in {folders} or with "
            "`type: person` in its front-matter (people_folders in "
            f"{CONFIG_DIR}/{CONFIG_FILE} sets the folders)."
        )
    return (
        f"None of the {people:,} people has a cadence, so nobody can be due. Set "
        "`cadence: 2w` in a person's front-matter, a cadence per tag under [cadence.tags], "
        f'or `default_cadence = "3 months"` for everyone, in {where}.'
    )


def count_with_cadence(people: Iterable[Person], settings: Settings, today: dt.date) -> int:
    from vault_crm.due import effective_cadence

    return sum(1 for p in people if effective_cadence(p, settings, today) is not None)

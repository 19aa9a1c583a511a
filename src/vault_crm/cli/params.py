"""Arguments several commands share (a PERSON with shell completion)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from vault_crm.cli.app import App
from vault_crm.contacts import name_key
from vault_crm.store import Index

FC = TypeVar("FC", bound=Callable[..., Any])


def complete_person(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of person names from the index as it stands (no refresh: a tab
    press must be instant). A name matches by title, alias or `name`, ignoring case and
    accents; what is completed is the title, or the vault path when people share it."""
    from collections import Counter

    from vault_crm.cli.completion import matching_names

    try:
        root = ctx.find_root()
        app = App(root.params.get("vault"), None, False, True)
        with Index.open(app.settings) as idx:
            rows = idx.person_notes(with_generated=True)
    except Exception:
        return []
    shared = Counter(name_key(r.title) for r in rows)
    people = []
    for r in rows:
        shown = r.title if shared[name_key(r.title)] == 1 else r.path.removesuffix(".md")
        people.append((shown, [shown, r.title, *r.aliases, *_names(r.props.get("name"))]))
    return [CompletionItem(t) for t in matching_names(people, incomplete)]


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def person_arg(required: bool = True) -> Callable[[FC], FC]:
    return click.argument("person", required=required, shell_complete=complete_person)


PERSON = person_arg()

"""Creating notes: front-matter written by vault-crm, then a body from a template, parsed
back before anything is written so that a note which would not read as intended is never
created. `vault add`, `vault log` and the importers share these; the file writes
themselves (atomic, surgical) are `edit`'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vault_crm.errors import WriteRefusedError


def note_text(
    frontmatter: dict[str, Any], body: str, shown: str, expected: dict[str, Any] | None = None
) -> str:
    """The whole text of a new note; refused (WriteRefusedError naming `shown`) when its
    front-matter would not read back as `expected` (default: `frontmatter` without its
    empty values, which are not written)."""
    from vault_crm.edit import yaml_frontmatter
    from vault_crm.notes import load_yaml, split_frontmatter, to_jsonable

    text = yaml_frontmatter(frontmatter) + body
    fm_lines, _, _ = split_frontmatter(text)
    parsed = load_yaml("\n".join(fm_lines or []))
    wanted = expected
    if wanted is None:
        wanted = {k: v for k, v in frontmatter.items() if v not in (None, "", [])}
    if to_jsonable(parsed) != to_jsonable(wanted):
        raise WriteRefusedError("would not read back as written; nothing was written", shown)
    return text


def create_from_template(
    vault: Path,
    folder: str,
    title: str,
    frontmatter: dict[str, Any],
    template: str,
    context: dict[str, Any],
    key: str,
) -> str:
    """Write a new note `<folder>/<title>.md` with its body from `template`; returns its
    vault path. `key` names the setting that chose the folder, for error messages."""
    from vault_crm.edit import create_note
    from vault_crm.render import render

    shown = f"{folder}/{title}.md"
    body = render(vault, template, context)
    text = note_text(frontmatter, body.lstrip("\n"), shown)
    create_note(vault / folder, title, text, folder, vault=vault, what=f"'{key}' ({folder})")
    return shown

"""Apply an import plan: new person notes and `--merge` additions, nothing else (SPEC §5).

New notes go through the same helpers as `vault add` (template body, front-matter written
by vault-crm and read back before anything is written, the checks of `create_note`, never
overwriting), written together by `edit.NewNotes` (one flush to disk per batch instead of
one per note); merges through the surgical front-matter edit, one atomic write per note.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault_crm.errors import WriteRefusedError
from vault_crm.importing.plan import Step

if TYPE_CHECKING:
    from vault_crm.edit import NewNotes
    from vault_crm.render import Templates
    from vault_crm.writing import ReadBack


@dataclass(frozen=True)
class Applied:
    created: list[str]
    merged: list[str]
    refused: list[str]  # one message per note that could not be written (nothing written)


def front_matter(props: dict[str, Any]) -> dict[str, Any]:
    """Plan properties as a note writes them: one e-mail or phone as a plain string."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key in ("email", "phone") and isinstance(value, list) and len(value) == 1:
            value = value[0]
        out[key] = value
    return out


def flow_yaml(value: Any) -> str:
    """A value as one line of YAML (flow style for lists and maps): what a surgical edit
    writes. Strings are JSON-quoted, which every YAML reader reads back unchanged."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{flow_yaml(str(k))}: {flow_yaml(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def note_text(
    vault: Path,
    step: Step,
    today: dt.date,
    read_back: ReadBack | None = None,
    block: str | None = None,
    templates: Templates | None = None,
) -> str:
    """The whole text of a new note (a person, or an imported conversation), checked to
    read back as planned (with `read_back`: from the lines of the whole batch, read once;
    `block` is the note's front-matter when the caller has written it already; `templates`
    the batch's templates, each looked up once)."""
    from vault_crm.render import Templates
    from vault_crm.writing import note_text as checked_text

    if templates is None:
        templates = Templates(vault)

    props = front_matter(step.props)
    if props.get("type", "person") != "person":
        # A conversation (a calendar import): the body is the `vault log` template's, with
        # the imported text as the message.
        date = props.get("date")
        context = {
            "title": step.title,
            "date": date.isoformat() if isinstance(date, dt.date) else date,
            "channel": props.get("channel"),
            "people": props.get("with", []),
            "message": step.body.strip("\n"),
        }
        body = templates.render("conversation.md.j2", context).lstrip("\n")
        body = body.rstrip("\n") + "\n" if body.strip() else ""
    else:
        context = {
            "name": props.get("name", step.title),
            "today": today.isoformat(),
            "company": props.get("company"),
            "role": props.get("role"),
            "introduced_by": None,
        }
        body = templates.render("person.md.j2", context).lstrip("\n")
        if step.body:
            body = body.rstrip("\n") + "\n\n" + step.body.strip("\n") + "\n"
    return checked_text(
        props, body, step.path or step.title, expected=props, read_back=read_back, block=block
    )


def apply_plan(
    vault: Path,
    steps: Iterable[Step],
    today: dt.date,
    fspaths: dict[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> Applied:
    """Write the plan's creates and merges. `fspaths` maps a vault path to its path on
    disk (they differ only in Unicode normalisation)."""
    from vault_crm.edit import NewNotes, yaml_frontmatter
    from vault_crm.render import Templates
    from vault_crm.writing import ReadBack

    todo = [s for s in steps if s.action in ("create", "merge") and s.path]
    # Every new note's front-matter is checked to read back as planned; read the lines
    # they share once for the whole batch. Each front-matter is written once, here.
    blocks = {id(s): yaml_frontmatter(front_matter(s.props)) for s in todo if s.action == "create"}
    read_back = ReadBack()
    read_back.learn(blocks.values())
    templates = Templates(vault)
    created: list[str] = []
    merged: list[str] = []
    refused: list[str] = []
    # New notes are counted as created once they are in place (see NewNotes); leaving the
    # block puts the last batch in place and syncs each folder once, also after an error.
    with NewNotes(
        on_created=created.append, on_refused=lambda exc: refused.append(str(exc))
    ) as notes:
        for done, step in enumerate(todo, start=1):
            try:
                block = blocks.get(id(step))
                _apply(vault, step, today, fspaths, notes, merged, read_back, block, templates)
            except WriteRefusedError as exc:
                refused.append(str(exc))
            if progress is not None:
                progress(done, len(todo))
    return Applied(created, merged, refused)


def _apply(
    vault: Path,
    step: Step,
    today: dt.date,
    fspaths: dict[str, str],
    notes: NewNotes,
    merged: list[str],
    read_back: ReadBack | None = None,
    block: str | None = None,
    templates: Templates | None = None,
) -> None:
    from vault_crm.edit import check_inside, edit_properties

    assert step.path is not None
    if step.action == "create":
        folder, _, name = step.path.rpartition("/")
        text = note_text(vault, step, today, read_back, block, templates)
        notes.add(
            vault / folder,
            name.removesuffix(".md"),
            text,
            folder,
            key=step.path,
            vault=vault,
            what=f"the folder {folder}",
        )
    else:
        target = vault / fspaths.get(step.path, step.path)
        check_inside(vault, target, step.path)
        values = {k: flow_yaml(v) for k, v in front_matter(step.props).items()}
        if edit_properties(target, values, step.path):
            merged.append(step.path)

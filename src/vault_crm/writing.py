"""Creating notes: front-matter written by vault-crm, then a body from a template, parsed
back before anything is written so that a note which would not read as intended is never
created. `vault add`, `vault log` and the importers share these; the file writes
themselves (atomic, surgical) are `edit`'s."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vault_crm.errors import WriteRefusedError


def note_text(
    frontmatter: dict[str, Any],
    body: str,
    shown: str,
    expected: dict[str, Any] | None = None,
    read_back: ReadBack | None = None,
    block: str | None = None,
) -> str:
    """The whole text of a new note; refused (WriteRefusedError naming `shown`) when its
    front-matter would not read back as `expected` (default: `frontmatter` without its
    empty values, which are not written). `read_back` holds the lines of many notes read
    in one go (a batch import); a note it cannot vouch for is read on its own. `block` is
    `yaml_frontmatter(frontmatter)` when the caller has it already."""
    from vault_crm.edit import yaml_frontmatter
    from vault_crm.notes import load_yaml, split_frontmatter, to_jsonable

    text = (block if block is not None else yaml_frontmatter(frontmatter)) + body
    fm_lines, _, _ = split_frontmatter(text)
    parsed = read_back.read(fm_lines) if read_back is not None else None
    if parsed is None:
        parsed = load_yaml("\n".join(fm_lines or []))
    wanted = expected
    if wanted is None:
        wanted = {k: v for k, v in frontmatter.items() if v not in (None, "", [])}
    # Equal values are equal as JSON too; only a difference needs the closer look.
    if parsed != wanted and to_jsonable(parsed) != to_jsonable(wanted):
        raise WriteRefusedError("would not read back as written; nothing was written", shown)
    return text


# A front-matter line vault-crm writes: `key: value`, `key:` over a list, or `  - item`.
_KEY_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:(?: .*)?")
_ITEM_LINE = re.compile(r"  - .+")
_NOT_ALONE = "\"'&*!|>%@`{[?,#"  # what could make a line mean more than itself


class ReadBack:
    """The read-back check of many new notes at the cost of one YAML read per distinct
    line instead of one per note (a calendar import writes thousands of notes that share
    most of their lines).

    Front-matter as `yaml_frontmatter` writes it is a block mapping of one-line entries:
    `key: value`, or `key:` followed by `  - item` lines. Each such line is read by the
    vault's YAML reader as a document of its own, all of them in one stream, and a note's
    front-matter is then the entries of its lines put together. Only front-matter of that
    exact shape, made only of printable characters (no line break YAML knows that Python's
    split does not), is read this way; `read` returns None for anything else, which is
    then read whole as usual."""

    def __init__(self) -> None:
        # line → the entry it reads as on its own: (key, value) for `key: value` or `key:`,
        # (None, item) for `  - item`; None when it reads as neither
        self._lines: dict[str, tuple[str | None, Any] | None] = {}
        self._unread: set[str] = set()  # lines that could not be read alone

    def learn(self, blocks: Iterable[str], chunk: int = 2000) -> None:
        """Read every new line of these front-matter blocks (`---` fences included)."""
        new: dict[str, None] = {}
        known = self._lines
        for block in blocks:
            for line in block.split("\n"):
                # (most lines are in every note: known, or met earlier in this batch)
                if line in known or line in new or not line or line == "---":
                    continue
                if _shaped(line):
                    new[line] = None
        todo = list(new)
        for start in range(0, len(todo), chunk):
            self._read_lines(todo[start : start + chunk])

    def _read_lines(self, lines: list[str]) -> None:
        import yaml

        from vault_crm.notes import VaultLoader

        stream = "".join(f"--- \n{line}\n" for line in lines)
        loader = VaultLoader(stream)
        try:
            values = []
            while loader.check_data():
                values.append(loader.get_data())
        except (yaml.YAMLError, ValueError, OverflowError, RecursionError):
            values = []  # one unreadable line: these notes are read whole (and refused)
        finally:
            loader.dispose()
        if len(values) != len(lines):
            self._unread.update(lines)
            return
        self._lines.update(
            (line, _entry(line, value)) for line, value in zip(lines, values, strict=True)
        )

    def read(self, fm_lines: list[str] | None) -> dict[str, Any] | None:
        """The front-matter these lines read as, or None when this cannot say."""
        from vault_crm.notes import MAX_FRONTMATTER_CHARS

        if not fm_lines or sum(len(line) + 1 for line in fm_lines) > MAX_FRONTMATTER_CHARS:
            return None
        out: dict[str, Any] = {}
        key: str | None = None  # the key whose list the `  - item` lines extend
        lines = self._lines
        for line in fm_lines:
            entry = lines.get(line)
            if entry is None:  # not read, or not one entry
                return None
            k, v = entry
            if k is None:  # an item
                if key is None:
                    return None
                if out[key] is None:
                    out[key] = []
                out[key].append(v)
                continue
            if k in out:
                return None
            out[k] = v
            key = k if v is None else None
        return out


def _entry(line: str, value: Any) -> tuple[str | None, Any] | None:
    """What a line read on its own adds to a front-matter, worked out once per line."""
    if line.startswith(" "):
        return (None, value[0]) if isinstance(value, list) and len(value) == 1 else None
    if not isinstance(value, dict) or len(value) != 1:
        return None
    [(k, v)] = value.items()
    return (k, v) if isinstance(k, str) else None


def _shaped(line: str) -> bool:
    """A line `ReadBack` may read on its own: one entry, printable, no YAML indicator
    where it would start something spanning lines."""
    if not line.isprintable():
        return False
    if _ITEM_LINE.fullmatch(line):
        first = line[4]
    elif _KEY_LINE.fullmatch(line):
        if line.endswith(":"):
            return True  # `key:` over a list
        first = line.partition(": ")[2][:1]
        if not first:
            return False
    else:
        return False
    return first not in _NOT_ALONE or (first == '"' and line.endswith('"'))


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

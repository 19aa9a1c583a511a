"""Every problem `vault check` lists: those found reading each note, and those found
across notes (participants, aliases), which need the whole index."""

from __future__ import annotations

from vault_crm.links import nfc
from vault_crm.model import Problem
from vault_crm.store import Index


def all_problems(index: Index) -> list[Problem]:
    return sorted(index.problems(), key=problem_order)


def problem_order(p: Problem) -> tuple[str, int, str, str]:
    return (nfc(p.path).casefold(), p.line or 0, p.severity, p.message)

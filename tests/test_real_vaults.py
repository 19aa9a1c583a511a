"""Layouts and text that real Obsidian vaults hold: stray backticks, attachments and
Excalidraw drawings, CRM vaults with slug file names and folder notes, CJK text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vault_crm.links import extract_body_links, extract_tags

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]


def targets(text: str) -> list[str]:
    return [ln.target for ln in extract_body_links(text)]


def people(vault: Vault) -> dict[str, Any]:
    return {p["person"]: p for p in vault.json("people")}


# --- 1. a code span never leaves its block -------------------------------------------


def test_a_stray_backtick_hides_no_link_in_the_next_block() -> None:
    text = "- ran `psql -c\n\n## Lunch with [[Ana]]\n- and `x` with [[Bo]] and a ` tick\n"
    assert targets(text) == ["Ana", "Bo"]


def test_a_code_span_stops_at_list_items_headings_and_blank_lines() -> None:
    assert targets("- one `open\n- two [[A]] `close\n") == ["A"]
    assert targets("# Head `open\nbody [[B]] `close\n") == ["B"]
    assert targets("para `open\n\n[[C]] `close\n") == ["C"]
    # …but continues a paragraph onto its next line, as CommonMark says.
    assert targets("para `code\nstill [[code]]` then [[D]]\n") == ["D"]


def test_links_after_a_stray_backtick_in_a_table_are_real() -> None:
    text = "| cmd | who |\n| --- | --- |\n| `ls | [[Ana]] |\n| rm` | [[Bo]] |\n| `ok` | [[Cy]] |\n"
    assert targets(text) == ["Ana", "Bo", "Cy"]


def test_an_escaped_backtick_opens_nothing() -> None:
    assert targets("a \\` [[A]] and `[[code]]` b") == ["A"]
    assert targets("a \\\\`[[code]]` b") == []  # the backslash is escaped, not the tick
    assert targets("``[[code]] ` still code`` [[E]]") == ["E"]
    assert extract_tags("`x #not` and \\` #yes ` ") == ["yes"]


def test_fenced_blocks_are_unchanged() -> None:
    assert targets("```\n`[[no]]\n```\nafter [[Yes]] `x`\n") == ["Yes"]


def test_a_daily_note_with_a_stray_backtick_records_the_contact(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "People/Ana.md": "---\ncadence: 1m\n---\n",
            "2026-11-20.md": (
                "- ran `psql -c\n- fixed it\n\n## Lunch with [[Ana]]\n\nthen `vim` again\n"
            ),
        }
    )
    ana = people(Vault(root))["Ana"]
    assert ana["last_contact"] == "2026-11-20"

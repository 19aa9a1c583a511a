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


# --- 3. CRM layouts: `name`, folder notes, people tags ---------------------------------


def test_a_slug_file_shows_its_name_and_is_matched_by_it(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "People/max-klein.md": "---\nname: Max Klein\ncadence: 1m\n---\n",
            "Meetings/2026-11-02 Sync.md": "---\nattendees: [Max Klein]\n---\nNotes.\n",
        }
    )
    vault = Vault(root)
    max_ = people(vault)["Max Klein"]
    assert max_["path"] == "People/max-klein.md"
    assert max_["last_contact"] == "2026-11-02"
    assert vault.json("check") == []  # the participant matched: no warning
    for arg in ("Max Klein", "max klein", "max-klein", "Max"):
        shown = vault.json("show", arg)
        assert (shown["person"], shown["path"]) == ("Max Klein", "People/max-klein.md")
    result = vault.run("log", "Max Klein", "-m", "Coffee.")
    assert result.exit_code == 0, result.output
    written = next((root / "Conversations").glob("*.md")).read_text(encoding="utf-8")
    assert "[[max-klein|Max Klein]]" in written
    assert people(vault)["Max Klein"]["last_contact"] == "2026-11-23"


def test_folder_notes_are_not_people_or_conversations(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "People/README.md": "How this folder works.\n",
            "People/index.md": "All people.\n",
            "People/People.md": "The folder note.\n",
            "People/_template.md": "---\ncadence: 1m\n---\n",
            "People/_aliases.md": "Aliases.\n",
            "People/Friends/Friends.md": "Friends folder note.\n",
            "People/Friends/Ana.md": "---\ncadence: 1m\n---\n",
            "People/_me.md": "---\ntype: person\n---\n",
            "Conversations/README.md": "What goes here.\n",
            "Conversations/2026-11-01 Call.md": "With [[Ana]].\n",
        }
    )
    vault = Vault(root)
    assert sorted(people(vault)) == ["Ana", "_me"]
    stats = vault.json("index")
    assert (stats["people"], stats["conversations"]) == (2, 1)
    assert vault.json("check") == []  # no "conversation without a date" for the README
    shown = vault.json("search", "folder", "--type", "other")
    assert {r["path"] for r in shown} >= {"People/People.md", "People/Friends/Friends.md"}


def test_people_tags_make_a_person(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "Ana.md": "---\ntags: [person, design]\n---\n",
            "Bo.md": "---\ntags: people\n---\n",
            "Cy.md": "---\ntags: [contact]\n---\n",
            "Notes.md": "---\ntags: [personal]\n---\n#person in the body is not enough\n",
        }
    )
    assert sorted(people(Vault(root))) == ["Ana", "Bo"]
    (root / ".vault").mkdir()
    (root / ".vault" / "config.toml").write_text('people_tags = ["contact"]\n', encoding="utf-8")
    assert sorted(people(Vault(root))) == ["Cy"]

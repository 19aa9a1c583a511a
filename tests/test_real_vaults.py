"""Layouts and text that real Obsidian vaults hold: stray backticks, attachments and
Excalidraw drawings, CRM vaults with slug file names and folder notes, CJK text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vault_crm.links import extract_body_links, extract_tags
from vault_crm.refresh import refresh_index, refresh_paths

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
    found = vault.json("search", "max", "--type", "person")
    assert [(r["title"], r["path"]) for r in found] == [("Max Klein", "People/max-klein.md")]


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


# --- 2. attachments and Excalidraw resolve like Obsidian -------------------------------


def test_attachments_and_drawings_resolve_like_obsidian(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "Drawings/Drawing 2025-03-12.excalidraw.md": "---\nexcalidraw-plugin: parsed\n---\n",
            "assets/photo.png": b"\x89PNG",
            "Work/assets/photo.png": b"\x89PNG",
            "Work/deck.pdf": b"%PDF",
            "deck.pdf": b"%PDF",
            "Work/Plan.md": (
                "![[Drawing 2025-03-12.excalidraw]]\n"
                "![[photo.png]] [[deck.pdf]] [[Work/assets/photo.png]]\n"
                "![[missing.png]] [[Nobody]] [x](deck.pdf)\n"
            ),
        }
    )
    vault = Vault(root)
    data = vault.json("links", "Work/Plan")
    got = [(o["target"], o["path"], o["embed"], o["kind"]) for o in data["outgoing"]]
    assert got == [
        (
            "Drawing 2025-03-12.excalidraw",
            "Drawings/Drawing 2025-03-12.excalidraw.md",
            True,
            "note",
        ),
        ("photo.png", "assets/photo.png", True, "attachment"),  # the shortest path
        ("deck.pdf", "Work/deck.pdf", False, "attachment"),  # the linking note's own folder
        ("Work/assets/photo.png", "Work/assets/photo.png", False, "attachment"),
        ("missing.png", None, True, "attachment"),
        ("Nobody", None, False, "note"),
        ("deck.pdf", "Work/deck.pdf", False, "attachment"),
    ]
    assert data["unresolved"] == [
        {"target": "missing.png", "line": 3},
        {"target": "Nobody", "line": 3},
    ]
    assert vault.json("index")["unresolved"] == 2
    drawing = vault.json("links", "Drawing 2025-03-12.excalidraw")
    assert drawing["incoming"] == [{"path": "Work/Plan.md", "line": 1}]  # the backlink


def test_an_attachment_that_comes_or_goes_changes_its_links(make_vault: MakeVault) -> None:
    root = make_vault({"Trip.md": "![[map.png]]\n"})
    vault = Vault(root)
    assert vault.json("index")["unresolved"] == 1
    (root / "img").mkdir()
    (root / "img" / "map.png").write_bytes(b"\x89PNG")
    assert vault.json("index")["unresolved"] == 0
    assert vault.json("links", "Trip")["outgoing"][0]["path"] == "img/map.png"
    (root / "img" / "map.png").unlink()
    assert vault.json("index")["unresolved"] == 1
    assert vault.json("links", "Trip")["unresolved"] == [{"target": "map.png", "line": 1}]


# --- 4. search in Chinese, Japanese and Korean ------------------------------------------


def test_a_cjk_word_finds_every_note_that_contains_it(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "保管庫.md": "保管庫とは何か。\n",
            "作成.md": "新しい保管庫を作成するには、設定を開きます。\n",
            "移動.md": "ファイルを別の保管庫に移動できます。保管庫の中で。\n",
            "空白.md": "これは 保管庫 です。\n",
            "無関係.md": "保管と倉庫は別の言葉です。\n",  # 保管 and 庫 apart: not the word
            "中文.md": "我们的知识库很大。\n",
            "한국어.md": "검색은 빠릅니다.\n",
            "English.md": "Pricing notes, a vault of notes.\n",
        }
    )
    vault = Vault(root)

    def found(query: str) -> list[str]:
        return [r["path"] for r in vault.json("search", query)]

    hits = found("保管庫")
    assert sorted(hits) == sorted(["保管庫.md", "作成.md", "移動.md", "空白.md"])
    assert hits[0] == "保管庫.md"  # a title match ranks first, as in every search
    assert found("作成") == ["作成.md"]  # two characters are enough
    assert found("知识") == ["中文.md"]
    assert found("검색") == ["한국어.md"]
    assert found("保管庫 作成") == ["作成.md"]  # words still all have to match
    assert "移動.md" not in found("保管庫 -移動")
    snippet = vault.json("search", "作成")[0]["snippet"]
    assert "作成" in snippet and "保管庫" in snippet
    assert found("vault") == ["English.md"]  # English search as before


def test_a_cjk_title_match_ranks_first(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "保管庫の作成.md": "手順です。\n",
            "メモ.md": "保管庫、保管庫、保管庫。保管庫を開く。\n",
        }
    )
    hits = [r["path"] for r in Vault(root).json("search", "保管庫")]
    assert hits == ["保管庫の作成.md", "メモ.md"]


def test_the_daemon_path_sees_an_attachment_come_and_go(make_vault: MakeVault) -> None:
    from vault_crm.config import load_settings
    from vault_crm.store import Index

    root = make_vault({"Trip.md": "![[map.png]]\n"})
    with Index.open(load_settings(root)) as idx:
        assert refresh_index(idx).unresolved == 1
        (root / "img").mkdir()
        (root / "img" / "map.png").write_bytes(b"\x89PNG")
        assert refresh_paths(idx, ["img/map.png"]).unresolved == 0
        assert idx.outgoing("Trip.md")[0][1] == "img/map.png"
        (root / "img" / "map.png").unlink()
        assert refresh_paths(idx, ["img/map.png"]).unresolved == 1

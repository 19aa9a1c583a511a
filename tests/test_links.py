"""Links and tags read exactly as Obsidian reads them."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from vault_crm.links import (
    Resolver,
    extract_body_links,
    extract_tags,
    frontmatter_links,
    is_attachment,
    link_key,
)

from conftest import CORPUS, Vault

EXPORT = CORPUS / "obsidian-export-testdata"


def targets(text: str) -> list[tuple[str, str | None, str | None, bool]]:
    return [(ln.target, ln.subpath, ln.display, ln.embed) for ln in extract_body_links(text)]


# --- extraction ------------------------------------------------------------------------


def test_every_wikilink_form() -> None:
    text = (
        "[[T]] [[T|shown]] [[T#Heading]] [[T#^block]] ![[T]] [[T.md]] [[folder/T]]\n"
        "[[  T  ]] [[#Self heading]] | [[T\\|in table]] |\n"
    )
    assert targets(text) == [
        ("T", None, None, False),
        ("T", None, "shown", False),
        ("T", "Heading", None, False),
        ("T", "^block", None, False),
        ("T", None, None, True),
        ("T", None, None, False),
        ("folder/T", None, None, False),
        ("T", None, None, False),
        ("", "Self heading", None, False),
        ("T", None, "in table", False),
    ]


def test_markdown_links_are_url_decoded_and_urls_are_not_notes() -> None:
    text = "[a](Some%20Note.md) [b](<Other Note.md>) [c](https://x.y/z.md) [d](#top) ![i](p.png)"
    assert [t[0] for t in targets(text)] == ["Some Note", "Other Note", "p.png"]


def test_nothing_inside_code_counts() -> None:
    text = (
        "`[[inline]]` and ``[[double `tick`]]``\n"
        "```dataview\nlist from [[Non-Fiction]]\n```\n"
        "~~~\n[[tilde]]\n~~~\n"
        "real [[Link]]\n"
        "```\n[[unclosed fence runs to the end]]\n"
    )
    assert [t[0] for t in targets(text)] == ["Link"]


def test_line_numbers_count_from_the_file_and_each_occurrence_is_its_own() -> None:
    links = extract_body_links("a\n[[X]] and [[X]]\n\n[[Y]]", first_line=5)
    assert [(ln.target, ln.line) for ln in links] == [("X", 6), ("X", 6), ("Y", 8)]


def test_unclosed_and_empty_links_are_not_links() -> None:
    assert targets("[[unclosed link\n![[Partial embed\n[[]]") == []


def test_dots_in_a_name_are_not_an_extension() -> None:
    assert not is_attachment("J.D. Salinger")
    assert is_attachment("Sussudio.mp3") and is_attachment("Board.canvas")
    assert link_key("Team/Ines.md") == "ines" and link_key("../x/Zoë") == "zoë"


# --- tags ----------------------------------------------------------------------------------


def test_tags_and_not_tags_from_sussudio() -> None:
    path = CORPUS / "obsidiantools-tests/vault-stub/Sussudio.md"
    if not path.exists():
        pytest.skip("corpus not present")
    body = path.read_text(encoding="utf-8").split("---", 2)[2]
    tags = extract_tags(body)
    assert {"y1982", "y_1982", "y-1982", "y1982/sep", "y2000/party-over/oops/out-of-time"} <= set(
        tags
    )
    for not_tag in ("1985", "Patrick", "hash_char_not_tag", "code_comment_not_tag",
                    "code-comment-not-tag", "i_just_say_the_word"):  # fmt: skip
        assert not_tag not in tags


def test_headings_are_not_tags_and_unicode_tags_are() -> None:
    assert extract_tags("# Title\n## Sub\n#café and #日本 and #0🌲x") == ["café", "日本", "0🌲x"]


# --- front-matter ------------------------------------------------------------------------------


def test_front_matter_links_quoted_listed_and_unquoted() -> None:
    props = yaml.safe_load(
        'people: ["[[Steph Ango]]", "[[Kevin Kelly|KK]]"]\n'
        'org: "[[Obsidian]]"\n'
        "references: [[[American Psycho (film)]], Polka Party!]\n"
        "plain: no links here\n"
    )
    assert frontmatter_links(props) == [
        ("people", "Steph Ango", False),
        ("people", "Kevin Kelly|KK", False),
        ("org", "Obsidian", False),
        ("references", "American Psycho (film)", True),
    ]


# --- resolution ----------------------------------------------------------------------------------

PATHS = [
    "Ana.md",
    "People/Ana.md",
    "Work/Team/Ines.md",
    "Work/MyTeam/Ines.md",
    "Notes/Zoë.md",
    "Deep/Er/Zoë.md",
    "a/b/Note.md",
    "a/Note.md",
]


@pytest.mark.parametrize(
    ("target", "source", "expected"),
    [
        ("Ana", "People/Rui.md", "People/Ana.md"),  # own folder first
        ("Ana", "Notes/x.md", "Ana.md"),  # else the shortest path
        ("ana.md", "Notes/x.md", "Ana.md"),  # case-insensitive, .md allowed
        ("Team/Ines", "x.md", "Work/Team/Ines.md"),  # ends with it on a folder boundary
        ("MyTeam/Ines", "x.md", "Work/MyTeam/Ines.md"),
        ("eam/Ines", "x.md", None),  # not on a folder boundary
        ("Zoe\u0308", "x.md", "Notes/Zoë.md"),  # NFD typed, NFC on disk
        ("zoë", "Deep/Er/y.md", "Deep/Er/Zoë.md"),
        ("./Note", "a/b/c.md", "a/b/Note.md"),  # relative, exact
        ("../Note", "a/b/c.md", "a/Note.md"),
        ("./Ana", "Notes/x.md", None),  # relative: no fallback
        ("/Ana", "People/x.md", "Ana.md"),  # from the root
        ("", "a/Note.md", "a/Note.md"),  # [[#Heading]]: the note itself
        ("photo.png", "x.md", None),
        ("Nobody", "x.md", None),
    ],
)
def test_resolution_rules(target: str, source: str, expected: str | None) -> None:
    assert Resolver(PATHS).resolve(target, source) == expected


def test_ties_between_equally_short_paths_are_deterministic() -> None:
    a = Resolver(["y/Same.md", "x/Same.md"]).resolve("Same", "z.md")
    b = Resolver(["x/Same.md", "y/Same.md"]).resolve("Same", "z.md")
    assert a == b == "x/Same.md"


# --- against obsidian-export's expected output ----------------------------------------------------


def _corpus_notes(sub: str) -> list[str]:
    root = EXPORT / "input" / sub
    if not root.is_dir():
        pytest.skip("corpus not present")
    return [p.relative_to(root).as_posix() for p in root.rglob("*.md")]


@pytest.mark.parametrize(
    ("sub", "note"),
    [
        ("main-samples", "obsidian-wikilinks.md"),
        ("main-samples", "issue-188-wikilinks-need-trimming.md"),
        ("main-samples", "section-ref-b.md"),
        ("same-filename-different-directories", "Note.md"),
        ("non-ascii", "Link.md"),
    ],
)
def test_resolution_matches_obsidian_export(sub: str, note: str) -> None:
    """obsidian-export rewrote each wikilink to a markdown link to the note Obsidian
    resolves it to: ours must name the same notes, in the same order."""
    paths = _corpus_notes(sub)
    resolver = Resolver(paths)
    text = (EXPORT / "input" / sub / note).read_text(encoding="utf-8")
    ours = []
    for link in extract_body_links(text):
        if link.embed:
            continue  # obsidian-export inlines embeds instead of linking them
        resolved = resolver.resolve(link.target, note)
        if resolved is not None and resolved != note:
            ours.append(resolved)
    expected_text = (EXPORT / "expected" / sub / note).read_text(encoding="utf-8")
    theirs = [
        unquote(href.split("#", 1)[0])
        for href in re.findall(r"\]\(([^)]+\.md(?:#[^)]*)?)\)", expected_text)
    ]
    folder = note.rsplit("/", 1)[0] + "/" if "/" in note else ""
    assert ours and [folder + t for t in theirs] == ours


def test_export_embed_of_a_note_in_a_subfolder() -> None:
    paths = _corpus_notes("main-samples")
    text = (EXPORT / "input/main-samples/embeds-note-in-subdir.md").read_text(encoding="utf-8")
    (link,) = [ln for ln in extract_body_links(text) if ln.embed]
    assert Resolver(paths).resolve(link.target, "embeds-note-in-subdir.md") == (
        "subdir/note-in-subdir.md"
    )


def test_export_unclosed_links_and_code_are_not_links() -> None:
    _corpus_notes("main-samples")
    text = (EXPORT / "input/main-samples/obsidian-wikilinks.md").read_text(encoding="utf-8")
    assert len(extract_body_links(text)) == 7


# --- the index keeps the graph --------------------------------------------------------------------


def test_links_command_shape_and_frontmatter_place(tmp_path: Path) -> None:
    from conftest import write_vault

    root = write_vault(
        tmp_path / "v",
        {
            "People/Ana.md": (
                '---\nintroduced_by: "[[Rui]]"\n---\nSee [[Missing]] and [[Rui#Bio]].\n'
            ),
            "People/Rui.md": "Hi.\n",
        },
    )
    data = Vault(root).json("links", "People/Ana")
    assert data["note"] == "People/Ana.md"
    shape = {"embed": False, "kind": "note"}
    assert data["outgoing"] == [
        {"target": "Rui", "path": "People/Rui.md", "line": 2, "where": "frontmatter"} | shape,
        {"target": "Missing", "path": None, "line": 4, "where": "body"} | shape,
        {"target": "Rui", "path": "People/Rui.md", "line": 4, "where": "body"} | shape,
    ]
    assert data["unresolved"] == [{"target": "Missing", "line": 4}]
    assert Vault(root).json("links", "rui")["incoming"] == [
        {"path": "People/Ana.md", "line": 2},
        {"path": "People/Ana.md", "line": 4},
    ]
    assert Vault(root).run("links", "Nobody").exit_code == 1


def test_bramses_scratchpad_same_folder_first(tmp_path: Path) -> None:
    root = CORPUS / "bramses-opinionated-vault"
    if not root.is_dir():
        pytest.skip("corpus not present")
    paths = [p.relative_to(root).as_posix() for p in root.rglob("*.md")]
    r = Resolver(paths)
    assert r.resolve("Scratchpad", "_PARA/Projects/Test Project/Test Project.md") == (
        "_PARA/Projects/Test Project/Scratchpad.md"
    )
    assert r.resolve("Scratchpad", "Calendar/Daily/2022-12-12.md") == "Inbox/Scratchpad.md"

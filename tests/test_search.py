"""`vault search`: ranking, the query language, filters, hostile input."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from vault_crm.query import parse_query

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

NOTES = {
    "People/Ana Lima.md": (
        "---\ntype: person\ntags: [mentor]\ncompany: Pricing Labs\n---\nDesigner.\n"
    ),
    "People/Chloé Martin.md": "---\naliases: [Clo]\ntags: [lisbon]\n---\nLoves C++ and e-mail.\n",
    "People/Rui Costa.md": "---\ntags: [lisbon/js]\n---\nRuns the meetup.\n",
    "Conversations/2026-03-01 Coffee with Ana.md": (
        '---\ndate: 2026-03-01\nwith: ["[[Ana Lima]]"]\n---\n'
        "We talked about pricing for the new plan and the Series A round.\n"
    ),
    "Conversations/2026-06-10 Call with Rui.md": (
        '---\ndate: 2026-06-10\nwith: ["[[Rui Costa]]"]\n---\n'
        "Pricing came up again; also hiring a designer. O'Brien joined late.\n"
    ),
    "Notes/Pricing.md": "A page about pricing strategy, pricing pages and price anchoring.\n",
    "Notes/Hiring.md": "How we hire: series of interviews.\n",
}


@pytest.fixture
def v(make_vault: MakeVault) -> Vault:
    return Vault(make_vault(NOTES))


def paths(results: list[dict[str, object]]) -> list[object]:
    return [r["path"] for r in results]


def test_json_keys_and_highlighted_snippets(v: Vault) -> None:
    results = v.json("search", "series")
    assert results and set(results[0]) == {"path", "title", "type", "score", "snippet"}
    assert all("[" in str(r["snippet"]) for r in results)


def test_title_beats_body(v: Vault) -> None:
    results = v.json("search", "pricing")
    assert results[0]["path"] == "Notes/Pricing.md"
    assert set(paths(results)) >= {
        "Conversations/2026-03-01 Coffee with Ana.md",
        "Conversations/2026-06-10 Call with Rui.md",
        "People/Ana Lima.md",  # company: Pricing Labs (a property value)
    }


def test_all_words_must_match_and_phrases(v: Vault) -> None:
    assert paths(v.json("search", "pricing", "hiring")) == [
        "Conversations/2026-06-10 Call with Rui.md"
    ]
    assert paths(v.json("search", '"series a"')) == ["Conversations/2026-03-01 Coffee with Ana.md"]


def test_prefix_or_and_exclusion(v: Vault) -> None:
    assert "Notes/Hiring.md" in paths(v.json("search", "hir*"))
    assert set(paths(v.json("search", "meetup", "OR", "interviews"))) == {
        "People/Rui Costa.md",
        "Notes/Hiring.md",
    }
    excluded = paths(v.json("search", "pricing", "-hiring"))
    assert "Conversations/2026-06-10 Call with Rui.md" not in excluded and excluded
    assert paths(v.json("search", "pricing", "NOT", "hiring")) == excluded


def test_diacritics_and_case_and_aliases(v: Vault) -> None:
    assert paths(v.json("search", "chloe")) == ["People/Chloé Martin.md"]
    assert paths(v.json("search", "CLO")) == ["People/Chloé Martin.md"]


def test_stemming_finds_other_forms_and_exact_names_still_match(v: Vault) -> None:
    assert "Notes/Hiring.md" in paths(v.json("search", "hire"))
    assert paths(v.json("search", "Ana", "Lima", "--type", "person")) == ["People/Ana Lima.md"]


def test_filters_as_options_and_in_the_query(v: Vault) -> None:
    assert paths(v.json("search", "pricing", "--type", "person")) == ["People/Ana Lima.md"]
    assert paths(v.json("search", "pricing", "type:person")) == ["People/Ana Lima.md"]
    assert set(paths(v.json("search", "tag:lisbon"))) == {
        "People/Chloé Martin.md",
        "People/Rui Costa.md",  # #lisbon/js is also #lisbon
    }
    assert paths(v.json("search", "pricing", "--with", "ana")) == [
        "Conversations/2026-03-01 Coffee with Ana.md"
    ]
    assert paths(v.json("search", 'with:"Rui Costa"', "pricing")) == [
        "Conversations/2026-06-10 Call with Rui.md"
    ]


def test_since_and_until_are_inclusive(v: Vault) -> None:
    assert paths(v.json("search", "pricing", "--since", "2026-06-10")) == [
        "Conversations/2026-06-10 Call with Rui.md"
    ]
    assert paths(v.json("search", "pricing", "--until", "2026-03-01")) == [
        "Conversations/2026-03-01 Coffee with Ana.md"
    ]
    assert v.run("search", "x", "--since", "March").exit_code == 2


def test_limit(v: Vault) -> None:
    assert len(v.json("search", "pricing", "--limit", "2")) == 2


@pytest.mark.parametrize(
    "query",
    ["C++", "e-mail", "what?", "o'brien", '"', "AND", "NEAR(", ":", "*", "OR", "NOT", "-",
     '"unclosed phrase', "a:b", "tag:", "(", ")", "^", "col:x", "pricing AND OR NOT"],
)  # fmt: skip
def test_hostile_queries_never_crash(v: Vault, query: str) -> None:
    result = v.run("search", query)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 1:
        assert result.stderr.count("\n") == 1


def test_hostile_words_are_searched_literally(v: Vault) -> None:
    assert paths(v.json("search", "C++")) == ["People/Chloé Martin.md"]
    assert paths(v.json("search", "e-mail")) == ["People/Chloé Martin.md"]
    assert paths(v.json("search", "o'brien")) == ["Conversations/2026-06-10 Call with Rui.md"]


def test_empty_result_is_exit_0_with_a_friendly_line(v: Vault) -> None:
    result = v.run("search", "zeppelin")
    assert result.exit_code == 0
    assert "No notes match" in result.stderr
    assert v.json("search", "zeppelin") == []


def test_unknown_with_person_is_an_error_listing_candidates(v: Vault) -> None:
    result = v.run("search", "pricing", "--with", "Zed")
    assert result.exit_code == 1
    assert "no person named 'Zed'" in result.stderr


def test_an_edit_between_searches_is_found(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    v = Vault(root)
    assert v.json("search", "zeppelin") == []
    note = root / "Notes/Hiring.md"
    note.write_text("We hired a zeppelin pilot.\n")
    os.utime(note, ns=(5, 5))
    assert paths(v.json("search", "zeppelin")) == ["Notes/Hiring.md"]


def test_parse_query_quotes_everything() -> None:
    q = parse_query('NEAR( "a b" c* -d OR e type:person')
    assert q.match == '"NEAR(" AND "a b" AND "c" * AND "e"'
    assert q.exclude == ['"d"']
    assert q.filters == {"type": ["person"]}

"""Reading one note: front-matter quirks, kinds, dates, problems with lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_crm import notes
from vault_crm.config import Settings
from vault_crm.notes import parse_note


def parse(path: str, text: str | bytes, **settings: object):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return parse_note(path, data, Settings(vault=Path("/v"), **settings))  # type: ignore[arg-type]


def test_yaml_11_surprises_keep_the_text_written() -> None:
    note = parse(
        "People/Ana.md",
        "---\nphone: +447700900123\nzip: 0123\ntime: 12:30\nanswer: yes\nok: true\n"
        "count: 42\nratio: 1.5\nmet: 2024-05-01\n---\nbody\n",
    )
    assert note.props["phone"] == "+447700900123"
    assert note.props["zip"] == "0123"
    assert note.props["time"] == "12:30"
    assert note.props["answer"] == "yes"
    assert note.props["ok"] is True
    assert note.props["count"] == 42
    assert note.props["ratio"] == 1.5
    assert note.props["met"] == "2024-05-01"
    assert note.problems == ()


def test_bom_and_crlf_front_matter_parse_and_body_lines_count_from_the_file() -> None:
    text = (
        "\ufeff---\r\ntype: person\r\ntags: [a, b]\r\n---\r\n"
        "\r\nSee [[Bo]]\r\n- [ ] call [[Bo]]\r\n"
    )
    note = parse("Ana.md", text.encode("utf-8"))
    assert note.kind == "person"
    assert note.tags == ("a", "b")
    assert [ln.line for ln in note.links] == [6, 7]
    assert note.tasks[0].line == 7 and note.tasks[0].text == "call [[Bo]]"
    assert note.problems == ()


def test_invalid_yaml_is_an_error_with_the_file_line_and_the_body_is_still_indexed() -> None:
    note = parse("Notes/x.md", "---\ntitle: ok\nbad: [unclosed\nmore: x\n---\nSee [[Target]]\n")
    (problem,) = note.problems
    assert problem.severity == "error"
    assert problem.path == "Notes/x.md"
    assert problem.line is not None and 3 <= problem.line <= 5
    assert "not valid YAML" in problem.message
    assert [ln.target for ln in note.links] == ["Target"]


def test_front_matter_that_is_a_list_or_a_string_is_an_error() -> None:
    for fm in ("- a\n- b\n", "just words\n"):
        note = parse("x.md", f"---\n{fm}---\nbody\n")
        assert [p.severity for p in note.problems] == ["error"]
        assert "not a mapping" in note.problems[0].message
        assert note.body == "body\n"


def test_non_utf8_and_nul_bytes_are_errors_with_lines() -> None:
    note = parse("bad.md", b"line one\nline \xff two\n")
    assert [(p.line, p.severity) for p in note.problems] == [(2, "error")]
    assert "UTF-8" in note.problems[0].message
    assert "two" in note.body
    note = parse("nul.md", b"a\nb\x00c\n")
    assert [(p.line, p.severity) for p in note.problems] == [(2, "error")]
    assert "NUL" in note.problems[0].message


def test_empty_note_and_a_lone_rule_are_not_problems() -> None:
    assert parse("empty.md", b"").problems == ()
    assert parse("rule.md", "---\n").problems == ()
    assert parse("rule2.md", "---\ntext after a rule\n").problems == ()


def test_large_note_is_a_warning() -> None:
    note = parse("big.md", b"word " * 1_300_000)
    assert [p.severity for p in note.problems] == ["warning"]
    assert "large" in note.problems[0].message


def test_kinds_follow_the_spec_order() -> None:
    assert parse("People/Ana.md", "hi").kind == "person"
    assert parse("x/Ana.md", "---\ntype: person\n---\n").kind == "person"
    assert parse("x/Ana.md", '---\ncategories: ["[[People]]"]\n---\n').kind == "person"
    assert parse("x/Ana.md", "categories: x\n").kind == "other"
    assert parse("x/M.md", '---\ncategories:\n  - "[[Meetings]]"\n---\n').kind == "conversation"
    assert parse("People/Call.md", "---\ntype: call\n---\n").kind == "conversation"
    assert parse("Daily/2026-11-20.md", "").kind == "daily"
    assert parse("Meetings/Standup.md", "").kind == "conversation"
    # templates are never people, and their {{date}} placeholders are not reported
    tpl = parse("Templates/People Template.md", "---\ntype: person\ncreated: {{date}}\n---\n")
    assert tpl.kind == "other" and tpl.is_template and tpl.problems == ()
    # a generated note is never a person or a conversation, whatever its name
    gen = parse("Reconnect.md", "---\ntype: conversation\n---\n")
    assert gen.is_generated and gen.kind == "other"


def test_conversation_date_from_property_else_title() -> None:
    a = parse("Conversations/2026-03-01 Coffee with Ana.md", "---\ndate: 2026-02-27\n---\n")
    assert a.date == dt.date(2026, 2, 27)
    b = parse("Conversations/2026-03-01 Coffee with Ana.md", "no front-matter")
    assert b.date == dt.date(2026, 3, 1)
    c = parse("Conversations/Coffee.md", "no date")
    assert c.date is None
    assert [p.severity for p in c.problems] == ["warning"]


def test_unreadable_cadence_and_dates_on_people_are_errors_on_their_lines() -> None:
    note = parse(
        "People/Bo.md",
        "---\ncadence: often\nbirthday: 01/01/1980\nlast_contact: 2026-02-30\n---\n",
    )
    lines = sorted((p.line, p.severity) for p in note.problems)
    assert lines == [(2, "error"), (3, "error"), (4, "error")]
    messages = " ".join(p.message for p in note.problems)
    assert "often" in messages and "01/01/1980" in messages


def test_unquoted_front_matter_link_is_a_link_and_a_warning() -> None:
    note = parse("x.md", "---\nreferences: [[[American Psycho (film)]], Polka Party!]\n---\n")
    assert [(ln.target, ln.where, ln.unquoted) for ln in note.links] == [
        ("American Psycho (film)", "frontmatter", True)
    ]
    assert [p.severity for p in note.problems] == ["warning"]


def test_participants_links_and_plain_names() -> None:
    note = parse(
        "Conversations/2026-01-02 Lunch.md",
        '---\nwith: ["[[Ana Lima]]", "Bo"]\n---\n- [ ] send [[Cy]] the deck\n- [x] done\n',
    )
    assert note.kind == "conversation"
    assert note.participant_names == ("Bo",)
    assert note.has_participant_props
    assert [(ln.target, ln.prop) for ln in note.links if ln.where == "frontmatter"] == [
        ("Ana Lima", "with")
    ]
    assert [(t.text, t.checked, t.links) for t in note.tasks] == [
        ("send [[Cy]] the deck", False, ("Cy",)),
        ("done", True, ()),
    ]


# --- front-matter values: the quick builder against PyYAML's own constructor ----------

_SCALARS = [
    "Ana", "yes", "no", "true", "False", "null", "~", "", "0", "-0", "42", "0123", "-7",
    "1.5", "-0.0", "1.0e3", "1e3", ".inf", "12:30", "+447700900123", "2026-02-30",
    "2024-05-01", "2024-05-01 10:00:00", "2024-05-01T10:00:00Z", '"[[Ana Lima]]"',
    "[[Ana]]", "'quoted'", '"two\\nlines"', "!!int 0x1F", "!!str 42", "!!float 3",
    "!!bool yes", "!!binary aGk=", "!!set {a, b}", "!custom x", "&a anchored", "*a",
    "<<", "{}", "[]", "{a: 1}", "[1, [2, [3]]]", "{[a]: b}", "? [x]\n  : y", "a: b: c",
    "x" * 5, "9" * 5000, "日本語", "#not a comment", "- ",
]  # fmt: skip


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Front-matter-like text: keys with scalars, flow and block collections, nesting."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from(["name", "tags", "with", "date", "<<", "1", "a", "a"]))
        form = draw(st.integers(0, 3))
        items = draw(st.lists(st.sampled_from(_SCALARS), max_size=4))
        if form == 0:
            lines.append(f"{key}: {items[0] if items else ''}")
        elif form == 1:
            lines.append(f"{key}: [{', '.join(items)}]")
        elif form == 2:
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in items)
        else:
            lines.append(f"{key}:")
            lines.extend(f"  k{i}: {item}" for i, item in enumerate(items))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(_SCALARS)))
    return "\n".join(lines)


def _long_way(text: str) -> Any:
    """PyYAML's general constructor over the same loader, with the same limits."""

    class Long(notes.VaultLoader):
        resolve = yaml.resolver.BaseResolver.resolve

    loader = Long(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        notes._check_shape(node)
        return loader.construct_document(node)
    except (ValueError, OverflowError) as exc:
        raise notes.YamlRefused(f"unreadable value ({exc})") from None
    finally:
        loader.dispose()


def _outcome(load: Any, text: str) -> str:
    try:
        return "value " + repr(load(text))  # repr tells True from 1 and 1 from 1.0
    except yaml.YAMLError as exc:
        return f"error {type(exc).__name__}: {exc}"


@given(yaml_texts())
@settings(max_examples=200)
def test_front_matter_values_are_built_exactly_as_pyyaml_builds_them(text: str) -> None:
    assert _outcome(notes.load_yaml, text) == _outcome(_long_way, text)


def test_front_matter_past_the_limits_is_refused_whichever_way_it_is_built() -> None:
    deep = "a: " + "[" * 60 + "]" * 60
    many = "a: [" + ", ".join(["x"] * 10_001) + "]"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcd", "bcde", strict=True)
    )
    for text, reason in (
        (deep, "nested more than 50 levels deep"),
        (many, "aliases expand to more than 10,000 values"),
        (bomb, "aliases expand to more than 10,000 values"),
    ):
        with pytest.raises(notes.YamlRefused, match=reason):
            notes.load_yaml(text)

"""Flat front-matter read without the YAML parser: whenever the quick reader takes a text,
it gives exactly the properties and key lines the YAML parser gives (and it leaves every
other text to the parser)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from vault_crm import notes
from vault_crm.notes import read_flat_frontmatter

KEYS = [
    "type", "date", "with", "tags", "a b", "first-name", "_x", "Key", "true", "True",
    "null", "Null", "yes", "on", "n", "y", "x1", "a  b", "k-", "é", "2024", "a#b", "a: b",
    "'q'", '"q"', "-k", "k ", " k",
]  # fmt: skip
SCALARS = [
    "word", "two words", "Nagy Ltd", "2w", "42", "-7", "0", "0123", "-0", "1.5", "-1.5",
    "1.0e5", "1e5", ".5", "1.", "+447700900123", "12:30", "2026-04-10", "2026-4-1",
    "2026-02-30", "2026-04-10 10:00:00", "2026-04-10T10:00:00Z", "true", "False", "TRUE",
    "yes", "no", "on", "off", "null", "~", "Null", "NULL", "nil", "a,b", "a, b", "C#",
    "a #b", "#tag", "a: b", "a:b", "a:", "http://x.org/p?q=1", "[[Ana]]", "[a]", "{a: 1}",
    "&x y", "*x", "!!str 1", "!x", "|", ">", "%x", "@x", "`x`", "-x", "- x", "?x", "? x",
    ":x", "it's", 'say "hi"', "é", "Zoë", "日本", "a\tb", "a\u2028b", "a\x85b", "\ufeffa",
    "a  b", "0x1F", "0o17", "1_000", ".inf", "-.inf", ".nan", "=", "<<",
]  # fmt: skip
QUOTED = [
    '"x"', "'x'", '""', "''", '"[[Ana]]"', "'[[Ana]]'", '"a, b"', '"a\\"b"', '"a\\nb"',
    "'it''s'", '"a" b', "'a' # c", '"a" ', "'unclosed", '"unclosed', "\"a'b\"", "'a\"b'",
    '"#x"', '"a: b"', '"\\u00e9"',
]  # fmt: skip
scalar = st.sampled_from(SCALARS) | st.text(alphabet="ab1-:#,[]'\" .\t", max_size=8)
item = scalar | st.sampled_from(QUOTED)
flow = st.lists(item, max_size=4).flatmap(
    lambda xs: st.sampled_from([", ", ",", " , ", ","]).map(lambda sep: "[" + sep.join(xs) + "]")
) | st.sampled_from(["[]", "[ ]", "[a,]", "[a, [b]]", '["[[A]]", "[[B]]"]', "[ a , b ]", "["])
value = scalar | st.sampled_from(QUOTED) | flow
separator = st.sampled_from([": ", ":", ":  ", " : ", ": \t", ":\t"])


@st.composite
def odd_lines(draw: Any) -> list[str]:
    """One `key: value` line, or `key:` and its block list, of any shape: most of them are
    ones the quick reader must leave to the parser, a few are tricky ones it takes."""
    key = draw(st.sampled_from(KEYS))
    if draw(st.integers(0, 3)) == 0:
        # `key:` then a block list (or nothing under it)
        lines = [key + draw(st.sampled_from([":", ": ", ":  "]))]
        indent = draw(st.sampled_from(["", "  ", "    "]))
        for _ in range(draw(st.integers(0, 3))):
            lead = draw(st.sampled_from([indent, indent, "  ", " "]))
            lines.append(lead + draw(st.sampled_from(["- ", "-  ", "-", "- - "])) + draw(item))
    else:
        lines = [key + draw(separator) + draw(value) + draw(st.sampled_from(["", " "]))]
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.sampled_from(["", "# note", "  more", "---", "  - x", "?"])))
    return lines


# The pieces the quick reader takes on their own, each one a chance for it to differ from
# YAML once it is read: texts made of them alone are taken as a whole most of the time.
def _taken(*lines: str) -> bool:
    return read_flat_frontmatter(list(lines), 2) is not None


FLAT_KEYS = [k for k in KEYS if _taken(k + ": x")]
FLAT_VALUES = [v for v in SCALARS + QUOTED if _taken("k: " + v)]
FLAT_ITEMS = [v for v in SCALARS + QUOTED if _taken("k:", "  - " + v)]
IN_FLOW = [v for v in SCALARS + QUOTED if _taken("k: [" + v + "]")]
flat_flow = st.lists(st.sampled_from(IN_FLOW), max_size=4).flatmap(
    lambda xs: st.sampled_from([", ", ",", " , "]).map(lambda sep: "[" + sep.join(xs) + "]")
)


@st.composite
def flat_texts(draw: Any) -> list[str]:
    """Flat front-matter the quick reader takes, now and then with one odd line (or `key:`
    and its block list) among the lines, which it must either take exactly as YAML reads
    it or leave, with the whole text, to the parser."""
    lines: list[str] = []
    for key in draw(st.lists(st.sampled_from(FLAT_KEYS), max_size=6, unique=True)):
        if draw(st.integers(0, 3)) == 0:
            lines.append(key + draw(st.sampled_from([":", ":", ": "])))
            indent = draw(st.sampled_from(["", "  ", "    "]))
            for _ in range(draw(st.integers(0, 3))):
                dash = draw(st.sampled_from(["- ", "-  "]))
                lines.append(indent + dash + draw(st.sampled_from(FLAT_ITEMS)))
        else:
            found = draw(st.sampled_from(FLAT_VALUES) | flat_flow)
            lines.append(key + draw(st.sampled_from([": ", ":  "])) + found)
        if draw(st.integers(0, 5)) == 0:
            lines[-1] += " "
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = draw(odd_lines())
    return lines


def _yaml_outcome(lines: list[str]) -> str:
    try:
        return "value " + repr(notes.load_yaml("\n".join(lines)))  # repr tells True from 1
    except yaml.YAMLError as exc:
        return f"error {exc}"


@given(flat_texts())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@example(["type: person", "tags:", "  - friend", "  - lisbon", "company: Nagy Ltd"])
@example(["with:", "- '[[Ana]]'", '- "[[Bo]]"', "date: 2026-04-10"])
@example(["aliases:", "date: 2026-04-10", "tags: []"])
def test_the_quick_reader_reads_flat_front_matter_exactly_as_yaml_does(lines: list[str]) -> None:
    quick = read_flat_frontmatter(lines, 2)
    event("taken" if quick is not None else "left to the parser")
    if quick is None:
        return  # left to the YAML parser, which reads it as always
    props, key_lines = quick
    assert _yaml_outcome(lines) == "value " + repr(props)
    assert key_lines == notes._key_lines(lines, 2)


def test_the_common_shapes_are_read_without_the_parser() -> None:
    """What people and conversation notes hold is read quickly, with its lines."""
    lines = [
        "type: conversation",
        "date: 2026-04-10",
        'with: ["[[Rui Martin]]", "[[Ana Lima]]"]',
        "tags: [investor, 1on1]",
        "aliases:",
        "  - Ana",
        "  - A. Lima",
        "phone: +447700900123",
        "count: 3",
        "done: false",
        "note: 'it is: fine'",
        "empty:",
    ]
    quick = read_flat_frontmatter(lines, 2)
    assert quick is not None
    props, key_lines = quick
    assert props == notes.load_yaml("\n".join(lines))
    assert props["date"].isoformat() == "2026-04-10"
    assert props["aliases"] == ["Ana", "A. Lima"] and props["empty"] is None
    assert key_lines["aliases"] == 6 and key_lines["empty"] == 13


def test_anything_unusual_is_left_to_the_parser() -> None:
    for lines in (
        ["a: &x 1", "b: *x"],  # anchors and aliases
        ["a:", "  b: 1"],  # nesting
        ["a: |", "  text"],  # block scalars
        ["a: one", "  two"],  # a value over two lines
        ["a: 1 # comment"],
        ["a: 1", "a: 2"],  # a key twice
        ["a: " + ", ".join(["x"] * 300)],  # past the quick reader's bounds
        ["a: [" + ", ".join(["x"] * 3000) + "]"],
        ['a: "tab\there"'],
        ['a: "escaped \\" quote"'],
    ):
        assert read_flat_frontmatter(lines, 2) is None, lines

"""The batch read-back check of new notes (`writing.ReadBack`, used by the importers):
it must accept and refuse exactly the notes that reading each front-matter whole does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vault_crm.edit import yaml_frontmatter
from vault_crm.errors import WriteRefusedError
from vault_crm.notes import load_yaml, split_frontmatter, to_jsonable
from vault_crm.writing import ReadBack, note_text

# Keys and values chosen to hit YAML's traps: implicit booleans and nulls, indicators,
# `: ` and ` #` inside text, quotes, line breaks Python does not split on, control
# characters, numbers and dates written as text.
TRAPS = st.sampled_from(
    [
        "true", "null", "on", "yes", "~", "- x", "a: b", "a #b", "#x", "&a", "*a", "!t",
        "'q'", '"q"', '"', "\\", "[[Ana]]", "{x}", "[a, b]", "|", ">", "%YAML", "@x", "`x`",
        "?", ",", "---", "...", "12:30", "0123", "+44 7700", "1e3", "2026-02-30",
        "2026-01-05", "a\u2028b", "a\rb", "a\x85b", "a\tb", "\x00", "\ufeffx", " lead",
        "trail ", "", "ação", "会议", "😀",
    ]
)  # fmt: skip
TEXT = st.one_of(TRAPS, st.text(max_size=12), st.builds("".join, st.lists(TRAPS, max_size=3)))
SCALARS = st.one_of(
    TEXT,
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))
KEYS = st.one_of(st.sampled_from(["type", "date", "with", "source", "channel"]), TEXT)
PROPS = st.dictionaries(KEYS, VALUES, max_size=5)
# Front-matter the batch can vouch for, line by line: keys written plain, printable text.
PLAIN_KEYS = st.sampled_from(
    ["type", "date", "with", "source", "channel", "first-name", "_x", "a-", "yes", "on", "n", "y"]
) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True)
PRINTABLE = TRAPS.filter(str.isprintable) | st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Co", "Cn")), max_size=12
)
PLAIN_SCALARS = st.one_of(
    PRINTABLE,
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.integers(-(10**6), 10**6),
    st.booleans(),
)
PLAIN_PROPS = st.dictionaries(
    PLAIN_KEYS, PLAIN_SCALARS | st.lists(PLAIN_SCALARS, max_size=3), min_size=1, max_size=5
)
# Mostly those, and one in four of any shape, which the batch must read right or leave.
BATCH_PROPS = st.integers(0, 3).flatmap(lambda n: PROPS if n == 0 else PLAIN_PROPS)


def _whole(text: str) -> Any:
    lines, _, _ = split_frontmatter(text)
    return load_yaml("\n".join(lines or []))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(BATCH_PROPS, min_size=1, max_size=4))
@example(batch=[{"type": "meeting", "with": ["[[Ana]]", "[[Rui]]"], "date": dt.date(2026, 1, 5)}])
@example(batch=[{"true": "x"}, {"with": ["a\u2028b"]}, {"a: b": "c"}, {"k": '"a" "b"'}])
def test_the_batch_reads_every_front_matter_as_reading_it_whole_does(
    batch: list[dict[str, Any]],
) -> None:
    texts = [yaml_frontmatter(props) for props in batch]
    read_back = ReadBack()
    read_back.learn(texts)
    for text in texts:
        got = read_back.read(split_frontmatter(text)[0])
        if got is None:
            continue  # not vouched for: the note is read whole, as before
        assert to_jsonable(got) == to_jsonable(_whole(text)), text


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(PROPS, min_size=1, max_size=4))
def test_a_note_is_written_or_refused_exactly_as_without_the_batch(
    batch: list[dict[str, Any]],
) -> None:
    read_back = ReadBack()
    read_back.learn(yaml_frontmatter(props) for props in batch)
    for props in batch:
        outcomes = []
        for check in (None, read_back):
            try:
                outcomes.append(note_text(props, "Body\n", "x.md", read_back=check))
            except (WriteRefusedError, yaml.YAMLError) as exc:
                outcomes.append(type(exc).__name__)
        assert outcomes[0] == outcomes[1], props


def test_one_note_that_would_not_read_back_is_refused_and_the_rest_are_written() -> None:
    good = {"type": "meeting", "date": dt.date(2026, 1, 5), "with": ["[[Ana Lima]]"]}
    # `true:` reads back as the boolean key True, not the text "true".
    bad = {**good, "true": "x"}
    read_back = ReadBack()
    read_back.learn([yaml_frontmatter(good), yaml_frontmatter(bad)])
    text = note_text(good, "", "Meetings/a.md", read_back=read_back)
    assert read_back.read(split_frontmatter(text)[0]) == good  # vouched for by the batch
    assert text.startswith('---\ntype: meeting\ndate: 2026-01-05\nwith:\n  - "[[Ana Lima]]"\n')
    with pytest.raises(WriteRefusedError, match="would not read back"):
        note_text(bad, "", "Meetings/b.md", read_back=read_back)

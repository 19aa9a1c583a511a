"""A conversation's summary (the first paragraph, its spaces evened out, cut at a word
boundary): only the start of a long paragraph is looked at, with the same result as
evening out the whole paragraph first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vault_crm.records import SUMMARY_LIMIT, _shorten, _summary

# Words, and runs of every kind of space a note may hold between them.
_PIECES = st.sampled_from(
    ["word", "a", "éé", "—", ",", ".", " ", "  ", "\t", "\xa0", "\u3000", " " * 40, "x" * 35]
)


def _shorten_whole(text: str, limit: int) -> str:
    """What a summary is by definition: the whole text's spaces evened out, then cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


@settings(max_examples=150)
@given(st.lists(_PIECES, max_size=120), st.sampled_from([SUMMARY_LIMIT, 20, 3]))
def test_a_long_paragraph_is_cut_as_if_evened_out_whole(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    assert _shorten(text, limit) == _shorten_whole(text, limit)


def test_summary_of_a_long_paragraph_with_spaces_to_even_out() -> None:
    words = ["pricing", "came", "up", "again,", "with", "numbers", "this", "time."] * 12
    body = "\t".join(words[:40]) + "   " + "  ".join(words[40:]) + "\n\nSecond paragraph.\n"
    summary = _summary(body)
    assert summary.endswith("…") and "  " not in summary and "\t" not in summary
    assert len(summary) <= SUMMARY_LIMIT
    assert summary[:-1] == " ".join(words)[: len(summary) - 1]
    assert "Second" not in summary

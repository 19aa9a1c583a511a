"""Chinese, Japanese and Korean text for full-text search. FTS5's unicode61 tokenizer
splits only at spaces and punctuation, so a word inside a run of CJK text is never a
token of its own. Each CJK run is therefore also indexed as overlapping character
bigrams (保管庫 -> 保管 管庫) in columns of their own (one for title and aliases, so a
title match still ranks first), and a CJK word is searched as the phrase of its bigrams
there: it finds every note that contains it. Pure."""

from __future__ import annotations

import re
from functools import cache

# Han (with extension A and compatibility ideographs), kana, Hangul syllables and jamo,
# half-width katakana.
_RUN_PATTERN = (
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff"
    "\u3130-\u318f\uac00-\ud7af\uff66-\uff9f]+"
)


@cache
def _run() -> re.Pattern[str]:
    # Compiled on first use: most commands never search and never index text.
    return re.compile(_RUN_PATTERN)


COLUMNS = "{cjk_title cjk}"


def has_cjk(text: str) -> bool:
    return _run().search(text) is not None


def _grams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _may_hold(text: str) -> bool:
    """Could `text` hold CJK? Not when it is all Latin-1 (every CJK character lies beyond),
    which encoding tells many times faster than looking for a run."""
    if not text or text.isascii():
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


def bigrams(*texts: str) -> str:
    """The bigrams of every CJK run in `texts`, space-separated ("" when there are none);
    runs are kept apart by a full stop, which the tokenizer drops."""
    if not any(map(_may_hold, texts)):
        return ""  # most notes' text: all Latin-1
    runs = [m.group(0) for text in texts if _may_hold(text) for m in _run().finditer(text)]
    return " . ".join(" ".join(_grams(run)) for run in runs)


def match(text: str, prefix: bool = False) -> str | None:
    """An FTS5 expression finding the CJK runs of one query word in the bigram column
    (None when the word has no CJK); a one-character word matches as a prefix."""
    runs = _run().findall(text)
    if not runs:
        return None
    parts = []
    for i, run in enumerate(runs):
        phrase = '"' + " ".join(_grams(run)) + '"'
        if len(run) == 1 or (prefix and i == len(runs) - 1):
            phrase += " *"
        parts.append(f"{COLUMNS} : {phrase}")
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def runs(text: str) -> list[str]:
    return _run().findall(text)


def snippet(body: str, words: list[str], width: int = 40) -> str | None:
    """A snippet around the longest of `words` found in `body`, marked like FTS5's
    (char 2 before, char 3 after), or None when none is found."""
    folded = body.casefold()
    for word in sorted(words, key=len, reverse=True):  # the whole word before a part of it
        at = folded.find(word.casefold())
        if at != -1:
            break
    else:
        return None
    start, end = max(0, at - width), min(len(body), at + len(word) + width)
    text = body[start:at] + "\x02" + body[at : at + len(word)] + "\x03" + body[at + len(word) : end]
    text = " ".join(text.split())
    return ("…" if start > 0 else "") + text + ("…" if end < len(body) else "")

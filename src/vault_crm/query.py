"""The search language people type, turned into a safe FTS5 expression. Pure.

Words must all match; "exact phrase"; prefix*; OR between terms; -word or NOT word
excludes; type:K, tag:T and with:"Name" filter. Every word reaches FTS5 as a quoted string,
so text such as C++, e-mail, o'brien, a lone quote, AND, NEAR( or a colon is searched
literally and can never be read as FTS5 syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vault_crm import cjk

FILTERS = ("type", "tag", "with")

# A token: an optional minus, then a key:"quoted value", a "phrase" (possibly unclosed),
# or a run of non-space characters.
_TOKEN = re.compile(r'(-?)(?:(\w+):"([^"]*)"?|"([^"]*)"?|(\S+))')
# Characters FTS5's unicode61 tokenizer keeps inside a token.
_WORDISH = re.compile(r"\w", re.UNICODE)


@dataclass
class Query:
    groups: list[list[str]] = field(default_factory=list)  # AND of ORs of FTS phrases
    exclude: list[str] = field(default_factory=list)  # FTS phrases that must not match
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def match(self) -> str | None:
        """The FTS5 MATCH expression for the positive terms, or None if there are none."""
        if not self.groups:
            return None
        parts = []
        for group in self.groups:
            parts.append(group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")")
        return " AND ".join(parts)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.exclude and not self.filters


def _phrase(text: str, prefix: bool = False) -> str | None:
    """A quoted FTS5 string for user text, or None when it holds nothing searchable."""
    if not _WORDISH.search(text):
        return None
    quoted = '"' + text.replace('"', '""') + '"'
    base = quoted + " *" if prefix else quoted
    in_cjk = cjk.match(text, prefix)
    return base if in_cjk is None else f"({base} OR {in_cjk})"


def parse_query(text: str) -> Query:
    query = Query()
    pending_or = False
    negate_next = False
    last_positive = False
    for m in _TOKEN.finditer(text):
        minus, key, keyed_value, phrase, word = m.groups()
        negate = bool(minus) or negate_next
        negate_next = False
        if key is not None:
            if key.casefold() in FILTERS:
                query.filters.setdefault(key.casefold(), []).append(keyed_value.strip())
                continue
            word = f'{key}:"{keyed_value}"'
        if word is not None and not minus:
            if word == "OR":
                # OR joins the previous positive word to the next one ("a OR b").
                pending_or = last_positive
                continue
            if word == "AND":
                continue
            if word == "NOT":
                negate_next = True
                continue
            name, sep, value = word.partition(":")
            if sep and name.casefold() in FILTERS and value:
                query.filters.setdefault(name.casefold(), []).append(value)
                continue
        if phrase is not None:
            fts = _phrase(phrase)
        else:
            assert word is not None
            if minus and word in ("OR", "AND", "NOT"):
                fts = _phrase(word)
            else:
                is_prefix = word.endswith("*") and len(word.rstrip("*")) > 0
                fts = _phrase(word.rstrip("*") if is_prefix else word, prefix=is_prefix)
        if fts is None:
            pending_or = last_positive = False
            continue
        if negate:
            query.exclude.append(fts)
        elif pending_or:
            query.groups[-1].append(fts)
        else:
            query.groups.append([fts])
        pending_or = False
        last_positive = not negate
    return query

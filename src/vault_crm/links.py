"""Links and tags the way Obsidian reads them: extraction from text and front-matter, and
resolution of a link to a note. Pure: no file system."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from vault_crm.model import Link

# Obsidian's accepted non-note file types: a link to one of these is an attachment.
ATTACHMENT_EXTENSIONS = frozenset(
    (
        "png jpg jpeg gif bmp svg webp avif pdf mp3 wav m4a ogg 3gp flac webm mp4 ogv mov mkv"
        " canvas base excalidraw"
    ).split()
)


def nfc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFC", s)


def _strip_md(target: str) -> str:
    return target[:-3] if target.lower().endswith(".md") else target


@lru_cache(maxsize=65536)  # the same few targets repeat across a vault's links
def link_key(target: str) -> str:
    """The casefolded title a link points at: `Team/Ines.md` -> `ines`."""
    return nfc(_strip_md(target.strip()).rsplit("/", 1)[-1]).casefold()


def is_attachment(target: str) -> bool:
    name = target.rsplit("/", 1)[-1]
    if "." not in name:
        return False
    return name.rsplit(".", 1)[1].lower() in ATTACHMENT_EXTENSIONS


@lru_cache(maxsize=65536)  # pure, and the same link text repeats across a vault
def parse_link_text(inner: str) -> tuple[str, str | None, str | None]:
    """`T#h|x` -> ("T", "h", "x"); trimmed; a `.md` suffix dropped."""
    display: str | None = None
    inner = inner.replace("\\|", "|")
    if "|" in inner:
        inner, display = inner.split("|", 1)
        display = display.strip()
    subpath: str | None = None
    if "#" in inner:
        inner, subpath = inner.split("#", 1)
        subpath = subpath.strip()
    return _strip_md(inner.strip()), subpath, display


# Code is masked (replaced by a space, newlines kept) before links and tags are looked for,
# so line numbers stay right and nothing inside code counts.
# Fence markers and backtick runs are found with str.find, which skips through a long
# note (a drawing's JSON, a big table) many times faster than a regex can.
# A line that starts a new block (so a code span cannot continue onto it): blank, an ATX
# heading, a list item, a quote, a table row, a fence or a thematic break.
_BLOCK_START = re.compile(
    r"[ \t]*(?:$|#{1,6}(?:[ \t]|$)|[-*+][ \t]|\d{1,9}[.)](?:[ \t]|$)|>|\||`{3,}|~{3,}"
    r"|(?:[-=*_][ \t]*){3,}$)"
)
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")
# Starts with a literal so the regex engine can skip ahead to each "[[" (a leading
# optional "!" would make it try every position); embeds are told by the char before.
_WIKI = re.compile(r"\[\[([^\[\]\n]*)\]\]")
_MDLINK = re.compile(
    r"(!?)\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]\(\s*(<[^>\n]+>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)"
)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Starts with the literal "#" so the engine skips ahead; what may precede a tag (start,
# whitespace, "(", ",", ";") is checked on each hit.
_TAG = re.compile(r"#([^\s#!\"$%&'()*+,.:;<=>?@\[\]^`{|}~\\]+)")
_ALL_DIGITS = re.compile(r"^[0-9/]+$")


def _spaces(text: str) -> str:
    """What stands for masked `text`: its newlines between two spaces. Only line numbers
    are read from masked text, so its length need not be kept (fast on large blocks such
    as an Excalidraw drawing's JSON)."""
    return " " + "\n" * text.count("\n") + " "


def _fences(text: str) -> Iterable[tuple[int, int, str, str]]:
    """(line start, line end, marker, line) of each line that opens with a code fence
    (up to three spaces or tabs before it)."""
    runs = (
        _runs(text, "```") + _runs(text, "~~~")
        if "~" in text and "~~~" in text
        else _runs(text, "```")
    )
    runs.sort()
    for start, end in runs:
        line_start = text.rfind("\n", 0, start) + 1
        if start - line_start > 3 or text[line_start:start].strip(" \t"):
            continue
        line_end = text.find("\n", end)
        if line_end == -1:
            line_end = len(text)
        yield line_start, line_end, text[start:end], text[line_start:line_end]


def _runs(text: str, marker: str) -> list[tuple[int, int]]:
    """(start, end) of each run of `marker`'s character at least as long as `marker`."""
    found: list[tuple[int, int]] = []
    char, size = marker[0], len(text)
    i = text.find(marker)
    while i != -1:
        j = i + len(marker)
        while j < size and text[j] == char:
            j += 1
        found.append((i, j))
        i = text.find(marker, j)
    return found


# The last note masked: a note's links and its tags are read from the same masked text.
_last_masked: list[str] = ["", ""]


def mask_code(text: str) -> str:
    if "`" not in text and ("~" not in text or "~~~" not in text):
        return text
    if _last_masked[0] is text:
        return _last_masked[1]
    out: list[str] = []
    pos = 0
    fence: str | None = None
    start = 0
    for line_start, line_end, marker, line in _fences(text):
        if fence is None:
            out.append(text[pos:line_start])
            fence, start = marker, line_start
        elif marker[0] == fence[0] and len(marker) >= len(fence) and line.strip() == marker:
            out.append(_spaces(text[start:line_end]))
            pos = line_end
            fence = None
    if fence is not None:
        out.append(_spaces(text[start:]))
    else:
        out.append(text[pos:])
    masked = "".join(out)
    if "`" in masked:
        masked = _mask_code_spans(masked)
    _last_masked[:] = [text, masked]
    return masked


def _escaped(text: str, pos: int) -> bool:
    """Is the character at `pos` escaped by an odd number of backslashes before it?"""
    n = 0
    while pos - n - 1 >= 0 and text[pos - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _block_end(text: str, pos: int) -> int:
    """Where the block holding `pos` ends: a code span may continue a paragraph onto its
    next lines, never out of a heading or table row, past a blank line, or into the next
    list item, heading, quote or table row (CommonMark's blocks, closely enough)."""
    nl = text.find("\n", pos)
    if nl == -1:
        return len(text)
    first = text[text.rfind("\n", 0, pos) + 1 : nl]
    if _HEADING.match(first) or "|" in first:
        return nl
    while nl != -1:
        nxt = text.find("\n", nl + 1)
        line = text[nl + 1 : nxt if nxt != -1 else len(text)]
        if _BLOCK_START.match(line) or "|" in line:
            return nl
        nl = nxt
    return len(text)


def _mask_code_spans(text: str) -> str:
    """Blank CommonMark code spans: a run of N backticks opens one, the next run of exactly
    N backticks in the same block closes it; an unmatched or backslash-escaped run is
    literal text, so a stray backtick hides nothing after it."""
    runs = _runs(text, "`")
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        start, end = runs[i]
        if _escaped(text, start):
            # The escaped backtick is literal; the rest of its run may still open a span.
            start += 1
            if start == end:
                i += 1
                continue
        size = end - start
        limit = _block_end(text, end)
        for j in range(i + 1, len(runs)):
            c_start, c_end = runs[j]
            if c_start >= limit:
                break
            if c_end - c_start == size:
                spans.append((start, c_end))
                i = j
                break
        i += 1
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(_spaces(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


class _Lines:
    """Line numbers for increasing offsets, counting newlines only once."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first = first_line
        self.pos = 0
        self.line = first_line

    def at(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, self.first
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def extract_body_links(body: str, first_line: int = 1) -> list[Link]:
    """Every link occurrence in a note's body, in order, with its file line."""
    if "[" not in body:
        return []
    text = mask_code(body)
    found: list[tuple[int, Link]] = []
    lines = _Lines(text, first_line)
    for m in _WIKI.finditer(text):
        inner = m.group(1)
        if not inner.strip():
            continue
        start = m.start()
        embed = start > 0 and text[start - 1] == "!"
        if embed:
            start -= 1
        target, subpath, display = parse_link_text(inner)
        found.append((start, Link(target, lines.at(start), "body", None, subpath, display, embed)))
    if "(" in text and "](" in text:  # "(" alone is found many times faster
        lines = _Lines(text, first_line)
        for m in _MDLINK.finditer(text):
            href = m.group(2)
            if href.startswith("<"):
                href = href[1:-1]
            if href.startswith("#") or _SCHEME.match(href):
                continue
            target, _, subpath = unquote(href).partition("#")
            found.append(
                (
                    m.start(),
                    Link(
                        _strip_md(target.strip()),
                        lines.at(m.start()),
                        "body",
                        None,
                        subpath.strip() or None,
                        None,
                        m.group(1) == "!",
                    ),
                )
            )
        found.sort(key=lambda item: item[0])
    return [link for _, link in found]


def extract_tags(body: str) -> list[str]:
    if "#" not in body:
        return []
    text = mask_code(body)
    if "[[" in text:
        text = _WIKI.sub(" ", text)  # tags have no line numbers: no need to keep lines
    seen: set[str] = set()
    tags: list[str] = []
    for m in _TAG.finditer(text):
        if m.start() > 0:
            before = text[m.start() - 1]
            if not (before.isspace() or before in "(,;"):
                continue
        tag = m.group(1).rstrip("/")
        if not tag or _ALL_DIGITS.match(tag):
            continue
        key = tag.casefold()
        if key not in seen:
            seen.add(key)
            tags.append(tag)
    return tags


_FM_WIKI = re.compile(r"\[\[([^\[\]]+?)\]\]")


def frontmatter_links(props: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(property, link text, unquoted) for every wikilink in front-matter values."""
    found: list[tuple[str, str, bool]] = []
    for key, value in props.items():
        kind = type(value)
        if kind is str:  # most values: a string, most without a link
            if "[[" in value:
                found.extend((str(key), m.group(1), False) for m in _FM_WIKI.finditer(value))
        elif kind is list and not (len(value) == 1 and type(value[0]) is list):
            for item in value:  # or a list of them (not an unquoted link: see _walk_links)
                if type(item) is str:
                    if "[[" in item:
                        found.extend((str(key), m.group(1), False) for m in _FM_WIKI.finditer(item))
                else:
                    _walk_links(str(key), item, found)
        else:
            _walk_links(str(key), value, found)
    return found


# A function of its own rather than a closure in frontmatter_links: a closure that calls
# itself is a reference cycle, garbage left for the cycle collector after every note.
def _walk_links(prop: str, value: Any, found: list[tuple[str, str, bool]]) -> None:
    if isinstance(value, str):
        if "[[" in value:
            found.extend((prop, m.group(1), False) for m in _FM_WIKI.finditer(value))
    elif isinstance(value, list):
        # YAML reads an unquoted [[T]] as a list holding a list holding "T".
        if len(value) == 1 and isinstance(value[0], list) and len(value[0]) == 1:
            inner = value[0][0]
            if isinstance(inner, str) and inner.strip():
                found.append((prop, inner.strip(), True))
                return
        for item in value:
            _walk_links(prop, item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk_links(prop, item, found)


class Resolver:
    """Obsidian's link resolution over a fixed set of vault paths: notes first, then any
    other file (an attachment) by its full name, with the same folder rules."""

    def __init__(self, paths: Iterable[str], files: Iterable[str] = ()) -> None:
        self.by_path: dict[str, str] = {}
        self.by_title: dict[str, list[str]] = defaultdict(list)
        for path in paths:
            key = nfc(path).casefold()
            self.by_path[key] = path
            self.by_title[link_key(path)].append(path)
        self.file_by_path: dict[str, str] = {}
        self.file_by_name: dict[str, list[str]] = defaultdict(list)
        for path in files:
            key = nfc(path).casefold()
            self.file_by_path[key] = path
            self.file_by_name[key.rsplit("/", 1)[-1]].append(path)
        for table in (self.by_title, self.file_by_name):
            for candidates in table.values():
                candidates.sort(key=lambda p: (len(p), nfc(p).casefold()))
        # (target, linking note's folder) -> result: links repeat across a vault.
        self._memo: dict[tuple[str, str], str | None] = {}

    def resolve(self, target: str, source: str) -> str | None:
        if not target:
            return source or None
        folder = source.rsplit("/", 1)[0] if "/" in source else ""
        memo = (target, folder)
        if memo in self._memo:
            return self._memo[memo]
        found = _lookup(
            nfc(_strip_md(target.strip())), source, self.by_path, self.by_title, ".md", link_key
        )
        if found is None and self.file_by_path:
            found = _lookup(
                nfc(target.strip()), source, self.file_by_path, self.file_by_name, "", file_key
            )
        if len(self._memo) < 200_000:
            self._memo[memo] = found
        return found


def file_key(target: str) -> str:
    return nfc(target.strip().rsplit("/", 1)[-1]).casefold()


def _lookup(
    target: str,
    source: str,
    by_path: dict[str, str],
    by_name: dict[str, list[str]],
    suffix: str,
    key: Callable[[str], str],
) -> str | None:
    folder = source.rsplit("/", 1)[0] + "/" if "/" in source else ""
    if target.startswith(("./", "../")):
        parts: list[str] = [p for p in folder.split("/") if p]
        for piece in target.split("/"):
            if piece == "..":
                if not parts:
                    return None
                parts.pop()
            elif piece not in (".", ""):
                parts.append(piece)
        return by_path.get(("/".join(parts) + suffix).casefold())
    if target.startswith("/"):
        return by_path.get(target.strip("/").casefold() + suffix)
    candidates = by_name.get(key(target))
    if not candidates:
        return None
    if "/" in target.strip("/"):
        want = target.strip("/").casefold() + suffix
        exact = by_path.get(want)
        if exact is not None:
            return exact
        tail = "/" + want
        for path in candidates:
            if nfc(path).casefold().endswith(tail):
                return path
        return None
    target = target.strip("/")
    own = (folder + target + suffix).casefold()
    for path in candidates:
        if nfc(path).casefold() == own:
            return path
    return candidates[0]


class LookupResolver(Resolver):
    """The same resolution as `Resolver`, over a set of notes too large to load for a few
    links (the index's): the notes that may be meant by a title are fetched as links ask
    for it, with `titled(keys)` (every note path whose title key is one of `keys`), then
    kept. `added` notes count as present and `removed` ones as gone whatever `titled`
    says, so it can serve while those are being written. Attachments are given whole."""

    def __init__(
        self,
        titled: Callable[[list[str]], Iterable[str]],
        files: Iterable[str] = (),
        added: Iterable[str] = (),
        removed: Iterable[str] = (),
    ) -> None:
        super().__init__((), files)
        self._titled = titled
        self._fetched: set[str] = set()
        self._added: dict[str, list[str]] = defaultdict(list)
        for path in added:
            self._added[link_key(path)].append(path)
        self._removed = frozenset(removed)
        self.by_path = _Fetching(self._fetch, lambda key: link_key(key))
        self.by_title = _Fetching(self._fetch, lambda key: key)

    def prefetch(self, keys: Iterable[str]) -> None:
        """Fetch the notes of many title keys at once (before resolving many links)."""
        wanted = sorted(set(keys) - self._fetched)
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            found: dict[str, list[str]] = {k: [] for k in part}
            for path in self._titled(part):
                key = link_key(path)
                if key in found:
                    found[key].append(path)
            for key, paths in found.items():
                self._keep(key, paths)

    def _fetch(self, key: str) -> None:
        if key not in self._fetched:
            self._keep(key, self._titled([key]))

    def _keep(self, key: str, titled: Iterable[str]) -> None:
        self._fetched.add(key)
        found = {p for p in titled if p not in self._removed}
        found.update(self._added.get(key, ()))
        paths = sorted(found, key=lambda p: (len(p), nfc(p).casefold()))
        for path in paths:
            dict.__setitem__(self.by_path, nfc(path).casefold(), path)
        if paths:
            dict.__setitem__(self.by_title, key, paths)


class _Fetching(dict[str, Any]):
    """A table of `LookupResolver` that fetches the notes a key may name before each
    lookup (`title_of` gives the title key that a lookup key belongs to)."""

    def __init__(self, fetch: Callable[[str], None], title_of: Callable[[str], str]) -> None:
        super().__init__()
        self._fetch = fetch
        self._title_of = title_of

    def get(self, key: str, default: Any = None) -> Any:
        self._fetch(self._title_of(key))
        return super().get(key, default)

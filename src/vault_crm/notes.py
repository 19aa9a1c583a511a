"""One file's bytes -> a Note and its problems. Pure: no file system, no clock."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, ClassVar

import yaml

from vault_crm import dates
from vault_crm.config import Settings
from vault_crm.links import (
    extract_body_links,
    extract_tags,
    frontmatter_links,
    link_key,
    nfc,
    parse_link_text,
)
from vault_crm.model import Kind, Link, Note, Problem, Task

LARGE_NOTE_BYTES = 5_000_000
GENERATED_MARKER = "<!-- vault:begin"

# --- YAML -----------------------------------------------------------------------------
# Obsidian reads properties as YAML 1.2-ish; PyYAML is YAML 1.1, whose implicit types turn
# `yes` into True, `12:30` into 750, `+447700900123` into an int and `0123` into 83. A
# phone number or a time must keep the text written in the file, so this loader resolves
# only the unsurprising forms and leaves everything else a string.

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class VaultLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    # Start from no implicit types at all; the ones wanted are added below.
    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # An impossible date such as 2026-02-30 makes PyYAML raise ValueError, which is not a
    # YAMLError; keep the text so the property can be reported as an unreadable date.
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


VaultLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
VaultLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)
VaultLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?$"),
    list("-0123456789"),
)
VaultLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
VaultLoader.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp",
    re.compile(
        r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
        r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$"
    ),
    list("0123456789"),
)
VaultLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
VaultLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


_IMPLICIT = VaultLoader.yaml_implicit_resolvers


def _resolve(
    self: VaultLoader,
    kind: type[yaml.Node],
    value: str | None,
    implicit: tuple[bool, bool],
) -> str:
    """BaseResolver.resolve for this loader, which has no path resolvers and no wildcard
    implicit ones: the tag of each node libyaml reads, without the general case's work."""
    if kind is yaml.ScalarNode:
        if implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
                if regexp.match(value):  # type: ignore[arg-type]
                    return tag
        return "tag:yaml.org,2002:str"
    if kind is yaml.SequenceNode:
        return "tag:yaml.org,2002:seq"
    return "tag:yaml.org,2002:map"


assert None not in VaultLoader.yaml_implicit_resolvers and not VaultLoader.yaml_path_resolvers
VaultLoader.resolve = _resolve

# --- limits: no front-matter can take the tool down -----------------------------------
# A billion-laughs alias bomb is a kilobyte of text that expands to billions of values; a
# recursive alias (`a: &a [*a]`) is a list that holds itself. Both are refused before any
# value is built, as is front-matter too big or too deeply nested to be properties. With
# these bounds the parse is linear in at most MAX_FRONTMATTER_CHARS characters.
MAX_FRONTMATTER_CHARS = 100_000
MAX_YAML_VALUES = 10_000  # values after aliases are expanded
MAX_YAML_DEPTH = 50


class YamlRefused(yaml.YAMLError):
    """Front-matter the tool will not build: shaped like yaml's MarkedYAMLError (`problem`,
    `problem_mark.line`), so callers report it like any YAML error."""

    def __init__(self, problem: str, line: int = 0) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = yaml.Mark("<front-matter>", 0, line, 0, "", 0)


def _check_shape(root: yaml.Node) -> None:
    """Refuse alias cycles, more than MAX_YAML_VALUES values once aliases are expanded, and
    nesting deeper than MAX_YAML_DEPTH. Iterative, and each node is sized once, so this is
    linear in the text whatever it holds."""
    sizes: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if finished:
            ancestors.discard(key)
            size = 1 + sum(sizes[id(c)] for c in children)
            if size > MAX_YAML_VALUES:
                raise YamlRefused(
                    f"aliases expand to more than {MAX_YAML_VALUES:,} values",
                    node.start_mark.line,
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in ancestors:
            raise YamlRefused("an alias refers to a value that contains it", node.start_mark.line)
        if depth > MAX_YAML_DEPTH:
            raise YamlRefused(
                f"nested more than {MAX_YAML_DEPTH} levels deep", node.start_mark.line
            )
        if not children:
            sizes[key] = 1
            continue
        ancestors.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?")


class _Unusual(Exception):
    """Front-matter the quick builder leaves to PyYAML's constructor (see _build)."""


def _build(loader: yaml.SafeLoader, root: yaml.Node) -> Any:
    """The values of a document without aliases, as PyYAML's constructor would build them,
    in one walk that also keeps the limits (PyYAML's constructor spends most of a note's
    YAML time on bookkeeping that plain properties do not need). Raises _Unusual for any
    other tag, a merge key, a collection as a key, or a shape past the limits: the caller
    then goes the long way, which builds or refuses it exactly as before."""
    count = 0

    def build(node: yaml.Node, depth: int) -> Any:
        nonlocal count
        count += 1
        if depth > MAX_YAML_DEPTH or count > MAX_YAML_VALUES:
            raise _Unusual
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _MAP:
            out = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MAP or key_node.tag == _SEQ:
                    raise _Unusual
                key = build(key_node, depth + 1)
                out[key] = build(value_node, depth + 1)
            return out
        if tag == _SEQ:
            return [build(item, depth + 1) for item in node.value]
        if tag == _NULL:
            return None
        if tag == _INT and _PLAIN_INT.fullmatch(node.value):
            return int(node.value)
        if tag == _FLOAT and _PLAIN_FLOAT.fullmatch(node.value):
            return float(node.value)
        if tag == _BOOL and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        if tag == _TIMESTAMP:
            value = node.value
            if len(value) == 10 and _ISO_DATE.fullmatch(value):  # most dates: no time
                try:
                    return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
                except ValueError:
                    return value  # as _timestamp keeps an impossible date
            return _timestamp(loader, node)
        raise _Unusual

    return build(root, 0)


def load_yaml(text: str) -> Any:
    """Parse front-matter text with the vault's YAML rules, within the limits above. Raises
    yaml.YAMLError (a YamlRefused for a refused shape) on anything it cannot read."""
    if len(text) > MAX_FRONTMATTER_CHARS:
        raise YamlRefused(f"front-matter longer than {MAX_FRONTMATTER_CHARS:,} characters")
    loader = VaultLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" not in text:  # no alias: every node is built once
            try:
                return _build(loader, node)
            except (_Unusual, ValueError, OverflowError):
                pass  # the long way builds it, or says what is wrong with it, as always
        _check_shape(node)
        return loader.construct_document(node)
    except yaml.YAMLError:
        raise
    except (ValueError, OverflowError, RecursionError) as exc:
        # e.g. an integer of more digits than Python will convert
        raise YamlRefused(f"unreadable value ({exc})") from None
    finally:
        loader.dispose()


# --- the common shape, without a parser ---------------------------------------------
# Most front-matter is flat: `key: value` lines whose values are plain or simply quoted
# scalars, flow lists of them (`tags: [a, "b"]`) or block lists of them (`- a` lines under
# `key:`). Such text is read here line by line into exactly what load_yaml builds (the
# property tests check this against it); anything else — nesting, anchors, escapes,
# comments, blank lines, multi-line or unusual scalars — returns None and goes to
# load_yaml. A rebuild reads every note's front-matter, and libyaml's general machinery
# costs several times what these lines need.

_FLAT_KEY = re.compile(r"([A-Za-z_](?:[A-Za-z0-9_ -]*[A-Za-z0-9_])?):(?: +(.*))?")
_FLAT_ITEM = re.compile(r"( *)- +(.*)")
# A scalar's first character that makes it something other than a plain word (YAML's
# indicators), and characters that may end or split a plain scalar.
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_PLAIN = re.compile(r"[^,\[\]{}#:'\"\s][^,\[\]{}#:'\"]*")


@functools.lru_cache(maxsize=4096)  # keys and many values repeat from note to note
def _flat_scalar(text: str) -> Any:
    """A plain scalar as load_yaml builds it (every such value is immutable); _Unusual for
    anything it would not read as one plain value (or would read with a time of day)."""
    if not text or (text[0] in _NOT_PLAIN_START and not _PLAIN_NUMBER.fullmatch(text)):
        raise _Unusual
    if ": " in text or " #" in text or text[-1] == ":":
        raise _Unusual
    tag = next((t for t, regexp in _IMPLICIT.get(text[:1], ()) if regexp.match(text)), _STR)
    if tag == _STR:
        return text
    if tag == _INT and _PLAIN_INT.fullmatch(text):
        return int(text)
    if tag == _FLOAT and _PLAIN_FLOAT.fullmatch(text):
        return float(text)
    if tag == _BOOL:
        return text.lower() == "true"
    if tag == _NULL:
        return None
    if tag == _TIMESTAMP and len(text) == 10 and _ISO_DATE.fullmatch(text):
        try:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            return text
    raise _Unusual


_PLAIN_NUMBER = re.compile(r"-(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _flat_value(text: str) -> Any:
    """One value written on its key's (or list item's) line."""
    first = text[0]
    if first == '"' or first == "'":
        end = text.find(first, 1)
        if end == -1 or text[end + 1 :].strip(" ") or (first == '"' and "\\" in text[1:end]):
            raise _Unusual
        return text[1:end]
    if first == "[":
        return _flat_list(text)
    return _flat_scalar(text)


def _flat_list(text: str) -> list[Any]:
    """`[a, "b", 'c']` of scalars, on one line."""
    out: list[Any] = []
    i = 1
    size = len(text)
    while True:
        while i < size and text[i] == " ":
            i += 1
        if i >= size:
            raise _Unusual
        if text[i] == "]" and not out:
            i += 1
            break
        quote = text[i]
        if quote == '"' or quote == "'":
            end = text.find(quote, i + 1)
            if end == -1 or (quote == '"' and "\\" in text[i + 1 : end]):
                raise _Unusual
            out.append(text[i + 1 : end])
            i = end + 1
        else:
            m = _FLOW_PLAIN.match(text, i)
            if m is None:
                raise _Unusual
            out.append(_flat_scalar(m.group().rstrip(" ")))
            i = m.end()
        while i < size and text[i] == " ":
            i += 1
        if i >= size:
            raise _Unusual
        if text[i] == "]":
            i += 1
            break
        if text[i] != ",":
            raise _Unusual
        i += 1
    if text[i:].strip(" "):
        raise _Unusual
    return out


def read_flat_frontmatter(
    lines: list[str], first_line: int
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The properties of flat front-matter `lines` and the file line of each key, or None
    when the text is not of that shape (then load_yaml and _key_lines read it)."""
    if not lines or len(lines) > _FLAT_MAX_LINES:
        return None
    props: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    key = ""
    items: list[Any] | None = None  # the block list that may follow a bare `key:`
    indent = -1
    for i, line in enumerate(lines):
        if items is not None and line.startswith(("-", " ")):
            item = _flat_item(line)
            if item is None:
                return None
            if indent == -1:
                indent = item[0]
                props[key] = items
            elif item[0] != indent:
                return None
            items.append(item[1])
            continue
        entry = _flat_entry(line)
        if entry is None or entry[0] in props:
            return None
        key, value = entry
        key_lines[key] = first_line + i
        if value is _BARE:
            # `key:` alone: null, unless a block list follows on the next lines.
            props[key] = None
            items, indent = [], -1
        else:
            props[key] = list(value) if type(value) is tuple else value
            items = None
    if len(lines) <= _FLAT_FEW_LINES:
        return props, key_lines  # too few lines to hold that many values
    values = len(props) + sum(len(v) for v in props.values() if isinstance(v, list))
    return (props, key_lines) if values < MAX_YAML_VALUES // 4 else None


_BARE = object()  # a `key:` line with nothing after the colon


# Lines repeat from note to note (`type: person`, `channel: email`): each is read once.
@functools.lru_cache(maxsize=8192)
def _flat_entry(line: str) -> tuple[str, Any] | None:
    """(key, value) of a `key: value` line (a list as a tuple, _BARE for `key:` alone), or
    None when the line is not one the quick reader takes."""
    if len(line) > _FLAT_MAX_LINE or not line.isprintable():
        return None  # tabs, control and odd line-break characters: the long way
    m = _FLAT_KEY.fullmatch(line)
    if m is None:
        return None
    key, value = m.group(1), (m.group(2) or "").rstrip(" ")
    try:
        if _flat_scalar(key) != key:
            return None
        if not value:
            return key, _BARE
        found = _flat_value(value)
    except _Unusual:
        return None
    return key, tuple(found) if isinstance(found, list) else found


@functools.lru_cache(maxsize=8192)
def _flat_item(line: str) -> tuple[int, Any] | None:
    """(indent, value) of a `- value` line of a block list, or None."""
    if len(line) > _FLAT_MAX_LINE or not line.isprintable():
        return None
    m = _FLAT_ITEM.fullmatch(line)
    if m is None or _KEY_LINE.match(line):
        return None
    value = m.group(2).rstrip(" ")
    if not value or value[0] == "[":
        return None
    try:
        return len(m.group(1)), _flat_value(value)
    except _Unusual:
        return None


# Front-matter longer than this goes the long way, which keeps the limits on its size and
# on its number of values (these bounds stay well within both).
_FLAT_MAX_LINES = 200
_FLAT_MAX_LINE = 400
assert _FLAT_MAX_LINES * _FLAT_MAX_LINE < MAX_FRONTMATTER_CHARS
# A line holds one key and at most one value per two characters (`a,`): up to this many
# lines cannot reach read_flat_frontmatter's count of values.
_FLAT_FEW_LINES = 12
assert _FLAT_FEW_LINES * (1 + _FLAT_MAX_LINE // 2) < MAX_YAML_VALUES // 4


# --- helpers --------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^-{3}[ \t]*\r?$")
_FENCE_CLOSE = re.compile(r"^(?:-{3}|\.{3})[ \t]*\r?$", re.M)
_KEY_LINE = re.compile(r"^([^\s#:][^:]*?)\s*:(?:\s|$)")
_CHECKBOX = re.compile(r"\[([^\]\n])\][ \t]+")
_LIST_PREFIX = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+]|\d+[.)])[ \t]+")
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def to_jsonable(value: Any) -> Any:
    """Front-matter values as JSON-able data: dates as ISO strings, keys as strings."""
    if type(value) is dict:
        # A note's properties: most values are strings or lists of strings, taken as
        # they are without a call each.
        out: dict[str, Any] = {}
        for k, v in value.items():
            kind = type(v)
            if kind is str or v is None:
                out[str(k)] = v
            elif kind is list and all(type(x) is str for x in v):
                out[str(k)] = v[:]
            else:
                out[str(k)] = to_jsonable(v)
        return out
    if isinstance(value, str):  # most values: tested first
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def string_list(value: Any) -> list[str]:
    """A property that may be a list, a comma string or a single value, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(string_list(item))
        return out
    if isinstance(value, dict):
        return []
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return [part.strip() for part in text.split(",") if part.strip()]


def _key_lines(fm_lines: list[str], first_line: int) -> dict[str, int]:
    """File line of each top-level front-matter key, for problems and links."""
    found: dict[str, int] = {}
    for i, raw in enumerate(fm_lines):
        m = _KEY_LINE.match(raw)
        if m:
            key = m.group(1).strip().strip("\"'")
            found.setdefault(key, first_line + i)
    return found


def _fenced_lines(body: str) -> set[int]:
    """Indexes (0-based) of body lines inside fenced code blocks."""
    inside: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(body.split("\n")):
        m = _CODE_FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            inside.add(i)
        elif fence is not None:
            inside.add(i)
    return inside


def _has_fence(text: str) -> bool:
    """Could `text` hold a fenced code block? (A one-character test first: most notes have
    neither character, and it is many times faster than looking for three.)"""
    return ("`" in text and "```" in text) or ("~" in text and "~~~" in text)


def _tasks(body: str, first_line: int, links: list[Link]) -> list[Task]:
    if "[" not in body:  # one character is found much faster than "] "
        return []
    fenced: set[int] | None = None
    by_line: dict[int, list[str]] | None = None
    tasks: list[Task] = []
    lines = 0
    pos = 0
    # Find each "[?] " first (a literal start the regex engine skips to quickly), then check
    # that what precedes it on its line is a list marker.
    for m in _CHECKBOX.finditer(body):
        start = body.rfind("\n", 0, m.start()) + 1
        if not _LIST_PREFIX.fullmatch(body, start, m.start()):
            continue
        lines += body.count("\n", pos, start)
        pos = start
        if fenced is None:  # worked out at the first task: most notes have none
            fenced = _fenced_lines(body) if _has_fence(body) else set()
            by_line = {}
            for link in links:
                by_line.setdefault(link.line, []).append(link.target)
        if lines in fenced:
            continue
        end = body.find("\n", m.end())
        text = body[m.end() : end if end != -1 else len(body)].strip()
        number = first_line + lines
        tasks.append(
            Task(
                line=number,
                text=text,
                checked=m.group(1) != " ",
                links=tuple(by_line.get(number, ())) if by_line else (),
            )
        )
    return tasks


def _in_folder(path_cf: str, folders: tuple[str, ...]) -> bool:
    return path_cf.startswith(_folder_prefixes(folders))


@functools.lru_cache(maxsize=32)
def _folder_prefixes(folders: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f.casefold() + "/" for f in folders if f)


def generated_pattern(settings: Settings) -> re.Pattern[str]:
    """Vault paths of the notes the tool generates (`{date}` = any ISO date)."""
    parts = []
    for note in (settings.reconnect_note, settings.report_note):
        parts.append(re.escape(nfc(note).casefold()).replace(r"\{date\}", r"\d{4}-\d{2}-\d{2}"))
    return re.compile("^(?:" + "|".join(parts) + ")$")


# --- the parser -----------------------------------------------------------------------


def decode(path: str, data: bytes) -> tuple[str, list[Problem]]:
    """Bytes -> text. Bad bytes are reported and replaced, never fatal."""
    problems: list[Problem] = []
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        problems.append(Problem(path, line, "error", "contains a NUL byte (not a text file?)"))
        data = data.replace(b"\x00", b"")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(path, line, "error", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")
        )
        text = data.decode("utf-8", errors="replace")
    return text, problems


def split_frontmatter(text: str) -> tuple[list[str] | None, int, int]:
    """Find a leading `---` block. Returns (front-matter lines or None, index of the body's
    first character, the body's first line number)."""
    if not text.startswith("---"):
        return None, 0, 1
    # Line by line with str.find: splitting a long note whole would cost more than the
    # front-matter it holds.
    end = text.find("\n")
    if end == -1 or not _FENCE_OPEN.match(text[:end]):
        return None, 0, 1
    offset = end + 1
    # The closing line, found by one search (a line-by-line loop costs more per note).
    close = _FENCE_CLOSE.search(text, offset)
    if close is None:
        # An opening `---` with no closing line is a horizontal rule, not front-matter.
        return None, 0, 1
    if close.start() == offset:
        lines = []
    else:
        block = text[offset : close.start() - 1]
        lines = block.split("\n")
        if "\r" in block:
            lines = [ln.rstrip("\r") for ln in lines]
    return lines, min(close.end() + 1, len(text)), len(lines) + 3


def parse_note(
    path: str,
    data: bytes,
    settings: Settings,
    *,
    fspath: str | None = None,
    mtime_ns: int = 0,
    generated: re.Pattern[str] | None = None,
) -> Note:
    """Read one note. Never raises for bad content: problems are recorded on the Note."""
    path = nfc(path)
    title = path.rsplit("/", 1)[-1][:-3] if path.endswith(".md") else path.rsplit("/", 1)[-1]
    path_cf = path.casefold()
    is_template = _in_folder(path_cf, (settings.templates_folder,))
    problems: list[Problem] = []

    text, bad = decode(path, data)
    problems.extend(bad)
    if len(data) > LARGE_NOTE_BYTES:
        problems.append(
            Problem(
                path,
                None,
                "warning",
                f"very large note ({len(data) / 1e6:.1f} MB): only its first"
                f" {LARGE_NOTE_BYTES // 1_000_000} MB are searched",
            )
        )

    fm_lines, body_at, body_line = split_frontmatter(text)
    raw: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    flat = read_flat_frontmatter(fm_lines, 2) if fm_lines else None
    if flat is not None:
        raw, key_lines = flat
    elif fm_lines is not None:
        key_lines = _key_lines(fm_lines, 2)
        try:
            loaded = load_yaml("\n".join(fm_lines))
        except yaml.YAMLError as exc:
            loaded = None
            if not is_template:
                mark = getattr(exc, "problem_mark", None)
                if mark is not None and mark.line >= len(fm_lines):
                    # Stuck at the end (an unclosed bracket or quote): where it opened
                    # is the line worth showing.
                    mark = getattr(exc, "context_mark", None) or mark
                line = min(mark.line, max(len(fm_lines) - 1, 0)) + 2 if mark is not None else 1
                reason = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
                what = "was not read" if isinstance(exc, YamlRefused) else "is not valid YAML"
                problems.append(Problem(path, line, "error", f"front-matter {what}: {reason}"))
        if isinstance(loaded, dict):
            raw = {str(k): v for k, v in loaded.items()}
        elif loaded is not None and not is_template:
            kind_name = type(loaded).__name__
            kind_name = {"list": "a list", "str": "a string"}.get(kind_name, kind_name)
            problems.append(
                Problem(
                    path, 2, "error", f"front-matter is {kind_name}, not a mapping of properties"
                )
            )
    body = text[body_at:]

    is_generated = bool(
        (generated or generated_pattern(settings)).match(path_cf)
        or ("<" in body and GENERATED_MARKER in body)
    )
    kind = (
        _classify(path_cf, title, raw, settings) if not (is_template or is_generated) else "other"
    )

    # Links: body, then front-matter (every quoted "[[T]]" in any property).
    links = extract_body_links(body, body_line)
    fm_links: list[Link] = []
    for prop, inner, unquoted in frontmatter_links(raw):
        target, subpath, display = parse_link_text(inner)
        line = key_lines.get(prop, 2)
        fm_links.append(_frontmatter_link(target, line, prop, subpath, display, unquoted))
        if unquoted and not is_template:
            problems.append(
                Problem(
                    path,
                    line,
                    "warning",
                    f"'{prop}' holds an unquoted link [[{inner}]]; write it as \"[[{inner}]]\"",
                )
            )

    tags: list[str] = []
    seen: set[str] = set()
    for tag in [t.lstrip("#") for t in string_list(raw.get("tags", raw.get("tag")))] + (
        extract_tags(body) if "#" in body else []
    ):
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)

    aliases = string_list(raw.get("aliases", raw.get("alias")))

    note_date: dt.date | None = None
    participant_names: list[str] = []
    has_participants = False
    if kind == "daily":
        note_date = dates.daily_date(title)
    elif kind == "conversation":
        note_date = _conversation_date(path, title, raw, key_lines, problems)
        for prop in settings.participant_properties:
            value = raw.get(prop)
            if value in (None, "", []):
                continue
            has_participants = True
            for item in string_list(value) if not isinstance(value, list) else value:
                if isinstance(item, str) and "[[" not in item and item.strip():
                    participant_names.extend(string_list(item))
    elif kind == "person":
        _check_person(path, raw, key_lines, problems)

    return Note(
        path=path,
        fspath=fspath if fspath is not None else path,
        title=title,
        mtime_ns=mtime_ns,
        size=len(data),
        kind=kind,
        is_template=is_template,
        is_generated=is_generated,
        props=to_jsonable(raw),
        body=body,
        aliases=tuple(aliases),
        tags=tuple(tags),
        links=tuple(links + fm_links),
        tasks=tuple(_tasks(body, body_line, links)),
        date=note_date,
        participant_names=tuple(participant_names),
        has_participant_props=has_participants,
        problems=tuple(problems),
    )


# The same property links the same people from note to note (`with: "[[Ana]]"` on line 3):
# each such link is made once (a Link cannot change, so notes may share it).
@functools.lru_cache(maxsize=8192)
def _frontmatter_link(
    target: str, line: int, prop: str, subpath: str | None, display: str | None, unquoted: bool
) -> Link:
    return Link(target, line, "frontmatter", prop, subpath, display, False, unquoted)


def _links_to(value: Any, name: str) -> bool:
    """Does a `categories`-style property link [[name]] (list or single string)?"""
    return any(
        link_key(parse_link_text(inner)[0]) == name
        for _prop, inner, _unquoted in frontmatter_links({"categories": value})
    )


_FOLDER_NOTE_TITLES = frozenset({"readme", "index"})


def _is_folder_note(path_cf: str, title: str, settings: Settings) -> bool:
    """A people or conversations folder's own note (README, index, the folder's name, or
    `_`-prefixed): about the folder, not one of its members."""
    if not _in_folder(path_cf, (*settings.people_folders, *settings.conversation_folders)):
        return False
    key = nfc(title).casefold()
    if key in _FOLDER_NOTE_TITLES or key.startswith("_"):
        return True
    parent = path_cf.rsplit("/", 2)
    return len(parent) >= 2 and parent[-2] == key


@functools.lru_cache(maxsize=8)
def _casefolded(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


def _classify(path_cf: str, title: str, raw: dict[str, Any], settings: Settings) -> Kind:
    kind_type = raw.get("type")
    if isinstance(kind_type, str):
        value = kind_type.strip().casefold()
        if value == "person":
            return "person"
        if value in _casefolded(settings.interaction_types):
            return "conversation"
    if _is_folder_note(path_cf, title, settings):
        return "other"
    categories = raw.get("categories")
    if categories is not None:
        if _links_to(categories, "people"):
            return "person"
        if _links_to(categories, "meetings"):
            return "conversation"
    if settings.people_tags and ("tags" in raw or "tag" in raw):
        wanted = {t.lstrip("#").casefold() for t in settings.people_tags}
        if any(
            t.lstrip("#").casefold() in wanted for t in string_list(raw.get("tags", raw.get("tag")))
        ):
            return "person"
    if _in_folder(path_cf, settings.people_folders):
        return "person"
    if _in_folder(path_cf, settings.conversation_folders):
        return "conversation"
    if dates.daily_date(title) is not None:
        return "daily"
    return "other"


def _conversation_date(
    path: str, title: str, raw: dict[str, Any], key_lines: dict[str, int], problems: list[Problem]
) -> dt.date | None:
    value = raw.get("date")
    if value not in (None, ""):
        try:
            return dates.parse_date(value)
        except ValueError as exc:
            problems.append(Problem(path, key_lines.get("date"), "error", f"'date': {exc}"))
            return dates.title_date(title)
    found = dates.title_date(title)
    if found is None:
        problems.append(
            Problem(
                path,
                None,
                "warning",
                "conversation without a date (add `date: YYYY-MM-DD` or start the title with one)",
            )
        )
    return found


def _check_person(
    path: str, raw: dict[str, Any], key_lines: dict[str, int], problems: list[Problem]
) -> None:
    def report(key: str, exc: ValueError) -> None:
        problems.append(Problem(path, key_lines.get(key), "error", f"'{key}': {exc}"))

    if "cadence" in raw:
        try:
            dates.parse_cadence(raw["cadence"])
        except ValueError as exc:
            report("cadence", exc)
    for key in ("last_contact", "snooze_until"):
        if raw.get(key) not in (None, ""):
            try:
                dates.parse_date(raw[key])
            except ValueError as exc:
                report(key, exc)
    if raw.get("birthday") not in (None, ""):
        try:
            dates.parse_birthday(raw["birthday"])
        except ValueError as exc:
            report("birthday", exc)
    extra = raw.get("dates")
    if isinstance(extra, dict):
        for label, value in extra.items():
            if value in (None, ""):
                continue
            try:
                dates.parse_birthday(value)
            except ValueError as exc:
                report("dates", ValueError(f"{label}: {exc}"))
    elif extra not in (None, ""):
        problems.append(
            Problem(path, key_lines.get("dates"), "error", "'dates' must be a map of label: date")
        )

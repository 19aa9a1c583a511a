"""vCard files (2.1, 3.0, 4.0) → incoming people. Pure: bytes in, records out.

vobject parses; this module only cleans the bytes of what trips it in real exports, and
parses card by card so one bad card is one problem:

- iPhone's `\\r\\r\\n` line ends (read as blank lines) and mixed CRLF/LF;
- quoted-printable soft breaks (`=` at the end of a line, the value going on at column 0);
- PHOTO/LOGO/SOUND/KEY blobs (base64, data: URIs): never imported, often malformed;
- Lotus Notes' `PROFILE:VCard` ("already has a PROFILE").

Text values are read unparsed and unescaped with vobject's own text-value reader, so an
unescaped comma in FN (`FN:Mr. John Richter, James Doe Sr.`, as Google writes it) keeps
every character instead of being cut at the comma.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from vault_crm.importing.plan import Incoming, Rejected

_BLOBS = {"PHOTO", "LOGO", "SOUND", "KEY"}
_DROPPED = _BLOBS | {"PROFILE"}
# vobject's escapable characters plus Google's `\:` (`http\://...`).
_ESCAPED = '\\;,Nn":'
_BASE64_LINE = re.compile(r"^[A-Za-z0-9+/=]+$")
_NAME = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_ANNIVERSARIES = {
    "ANNIVERSARY",
    "X-ANNIVERSARY",
    "X-MS-ANNIVERSARY",
    "X-EVOLUTION-ANNIVERSARY",
}
# Year-less dates written with a placeholder year: Apple's 1604 (with X-APPLE-OMIT-YEAR)
# and 0000.
_NO_YEAR = {1604, 0}


def decode_bytes(data: bytes) -> str:
    """The file as text with plain `\\n` line ends. UTF-8 (with or without a BOM); a file
    that is not UTF-8 is read as Windows-1252, the other encoding old exports use."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")


def split_cards(text: str) -> Iterator[tuple[int, list[str] | None]]:
    """(card number from 1, its lines between BEGIN and END) for each card; None for a
    card that never ends."""
    card: list[str] | None = None
    n = 0
    for line in text.split("\n"):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if card is not None:
                yield n, None
            n += 1
            card = []
        elif upper == "END:VCARD":
            if card is not None:
                yield n, card
            card = None
        elif card is not None:
            card.append(line)
    if card is not None:
        yield n, None


def _prop_name(line: str) -> str:
    m = _NAME.match(line)
    return m.group(1).upper() if m else ""


def clean_card(lines: list[str]) -> str:
    """One card's lines with soft breaks joined and blobs and PROFILE dropped."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        name = _prop_name(line) if line[0] not in " \t" else ""
        if name in _DROPPED:
            # Skip the value's folded continuation lines and a 2.1 base64 block (which
            # ends at a blank line or the next property).
            while i < len(lines) and (
                lines[i][:1] in (" ", "\t") or _BASE64_LINE.match(lines[i].strip() or "-")
            ):
                i += 1
            continue
        head = line.split(":", 1)[0].upper()
        if "QUOTED-PRINTABLE" in head:
            while line.endswith("=") and i < len(lines):
                line = (
                    line[:-1] + lines[i].lstrip(" \t")
                    if lines[i][:1] in " \t"
                    else line[:-1] + lines[i]
                )
                i += 1
            if line.endswith("="):
                line = line[:-1]
        out.append(line)
    return "\n".join(["BEGIN:VCARD", *out, "END:VCARD", ""])


def text_value(raw: str) -> str:
    """A TEXT value unescaped (`\\,` `\\;` `\\n` `\\\\`), every character kept."""
    from vobject.icalendar import stringToTextValues

    return str(stringToTextValues(raw, listSeparator=None, charList=_ESCAPED)[0]).strip()


def list_value(raw: str, sep: str) -> list[str]:
    from vobject.icalendar import stringToTextValues

    return [str(v).strip() for v in stringToTextValues(raw, listSeparator=sep, charList=_ESCAPED)]


def vcard_date(value: str, params: dict[str, list[str]]) -> str | dt.date | None:
    """A BDAY or anniversary: a date, `--MM-DD` when the year is unknown, None when
    empty. Raises ValueError for text that is not a date (`circa 1800`)."""
    v = value.strip()
    if not v:
        return None
    if re.fullmatch(r"--\d{2}-?\d{2}", v):
        month, day = int(v[2:4]), int(v[-2:])
        dt.date(2000, month, day)  # validates, Feb 29 included
        return f"--{month:02d}-{day:02d}"
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?", v)
    if not m:
        raise ValueError(f"'{v}' is not a date")
    year, month, day = (int(g) for g in m.groups())
    if year in _NO_YEAR or any(k.upper() == "X-APPLE-OMIT-YEAR" for k in params):
        dt.date(2000, month, day)
        return f"--{month:02d}-{day:02d}"
    return dt.date(year, month, day)


def _label(raw: str) -> str:
    text = text_value(raw)
    m = _APPLE_LABEL.match(text)
    return (m.group(1) if m else text).strip().lower() or "date"


class Line(NamedTuple):
    name: str  # upper case, without the group
    group: str | None
    params: dict[str, list[str]]  # upper-case keys; a bare 2.1 type (`TEL;CELL`) maps to []
    value: str  # still escaped as written; quoted-printable decoded


def content_lines(card: str) -> list[Line]:
    """A cleaned card's properties, values still escaped as written. vobject's own line
    reader and parser do the work (and its ContentLine decodes quoted-printable); the
    values are not handed to its property behaviours, which cut TEXT at commas."""
    import io

    from vobject.base import ContentLine, getLogicalLines, parseLine

    out = []
    for text, number in getLogicalLines(io.StringIO(card), True):
        name, params, value, group = parseLine(text, number)
        table: dict[str, list[str]] = {}
        for p in params:
            table.setdefault(p[0].upper(), []).extend(p[1:])
        if "QUOTED-PRINTABLE" in text.split(":", 1)[0].upper():
            decoded = ContentLine(name, params, value, group, encoded=True, lineNumber=number)
            value = decoded.value
        out.append(Line(name.upper(), group, table, value if isinstance(value, str) else ""))
    return out


def card_to_incoming(lines: list[Line], source: str) -> Incoming | Rejected:
    """A card's content lines → an incoming person."""
    props: dict[str, Any] = {}
    emails: list[str] = []
    phones: list[str] = []
    aliases: list[str] = []
    tags: list[str] = []
    dates: dict[str, Any] = {}
    notes: list[str] = []
    warnings: list[str] = []
    fn = ""
    n_parts: list[str] = []
    labels: dict[str, str] = {}
    abdates: list[tuple[str, Any]] = []  # Apple's X-ABDATE, labelled by its group
    for line in lines:
        name = line.name
        raw = line.value
        params = line.params
        if name == "FN":
            fn = fn or text_value(raw)
        elif name == "N":
            n_parts = n_parts or list_value(raw, ";")
        elif name == "NICKNAME":
            aliases.extend(a for a in list_value(raw, ",") if a)
        elif name == "EMAIL":
            e = text_value(raw).removeprefix("mailto:").strip()
            if e and e.casefold() not in {x.casefold() for x in emails}:
                emails.append(e)
        elif name == "TEL":
            t = text_value(raw)
            t = t[4:] if t.lower().startswith("tel:") else t
            if t and t not in phones:
                phones.append(t)
        elif name == "ORG":
            parts = [p for p in list_value(raw, ";") if p]
            if parts and "company" not in props:
                props["company"] = parts[0]
        elif name == "TITLE":
            props.setdefault("role", text_value(raw))
        elif name == "CATEGORIES":
            tags.extend(re.sub(r"\s+", "-", t) for t in list_value(raw, ",") if t)
        elif name == "URL":
            url = text_value(raw)
            if "linkedin.com/" in url.casefold():
                props.setdefault("linkedin", url)
        elif name == "UID":
            uid = text_value(raw)
            if uid:
                props.setdefault("uid", uid)
        elif name == "NOTE":
            note = text_value(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
            if note:
                notes.append(note)
        elif name == "X-ABLABEL":
            labels[line.group or ""] = _label(raw)
        elif name == "BDAY" or name in _ANNIVERSARIES or name == "X-ABDATE":
            try:
                when = vcard_date(text_value(raw), params)
            except ValueError as exc:
                warnings.append(f"{name} {exc}; left out")
                continue
            if when is None:
                continue
            if name == "BDAY":
                props.setdefault("birthday", when)
            elif name == "X-ABDATE":
                abdates.append((line.group or "", when))
            else:
                dates.setdefault("anniversary", when)
    for group, when in abdates:
        dates.setdefault(labels.get(group, "date") if group else "date", when)
    name = fn.strip()
    given = family = ""
    if n_parts:
        family = n_parts[0] if len(n_parts) > 0 else ""
        given = n_parts[1] if len(n_parts) > 1 else ""
        if not name:
            order = [n_parts[i] for i in (3, 1, 2, 0, 4) if i < len(n_parts)]
            name = " ".join(p for p in order if p).strip()
    if not name and aliases:
        name = aliases[0]
    if not name:
        return Rejected(source, "no name (FN, N or NICKNAME)")
    props.update(
        {
            "aliases": [a for a in aliases if a != name],
            "tags": list(dict.fromkeys(tags)),
            "email": emails,
            "phone": phones,
            "dates": dates,
        }
    )
    return Incoming(
        source,
        name,
        {k: v for k, v in props.items() if v not in (None, "", [], {})},
        "\n\n".join(notes),
        given.strip(),
        family.strip(),
        tuple(warnings),
    )


def read_vcards(data: bytes, source: str) -> list[Incoming | Rejected]:
    """Every card in a file, in order. A card vobject cannot read is a `Rejected` naming
    the card's number; the rest are read."""
    return list(iter_vcards(data, source))


def count_cards(data: bytes) -> int:
    return len(re.findall(rb"(?im)^[ \t]*BEGIN:VCARD[ \t]*\r?$", data))


def iter_vcards(data: bytes, source: str) -> Iterator[Incoming | Rejected]:
    """`read_vcards`, one card at a time (for a progress bar)."""
    found = False
    for n, lines in split_cards(decode_bytes(data)):
        found = True
        where = f"{source}#{n}"
        if lines is None:
            yield Rejected(where, "the card has no END:VCARD")
            continue
        try:
            item = card_to_incoming(content_lines(clean_card(lines)), where)
        except Exception as exc:  # vobject raises many kinds; each is this card's problem
            item = Rejected(where, _reason(exc))
        yield item
    if not found:
        yield Rejected(source, "no vCard in this file (no BEGIN:VCARD)")


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "a quoted-printable value is not valid text in its charset"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"vobject cannot read it: {text[:160]}"

"""LinkedIn's `Connections.csv` → incoming people. Pure: bytes in, records out.

The export starts with a `Notes:` preamble (a few lines, maybe quoted), may carry a BOM,
and older exports lack columns (no URL) or order them differently: the header row is
found by its column names and every column is read by name. Rows without a name are
restricted profiles: counted, not imported. `Connected On` becomes `met`, never a
contact (a connection is not a conversation).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from vault_crm.importing.plan import Incoming, Rejected

_COLUMNS = {
    "first name": "first",
    "last name": "last",
    "url": "linkedin",
    "profile url": "linkedin",
    "email address": "email",
    "company": "company",
    "position": "role",
    "connected on": "met",
}


@dataclass(frozen=True)
class LinkedInExport:
    items: list[Incoming | Rejected]
    restricted: int  # rows without a name


class NotAConnectionsFile(ValueError):
    pass


def _connected_on(value: str) -> dt.date:
    for fmt in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"Connected On '{value.strip()}' is not a date")


def _rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # A spreadsheet re-save may wrap a whole row in quotes: one cell holding the commas.
    return [next(csv.reader([r[0]])) if len(r) == 1 and r[0].count(",") >= 2 else r for r in rows]


def read_connections(data: bytes, source: str) -> LinkedInExport:
    """Every connection in the file, in order; `source` names the file in each record."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotAConnectionsFile("is not UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows = _rows(text)
    header_at = next(
        (
            i
            for i, row in enumerate(rows)
            if {"first name", "last name"} <= {c.strip().casefold() for c in row}
        ),
        None,
    )
    if header_at is None:
        raise NotAConnectionsFile("has no header row with 'First Name' and 'Last Name'")
    columns = {
        i: _COLUMNS[c.strip().casefold()]
        for i, c in enumerate(rows[header_at])
        if c.strip().casefold() in _COLUMNS
    }
    # The CSV reader counts physical lines; map each row to the line it starts on.
    starts = _row_lines(text)
    items: list[Incoming | Rejected] = []
    restricted = 0
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 1):
        if not any(c.strip() for c in row):
            continue
        where = f"{source}:{starts[offset] if offset < len(starts) else offset + 1}"
        cells = {key: row[i].strip() for i, key in columns.items() if i < len(row)}
        name = " ".join(p for p in (cells.get("first", ""), cells.get("last", "")) if p)
        name = " ".join(name.split())
        if not name:
            restricted += 1
            continue
        props: dict[str, object] = {}
        warnings: list[str] = []
        for key in ("company", "role", "email", "linkedin"):
            value = cells.get(key, "")
            if value and value != "-":
                props[key] = [value] if key == "email" else value
        if cells.get("met"):
            try:
                props["met"] = _connected_on(cells["met"])
            except ValueError as exc:
                warnings.append(f"{exc}; left out")
        items.append(
            Incoming(
                where,
                name,
                props,
                given=cells.get("first", ""),
                family=cells.get("last", ""),
                warnings=tuple(warnings),
            )
        )
    return LinkedInExport(items, restricted)


def _row_lines(text: str) -> list[int]:
    """The 1-based line number each CSV row starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    starts: list[int] = []
    line = 1
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return starts

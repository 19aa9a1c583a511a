"""The notes the tool writes: the reconnect list (due report → render → write) and the
network report. `vault due`, `vault report` and `vault watch` all call these; each takes
the open index, the vault and today, so it runs without click."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vault_crm.contacts import Graph, load_followups, load_graph
from vault_crm.dates import Cadence, parse_duration
from vault_crm.due import (
    DueReport,
    compute_due,
    keeping_statuses,
    person_status,
    with_followups,
)
from vault_crm.refresh import refresh_paths
from vault_crm.store import Index
from vault_crm.views import Linker, reconnect_context

if TYPE_CHECKING:  # the report's module is imported by what writes or shows the report
    from vault_crm.insights.report import Report


def reconnect_path(index: Index, today: dt.date) -> str:
    return index.settings.reconnect_note.replace("{date}", today.isoformat())


def report_path(index: Index, today: dt.date) -> str:
    return index.settings.report_note.replace("{date}", today.isoformat())


def narrowing(within: Cadence | None, tag: str | None, limit: int | None) -> str:
    """The options that narrow `vault due`, as written ('--tag mentor --limit 3'); empty
    for the full list."""
    parts = []
    if tag is not None:
        parts.append(f"--tag {tag}")
    if limit is not None:
        parts.append(f"--limit {limit}")
    if within is not None:
        parts.append(f"--within {within.text}")
    return " ".join(parts)


class Kept(Protocol):
    """What the daemon keeps between saves (see vault_crm.kept): the graph and the report
    of the index as it is now, worked out again only where the index changed."""

    def update(self, index: Index, today: dt.date) -> Graph: ...

    def report(self, index: Index, today: dt.date) -> Report: ...


# While `sharing_graph` is active: (index, day) -> the graph loaded for it.
_shared: dict[tuple[int, dt.date], Graph] | None = None
_kept: Kept | None = None


@contextlib.contextmanager
def sharing_graph(kept: Kept | None = None) -> Iterator[None]:
    """Inside, the reconnect note and the report load people and contacts once for the
    same index and day (the daemon writes both after each change; what they write in
    between is the tool's own notes, which the graph does not read). With `kept`, the
    graph and the report come from what it keeps."""
    global _shared, _kept
    outer, _shared = _shared, {}
    outer_kept, _kept = _kept, kept
    try:
        if kept is None:
            yield
        else:
            with keeping_statuses():
                yield
    finally:
        _shared, _kept = outer, outer_kept


def _graph(index: Index, today: dt.date) -> Graph:
    if _kept is not None:
        return _kept.update(index, today)
    if _shared is None:
        return load_graph(index, today)
    key = (id(index), today)
    if key not in _shared:
        _shared[key] = load_graph(index, today)
    return _shared[key]


def due_report(
    index: Index,
    today: dt.date,
    within: Cadence | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> DueReport:
    """Who is due, with the follow-ups of just the people listed."""
    graph = _graph(index, today)
    report = compute_due(graph, [], index.settings, today, within=within, tag=tag, limit=limit)
    listed = [e.person.path for e in report.entries()]
    return with_followups(report, load_followups(index, listed))


def write_reconnect(
    index: Index,
    vault: Path,
    today: dt.date,
    report: DueReport | None = None,
    within: Cadence | None = None,
    narrowed: str = "",
) -> tuple[str, bool]:
    """Render and write the reconnect note (the full due list unless `report` is given);
    returns (vault path, changed). A changed note is in the index before this returns."""
    # Imported here: jinja2 and the file writer are only needed when a note is written.
    from vault_crm.edit import check_inside, write_generated
    from vault_crm.insights.sources import reconnect_lines
    from vault_crm.render import render

    report = report or due_report(index, today)
    today = report.today
    within = within or Cadence(7, "d", "7d")
    window = parse_duration(index.settings.dates_window)
    link = Linker(index.ambiguous_titles())
    context = reconnect_context(
        report,
        link,
        within.days_from(today),
        window.days_from(today),
        reconnect_lines(index, report.due, link, today),
    )
    context["narrowed"] = narrowed
    text = render(vault, "reconnect.md.j2", context, index.path.parent)
    shown = reconnect_path(index, today)
    check_inside(vault, vault / shown, f"'reconnect_note' ({shown})")
    changed = write_generated(vault / shown, text, "reconnect", shown)
    if changed:
        refresh_paths(index, [shown], counts=False)
    return shown, changed


def network_report(index: Index, today: dt.date) -> Report:
    """The report of the vault as the index holds it."""
    if _kept is not None:
        _kept.update(index, today)
        return _kept.report(index, today)
    from vault_crm.insights.report import report_of
    from vault_crm.insights.sources import report_summary

    graph = _graph(index, today)
    # The report shows no upcoming dates: none are worked out.
    entries = [
        person_status(p, graph.contacts.get(p.path, []), index.settings, today, dates=False)
        for p in graph.sorted_people()
    ]
    return report_of(entries, report_summary(index, today), today)


def write_report(
    index: Index, vault: Path, today: dt.date, report: Report | None = None
) -> tuple[str, bool]:
    """Render and write the report note; returns (vault path, changed)."""
    from vault_crm.edit import write_generated
    from vault_crm.insights.report import report_context
    from vault_crm.render import render

    report = report or network_report(index, today)
    context = report_context(report, Linker(index.ambiguous_titles()))
    text = render(vault, "report.md.j2", context, index.path.parent)
    shown = report_path(index, today)
    changed = write_generated(vault / shown, text, "report", shown)
    if changed:
        refresh_paths(index, [shown], counts=False)  # in the index before we exit
    return shown, changed

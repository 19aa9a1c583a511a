"""A calendar import indexes the meetings it writes from the text it writes them with
(in worker processes when there are many): the index then holds exactly what a rebuild
reads from the files, and the next command finds nothing to read again. A worker process
that dies is an error, never a wait."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from vault_crm.importing import meetings

from conftest import Vault, write_vault


def calendar(n: int) -> str:
    """n meetings with Ana or Ben in November 2026, a weekly series, descriptions that
    link to a person, to another meeting of the import and to a note not written yet."""
    events = []
    for i in range(n):
        who = "ana@example.org" if i % 2 else "ben@example.org"
        events.append(
            "BEGIN:VEVENT\r\n"
            f"UID:m{i}@example.org\r\n"
            f"DTSTART:202611{1 + i % 28:02d}T{8 + i % 9:02d}0000Z\r\n"
            f"SUMMARY:Call {i}\r\n"
            f"DESCRIPTION:About [[Ana Lima]] and [[2026-11-02 Call 1]]\\, see [[Later {i % 3}]]\r\n"
            f"ATTENDEE;CN=Someone:mailto:{who}\r\n"
            + ("RRULE:FREQ=WEEKLY;COUNT=3\r\n" if i % 7 == 0 else "")
            + "END:VEVENT\r\n"
        )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


def people(root: Path) -> None:
    write_vault(
        root,
        {
            "People/Ana Lima.md": "---\ntype: person\nemail: ana@example.org\n---\n",
            "People/Ben Ode.md": "---\ntype: person\nemail: [ben@example.org]\n---\n",
            # A note linking to a meeting the import writes: dangling until then.
            "Notes/Plans.md": "Prepare [[2026-11-03 Call 2]] with [[Ben Ode]].\n",
        },
    )


def tables() -> dict[str, list[str]]:
    """Every table of the index (its search tables and bookkeeping left out), each row
    without its id, in a stable order."""
    [db] = Path(os.environ["VAULT_CRM_CACHE"]).rglob("index.sqlite")
    conn = sqlite3.connect(db)
    out: dict[str, list[str]] = {}
    try:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (table,) in names:
            if table in ("meta", "walk_parts") or table.startswith(("fts", "sqlite_")):
                continue
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] != "id"]
            rows = conn.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
            out[table] = sorted(map(repr, rows))
    finally:
        conn.close()
    return out


@pytest.mark.parametrize("where", ["here", "workers"])
def test_the_index_after_an_import_is_what_a_rebuild_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "workers":  # a small calendar in worker processes, several batches each
        monkeypatch.setattr(meetings, "PARALLEL_NOTES", 1)
        monkeypatch.setattr(meetings, "BATCH_NOTES", 7)
    root = tmp_path / "v"
    people(root)
    ics = tmp_path / "cal.ics"
    ics.write_text(calendar(40), encoding="utf-8", newline="")
    v = Vault(root)
    assert v.run("index").exit_code == 0
    done = v.run("import", "ics", str(ics))
    assert done.exit_code == 0, done.stderr
    assert "52 created" in done.stderr
    imported = tables()
    assert len(imported["notes"]) == 3 + 52
    # The meeting the old note named is now its link's target; a meeting's own links too.
    assert any("'Notes/Plans.md', '2026-11-03 Call 2'" in r for r in imported["links"])
    assert not any("'2026-11-03 Call 2', None" in r for r in imported["links"])

    # The next command reads no note again: each is indexed as the walk sees it.
    again = v.run("index")
    assert again.exit_code == 0, again.stderr
    assert "new or changed" not in again.stderr
    assert tables() == imported
    rebuilt = v.run("index", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert tables() == imported


def _dies(steps: Any) -> Any:
    os._exit(1)  # a worker process killed (out of memory, say) in the middle of a batch


def test_a_worker_that_dies_is_an_error_and_the_next_import_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meetings, "PARALLEL_NOTES", 1)
    root = tmp_path / "v"
    people(root)
    ics = tmp_path / "cal.ics"
    ics.write_text(calendar(10), encoding="utf-8", newline="")
    v = Vault(root)
    with monkeypatch.context() as patched:
        patched.setattr(meetings, "_render_batch", _dies)
        broken = v.run("import", "ics", str(ics))
    assert broken.exit_code == 1
    assert "worker process" in broken.stderr and "run the import again" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert not list(root.rglob(".*.tmp"))
    done = v.run("import", "ics", str(ics))
    assert done.exit_code == 0, done.stderr
    assert "14 created" in done.stderr
    assert len(list((root / "Meetings").glob("*.md"))) == 14

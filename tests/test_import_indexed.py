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
from vault_crm.store import index

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


@pytest.mark.parametrize("where", ["here", "workers", "chunks"])
def test_the_index_after_an_import_is_what_a_rebuild_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "workers":  # a small calendar in worker processes, several batches each
        monkeypatch.setattr(meetings, "PARALLEL_NOTES", 1)
        monkeypatch.setattr(meetings, "BATCH_NOTES", 7)
    if where == "chunks":  # the graph worked out in many chunks, as of an import's thousands
        monkeypatch.setattr(index, "_CHUNK", 5)
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


@pytest.mark.parametrize("where", ["here", "workers"])
def test_meetings_the_vault_ignores_are_written_but_not_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "workers":
        monkeypatch.setattr(meetings, "PARALLEL_NOTES", 1)
    root = tmp_path / "v"
    people(root)
    (root / ".vault").mkdir()
    (root / ".vault" / "config.toml").write_text('ignore = ["Meetings/*Call 1*"]\n')
    ics = tmp_path / "cal.ics"
    ics.write_text(calendar(20), encoding="utf-8", newline="")
    v = Vault(root)
    done = v.run("import", "ics", str(ics))
    assert done.exit_code == 0, done.stderr
    ignored = sorted(p.name for p in (root / "Meetings").glob("*Call 1*.md"))
    assert len(ignored) == 13  # Call 1 and Call 10–19 (two of them weekly)
    imported = tables()
    paths = [row.split(",")[0] for row in imported["notes"]]  # (path, …)
    assert len(paths) == 3 + 26 - 13 and not any("Call 1" in p for p in paths)
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


def few_files() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def _gone(pid: int) -> bool:
    """Has this process ended (a zombie not yet reaped by whoever adopted it counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


@pytest.mark.slow
@pytest.mark.parametrize(("moment", "in_place"), [("mkstemp:10+", 0), ("replace:20+", 20)])
def test_a_kill_while_workers_prepare_the_meetings_leaves_whole_notes_the_next_refresh_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str, in_place: int
) -> None:
    """Killed while writing its first batch of notes, or its second (few open files make
    batches of 16), with the worker processes some batches ahead."""
    import json
    import signal
    import time

    import forked

    monkeypatch.setattr(meetings, "PARALLEL_NOTES", 1)
    monkeypatch.setattr(meetings, "BATCH_NOTES", 3)
    ics = tmp_path / "cal.ics"
    ics.write_text(calendar(40), encoding="utf-8", newline="")
    reference = tmp_path / "reference"
    people(reference)
    with monkeypatch.context() as elsewhere:  # its index apart, as tables() reads one
        elsewhere.setenv("VAULT_CRM_CACHE", str(tmp_path / "reference-cache"))
        assert Vault(reference).run("import", "ics", str(ics)).exit_code == 0
    written = {p.name: p.read_bytes() for p in (reference / "Meetings").glob("*.md")}
    assert len(written) == 52

    root = tmp_path / "v"
    people(root)
    v = Vault(root)
    assert v.run("index").exit_code == 0
    workers = tmp_path / "workers.json"
    monkeypatch.setenv("KILLPOINT_WORKERS", str(workers))
    args = ["--vault", str(root), "--today", "2026-11-23", "import", "ics", str(ics)]
    done = forked.run(*args, moment=moment, preexec=few_files)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    monkeypatch.delenv("KILLPOINT_WORKERS")
    # The worker processes notice and end; every note in place is whole.
    pids = json.loads(workers.read_text())
    assert pids
    deadline = time.monotonic() + 30
    while not all(map(_gone, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(map(_gone, pids))
    after_kill = {p.name: p.read_bytes() for p in (root / "Meetings").glob("*.md")}
    assert len(after_kill) == in_place
    assert all(written[name] == data for name, data in after_kill.items())

    # The next command indexes the notes the killed import wrote, as any new note.
    refreshed = v.run("index")
    if in_place:
        assert f"Read {in_place} new or changed notes" in refreshed.stderr
    again = v.run("import", "ics", str(ics))
    assert again.exit_code == 0, again.stderr
    assert f"{52 - in_place} created" in again.stderr
    assert {p.name: p.read_bytes() for p in (root / "Meetings").glob("*.md")} == written
    assert not list(root.rglob(".*.tmp"))
    imported = tables()
    assert v.run("index", "--rebuild").exit_code == 0
    assert tables() == imported

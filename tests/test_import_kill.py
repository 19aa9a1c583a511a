"""A kill during a large calendar import leaves only whole notes.

New notes are written in batches (files without a name where the system has them, else
temporary files; one flush to disk, then each is given its name), so a SIGKILL can land
while many such files exist. Real `vault import ics` processes on a generated calendar
(the benchmark's) SIGKILL themselves at chosen steps of the writing (tests/killpoint.py):
before the first file, with one empty, with a batch written but not flushed, flushed but
none in place, halfway through putting them in place, after the first batch, while the
second batch is written, and after the last is in place. An open-file limit of 64 makes
batches of 16 notes (as a quarter of the limit always is), so a calendar of under a
hundred notes writes several. After each kill every note is absent or byte for byte the
note an uninterrupted import writes (a file without a name leaves nothing; a temporary
file is left for the next run); the next import leaves no temporary file and ends with
the same meetings, none twice. Both ways of writing are run: files without a name, and
the temporary files a file system without them gets (forced)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import forked
import pytest

from vault_crm.notes import load_yaml, split_frontmatter

from conftest import Vault

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

TODAY = "2026-11-23"
EVENTS = 40  # about 80 notes: several batches of temporary files
FILES = 64  # the open-file limit: batches of 16 notes
BATCH = FILES // 4
KILLPOINT = Path(__file__).with_name("killpoint.py")


def few_files() -> None:
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (FILES, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )


def run_import(
    root: Path, ics: Path, moment: str = "-", counts: str = "-", *, executable: bool = False
) -> tuple[int, bytes]:
    """`vault import ics` with few open files, SIGKILLed at `moment`: its exit code and
    stderr. A process forked from the tests (tests/forked.py), or with `executable` the
    real `vault`."""
    args = ["--vault", str(root), "--today", TODAY, "import", "ics", str(ics), "--json"]
    if not executable:
        done = forked.run(*args, moment=moment, counts=counts, preexec=few_files, timeout=600)
        return done.returncode, done.stderr
    proc = subprocess.run(
        [sys.executable, str(KILLPOINT), counts, moment, *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=few_files, timeout=600,
    )  # fmt: skip
    return proc.returncode, proc.stderr


def indexed(root: Path) -> None:
    """Index the vault first, so that the import's steps are its own (a first index is
    built whole in a temporary file, which would be counted as a step of the import)."""
    result = Vault(root, TODAY).run("index")
    assert result.exit_code == 0, result.stderr


def notes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.md"))}


def temp_files(root: Path) -> list[str]:
    return [n for _d, _s, files in os.walk(root) for n in files if n.endswith(".tmp")]


def sources(found: dict[str, bytes]) -> list[str]:
    out = []
    for text in found.values():
        fm, _, _ = split_frontmatter(text.decode("utf-8"))
        meta = load_yaml("\n".join(fm or []))
        if isinstance(meta, dict) and str(meta.get("source", "")).startswith("ics:"):
            out.append(str(meta["source"]))
    return out


@pytest.mark.parametrize("writer", ["unnamed", "temporary"])
def test_a_kill_during_a_large_import_leaves_only_whole_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    from bench_calendar import calendar, make_vault

    from vault_crm.edit import _unnamed_ok

    if writer == "unnamed" and not _unnamed_ok():
        pytest.skip("no files without a name on this system")
    # A file without a name leaves nothing behind; a temporary file is left by a kill.
    named = writer == "temporary"
    monkeypatch.setenv("KILLPOINT_NO_UNNAMED", "1" if named else "0")

    ics = tmp_path / "calendar.ics"
    ics.write_text(calendar(EVENTS), encoding="utf-8", newline="")
    base = tmp_path / "base"
    make_vault(base)
    # Only the people the calendar invites: the others would be copied and indexed for each
    # kill while no meeting names them.
    invited = ics.read_text(encoding="utf-8")
    for person in (base / "People").glob("*.md"):
        if f"mailto:{person.stem.replace(' ', '').lower()}@" not in invited:
            person.unlink()
    before = notes(base)

    # An uninterrupted import: the notes every interrupted one must match.
    reference_root = tmp_path / "reference"
    shutil.copytree(base, reference_root)
    indexed(reference_root)
    counts = tmp_path / "steps.json"
    code, err = run_import(reference_root, ics, counts=str(counts))
    assert code == 0, err.decode()
    reference = notes(reference_root)
    meetings = sources(reference)
    new = len(reference) - len(before)
    assert new > 3 * BATCH and len(set(meetings)) == len(meetings) == new
    assert not temp_files(reference_root)
    steps = json.loads(counts.read_text())
    assert steps["replace"] == new

    # (moment, notes in place after the kill, temporary files left)
    chosen = [
        ("mkstemp:1", 0, 0),
        ("mkstemp:1+", 0, named * 1),
        ("sync:1", 0, named * BATCH),
        ("replace:1", 0, named * BATCH),
        (f"replace:{BATCH // 2}+", BATCH // 2, named * (BATCH - BATCH // 2)),
        (f"replace:{BATCH}+", BATCH, 0),
        ("sync:2", BATCH, named * BATCH),
        (f"replace:{new}+", new, 0),
    ]
    for i, (moment, in_place, temporary) in enumerate(chosen):
        root = tmp_path / f"vault-{i}"
        shutil.copytree(base, root)
        indexed(root)
        code, err = run_import(root, ics, moment, executable=i == 0)
        assert code == -signal.SIGKILL, err.decode()

        after_kill = notes(root)
        for path, data in after_kill.items():
            expected = before.get(path, reference.get(path))
            assert data == expected, f"kill at {moment}: {path} is not whole"
        assert len(after_kill) - len(before) == in_place, moment
        assert len(temp_files(root)) == temporary, moment

        # The next import removes what the killed one left and completes the import.
        result = Vault(root, TODAY).run("import", "ics", str(ics), "--json")
        assert result.exit_code == 0, result.stderr
        assert not temp_files(root), f"kill at {moment}: temporary files left"
        final = notes(root)
        assert sorted(sources(final)) == sorted(meetings)
        for path, data in final.items():
            assert data == before.get(path, reference.get(path, data))

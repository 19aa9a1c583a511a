"""A kill during a large calendar import leaves only whole notes.

New notes are written in batches (temporary files, one flush to disk, then the renames),
so a SIGKILL can land while hundreds of temporary files exist. Real `vault import ics`
processes on a generated calendar (the benchmark's), killed at fixed fractions of the
time an uninterrupted import takes on this machine (deterministic in shape, never
dependent on speed). After each kill every note is absent or byte for byte the note an
uninterrupted import writes; the next import leaves no temporary file and ends with the
same meetings, none twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vault_crm.notes import load_yaml, split_frontmatter

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

TODAY = "2026-11-23"
EVENTS = 700  # about 1,200 notes: several batches of temporary files
FRACTIONS = (0.35, 0.5, 0.6, 0.7, 0.8, 0.9)


def run_import(root: Path, ics: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VAULT_CRM_CACHE": str(cache)}
    argv = [sys.executable, "-m", "vault_crm", "--vault", str(root), "--today", TODAY]
    return subprocess.Popen(
        [*argv, "import", "ics", str(ics), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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


def test_a_kill_during_a_large_import_leaves_only_whole_notes(tmp_path: Path) -> None:
    from bench_calendar import calendar, make_vault

    ics = tmp_path / "calendar.ics"
    ics.write_text(calendar(EVENTS), encoding="utf-8", newline="")
    base = tmp_path / "base"
    make_vault(base)
    before = notes(base)

    # An uninterrupted import: the notes every interrupted one must match.
    reference_root = tmp_path / "reference"
    shutil.copytree(base, reference_root)
    started = time.monotonic()
    proc = run_import(reference_root, ics, tmp_path / "cache-reference")
    _, err = proc.communicate(timeout=600)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, err.decode()
    reference = notes(reference_root)
    meetings = sources(reference)
    assert len(meetings) > 1000 and len(set(meetings)) == len(meetings)
    assert not temp_files(reference_root)

    killed_while_writing = 0
    for i, fraction in enumerate(FRACTIONS):
        root = tmp_path / f"vault-{i}"
        cache = tmp_path / f"cache-{i}"
        shutil.copytree(base, root)
        proc = run_import(root, ics, cache)
        try:
            proc.wait(timeout=seconds * fraction)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)

        after_kill = notes(root)
        for path, data in after_kill.items():
            expected = before.get(path, reference.get(path))
            assert data == expected, f"kill at {fraction:.0%}: {path} is not whole"
        written = len(after_kill) - len(before)
        if temp_files(root) or 0 < written < len(reference) - len(before):
            killed_while_writing += 1

        # The next import removes what the killed one left and completes the import.
        proc = run_import(root, ics, cache)
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
        assert not temp_files(root), f"kill at {fraction:.0%}: temporary files left"
        final = notes(root)
        assert sorted(sources(final)) == sorted(meetings)
        for path, data in final.items():
            assert data == before.get(path, reference.get(path, data))

    # The moments are spread so that some kills land while notes are being written.
    assert killed_while_writing >= 1

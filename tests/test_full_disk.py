"""A disk that is full or read-only: every write the tool makes fails with a one-line
error naming the note, exit 1; the note keeps its bytes and no temporary file is left.

The vault lives on a real, tiny tmpfs mounted for the test (full: ENOSPC) and then
remounted read-only (EROFS). Mounting needs root or a user namespace; where neither is
allowed the test is skipped, and `test_hostile.py` still covers a failing write through
a file-size limit (EFBIG), which needs no privileges."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from conftest import Vault

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs mounts are Linux's")

ANA = "---\ntype: person\ncadence: 2w\nlast_contact: 2026-10-01\n---\nAna, met at the conference.\n"
MARKED = "<!-- vault:begin reconnect -->\nold\n<!-- vault:end reconnect -->\n"


def _mount(*args: str) -> bool:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs holding a vault, unmounted afterwards."""
    point = tmp_path / "disk"
    point.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(point)):
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        vault = point / "vault"
        (vault / ".vault").mkdir(parents=True)
        (vault / "People").mkdir()
        (vault / "Conversations").mkdir()
        (vault / "People/Ana Lima.md").write_text(ANA + "Notes.\n" * 2000)  # 14 KB
        (vault / "Reconnect.md").write_text(MARKED)
        yield vault
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def vault(root: Path, *args: str) -> Result:
    """`vault` run in-process through click's runner: the same exit codes and messages
    as the installed command, without a Python start-up per write."""
    return Vault(root).run(*args)


def fill(root: Path) -> None:
    """Take every free byte of the disk the vault is on."""
    fd = os.open(root.parent / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines


WRITES = [
    (["snooze", "Ana", "3w"], "People/Ana Lima.md"),
    (["due", "--write"], "Reconnect.md"),
    (["add", "Bruno Costa", "--cadence", "1m"], "People"),
    (["log", "Ana", "-m", "Coffee at the Time Out market."], "Conversations"),
]


@pytest.mark.parametrize(
    ("args", "named"), WRITES, ids=lambda v: v[0] if isinstance(v, list) else ""
)
def test_a_full_disk_fails_the_write_and_keeps_every_note(
    small_disk: Path, args: list[str], named: str
) -> None:
    assert vault(small_disk, "index").exit_code == 0
    fill(small_disk)
    before = snapshot(small_disk)
    result = vault(small_disk, *args)
    one_line_error(result, named, "No space left on device")
    assert snapshot(small_disk) == before  # no note changed, no note or temporary file added


@pytest.mark.parametrize(
    ("args", "named"), WRITES, ids=lambda v: v[0] if isinstance(v, list) else ""
)
def test_a_read_only_disk_fails_the_write_and_keeps_every_note(
    small_disk: Path, args: list[str], named: str
) -> None:
    assert vault(small_disk, "index").exit_code == 0
    if not _mount("-o", "remount,ro", str(small_disk.parent)):
        pytest.skip("remounting read-only is not allowed here")
    before = snapshot(small_disk)
    result = vault(small_disk, *args)
    one_line_error(result, named, "Read-only file system")
    assert snapshot(small_disk) == before
    # Reading still works: the index lives in the cache folder, not on this disk.
    people = vault(small_disk, "people")
    assert people.exit_code == 0 and "Ana Lima" in people.stdout

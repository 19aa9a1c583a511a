"""What `vault watch` watches for each `calendars` entry: a file's folder alone, a folder
with what is below it, a glob's folder (alone when it can only match calendar files)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from vault_crm.calendar_sync import CalendarSync, _watch_root, _watch_roots
from vault_crm.config import load_settings
from vault_crm.watch import Watcher


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "Downloads" / "photos").mkdir(parents=True)
    (tmp_path / "Downloads" / "calendar.ics").write_bytes(b"BEGIN:VCALENDAR\r\n")
    (tmp_path / "calendars" / "work").mkdir(parents=True)
    return Path(os.path.realpath(tmp_path))  # a file's folder is where it really is


@pytest.mark.parametrize(
    ("entry", "folder", "recursive"),
    [
        ("Downloads/calendar.ics", "Downloads", False),  # a file: its folder alone
        ("Downloads/later.ics", "Downloads", False),  # not there yet: the same
        ("calendars", "calendars", True),  # a folder: and below (a folder per calendar)
        ("calendars/", "calendars", True),
        ("Downloads/*.ics", "Downloads", False),  # can only match files in the folder
        ("Downloads/*.ICS", "Downloads", False),
        ("Downloads/cal*", "Downloads", True),  # may match a folder, searched below
        ("calendars/*/", "calendars", True),
        ("calendars/*/work.ics", "calendars", True),
        ("calendars/**", "calendars", True),
        ("calendars/**/*.ics", "calendars", True),
    ],
)
def test_watch_root(home: Path, entry: str, folder: str, recursive: bool) -> None:
    assert _watch_root(entry, home) == (home / folder, recursive)


def test_watch_root_of_a_linked_file_is_where_it_is_written(home: Path) -> None:
    (home / "Downloads" / "link.ics").symlink_to(home / "calendars" / "work" / "cal.ics")
    assert _watch_root("Downloads/link.ics", home) == (home / "calendars" / "work", False)


def test_watch_root_of_a_missing_folder(home: Path) -> None:
    assert _watch_root("nowhere/calendar.ics", home) is None
    assert _watch_root("nowhere/*.ics", home) is None


def test_watch_root_expands_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(home))
    # The README's example: the Downloads folder alone, never the whole home folder.
    assert _watch_root("~/Downloads/calendar.ics", Path("/vault")) == (home / "Downloads", False)
    assert _watch_root("~/nonexistent-cal.ics", Path("/vault")) == (home, False)


def test_watch_roots_merge() -> None:
    a, ab, abc, x = Path("/a"), Path("/a/b"), Path("/a/b/c"), Path("/x")
    # A folder alone covers nothing below it; with what is below, it covers all of that.
    assert _watch_roots([(a, False), (ab, False)]) == [(a, False), (ab, False)]
    assert _watch_roots([(ab, False), (a, True), (x, False)]) == [(a, True), (x, False)]
    assert _watch_roots([(ab, True), (abc, False), (a, False)]) == [(ab, True), (a, False)]
    # The same folder twice: below it as well when either entry asks for that.
    assert _watch_roots([(a, False), (a, True)]) == [(a, True)]
    assert _watch_roots([(a, False), (a, False)]) == [(a, False)]


@pytest.mark.slow
@pytest.mark.parametrize("poll", [False, True], ids=["native", "poll"])
def test_a_watcher_of_one_folder_sees_only_its_own_files(tmp_path: Path, poll: bool) -> None:
    (tmp_path / "sub").mkdir()
    watcher = Watcher(tmp_path, poll=poll, log=print, recursive=False)
    watcher.start()
    try:
        (tmp_path / "sub" / "below.ics").write_text("x")
        (tmp_path / "new").mkdir()
        (tmp_path / "here.ics").write_text("x")
        seen: set[str] = set()
        full = False
        end = time.monotonic() + 15
        while "here.ics" not in seen and time.monotonic() < end:
            batch = watcher.next_batch(0.5)
            if batch is not None:
                seen |= batch.paths
                full |= batch.full
    finally:
        watcher.stop()
    assert seen == {"here.ics"}
    assert not full  # a folder coming or going changes none of this folder's files


def _next_change(sync: CalendarSync, seconds: float = 15) -> set[str] | None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        changed = sync.changed()
        if changed is not None:
            return changed
        time.sleep(0.2)
    return None


@pytest.mark.slow
@pytest.mark.parametrize("poll", [False, True], ids=["native", "poll"])
def test_a_calendar_link_pointed_at_another_file_is_a_change_and_its_new_folder_watched(
    tmp_path: Path, poll: bool
) -> None:
    root = Path(os.path.realpath(tmp_path))
    vault, first, second = root / "vault", root / "dl", root / "other"
    for folder in (vault / ".vault", first, second):
        folder.mkdir(parents=True)
    (vault / ".vault" / "config.toml").write_text('calendars = ["cal.ics"]\n')
    (first / "a.ics").write_text("A")
    (second / "b.ics").write_text("B")
    (vault / "cal.ics").symlink_to(first / "a.ics")
    sync = CalendarSync(load_settings(vault), dt.date.today, poll=poll, log=print)
    sync.start(lambda: None)
    try:
        assert {Path(w.root) for w in sync.watchers} == {vault, first}
        (vault / "new.lnk").symlink_to(second / "b.ics")  # `ln -sf`: a new link moved over
        (vault / "new.lnk").replace(vault / "cal.ics")
        assert _next_change(sync) == set()  # every calendar read again
        assert {Path(w.root) for w in sync.watchers} == {vault, second}
        (second / "b.ics").write_text("B, edited")
        assert _next_change(sync) == {str(second / "b.ics")}
    finally:
        sync.stop()

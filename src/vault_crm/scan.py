"""Walk a vault and diff what is on disk against what the index holds."""

from __future__ import annotations

import errno
import fnmatch
import functools
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple

from vault_crm.config import Settings
from vault_crm.links import nfc

# Folders that are never part of the vault's notes (besides every hidden folder).
SKIP_DIRS = frozenset({".git", ".obsidian", ".trash", ".vault"})


class FileStat(NamedTuple):
    # A NamedTuple rather than a dataclass: one is made per note on every refresh.
    path: str  # vault path, NFC
    fspath: str  # relative path as on disk
    mtime_ns: int
    size: int


# FileStat from a tuple without the Python-level __new__ (once per note per refresh).
_file_stat = functools.partial(tuple.__new__, FileStat)


class Walk(NamedTuple):
    """A walk's notes column by column, in the order walked: each path as the file system
    spells it, its mtime_ns and its size. A refresh with nothing changed only hashes these
    columns; the per-note records are made when something did change."""

    fspaths: list[str]
    mtimes: array[int]
    sizes: array[int]
    # Each folder holding notes, as (its path as on disk with a trailing "/", or "" for
    # the vault itself; the range of its notes in the columns): a folder's notes are
    # listed together.
    folders: list[tuple[str, int, int]]

    def files(self) -> list[FileStat]:
        return [
            _file_stat((rel if rel.isascii() else nfc(rel), rel, mtime, size))
            for rel, mtime, size in zip(self.fspaths, self.mtimes, self.sizes, strict=True)
        ]

    @classmethod
    def of(cls, files: Iterable[FileStat]) -> Walk:
        listed = list(files)
        folders: list[tuple[str, int, int]] = []
        for i, f in enumerate(listed):
            prefix = f.fspath[: f.fspath.rfind("/") + 1]
            if folders and folders[-1][0] == prefix and folders[-1][2] == i:
                folders[-1] = (prefix, folders[-1][1], i + 1)
            else:
                folders.append((prefix, i, i + 1))
        return cls(
            [f.fspath for f in listed],
            array("q", [f.mtime_ns for f in listed]),
            array("q", [f.size for f in listed]),
            folders,
        )


@dataclass(frozen=True)
class Diff:
    changed: list[FileStat]  # new or modified
    removed: list[str]  # vault paths no longer on disk
    seen: int  # notes on disk

    @property
    def empty(self) -> bool:
        return not self.changed and not self.removed


def ignore_matcher(settings: Settings) -> re.Pattern[str] | None:
    """One compiled pattern for the config's `ignore` globs. A glob matches a note's vault
    path, or any folder above it (so `Archive` and `Archive/**` both leave the folder out)."""
    if not settings.ignore:
        return None
    parts: list[str] = []
    for glob in settings.ignore:
        glob = nfc(glob.strip().strip("/"))
        if not glob:
            continue
        parts.append(fnmatch.translate(glob))
        if glob.endswith("/**"):
            parts.append(fnmatch.translate(glob[:-3]))
    return re.compile("|".join(parts)) if parts else None


def is_candidate(
    rel: str, settings: Settings, ignored: re.Pattern[str] | None, *, notes_only: bool = True
) -> bool:
    """Would a walk include this vault-relative path (as a note, or with `notes_only`
    False as any file)? Used for watcher events too."""
    if (notes_only and not rel.endswith(".md")) or not _utf8(rel):
        return False
    parts = rel.split("/")
    if any(p.startswith(".") or p in SKIP_DIRS for p in parts[:-1]):
        return False
    if parts[-1].startswith("."):
        return False
    if ignored is not None:
        for i in range(1, len(parts) + 1):
            if ignored.match(nfc("/".join(parts[:i]))):
                return False
    return True


def shown_name(rel: str) -> str:
    """A vault path for a message: bytes that are not UTF-8 (a name from an old Linux machine
    or a zip archive) shown escaped, as `\\xff`."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


# `.<note>.md.<random>.tmp`: a temporary file of the tool's atomic writes (see edit.py).
TEMP_NAME = re.compile(r"^\..+\.md\.[A-Za-z0-9_]+\.tmp$")


def walk(
    vault: Path,
    settings: Settings,
    others: list[str] | None = None,
    skipped: list[tuple[str, str, str]] | None = None,
    temp_files: list[str] | None = None,
) -> Iterator[FileStat]:
    """Every note below the vault, as records: see `walk_columns`."""
    yield from walk_columns(vault, settings, others, skipped, temp_files).files()


def walk_columns(
    vault: Path,
    settings: Settings,
    others: list[str] | None = None,
    skipped: list[tuple[str, str, str]] | None = None,
    temp_files: list[str] | None = None,
) -> Walk:
    """Every note below the vault: hidden and tool folders skipped, symlinked folders not
    followed, a symlinked file followed only when its target lies inside the vault. With
    `others`, the vault paths of every other file (attachments) are added to it. What is
    passed over for a reason the user can act on (an unreadable folder, a name that is not
    UTF-8, a link leading out of the vault) is added to `skipped` as (path, severity,
    reason); a file that vanishes mid-walk is passed over silently. The tool's own
    temporary files found on the way are added to `temp_files`. Iterative: no depth
    limit."""
    ignored = ignore_matcher(settings)
    root = str(vault)
    real_root: str | None = None
    note = skipped.append if skipped is not None else (lambda _item: None)
    stack: list[tuple[str, str]] = [(root, "")]
    fspaths: list[str] = []
    mtimes: array[int] = array("q")
    sizes: array[int] = array("q")
    folders: list[tuple[str, int, int]] = []
    add_path, add_mtime, add_size = fspaths.append, mtimes.append, sizes.append
    plain_only = ignored is None
    # The loop below runs once per file of the vault on every refresh: the common case (a
    # regular file named *.md with a UTF-8 name, no ignore globs) is one lstat and three
    # appends; anything else (a symlink, a name that is not UTF-8, ignore globs, an
    # attachment) takes the general path below it.
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = os.scandir(folder)
        except FileNotFoundError:
            continue
        except OSError as exc:
            note(
                (
                    shown_name(prefix.rstrip("/") or "."),
                    "error",
                    f"folder not read ({exc.strerror})",
                )
            )
            continue
        # Entry by entry as the folder is listed (not listed first: a big folder's entries
        # are never all held at once).
        start = len(fspaths)
        try:
            with entries:
                for entry in entries:
                    name = entry.name
                    if name[0] == ".":
                        if (
                            temp_files is not None
                            and name.endswith(".tmp")
                            and TEMP_NAME.match(name)
                        ):
                            temp_files.append(entry.path)
                        continue
                    rel = prefix + name
                    try:
                        if plain_only and name.endswith(".md"):
                            st = entry.stat(follow_symlinks=False)
                            mode = st.st_mode
                            plain = rel.isascii()
                            if S_ISREG(mode) and (plain or _utf8(rel)):
                                add_path(rel)
                                add_mtime(st.st_mtime_ns)
                                add_size(st.st_size)
                                continue
                            if plain and not S_ISLNK(mode):
                                if S_ISDIR(mode):
                                    stack.append((entry.path, rel + "/"))
                                continue  # a pipe or a device named *.md: not a note
                        if entry.is_dir(follow_symlinks=False):
                            if ignored is not None and ignored.match(nfc(rel)):
                                continue
                            stack.append((entry.path, rel + "/"))
                            continue
                        if not name.endswith(".md"):
                            if (
                                others is not None
                                and _utf8(rel)
                                and (ignored is None or not ignored.match(nfc(rel)))
                            ):
                                others.append(rel if rel.isascii() else nfc(rel))
                            continue
                        plain = rel.isascii()
                        if ignored is not None and ignored.match(rel if plain else nfc(rel)):
                            continue
                        if not plain and not _utf8(rel):
                            note(
                                (
                                    shown_name(rel),
                                    "error",
                                    "name is not valid UTF-8; not read (rename it)",
                                )
                            )
                            continue
                        st = entry.stat()  # follows a symlinked file; a loop raises OSError
                        if entry.is_symlink():
                            real_root = real_root or os.path.realpath(root)
                            target = os.path.realpath(entry.path)
                            if not target.startswith(real_root.rstrip(os.sep) + os.sep):
                                note(
                                    (
                                        rel,
                                        "warning",
                                        "a symlink to a file outside the vault; not read",
                                    )
                                )
                                continue
                    except OSError as exc:
                        # A file that vanished mid-walk, a dangling link or a link loop: not a note.
                        if exc.errno not in (errno.ENOENT, errno.ELOOP):
                            note((shown_name(rel), "error", f"not read ({exc.strerror})"))
                        continue
                    if S_ISREG(st.st_mode):
                        add_path(rel)
                        add_mtime(st.st_mtime_ns)
                        add_size(st.st_size)
        except OSError as exc:  # the listing failed part-way
            note(
                (
                    shown_name(prefix.rstrip("/") or "."),
                    "error",
                    f"folder not read ({exc.strerror})",
                )
            )
        if len(fspaths) > start:
            folders.append((prefix, start, len(fspaths)))
    return Walk(fspaths, mtimes, sizes, folders)


def inside(vault: Path | str, fspath: str) -> bool:
    """Does this path (which may be a symlink) lead to a file inside the vault?"""
    root = os.path.realpath(vault).rstrip(os.sep) + os.sep
    return os.path.realpath(fspath).startswith(root)


def _utf8(rel: str) -> bool:
    if rel.isascii():
        return True
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def diff(files: Iterator[FileStat], known: Mapping[str, tuple[int, int]]) -> Diff:
    """Compare the walk with the index's (mtime_ns, size) per vault path."""
    changed: list[FileStat] = []
    present: set[str] = set()
    for f in files:
        if f.path in present:
            continue  # two on-disk names that normalise alike: the first wins
        present.add(f.path)
        if known.get(f.path) != (f.mtime_ns, f.size):
            changed.append(f)
    removed = [p for p in known if p not in present]
    return Diff(changed, removed, len(present))

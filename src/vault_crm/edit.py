"""Writing files safely: atomic replace, line endings and BOM kept, generated regions.

Every writer in the tool goes through here, so the rules in SPEC §5 hold in one place.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vault_crm.errors import WriteRefusedError

BOM = b"\xef\xbb\xbf"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def check_inside(vault: Path, path: Path, what: str) -> None:
    """Refuse to write `path` unless it lies inside the vault once every symlink on the way
    is followed (a symlinked folder, or a note that is a link, may lead anywhere)."""
    root = vault.resolve()
    probe = path
    while not probe.is_symlink() and not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the nearest part of the path that exists
    real = probe.resolve() / path.relative_to(probe)
    if real != root and root not in real.parents:
        raise WriteRefusedError(f"{what} leads outside the vault; nothing was written")


def _read_existing(path: Path, shown: str) -> bytes | None:
    try:
        return read_bytes(path)
    except OSError as exc:
        raise WriteRefusedError(f"cannot read it ({exc.strerror})", shown) from None


def write_atomic(
    path: Path,
    data: bytes,
    *,
    expected: str | None = None,
    shown: str = "",
    sync_dir: bool = True,
) -> bool:
    """Replace `path` with `data` atomically (temp file in the same folder, fsync, rename).
    `expected` is the sha256 of the content the caller read: if the file changed since, it
    is left alone. Returns False when the content was already identical (nothing written,
    mtime untouched). A write the system refuses (disk full, read-only, no permission, a
    folder in the way) is a one-line error; the file keeps its old bytes and no temporary
    file is left behind. A caller writing many files into one folder passes sync_dir=False
    and calls `sync_folder` once at the end."""
    shown = shown or str(path)
    try:
        return _write_atomic(path, data, expected, shown, sync_dir)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise WriteRefusedError(f"cannot write it ({reason}); it was not changed", shown) from None


# Temporary files are named `.<note>.<random>.tmp` (`.<note>.<number>.tmp` from the batch
# writer) and locked while being written, so a later run can tell a write that was killed
# (unlocked) from one still going on.


def _lock(fd: int, *, wait: bool) -> None:
    """An exclusive flock on fd (OSError when taken and not waiting); a no-op where the
    system has no flock, where stale temporary files are then never removed."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        if not wait:
            raise OSError("no flock here") from None
        return
    fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))


def remove_stale_temp(path: str) -> bool:
    """Remove a temporary file a killed write left behind; False when it is in use."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        _lock(fd, wait=False)
    except OSError:
        os.close(fd)
        return False  # a write in progress
    try:
        Path(path).unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _write_atomic(
    path: Path, data: bytes, expected: str | None, shown: str, sync_dir: bool
) -> bool:
    current = read_bytes(path)
    if expected is not None and (current is None or digest(current) != expected):
        raise WriteRefusedError("changed on disk while it was being edited; try again", shown)
    if current == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if current is not None else None
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        _lock(fd, wait=True)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode if mode is not None else 0o666 & ~_umask())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if sync_dir:
        _fsync_dir(path.parent)
    return True


def sync_folder(folder: Path) -> None:
    """Make the renames into `folder` durable (see write_atomic's sync_dir)."""
    _fsync_dir(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, harmless to skip.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class TextStyle:
    """How an existing file is written: kept on every rewrite."""

    bom: bool = False
    newline: str = "\n"

    @classmethod
    def of(cls, data: bytes | None) -> TextStyle:
        if not data:
            return cls()
        return cls(bom=data.startswith(BOM), newline="\r\n" if b"\r\n" in data else "\n")

    def encode(self, text: str) -> bytes:
        text = text.replace("\r\n", "\n")
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return (BOM if self.bom else b"") + text.encode("utf-8")

    def decode(self, data: bytes) -> str:
        if data.startswith(BOM):
            data = data[len(BOM) :]
        return data.decode("utf-8").replace("\r\n", "\n")


def region_pattern(name: str) -> re.Pattern[str]:
    n = re.escape(name)
    return re.compile(rf"<!--\s*vault:begin\s+{n}\s*-->.*?<!--\s*vault:end\s+{n}\s*-->", re.DOTALL)


def merge_generated(existing: str | None, rendered: str, name: str, shown: str) -> str:
    """The new text of a generated note: the rendered region replaces the old region; all
    text outside the markers is kept. A file without the markers is someone else's note:
    refused."""
    pattern = region_pattern(name)
    new_region = pattern.search(rendered)
    if new_region is None:
        raise WriteRefusedError(f"the template has no <!-- vault:begin {name} --> region", shown)
    if existing is None:
        return rendered
    if pattern.search(existing) is None:
        raise WriteRefusedError(
            f"exists and has no <!-- vault:begin {name} --> / <!-- vault:end {name} --> "
            "markers, so it is not a note vault-crm generated; move it away or add the "
            "markers where the generated part should go",
            shown,
        )
    return pattern.sub(lambda _m: new_region.group(0), existing, count=1)


def write_generated(path: Path, rendered: str, name: str, shown: str) -> bool:
    """Write a generated note per SPEC §5. Returns True when the file changed."""
    data = _read_existing(path, shown)
    style = TextStyle.of(data)
    try:
        existing = style.decode(data) if data is not None else None
    except UnicodeDecodeError:
        raise WriteRefusedError("is not valid UTF-8; not rewriting it", shown) from None
    text = merge_generated(existing, rendered, name, shown)
    return write_atomic(
        path, style.encode(text), expected=digest(data) if data is not None else None, shown=shown
    )


# --- surgical front-matter edits ------------------------------------------------------

_TOP_KEY = re.compile(r"^([^\s#:\-][^:]*?|-[^\s:][^:]*?)\s*:(?:\s|$)")
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")


def _split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def set_property(text: str, key: str, value: str | None, shown: str) -> str:
    """Set (or with value None remove) one top-level front-matter key, changing only the
    lines of that key: every other byte stays as it was. `value` is already YAML text.
    A note without front-matter gets one; a front-matter that does not parse, or an edit
    that would change anything but this key, is refused."""
    from vault_crm.notes import load_yaml

    nl = _newline_of(text)
    lines = _split_lines(text)
    new_line = f"{key}: {value}{nl}" if value is not None else None
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        if new_line is None:
            return text
        return f"---{nl}{new_line}---{nl}" + text
    close = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i].rstrip("\r\n"))), None)
    if close is None:
        raise WriteRefusedError("its front-matter has no closing ---; not editing it", shown)
    before = _load_mapping(load_yaml, lines[1:close], shown)
    start = next(
        (
            i
            for i in range(1, close)
            if (m := _TOP_KEY.match(lines[i])) and m.group(1).strip().strip("\"'") == key
        ),
        None,
    )
    if start is None:
        if new_line is None:
            return text
        # Append as the last property; make sure the line before it ends with a newline.
        if close > 1 and not lines[close - 1].endswith("\n"):
            lines[close - 1] += nl
        lines.insert(close, new_line)
    else:
        end = start + 1
        while end < close and _continues(lines[end]):
            end += 1
        lines[start:end] = [new_line] if new_line is not None else []
    result = "".join(lines)
    new_close = next(i for i in range(1, len(lines)) if _CLOSE.match(lines[i].rstrip("\r\n")))
    after = _load_mapping(load_yaml, lines[1:new_close], shown)
    expected = {k: v for k, v in before.items() if k != key}
    if {k: v for k, v in after.items() if k != key} != expected or (
        value is not None and key not in after
    ):
        raise WriteRefusedError(
            f"editing '{key}' would change other properties; not editing", shown
        )
    return result


def _continues(line: str) -> bool:
    """Does this front-matter line belong to the value of the key above it?"""
    if not line.strip():
        return True
    return line[0] in " \t" or line.startswith("- ") or line.rstrip("\r\n") == "-"


def _load_mapping(load_yaml: Any, lines: list[str], shown: str) -> dict[str, Any]:
    import yaml

    try:
        data = load_yaml("".join(lines).replace("\r\n", "\n")) if lines else {}
    except yaml.YAMLError:
        raise WriteRefusedError(
            "its front-matter is not valid YAML; fix it first (`vault check` shows where)", shown
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WriteRefusedError("its front-matter is not a mapping; not editing it", shown)
    return {str(k): v for k, v in data.items()}


def edit_property(path: Path, key: str, value: str | None, shown: str) -> bool:
    """Set or remove one property of the note at `path`, atomically, keeping its BOM and
    line endings. Returns True when the file changed."""
    data = _read_existing(path, shown)
    if data is None:
        raise WriteRefusedError("does not exist", shown)
    bom = data.startswith(BOM)
    try:
        text = data[len(BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        raise WriteRefusedError("is not valid UTF-8; not editing it", shown) from None
    new = set_property(text, key, value, shown)
    out = (BOM if bom else b"") + new.encode("utf-8")
    return write_atomic(path, out, expected=digest(data), shown=shown)


def edit_properties(path: Path, values: dict[str, str], shown: str) -> bool:
    """Set several properties of the note at `path` in one atomic write (each value
    already YAML text), with the same guarantees as `edit_property`."""
    data = read_bytes(path)
    if data is None:
        raise WriteRefusedError("does not exist", shown)
    bom = data.startswith(BOM)
    try:
        text = data[len(BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        raise WriteRefusedError("is not valid UTF-8; not editing it", shown) from None
    for key, value in values.items():
        text = set_property(text, key, value, shown)
    out = (BOM if bom else b"") + text.encode("utf-8")
    return write_atomic(path, out, expected=digest(data), shown=shown)


# --- writing new notes ----------------------------------------------------------------

# File systems allow 255 bytes per name; the temporary file of a write adds 17 to it.
MAX_NAME_BYTES = 200
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|#^\[\]]')


_CONTROL = re.compile(r"[\x00-\x1f]")  # a control character


def check_note_name(name: str) -> str:
    """A new note's title, or an error naming what is wrong with it (SPEC §5)."""
    cleaned = name.strip()
    if not cleaned:
        raise WriteRefusedError("a note needs a name")
    if cleaned.startswith("."):
        raise WriteRefusedError(f"'{cleaned}': a note name cannot start with a dot")
    if ".." in cleaned:
        raise WriteRefusedError(f"'{cleaned}': a note name cannot contain '..'")
    bad = sorted(set(_UNSAFE_NAME.findall(cleaned)))
    if bad:
        raise WriteRefusedError(
            f"'{cleaned}': Obsidian does not allow {' '.join(bad)} in note names"
        )
    if _CONTROL.search(cleaned):
        raise WriteRefusedError(f"'{cleaned}': a note name cannot contain control characters")
    try:
        size = len(cleaned.encode("utf-8"))
    except UnicodeEncodeError:
        raise WriteRefusedError("a note name must be valid UTF-8") from None
    if size > MAX_NAME_BYTES:
        raise WriteRefusedError(
            f"'{cleaned[:40]}…': a note name can be at most {MAX_NAME_BYTES} bytes"
            f" (this one is {size})"
        )
    return cleaned


def _make_folder(folder: Path, shown_folder: str) -> Path:
    """Create `folder` if needed (a one-line error when the system refuses); its real path."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteRefusedError(
            f"cannot create the folder ({exc.strerror})", shown_folder
        ) from None
    return folder.resolve()


def create_note(
    folder: Path,
    title: str,
    text: str,
    shown_folder: str,
    *,
    sync_dir: bool = True,
    vault: Path | None = None,
    what: str = "the folder",
) -> Path:
    """Write a new note `<folder>/<title>.md`; never overwrites, never lands elsewhere."""
    title = check_note_name(title)
    path = folder / f"{title}.md"
    if vault is not None:
        check_inside(vault, path, what)
    real = _make_folder(folder, shown_folder)
    if path.resolve().parent != real:
        raise WriteRefusedError(f"'{title}' would land outside {shown_folder}/")
    if path.exists():
        raise WriteRefusedError("already exists", f"{shown_folder}/{title}.md")
    write_atomic(path, text.encode("utf-8"), shown=f"{shown_folder}/{title}.md", sync_dir=sync_dir)
    return path


class NewNotes:
    """Many new notes written together, with the guarantees of `create_note` (never
    overwrites, never lands elsewhere, a crash leaves each note absent or whole) at a
    fraction of its cost: each note is written to a file of its own in its folder without
    a sync of its own; every `BATCH` notes (and at `finish`) one system call flushes them
    all to disk, then each is put in place under its name (refused if the name was taken
    meanwhile) and each folder is synced once. A note is only counted as created once it
    is in place; a note refused at any step leaves no file behind (but for a temporary
    file in a folder moved away meanwhile). A folder moved or replaced (a link elsewhere)
    between its first note and the batch's flush gets none of the batch's notes: they are
    refused, never put where the folder went nor where its name now leads.

    Where the system allows it (Linux, on most file systems) that file has no name until
    it is put in place (O_TMPFILE): a kill leaves nothing of a note not yet in place.
    Elsewhere it is a locked temporary file `.<note>.<number>.tmp`, decided once per
    folder.

    Use as a context manager: leaving it puts the queued notes in place; leaving it on an
    error or Ctrl-C drops the notes not yet in place and removes their temporary files
    (a kill leaves them unlocked, for the next run to remove)."""

    def __init__(
        self,
        *,
        on_created: Callable[[str], None] | None = None,
        on_refused: Callable[[WriteRefusedError], None] | None = None,
    ) -> None:
        # fd, temporary file (None: a file without a name), folder's fd, name, shown, key,
        # folder
        self._pending: list[tuple[int, str | None, int, str, str, str, Path]] = []
        self._names: set[str] = set()  # notes pending, so one name is written once
        self._folders: dict[Path, Path] = {}  # folder written to → its real path
        self._dirs: dict[Path, str] = {}  # folder written to → as a string, to join names to
        self._devices: dict[Path, int] = {}  # folder written to → its file system
        # folder written to → (device, inode) when first written to: a folder moved or
        # replaced (by a link elsewhere) meanwhile is no longer where its notes belong.
        self._identity: dict[Path, tuple[int, int]] = {}
        self._flush_fds: dict[int, int] = {}  # file system → a pending note's fd on it
        # folder written to → its open descriptor, while its notes are files without a name
        self._unnamed: dict[Path, int] = {}
        self._retired: list[int] = []  # folders' descriptors no longer used for new notes
        self._mode_checked: set[Path] = set()  # folders whose first such file's mode is seen
        self._set_mode: set[Path] = set()  # folders where the mode must be set on each note
        self._mode = 0o666 & ~_umask()
        self._batch = _batch_size()
        self.on_created = on_created or (lambda _key: None)
        # The last created note's stat, taken before it was put in place (for on_created).
        self.placed: os.stat_result | None = None
        self.on_refused = on_refused or (lambda _exc: None)

    def __enter__(self) -> NewNotes:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self._drop()  # the notes not yet in place; those already are stay
        self.finish()

    def add(
        self,
        folder: Path,
        title: str,
        text: str,
        shown_folder: str,
        *,
        key: str,
        vault: Path | None = None,
        what: str = "the folder",
    ) -> None:
        """Queue the note `<folder>/<title>.md` (the checks of `create_note` are made now;
        a WriteRefusedError means nothing was written). `key` is what `on_created` gets."""
        title = check_note_name(title)  # one plain name: the note lies directly in folder
        name = f"{title}.md"
        shown = f"{shown_folder}/{name}"
        real = self._folders.get(folder)
        if real is None:  # the folder's checks, once per folder
            if vault is not None:
                check_inside(vault, folder, what)
            real = self._folders[folder] = _make_folder(folder, shown_folder)
            self._dirs[folder] = os.fspath(folder)
            st = real.stat()
            self._devices[folder] = st.st_dev
            self._identity[folder] = (st.st_dev, st.st_ino)
            if _unnamed_ok():  # files without a name here, until this file system refuses
                with contextlib.suppress(OSError):  # (no descriptor: temporary files)
                    self._unnamed[folder] = os.open(folder, _DIR_FLAGS)
        path = os.path.join(self._dirs[folder], name)  # noqa: PTH118 (a str: cheaper)
        if path in self._names:
            raise WriteRefusedError("already exists", shown)
        found = _lstat(path)  # one system call for the usual case: the name is free
        if found is not None:
            if not stat.S_ISLNK(found.st_mode):
                raise WriteRefusedError("already exists", shown)
            # A note that is a link may lead anywhere: the refusal names the note.
            if vault is not None:
                check_inside(vault, Path(path), shown)
            if Path(path).resolve().parent != real:
                raise WriteRefusedError(f"'{title}' would land outside {shown_folder}/")
            if os.path.exists(path):  # noqa: PTH110
                raise WriteRefusedError("already exists", shown)
        try:
            fd, tmp = self._new_file(folder, name)
        except OSError as exc:
            raise WriteRefusedError(f"cannot write it ({exc.strerror})", shown) from None
        try:
            if tmp is None:
                self._give_mode(folder, fd)
            else:
                _lock(fd, wait=True)
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            if tmp is not None:
                _chmod(fd, tmp, self._mode)
        except BaseException as exc:
            os.close(fd)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)  # noqa: PTH108
            if isinstance(exc, OSError):
                reason = exc.strerror or type(exc).__name__
                raise WriteRefusedError(f"cannot write it ({reason})", shown) from None
            raise
        dir_fd = self._unnamed[folder] if tmp is None else -1
        where = path if tmp is not None else name
        self._pending.append((fd, tmp, dir_fd, where, shown, key, folder))
        self._names.add(path)
        self._flush_fds.setdefault(self._devices[folder], fd)
        if len(self._pending) >= self._batch:
            self.flush()

    def _new_file(self, folder: Path, name: str) -> tuple[int, str | None]:
        """The open file the note `name` in `folder` is written to, and the name of its
        temporary file (None for a file without a name)."""
        dir_fd = self._unnamed.get(folder)
        if dir_fd is not None:
            try:
                fd = _create_unnamed(dir_fd)
            except OSError as exc:
                if exc.errno not in _NO_UNNAMED:
                    raise
                # This file system has no files without a name: temporary files from now on.
                # The folder's descriptor stays open for the notes already queued with it.
                self._retired.append(self._unnamed.pop(folder))
            else:
                return fd, None
        return _create_temp(self._dirs[folder], name)

    def _give_mode(self, folder: Path, fd: int) -> None:
        """Give the file without a name `fd` the mode of a single write's note. The system
        applied the umask when creating it, as that chmod does, unless the folder's default
        ACL decided otherwise: the first file of each folder tells."""
        if folder not in self._mode_checked:
            if stat.S_IMODE(os.fstat(fd).st_mode) != self._mode:
                self._set_mode.add(folder)
            self._mode_checked.add(folder)
        if folder in self._set_mode:
            os.fchmod(fd, self._mode)

    def flush(self) -> None:
        """Put every queued note in place: one flush to disk, then the renames."""
        pending, self._pending = self._pending, []
        self._names.clear()
        flush_fds, self._flush_fds = list(self._flush_fds.values()), {}
        if not pending:
            return
        synced = _sync_all(flush_fds)
        # A folder moved or replaced since its first note (by the user, a sync tool) is no
        # longer where these notes belong: they are refused rather than put in the folder
        # as it is now (perhaps a link leading elsewhere) or where it went.
        moved = {f for f in {p[6] for p in pending} if not self._still_there(f)}
        try:
            while pending:
                fd, tmp, dir_fd, where, shown, key, folder = pending[0]
                try:
                    if folder in moved:
                        raise WriteRefusedError(
                            "its folder was moved or replaced while the notes were written",
                            shown,
                        )
                    if not synced:
                        os.fsync(fd)
                    # The note as it is put in place (a link keeps its time and size): an
                    # edit made just after is then seen as a change, never taken for this.
                    self.placed = os.fstat(fd)
                    if tmp is None:
                        done = _place_unnamed(fd, dir_fd, where)
                    else:
                        done = _place_new(tmp, where)
                    if not done:
                        raise WriteRefusedError("already exists", shown)
                except (OSError, WriteRefusedError) as exc:
                    if tmp is not None:
                        with contextlib.suppress(OSError):
                            os.unlink(tmp)  # noqa: PTH108
                    if isinstance(exc, OSError):
                        reason = exc.strerror or type(exc).__name__
                        exc = WriteRefusedError(f"cannot write it ({reason})", shown)
                    self.on_refused(exc)
                else:
                    self.on_created(key)
                finally:
                    os.close(fd)
                    pending.pop(0)
        finally:
            self._pending[:0] = pending
            self._drop()

    def _still_there(self, folder: Path) -> bool:
        """Whether `folder` still leads to the folder its first note was written to."""
        try:
            st = os.stat(self._dirs[folder])  # noqa: PTH116 (a str: cheaper)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity[folder]

    def finish(self) -> None:
        """Flush what is queued, then make the renames durable (one sync per folder)."""
        try:
            self.flush()
        finally:
            for folder in sorted(self._folders):
                dir_fd = self._unnamed.pop(folder, None)
                if dir_fd is None:
                    _fsync_dir(folder)
                    continue
                with contextlib.suppress(OSError):
                    os.fsync(dir_fd)
                os.close(dir_fd)
            for dir_fd in self._retired:
                os.close(dir_fd)
            self._retired.clear()
            self._folders.clear()
            self._mode_checked.clear()
            self._set_mode.clear()
            self._dirs.clear()
            self._devices.clear()
            self._identity.clear()

    def _drop(self) -> None:
        pending, self._pending = self._pending, []
        self._names.clear()
        self._flush_fds.clear()
        for fd, tmp, _dir_fd, _where, _shown, _key, _folder in pending:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)  # noqa: PTH108
            os.close(fd)  # a file without a name is gone with it


def _lstat(path: str | Path) -> os.stat_result | None:
    """The path's own status (a link's, not its target's), or None when nothing is there
    (as `Path.exists` and `Path.is_symlink` would say)."""
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _chmod(fd: int, path: str | Path, mode: int) -> None:
    """Set the mode of the open file `fd` (at `path`), through the descriptor where the
    system allows it."""
    fchmod = getattr(os, "fchmod", None)
    if fchmod is None:  # pragma: no cover - Windows before Python 3.13
        Path(path).chmod(mode)
    else:
        fchmod(fd, mode)


def _batch_size() -> int:
    """How many temporary files a batch holds open (and locked) at once: a quarter of the
    open-file limit (256 under Linux's usual 1,024; 64 under macOS's 256)."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # pragma: no cover - Windows
        return 64
    if soft == resource.RLIM_INFINITY:
        return 512
    return max(8, min(512, soft // 4))


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TEMP_FLAGS |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _place_new(tmp: str, path: str) -> bool:
    """Put the temporary file `tmp` in place as the new note `path`, never over a note
    that is there (False then: one the user made meanwhile is left as it is). A hard link
    refuses an existing name in the same step that makes it; where the file system has no
    hard links, the name is checked first, then the file renamed."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.exists(path):  # noqa: PTH110
            return False
        os.replace(tmp, path)  # noqa: PTH105
        return True
    os.unlink(tmp)  # noqa: PTH108
    return True


# A file without a name (Linux's O_TMPFILE), in a folder opened once, is given its name
# through /proc/self/fd: linkat following that link, which refuses a name already taken.
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_UNNAMED_FLAGS = getattr(os, "O_TMPFILE", 0) | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
# What a system or file system without such files answers.
_NO_UNNAMED = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL}


@functools.cache
def _unnamed_ok() -> bool:
    """Whether new notes may be files without a name until put in place (Linux, /proc)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "O_TMPFILE")
        and os.path.isdir("/proc/self/fd")  # noqa: PTH112
    )


def _create_unnamed(dir_fd: int) -> int:
    """A new file without a name in the folder open as `dir_fd`, open for writing, with
    the mode a new file gets (0o666 less the umask, as the system applies it)."""
    return os.open(".", _UNNAMED_FLAGS, 0o666, dir_fd=dir_fd)


def _place_unnamed(fd: int, dir_fd: int, name: str) -> bool:
    """Give the file without a name `fd` the name `name` in the folder `dir_fd`, never
    over a note that is there (False then). Passing the folder's descriptor makes this a
    linkat that follows the /proc link to the file (a plain link would not)."""
    try:
        os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dir_fd, follow_symlinks=True)
    except FileExistsError:
        return False
    return True


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """Create the temporary file for the note `name` in `folder`, open for writing only by
    this owner: `.<name>.0.tmp`, or the next free number when that name is taken (a write
    going on in another process, or one a kill left behind). Its descriptor and path."""
    for n in range(10_000):
        tmp = os.path.join(folder, f".{name}.{n}.tmp")  # noqa: PTH118
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name")


def _sync_all(fds: list[int]) -> bool:
    """Flush every written file of the file systems holding these open files to disk, one
    call per file system (Linux's syncfs; elsewhere one sync for every file system). False
    where there is no such call, and each file is then synced on its own."""
    if all(_syncfs(fd) for fd in fds):
        return True
    sync = getattr(os, "sync", None)
    if sync is None:  # pragma: no cover - Windows
        return False
    sync()
    return True


@functools.cache
def _libc_syncfs() -> Callable[[int], int] | None:
    """The C library's syncfs, where there is one (Linux)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - other systems
        return None
    try:
        import ctypes

        fn: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # pragma: no cover - a C library without it
        return None
    return fn


def _syncfs(fd: int) -> bool:
    """Flush the file system holding `fd` to disk: False when that is not possible here."""
    syncfs = _libc_syncfs()
    return syncfs is not None and syncfs(fd) == 0


# --- YAML that Obsidian writes --------------------------------------------------------

_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#]*(?<!\s)$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+]?[0-9][0-9_.:eE+-]*|[-+]?0[xXoObB][0-9a-fA-F_]+"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<)$"
)


def yaml_scalar(value: object) -> str:
    """One value as YAML text that reads back as the same value, in any YAML 1.1 or 1.2
    reader: plain where that is unambiguous, double-quoted otherwise."""
    import datetime as dt

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _PLAIN.match(text) and not _RESERVED.match(text) and "\n" not in text:
        return text
    return _json_text()(text)


@functools.cache
def _json_text() -> Callable[[str], str]:
    """json.dumps(text, ensure_ascii=False), with its encoder made once rather than on
    every call (an import quotes thousands of values)."""
    import json

    encode: Callable[[str], str] = json.JSONEncoder(ensure_ascii=False).encode
    return encode


def yaml_frontmatter(props: dict[str, object]) -> str:
    """A front-matter block as Obsidian writes it: lists as indented `- item` lines."""
    out = ["---"]
    for key, value in props.items():
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, list | tuple):
            out.append(f"{key}:")
            out.extend(f"  - {yaml_scalar(v)}" for v in value)
        elif isinstance(value, dict):
            out.append(f"{key}:")
            out.extend(f"  {yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in value.items())
        else:
            out.append(f"{key}: {yaml_scalar(value)}")
    out.append("---")
    return "\n".join(out) + "\n"

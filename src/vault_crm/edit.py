"""Writing files safely: atomic replace, line endings and BOM kept, generated regions.

Every writer in the tool goes through here, so the rules in SPEC §5 hold in one place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from vault_crm.errors import WriteRefusedError

BOM = b"\xef\xbb\xbf"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write_atomic(path: Path, data: bytes, *, expected: str | None = None, shown: str = "") -> bool:
    """Replace `path` with `data` atomically (temp file in the same folder, fsync, rename).
    `expected` is the sha256 of the content the caller read: if the file changed since, it
    is left alone. Returns False when the content was already identical (nothing written,
    mtime untouched)."""
    shown = shown or str(path)
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
    _fsync_dir(path.parent)
    return True


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
    data = read_bytes(path)
    style = TextStyle.of(data)
    try:
        existing = style.decode(data) if data is not None else None
    except UnicodeDecodeError:
        raise WriteRefusedError("is not valid UTF-8; not rewriting it", shown) from None
    text = merge_generated(existing, rendered, name, shown)
    return write_atomic(
        path, style.encode(text), expected=digest(data) if data is not None else None, shown=shown
    )

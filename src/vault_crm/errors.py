"""Domain errors. The CLI maps every VaultError to exit code 1 and one line on stderr."""

from __future__ import annotations


class VaultError(Exception):
    """An error the user can fix. `str()` is the one line shown to them."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ConfigError(VaultError):
    """`.vault/config.toml` is unreadable, or a key is unknown or of the wrong type."""


class IndexUnavailable(VaultError):
    """The index cannot be used (e.g. this Python's SQLite lacks FTS5)."""


class QueryError(VaultError):
    """The index refused a search expression; the message is its reason."""


class NotFoundError(VaultError):
    """A NOTE or PERSON argument matches nothing, or more than one thing."""


class WriteRefusedError(VaultError):
    """The tool refuses to write a file (unsafe name, foreign file, changed underneath)."""

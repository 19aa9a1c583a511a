"""Settings from `<vault>/.vault/config.toml`. Passed around explicitly; never a global."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vault_crm.errors import ConfigError

CONFIG_DIR = ".vault"
CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class Settings:
    vault: Path
    people_folders: tuple[str, ...] = ("People",)
    conversation_folders: tuple[str, ...] = ("Conversations", "Meetings")
    interaction_types: tuple[str, ...] = ("conversation", "meeting", "call", "interaction")
    participant_properties: tuple[str, ...] = ("with", "people", "attendees")
    templates_folder: str = "Templates"
    ignore: tuple[str, ...] = ()
    default_cadence: str = "none"
    daily_notes_count: bool = True
    due_limit: int = 15
    dates_window: str = "14d"
    reconnect_note: str = "Reconnect.md"
    report_note: str = "Network report.md"
    cadence_tags: dict[str, str] = field(default_factory=dict)
    people_tags: tuple[str, ...] = ("person", "people")
    my_emails: tuple[str, ...] = ()
    calendars: tuple[str, ...] = ()
    calendar_folder: str = "Meetings"
    calendar_horizon: str = "30d"
    calendar_export: str = ""

    def fingerprint(self) -> str:
        """A hash of everything that changes how a note is read: a different value means the
        index must be rebuilt (kinds, participants and generated-note paths depend on it)."""
        data = asdict(self)
        data.pop("vault")
        for key in _CALENDAR_KEYS:  # read by calendar imports only, never by the index
            data.pop(key)
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


# key -> (expected python type(s), description for errors)
_LIST_KEYS = {
    "people_folders",
    "conversation_folders",
    "interaction_types",
    "participant_properties",
    "ignore",
    "people_tags",
    "my_emails",
    "calendars",
}
_STR_KEYS = {
    "templates_folder",
    "default_cadence",
    "dates_window",
    "reconnect_note",
    "report_note",
    "calendar_folder",
    "calendar_horizon",
    "calendar_export",
}
_CALENDAR_KEYS = (
    "my_emails",
    "calendars",
    "calendar_folder",
    "calendar_horizon",
    "calendar_export",
)
_BOOL_KEYS = {"daily_notes_count"}
_INT_KEYS = {"due_limit"}
_TABLE_KEYS = {"cadence"}

DEFAULT_CONFIG_TEXT = """\
# vault-crm settings for this vault. Every key is optional; the values below are the defaults.
# Docs: https://pypi.org/project/vault-crm/ (README, "Configuration").

# Folders whose notes are people (besides notes with `type: person`).
people_folders = ["People"]

# Notes whose `tags` hold one of these are people too.
people_tags = ["person", "people"]

# Folders whose notes are conversations (besides notes whose `type` is an interaction type).
conversation_folders = ["Conversations", "Meetings"]
interaction_types = ["conversation", "meeting", "call", "interaction"]

# Front-matter properties that list who took part in a conversation.
participant_properties = ["with", "people", "attendees"]

# Notes here are searchable but never people or conversations.
# Default: the folder named in .obsidian/templates.json, else "Templates".
# templates_folder = "Templates"

# Globs (relative to the vault root) of notes to leave out entirely.
ignore = []

# How often to reconnect with a person who has no `cadence` and no tag cadence.
default_cadence = "none"

# A daily note (titled YYYY-MM-DD) that links a person counts as contact that day.
daily_notes_count = true

# How many people `vault due` lists before saying "and N more".
due_limit = 15

# How far ahead birthdays and other dates are shown.
dates_window = "14d"

# Where `vault due` and `vault report` write their notes ("{date}" allowed).
reconnect_note = "Reconnect.md"
report_note = "Network report.md"

# Your own e-mail addresses: never a participant in an imported meeting.
my_emails = []

# Calendars (.ics files, folders of them, globs; ~ allowed) that `vault watch` imports,
# e.g. ["~/Downloads/calendar.ics", "~/.calendars/work/"] (a folder vdirsyncer keeps).
calendars = []

# Where imported meetings are written, and how far ahead booked meetings are imported.
calendar_folder = "Meetings"
calendar_horizon = "30d"

# An .ics file `vault watch` keeps current with reconnect dates and birthdays, for a
# calendar app to subscribe to, e.g. "~/Sync/vault.ics". Empty: none.
calendar_export = ""

# Cadence for people without their own `cadence`, by tag (the shortest matching one wins).
[cadence.tags]
# family = "2w"
# mentor = "monthly"
"""


def config_path(vault: Path) -> Path:
    return vault / CONFIG_DIR / CONFIG_FILE


def _obsidian_templates_folder(vault: Path) -> str | None:
    """The folder Obsidian's core Templates plugin uses, if configured."""
    path = vault / ".obsidian" / "templates.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = data.get("folder") if isinstance(data, dict) else None
    if isinstance(folder, str) and folder.strip("/ "):
        return folder.strip("/ ")
    return None


def load_settings(vault: Path) -> Settings:
    """Read the vault's config. A missing file means all defaults."""
    path = config_path(vault)
    shown = f"{CONFIG_DIR}/{CONFIG_FILE}"
    raw: dict[str, Any] = {}
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise ConfigError("is not a file", shown)
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", shown) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read: {exc}", shown) from None

    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"'{key}' must be a list of strings", shown)
            cleaned = tuple(v.strip().strip("/") if key.endswith("folders") else v for v in value)
            values[key] = cleaned
        elif key in _STR_KEYS:
            if not isinstance(value, str):
                raise ConfigError(f"'{key}' must be a string", shown)
            folder = key in ("templates_folder", "calendar_folder")
            values[key] = value.strip("/ ") if folder else value
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"'{key}' must be true or false", shown)
            values[key] = value
        elif key in _INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"'{key}' must be a whole number of at least 1", shown)
            values[key] = value
        elif key in _TABLE_KEYS:
            values["cadence_tags"] = _cadence_table(value, shown)
        else:
            raise ConfigError(f"unknown key '{key}'", shown)

    if "templates_folder" not in values:
        values["templates_folder"] = _obsidian_templates_folder(vault) or "Templates"

    settings = Settings(vault=vault, **values)
    _validate_durations(settings, shown)
    return settings


def _cadence_table(value: Any, shown: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError("'cadence' must be a table with a [cadence.tags] section", shown)
    result: dict[str, str] = {}
    for sub, inner in value.items():
        if sub != "tags":
            raise ConfigError(f"unknown key 'cadence.{sub}'", shown)
        if not isinstance(inner, dict):
            raise ConfigError("'cadence.tags' must be a table of tag = cadence", shown)
        for tag, cadence in inner.items():
            if not isinstance(cadence, str | int) or isinstance(cadence, bool):
                raise ConfigError(f"'cadence.tags.{tag}' must be a cadence such as \"2w\"", shown)
            result[str(tag).lstrip("#").casefold()] = str(cadence)
    return result


def _validate_durations(settings: Settings, shown: str) -> None:
    # Imported here so this module stays importable on its own for `vault init`.
    from vault_crm.dates import parse_cadence, parse_duration

    checks: list[tuple[str, str]] = [("default_cadence", settings.default_cadence)]
    checks += [(f"cadence.tags.{t}", c) for t, c in settings.cadence_tags.items()]
    for key, text in checks:
        try:
            parse_cadence(text)
        except ValueError as exc:
            raise ConfigError(f"'{key}': {exc}", shown) from None
    for key in ("dates_window", "calendar_horizon"):
        try:
            parse_duration(getattr(settings, key))
        except ValueError as exc:
            raise ConfigError(f"'{key}': {exc}", shown) from None
    folder = settings.calendar_folder
    if not folder or folder.startswith(".") or ".." in folder.split("/"):
        raise ConfigError("'calendar_folder' must be a folder inside the vault", shown)
    for key in ("reconnect_note", "report_note"):
        note = getattr(settings, key)
        if not note.endswith(".md") or note.startswith(("/", ".")) or _leaves_vault(note):
            raise ConfigError(
                f"'{key}' must be a vault path ending in .md, inside the vault", shown
            )
    folders = [("templates_folder", settings.templates_folder)]
    folders += [("people_folders", f) for f in settings.people_folders]
    folders += [("conversation_folders", f) for f in settings.conversation_folders]
    for key, folder in folders:
        if _leaves_vault(folder):
            raise ConfigError(f"'{key}': '{folder}' is not a folder inside the vault", shown)


def _leaves_vault(path: str) -> bool:
    """Would this vault path lead out of the vault (absolute, `..`), or is it no name at
    all (a NUL or another control character)?"""
    parts = path.replace("\\", "/").split("/")
    return (
        path.startswith(("/", "~"))
        or (len(path) > 1 and path[1] == ":")
        or ".." in parts
        or any(ord(c) < 32 for c in path)
    )


def init_vault(vault: Path, settings_text: str = DEFAULT_CONFIG_TEXT) -> list[str]:
    """Create `.vault/config.toml` and the default folders. Never overwrites; returns what
    it created (vault paths), empty when everything already existed."""
    created: list[str] = []
    vault.mkdir(parents=True, exist_ok=True)
    cfg = config_path(vault)
    if not cfg.exists():
        cfg.parent.mkdir(exist_ok=True)
        # 'x' mode: never clobber a config that appeared meanwhile.
        with cfg.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(settings_text)
        created.append(f"{CONFIG_DIR}/{CONFIG_FILE}")
    settings = load_settings(vault)
    for folder in (*settings.people_folders, settings.conversation_folders[0]):
        target = vault / folder
        if not target.exists():
            target.mkdir(parents=True)
            created.append(folder + "/")
    return created

"""`.vault/config.toml` and `vault init`."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_crm.config import init_vault, load_settings
from vault_crm.errors import ConfigError


def write_config(vault: Path, text: str) -> None:
    (vault / ".vault").mkdir(parents=True, exist_ok=True)
    (vault / ".vault" / "config.toml").write_text(text, encoding="utf-8")


def test_defaults_without_a_config(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    assert s.people_folders == ("People",)
    assert s.conversation_folders == ("Conversations", "Meetings")
    assert s.participant_properties == ("with", "people", "attendees")
    assert s.due_limit == 15 and s.daily_notes_count is True
    assert s.reconnect_note == "Reconnect.md"


def test_values_and_tag_cadences_are_read(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'people_folders = ["Contacts"]\ndue_limit = 5\n[cadence.tags]\nFamily = "2w"\n',
    )
    s = load_settings(tmp_path)
    assert s.people_folders == ("Contacts",)
    assert s.due_limit == 5
    assert s.cadence_tags == {"family": "2w"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("colour = 'blue'\n", "unknown key 'colour'"),
        ("due_limit = 'ten'\n", "'due_limit'"),
        ("people_folders = 'People'\n", "'people_folders'"),
        ("daily_notes_count = 1\n", "'daily_notes_count'"),
        ("[cadence.tags]\nfamily = 'often'\n", "cadence.tags.family"),
        ("[cadence.people]\nx = 1\n", "cadence.people"),
        ("due_limit = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error_naming_the_key_and_file(
    tmp_path: Path, text: str, needle: str
) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert needle in str(err.value)
    assert ".vault/config.toml" in str(err.value)


def test_templates_folder_defaults_to_obsidians_setting(tmp_path: Path) -> None:
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / ".obsidian" / "templates.json").write_text('{"folder": "Meta/Templates"}')
    assert load_settings(tmp_path).templates_folder == "Meta/Templates"


def test_init_creates_config_and_folders_and_is_idempotent(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    created = init_vault(vault)
    assert ".vault/config.toml" in created and "People/" in created
    assert (vault / "People").is_dir() and (vault / "Conversations").is_dir()
    text = (vault / ".vault" / "config.toml").read_text()
    assert "people_folders" in text and text.count("#") > 5
    # the default config it writes is itself valid and means the defaults
    assert load_settings(vault).people_folders == ("People",)
    before = (vault / ".vault" / "config.toml").stat().st_mtime_ns
    assert init_vault(vault) == []
    assert (vault / ".vault" / "config.toml").stat().st_mtime_ns == before


def test_init_never_overwrites_a_users_config(tmp_path: Path) -> None:
    write_config(tmp_path, "due_limit = 3\n")
    init_vault(tmp_path)
    assert (tmp_path / ".vault" / "config.toml").read_text() == "due_limit = 3\n"


def test_calendar_keys(tmp_path: Path) -> None:
    from vault_crm.config import load_settings
    from vault_crm.errors import ConfigError

    cfg = tmp_path / ".vault" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text(
        'my_emails = ["me@x.org"]\ncalendars = ["~/cal/"]\ncalendar_folder = "Cal/"\n'
        'calendar_horizon = "2w"\ncalendar_export = "~/Public/v.ics"\n'
    )
    s = load_settings(tmp_path)
    assert (s.my_emails, s.calendars, s.calendar_folder) == (("me@x.org",), ("~/cal/",), "Cal")
    assert (s.calendar_horizon, s.calendar_export) == ("2w", "~/Public/v.ics")
    # Calendar keys do not change how notes are read: no index rebuild.
    assert s.fingerprint() == load_settings(tmp_path / "nowhere").fingerprint()
    for bad in ('calendar_horizon = "soon"', 'calendars = "x.ics"', 'calendar_folder = "../x"'):
        cfg.write_text(bad + "\n")
        with pytest.raises(ConfigError):
            load_settings(tmp_path)


@pytest.mark.parametrize("key", ["calendar_horizon", "dates_window"])
@pytest.mark.parametrize("value", ["soon", "never", "2x"])
def test_an_unreadable_duration_in_config_names_the_setting(
    tmp_path: Path, key: str, value: str
) -> None:
    from conftest import Vault

    write_config(tmp_path, f'{key} = "{value}"\n')
    result = Vault(tmp_path).run("import", "ics", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: .vault/config.toml: '{key}': unreadable duration '{value}' "
        "(use e.g. 7d, 2w, 3 months)\n"
    )
    assert "cadence" not in result.stderr

"""A hostile configuration or environment: nothing written or read outside the vault, a
private index, one-line errors instead of tracebacks, writes that fail leaving the note as
it was, and an index or temporary file in a bad state cleaned up by the next run."""

from __future__ import annotations

import fcntl
import os
import resource
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import forked
import pytest

from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index
from vault_crm.store import vault_cache_dir

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

ANA = """
---
type: person
cadence: 2w
last_contact: 2026-10-01
---
Ana.
"""


def one_line_error(result: object, *words: str) -> None:
    out = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, out  # type: ignore[attr-defined]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    for word in words:
        assert word in lines[0], lines
    assert "Traceback" not in out


def config(root: Path, text: str) -> None:
    (root / ".vault").mkdir(exist_ok=True)
    (root / ".vault/config.toml").write_text(text)


# --- nothing written outside the vault -------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "args", "key"),
    [
        ('people_folders = ["../outside"]', ["add", "Bob"], "people_folders"),
        ('people_folders = ["People/../../outside"]', ["add", "Bob"], "people_folders"),
        (
            'conversation_folders = ["../outside"]',
            ["log", "Ana", "-m", "hi"],
            "conversation_folders",
        ),
        ('templates_folder = "../outside"', ["people"], "templates_folder"),
        ('reconnect_note = "../outside/R.md"', ["due"], "reconnect_note"),
        ('reconnect_note = "R\\u0000.md"', ["due"], "reconnect_note"),
    ],
)
def test_a_config_path_leaving_the_vault_is_an_error_naming_the_key(
    make_vault: MakeVault, tmp_path: Path, setting: str, args: list[str], key: str
) -> None:
    root = make_vault({"People/Ana.md": ANA})
    config(root, setting + "\n")
    outside = tmp_path / "outside"
    one_line_error(Vault(root).run(*args), key, ".vault/config.toml")
    assert not outside.exists()


def test_init_with_a_config_leaving_the_vault_creates_nothing_outside(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    config(root, 'people_folders = ["../outside"]\n')
    one_line_error(Vault(root).run("init"), "people_folders")
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize(
    ("link", "setting", "args", "key"),
    [
        ("People", "", ["add", "Bob"], "people_folders"),
        (
            "Meetings",
            'conversation_folders = ["Meetings"]\n',
            ["log", "Ana", "-m", "hi"],
            "conversation_folders",
        ),
        ("Out", 'reconnect_note = "Out/Reconnect.md"\n', ["due"], "reconnect_note"),
    ],
)
def test_a_symlinked_folder_leading_out_is_never_written_through(
    make_vault: MakeVault, tmp_path: Path, link: str, setting: str, args: list[str], key: str
) -> None:
    root = make_vault({"Ana.md": ANA})
    if setting:
        config(root, setting)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / link).symlink_to(outside, target_is_directory=True)
    one_line_error(Vault(root).run(*args), key, "leads outside the vault")
    assert list(outside.iterdir()) == []


def test_a_reconnect_note_that_is_a_folder_is_a_one_line_error(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA})
    (root / "Reconnect.md").mkdir()
    one_line_error(Vault(root).run("due"), "Reconnect.md")


def test_a_config_that_is_a_folder_is_an_error(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA})
    (root / ".vault/config.toml").mkdir(parents=True)
    one_line_error(Vault(root).run("people"), ".vault/config.toml", "not a file")


# --- the index: private, and recovering by itself -----------------------------------------


def index_path(root: Path) -> Path:
    return vault_cache_dir(root, Path(os.environ["VAULT_CRM_CACHE"])) / "index.sqlite"


def test_the_cache_folder_and_index_are_private(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA})
    old = os.umask(0o022)
    try:
        assert Vault(root).run("index").exit_code == 0
    finally:
        os.umask(old)
    db = index_path(root)
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.parent.parent.stat().st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(db) + suffix)
        if f.exists():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    # An index made world-readable (by an older version) is made private again.
    db.chmod(0o644)
    assert Vault(root).run("people").exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_a_cache_that_cannot_be_created_is_a_one_line_error(
    make_vault: MakeVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({"People/Ana.md": ANA})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("VAULT_CRM_CACHE", str(blocker / "cache"))
    one_line_error(Vault(root).run("people"), "VAULT_CRM_CACHE")


def test_an_index_that_is_a_folder_is_a_one_line_error(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA})
    index_path(root).mkdir(parents=True)
    one_line_error(Vault(root).run("people"), "index")


@pytest.mark.parametrize("table", ["fts", "participants", "meta"])
def test_an_index_missing_a_table_is_rebuilt(make_vault: MakeVault, table: str) -> None:
    root = make_vault({"People/Ana.md": ANA, "Note.md": "lighthouse keeper\n"})
    v = Vault(root)
    assert v.run("index").exit_code == 0
    conn = sqlite3.connect(index_path(root))
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    assert [r["path"] for r in v.json("search", "lighthouse")] == ["Note.md"]
    assert [p["person"] for p in v.json("people")] == ["Ana"]


def test_a_read_sees_one_snapshot_of_the_index(make_vault: MakeVault) -> None:
    """The due rules read contacts in two queries; a commit between them (the daemon) must
    not be seen halfway."""
    from vault_crm.store import Index

    root = make_vault(
        {
            "People/Ana.md": ANA,
            "Meetings/2026-11-01 Coffee.md": '---\ntype: meeting\nwith: "[[Ana]]"\n---\n',
        }
    )
    settings = load_settings(root)
    reader = Index.open(settings)
    refresh_index(reader)
    writer = Index.open(settings)
    with reader.snapshot():
        first = reader.contacts("2026-11-23")
        (root / "Meetings/2026-11-01 Coffee.md").unlink()
        refresh_index(writer)
        assert reader.contacts("2026-11-23") == first
    assert reader.contacts("2026-11-23") == []
    reader.close()
    writer.close()


# --- temporary files and failing writes -------------------------------------------------


def test_a_temporary_file_left_by_a_killed_write_is_removed_by_the_next_run(
    make_vault: MakeVault,
) -> None:
    root = make_vault({"People/Ana.md": ANA})
    stale = root / "People/.Ana.md.k1ll3d_.tmp"
    stale.write_text("half a note")
    busy = root / ".Reconnect.md.wr1t1ng.tmp"
    busy.write_text("being written")
    mine = root / "People/.notes.tmp"  # not the tool's: left alone
    mine.write_text("x")
    with busy.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert Vault(root).run("people").exit_code == 0
    assert not stale.exists()
    assert busy.exists() and mine.exists()


def run_limited(root: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `vault` in a process of its own (tests/forked.py) with files limited to `limit`
    bytes: a write past it fails as on a full disk (EFBIG), which needs no privileges and
    works in CI."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    argv = ["--vault", str(root), "--today", "2026-11-23", *args]
    done = forked.run(*argv, preexec=cap)
    return subprocess.CompletedProcess(
        argv, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def temp_files(root: Path) -> list[str]:
    return [n for _d, _s, files in os.walk(root) for n in files if n.endswith(".tmp")]


@pytest.mark.parametrize("args", [["snooze", "Ana", "2w"], ["due"]])
def test_a_write_that_fails_leaves_the_note_untouched(
    make_vault: MakeVault, args: list[str]
) -> None:
    big = "Ana met everyone at the conference.\n" * 10_000  # 360 KB
    mine = "<!-- vault:begin reconnect -->\nold\n<!-- vault:end reconnect -->\n"
    root = make_vault({"People/Ana.md": ANA + big, "Reconnect.md": mine + big})
    assert Vault(root).run("index").exit_code == 0
    before = {p: p.read_bytes() for p in root.rglob("*.md")}
    result = run_limited(root, 300_000, *args)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write it (File too large)" in lines[0], lines
    assert "People/Ana.md" in lines[0] or "Reconnect.md" in lines[0]
    assert {p: p.read_bytes() for p in root.rglob("*.md")} == before
    assert temp_files(root) == []


def test_an_index_that_cannot_be_written_is_a_one_line_error(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA, "Big.md": "word " * 100_000})
    result = run_limited(root, 4096, "people")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "index" in lines[0], lines
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (["add", "a" * 252], None, ["at most 200 bytes"]),
        (["log", "Ana", "-m", "hi", "--title", "é" * 130], None, ["at most 200 bytes"]),
        (["log", "Ana"], b"caf\xe9 with Ana\n", ["piped text is not valid UTF-8", "0xe9"]),
    ],
)
def test_bad_names_and_text_are_one_line_errors(
    make_vault: MakeVault, args: list[str], stdin: bytes | None, words: list[str]
) -> None:
    root = make_vault({"People/Ana.md": ANA})
    before = sorted(p.name for p in root.rglob("*"))
    result = Vault(root).run(*args, input=stdin if stdin is not None else b"")
    err = result.stderr
    assert result.exit_code == 1, err
    assert len(err.strip().splitlines()) == 1 and all(w in err for w in words), err
    assert sorted(p.name for p in root.rglob("*")) == before


def test_a_no_refresh_command_reads_one_snapshot(make_vault: MakeVault) -> None:
    """`--no-refresh` beside the daemon: what the daemon commits mid-command is not seen
    halfway (a person read in one query and missing in the next)."""
    from vault_crm.cli.app import App
    from vault_crm.store import Index

    root = make_vault({"People/Ana.md": ANA, "People/Bo.md": ANA})
    writer = Index.open(load_settings(root))
    refresh_index(writer)
    app = App(str(root), "2026-11-23", False, True)
    idx = app.index()
    assert len(idx.all_paths()) == 2
    (root / "People/Bo.md").unlink()
    refresh_index(writer)  # the daemon commits
    assert len(idx.all_paths()) == 2  # still the command's snapshot
    app.close()
    writer.close()
    app = App(str(root), "2026-11-23", False, True)
    assert app.index().all_paths() == ["People/Ana.md"]
    app.close()


@pytest.mark.parametrize(
    ("template", "words"),
    [
        (b'{{ "x" * 500000000 }}', ["repetition too large"]),
        (b"{{ 2 ** 100000000 }}", ["exponent too large"]),
        (b"{% for i in range(9) %}{{ 'y' * 9000000 }}{% endfor %}", ["more than 10,000,000"]),
        (b"caf\xe9 {{ title }}", ["not valid UTF-8"]),
    ],
)
def test_a_template_that_would_explode_is_a_one_line_error(
    make_vault: MakeVault, template: bytes, words: list[str]
) -> None:
    root = make_vault({"People/Ana.md": ANA})
    (root / ".vault/templates").mkdir(parents=True)
    (root / ".vault/templates/person.md.j2").write_bytes(template)
    one_line_error(Vault(root).run("add", "Bob"), *words)
    assert not (root / "People/Bob.md").exists()

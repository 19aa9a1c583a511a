"""A messy vault never takes the tool down: hostile front-matter, out-of-range dates and
cadences, names that are not UTF-8, links out of the vault and huge notes are problems that
`vault check` lists, while every other command goes on working."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

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

# 9 levels of 9 aliases: a kilobyte that would expand to 387 million strings.
BOMB = (
    "---\ntype: person\n"
    + 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
    + "---\nThe body is still searchable: kaboom.\n"
)

READ_COMMANDS = (["due", "--json"], ["people"], ["show", "Ana"], ["search", "Ana"])


def snapshot(root: Path) -> dict[bytes, bytes]:
    out = {}
    for folder, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                with open(path, "rb") as fh:
                    out[path] = fh.read()
    return out


def assert_unchanged(before: dict[bytes, bytes], root: Path) -> None:
    """Every file that was there still holds its bytes (`due` may add Reconnect.md)."""
    after = snapshot(root)
    assert {k: after.get(k) for k in before} == before


def problems(v: Vault) -> list[dict[str, object]]:
    result = v.run("check", "--json")
    assert result.exit_code in (0, 1), result.output
    return list(json.loads(result.stdout))


def assert_every_command_works(v: Vault) -> None:
    for args in READ_COMMANDS:
        result = v.run("--no-refresh", *args) if args[0] != "due" else v.run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output


def test_alias_bomb_is_refused_quickly_and_the_body_still_indexed(make_vault: MakeVault) -> None:
    v = Vault(make_vault({"People/Ana.md": ANA, "People/Bomb.md": BOMB}))
    found = problems(v)
    assert {
        "path": "People/Bomb.md",
        "line": 7,  # l4: the first value past the limit
        "severity": "error",
        "message": "front-matter was not read: aliases expand to more than 10,000 values",
    } in found
    assert v.json("search", "kaboom")[0]["path"] == "People/Bomb.md"
    assert_every_command_works(v)


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("a: &a [*a]", 2, "an alias refers to a value that contains it"),
        ("a: &a {b: *a}", 2, "an alias refers to a value that contains it"),
        ("x: " + "[" * 60 + "]" * 60, 2, "nested more than 50 levels deep"),
        ("x: " + "9" * 5000, 2, "unreadable value"),
        ("x: " + "y" * 100_001, 2, "front-matter longer than 100,000 characters"),
    ],
)
def test_hostile_front_matter_is_a_problem_not_a_crash(
    make_vault: MakeVault, front: str, line: int, message: str
) -> None:
    v = Vault(make_vault({"People/Ana.md": ANA, "Evil.md": f"---\n{front}\n---\nbody\n"}))
    evil = [p for p in problems(v) if p["path"] == "Evil.md"]
    assert len(evil) == 1 and evil[0]["line"] == line, evil
    assert message in str(evil[0]["message"])
    assert_every_command_works(v)


def test_editing_a_note_with_an_alias_cycle_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": "---\ntype: person\na: &a [*a]\n---\n"})
    before = (root / "People/Ana.md").read_bytes()
    result = Vault(root).run("snooze", "Ana", "2w")
    assert result.exit_code == 1, result.output
    assert "not valid YAML" in result.stderr and "Traceback" not in result.output
    assert (root / "People/Ana.md").read_bytes() == before


@pytest.mark.parametrize("cadence", ["99999y", "99999999999999999999", "40000d", "101 years"])
def test_cadence_out_of_range_is_a_problem(make_vault: MakeVault, cadence: str) -> None:
    v = Vault(make_vault({"People/Ana.md": ANA.replace("2w", cadence)}))
    assert [(p["line"], p["message"]) for p in problems(v) if p["path"] == "People/Ana.md"] == [
        (3, f"'cadence': '{cadence}' is too long (at most 100 years)")
    ]
    assert_every_command_works(v)
    assert v.json("due")["due"] == []


def test_hundred_year_cadence_at_the_end_of_the_calendar(make_vault: MakeVault) -> None:
    root = make_vault(
        {
            "People/Ana.md": ANA.replace("2w", "100y").replace("2026-10-01", "9999-01-01")
            + "birthday: --12-31\n",
        }
    )
    v = Vault(root, today="9999-12-31")
    assert_every_command_works(v)
    assert v.run("due", "--within", "100y").exit_code == 0
    assert v.run("snooze", "Ana", "100y").exit_code == 0
    assert "snooze_until: 9999-12-31" in (root / "People/Ana.md").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--within", "99999999999999y"],
        ["due", "--limit", "99999999999999999999999"],
        ["search", "Ana", "--limit", "99999999999999999999999"],
        ["snooze", "Ana", "9999999999d"],
    ],
)
def test_huge_numbers_in_arguments_are_usage_errors(make_vault: MakeVault, args: list[str]) -> None:
    root = make_vault({"People/Ana.md": ANA})
    before = snapshot(root)
    result = Vault(root).run(*args)
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and "Unexpected" not in result.output
    assert_unchanged(before, root)


def test_a_name_that_is_not_utf8_is_reported_and_skipped(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA})
    bad = os.fsencode(root / "People") + b"/Jos\xe9.md"
    with open(bad, "wb") as fh:
        fh.write(b"---\ntype: person\n---\n")
    before = snapshot(root)
    v = Vault(root)
    assert v.json("index")["notes"] == 1
    assert {
        "path": "People/Jos\\xe9.md",
        "line": None,
        "severity": "error",
        "message": "name is not valid UTF-8; not read (rename it)",
    } in problems(v)
    assert_every_command_works(v)
    assert v.run("index", "--rebuild").exit_code == 0
    assert_unchanged(before, root)


def test_a_symlinked_file_is_read_only_inside_the_vault(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("password swordfish\n")
    root = make_vault({"People/Ana.md": ANA, "Inside.md": "moonbeam\n"})
    (root / "Leak.md").symlink_to(secret)
    (root / "Alias.md").symlink_to(root / "Inside.md")
    v = Vault(root)
    assert v.json("search", "swordfish") == []
    assert [r["path"] for r in v.json("search", "moonbeam")] == ["Alias.md", "Inside.md"]
    assert {
        "path": "Leak.md",
        "line": None,
        "severity": "warning",
        "message": "a symlink to a file outside the vault; not read",
    } in problems(v)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_notes_and_folders_are_listed(make_vault: MakeVault) -> None:
    root = make_vault({"People/Ana.md": ANA, "Locked/a.md": "x\n", "Shut.md": "y\n"})
    (root / "Locked").chmod(0)
    (root / "Shut.md").chmod(0)
    try:
        v = Vault(root)
        found = {(p["path"], p["message"]) for p in problems(v)}
        assert ("Locked", "folder not read (Permission denied)") in found
        assert ("Shut.md", "not read (Permission denied)") in found
        assert_every_command_works(v)
    finally:
        (root / "Locked").chmod(0o755)
        (root / "Shut.md").chmod(0o644)


AS_NOBODY = """
import json, sys
sys.path.insert(0, sys.argv[1])
import forked
runs = [forked.run(*argv) for argv in json.loads(sys.argv[2])]
print(json.dumps([[r.returncode, r.stdout.decode(), r.stderr.decode()] for r in runs]))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the tool as another user")
def test_unreadable_notes_and_folders_are_listed_for_an_ordinary_user() -> None:
    """As root every file is readable, so the tool runs here as an ordinary user (nobody)
    on a vault where a folder and a note are chmod 000."""
    import shutil
    import subprocess
    import sys
    import tempfile

    setpriv = shutil.which("setpriv")  # util-linux: run a command as another user
    if setpriv is None:
        pytest.skip("setpriv is not installed")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]

    def vault(*commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
        """Each command run by `vault` as user nobody: one interpreter started as nobody
        imports the tool and runs each command in a process of its own (tests/forked.py)."""
        env = {**os.environ, "VAULT_CRM_CACHE": str(base / "cache"), "HOME": str(base)}
        argvs = [["--vault", str(root), *args] for args in commands]
        driver = subprocess.run(
            [*nobody, sys.executable, "-c", AS_NOBODY, str(Path(__file__).parent),
             json.dumps(argvs)],
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )  # fmt: skip
        if driver.returncode != 0:
            pytest.skip(f"an ordinary user cannot run the tool here: {driver.stderr.strip()}")
        return [
            subprocess.CompletedProcess(args, code, out, err)
            for args, (code, out, err) in zip(commands, json.loads(driver.stdout), strict=True)
        ]

    base = Path(tempfile.mkdtemp(prefix="vault-nobody-"))
    try:
        base.chmod(0o777)
        root = base / "vault"
        for rel, text in {"People/Ana.md": ANA, "Locked/a.md": "x\n", "Shut.md": "y\n"}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        root.chmod(0o777)  # nobody writes the reconnect note there
        (root / "Locked").chmod(0)
        (root / "Shut.md").chmod(0)
        probe, result, *reads = vault(["--version"], ["check", "--json"], *READ_COMMANDS)
        if probe.returncode != 0:
            pytest.skip(f"an ordinary user cannot run the tool here: {probe.stderr.strip()}")
        assert result.returncode == 1, result.stderr  # an unreadable note is an error
        found = {(p["path"], p["message"]) for p in json.loads(result.stdout)}
        assert ("Locked", "folder not read (Permission denied)") in found
        assert ("Shut.md", "not read (Permission denied)") in found
        for args, done in zip(READ_COMMANDS, reads, strict=True):
            assert done.returncode == 0, (args, done.stderr)
            assert "Traceback" not in done.stderr
    finally:
        for path in (base / "vault/Locked", base / "vault/Shut.md"):
            if path.exists():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_large_note_is_searchable_up_to_the_limit_and_search_stays_linear(
    make_vault: MakeVault,
) -> None:
    # Every word a match: FTS5's snippet() is quadratic in the matches of one note (a
    # 1 MB note like this one took minutes); the snippet is now cut in one pass.
    text = "hello world needle " * 330_000 + "\nfarfaraway\n"  # 6.3 MB
    v = Vault(make_vault({"Big.md": text, "Small.md": "a needle here\n"}))
    assert {
        "path": "Big.md",
        "line": None,
        "severity": "warning",
        "message": "very large note (6.3 MB): only its first 5 MB are searched",
    } in problems(v)
    rows = v.json("search", "needle")
    assert {r["path"] for r in rows} == {"Big.md", "Small.md"}
    big = next(r for r in rows if r["path"] == "Big.md")
    assert "[needle]" in big["snippet"]
    assert v.json("search", "farfaraway") == []  # past the limit


@pytest.mark.slow
def test_the_daemon_survives_a_bomb_appearing_and_restarts_with_it(make_vault: MakeVault) -> None:
    import signal
    import time

    import forked

    root = make_vault({"People/Ana.md": ANA})

    def start() -> forked.Started:
        """`vault watch` in a process of its own (tests/forked.py)."""
        proc = forked.Started(["--vault", str(root), "watch", "-v"])
        for line in proc.stderr:
            if "watching" in line:
                return proc
        raise AssertionError(f"the daemon did not start: exit {proc.wait()}")

    proc = start()
    (root / "People/Bomb.md").write_text(BOMB)
    (root / "Rec.md").write_text("---\na: &a [*a]\n---\n")
    assert proc.stderr is not None
    for line in proc.stderr:
        if " changed" in line:
            break
    time.sleep(0.2)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0  # a generous bound: a loaded CI machine
    proc = start()  # and again with the bomb already there: no crash loop
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0  # a generous bound: a loaded CI machine
    found = {p["path"] for p in problems(Vault(root))}
    assert {"People/Bomb.md", "Rec.md"} <= found

"""`vault report`: the network report note (golden file), its figures, its markers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]
GOLDEN = Path(__file__).parent / "golden"


def _talk(day: str, name: str, intent: str = "catch-up") -> tuple[str, str]:
    return (
        f"Conversations/{day} {name}.md",
        f'---\nwith: ["[[{name}]]"]\nintent: {intent}\n---\nHello.\n',
    )


PEOPLE = {
    "Ana": "cadence: 1m\ntags: [friend]",
    "Bo": "tags: [friend, founder]",  # 4 contacts Dec-May, 1 since: fading
    "Cy": "tags: [founder]",  # 2 before, 1 since: not below half, not fading
    "Dee": "",  # 2 before, none since: fading
    "Eli": "",  # 3 contacts in 2024, none since, no cadence: a weak tie (over a year)
    "Fay": "cadence: 1m",  # 3 contacts, last 2026-09-01: over twice a month, weak tie
    "Gil": "cadence: 3m",  # 3 contacts, last 2026-09-01: under twice 3 months
    "Hal": "",  # give, then 3 asks
    "Ivy": "",  # 2 asks, never a give
    "Jon": "met: 2026-02-01",
    "Lou": "met: 2025-05-01",  # met last year, first conversation this year
    "Kai": "met: 2026-12-01",  # not yet
    "Mo": "met: 2026-11-20",
}
PLAN = {
    "Ana": [("2026-11-20", "give")],
    "Bo": [(d, "") for d in ("2025-12-10", "2026-01-10", "2026-02-10", "2026-03-10", "2026-08-10")],
    "Cy": [("2026-01-15", ""), ("2026-02-15", ""), ("2026-07-15", "")],
    "Dee": [("2026-02-20", ""), ("2026-03-20", "")],
    "Eli": [("2024-01-05", ""), ("2024-02-05", ""), ("2024-03-05", "")],
    "Fay": [("2026-07-01", ""), ("2026-08-01", ""), ("2026-09-01", "")],
    "Gil": [("2026-07-01", ""), ("2026-08-01", ""), ("2026-09-01", "")],
    "Hal": [
        ("2025-06-01", "give"),
        *[(d, "ask") for d in ("2025-07-01", "2025-08-01", "2025-09-01")],
    ],
    "Ivy": [("2025-10-01", "ask"), ("2025-10-02", "ask")],
    "Lou": [("2026-04-04", "")],
}


def vault_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {".vault/config.toml": ""}
    for name, props in PEOPLE.items():
        files[f"People/{name}.md"] = f"---\n{props}\n---\n" if props else ""
    for name, plan in PLAN.items():
        for day, intent in plan:
            path, text = _talk(day, name, intent or "catch-up")
            files[path] = text
    # A daily note mentioning Ana is a contact too; a scheduled one is not yet.
    files["Daily/2026-11-01.md"] = "Bumped into [[Ana]].\n"
    files["Conversations/2026-12-05 Ana.md"] = '---\nwith: ["[[Ana]]"]\n---\n'
    return files


def test_report_note_matches_the_golden_file(make_vault: MakeVault) -> None:
    root = make_vault(vault_files())
    result = Vault(root).run("report")
    assert result.exit_code == 0, result.stderr
    assert "Wrote Network report.md" in result.stderr
    expected = (GOLDEN / "report.md").read_text(encoding="utf-8")
    assert (root / "Network report.md").read_text(encoding="utf-8") == expected


def test_report_figures_as_json(make_vault: MakeVault) -> None:
    data = Vault(make_vault(vault_files())).json("report")
    assert data["path"] == "Network report.md"
    assert data["counts"] == {
        "people": 13,
        "with_cadence": 3,
        "contacted_30_days": 1,
        "contacted_90_days": 3,  # Ana; Fay and Gil on 2026-09-01 (83 days)
        "contacted_365_days": 7,  # not Eli, Hal, Ivy (over a year) nor Jon (never)
        "overdue": 1,  # Fay (Gil is due 2026-12-01; Ana's next is scheduled)
    }
    months = data["contacts_per_month"]
    assert [m["month"] for m in months][:2] == ["2025-12", "2026-01"]
    assert months[-1] == {"month": "2026-11", "contacts": 2}  # Ana: a talk and a daily note
    assert sum(m["contacts"] for m in months) == 19
    assert [p["person"] for p in data["fading"]] == ["Bo", "Dee"]
    assert data["fading"][0]["why"] == "1 contact in the last 6 months, 4 in the 6 before"
    # 3 or more contacts and none for a year (Hal, Eli) or twice the cadence (Fay);
    # Gil's 3 months are not twice over, Ivy has only 2 contacts.
    assert [p["person"] for p in data["weak_ties"]] == ["Hal", "Eli", "Fay"]
    assert [(p["person"], p["why"]) for p in data["asks_without_a_give"]] == [
        ("Hal", "3 asks since the last give"),
        ("Ivy", "2 asks and no give"),
    ]
    # Only `met` says when you met: Lou's is last year, Kai's is later this year, and a
    # first conversation this year (Cy, Fay…) is not a meeting.
    assert [(p["person"], p["why"]) for p in data["met_this_year"]] == [
        ("Jon", "met 2026-02-01"),
        ("Mo", "met 2026-11-20"),
    ]
    assert data["tags"] == [
        {"tag": "(no tag)", "people": 10},
        {"tag": "founder", "people": 2},
        {"tag": "friend", "people": 2},
    ]


def test_unchanged_report_is_not_rewritten_and_text_outside_markers_is_kept(
    make_vault: MakeVault,
) -> None:
    root = make_vault(vault_files())
    v = Vault(root)
    v.run("report")
    note = root / "Network report.md"
    note.write_text("My notes above.\n\n" + note.read_text() + "\nAnd below.\n")
    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    before = note.read_bytes()
    result = v.run("report")
    assert "Unchanged: Network report.md" in result.stderr
    assert note.read_bytes() == before
    assert note.stat().st_mtime_ns == 1_000_000_000
    (root / "People/New.md").write_text("---\ntags: [friend]\n---\n")
    v.run("report")
    text = note.read_text()
    assert text.startswith("My notes above.\n") and text.endswith("\nAnd below.\n")
    assert "| People | 14 |" in text


def test_a_foreign_note_is_never_overwritten(make_vault: MakeVault) -> None:
    root = make_vault({**vault_files(), "Network report.md": "My own report.\n"})
    result = Vault(root).run("report")
    assert result.exit_code == 1
    assert "Network report.md" in result.stderr
    assert (root / "Network report.md").read_text() == "My own report.\n"


def test_the_report_note_is_never_a_contact(make_vault: MakeVault) -> None:
    root = make_vault(vault_files())
    v = Vault(root)
    v.run("report")
    # The note links Eli (a weak tie) and is named like nothing special; Eli stays quiet.
    assert "[[Eli]]" in (root / "Network report.md").read_text()
    assert v.json("show", "Eli")["last_contact"] == "2024-03-05"


def test_the_daemon_keeps_the_report_note_current(tmp_path: Path) -> None:
    from test_watch import Daemon

    from conftest import write_vault

    root = write_vault(tmp_path / "vault", vault_files())
    report = root / "Network report.md"
    d = Daemon(root)
    try:
        d.wait_for(lambda: "| People | 13 |" in _read(report), "the report at start")
        assert (root / "Reconnect.md").exists()
        (root / "People/Newcomer.md").write_text("---\ntags: [friend]\n---\n")
        d.wait_for(lambda: "| People | 14 |" in _read(report), "the report after a new person")
    finally:
        d.stop()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""

"""The sample vault a new user first sees: its due picture on 2026-11-23 is known by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE, Vault


@pytest.fixture
def sample(tmp_path: Path) -> Vault:
    root = tmp_path / "sample-vault"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("Reconnect.md"))
    return Vault(root)


def test_counts_and_no_problems(sample: Vault) -> None:
    stats = sample.json("index")
    assert stats["people"] == 14
    assert stats["conversations"] == 22
    assert stats["problems"] == 0  # the Templates' {{date}} placeholders are not problems
    assert sample.run("check").exit_code == 0


def test_due_picture(sample: Vault) -> None:
    data = sample.json("due")
    assert [(e["person"], e["days_overdue"]) for e in data["due"]] == [
        ("Ana Lima", 12),
        ("Chloé Martin", 11),
        ("João Pereira", 20),
        ("Marta Sousa", 3),
        ("Sam Okafor", 4),
    ]
    assert [(e["person"], e["due_date"]) for e in data["coming_up"]] == [
        ("Ana Ribeiro", "2026-11-25"),
        ("Teresa Almeida", "2026-11-29"),
        ("Inês Almeida", "2026-11-30"),
    ]
    assert [e["person"] for e in data["never_contacted"]] == ["Priya Nair"]
    listed = {e["person"] for k in ("due", "coming_up", "never_contacted") for e in data[k]}
    # snoozed, scheduled, comfortably in touch, or no cadence at all
    assert not listed & {"Daniel Weber", "Tom Becker", "Rui Costa", "Helen Park", "Lucas Ferreira"}
    marta = data["due"][3]
    assert (marta["cadence"], marta["cadence_source"]) == ("monthly", "tag:mentor")
    ana = data["due"][0]
    assert ana["upcoming"] == [{"label": "birthday", "date": "2026-12-02", "age": 35}]
    assert len(ana["followups"]) == 2
    assert data["coming_up"][2]["last_contact"] == "2026-11-16"  # a daily-note mention


def test_participants_from_aliases_attendees_and_body_links(sample: Vault) -> None:
    rui = sample.json("show", "rui")
    titles = [c["title"] for c in rui["conversations"]]
    assert "2026-09-30 Lisbon JS planning with Rui" in titles  # with: ["Rui"], an alias
    assert "2026-09-25 Design crit" in titles  # attendees:
    mum = sample.json("show", "Mum")
    assert mum["conversations"][0]["title"] == "2026-11-15 Sunday call with Mum"  # body link
    helen = sample.json("show", "helen")
    assert helen["last_contact"] == "2026-10-02"  # last_contact beats the June call
    assert helen["properties"]["phone"] == "+447700900123"


def test_show_introductions(sample: Vault) -> None:
    chloe = sample.json("show", "chloe")
    assert chloe["introduced_by"] == "Marta Sousa"
    assert "Chloé Martin" in sample.json("show", "Marta Sousa")["introduced"]


def test_reconnect_note_is_written_and_links_every_person(sample: Vault) -> None:
    result = sample.run("due")
    assert result.exit_code == 0
    text = (sample.root / "Reconnect.md").read_text(encoding="utf-8")
    for name in ("Ana Lima", "Chloé Martin", "Priya Nair", "Rui Costa"):
        assert f"- [[{name}]]" in text
    assert "Wedding anniversary on 2026-11-30 (41 years)" in text


def test_alias_is_not_a_link_target(sample: Vault) -> None:
    links = sample.json("links", "Rui Costa")
    unresolved = [o["target"] for o in links["outgoing"] if o["path"] is None]
    assert "Ana" in unresolved

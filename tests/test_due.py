"""`vault due`: a hand-built vault with known answers for every rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

# today = 2026-11-23 throughout
VAULT = {
    ".vault/config.toml": '[cadence.tags]\nfamily = "2w"\nfriend = "3 months"\n',
    # 1 month from Oct 22 is Nov 22 (calendar month), so 1 day overdue
    "People/Ana Lima.md": "---\ncadence: 1m\nworking_on: a pricing page\n---\n",
    "Conversations/2026-10-22 Coffee with Ana.md": (
        '---\ndate: 2026-10-22\nwith: ["[[Ana Lima]]"]\nchannel: coffee\n---\n'
        "Talked about her new pricing page.\n- [ ] Send Ana the Stripe article\n- [x] done thing\n"
    ),
    # tag cadence (family 2w, friend 3 months: shortest wins), last contact via daily note
    "People/Mum.md": "---\ntags: [family, friend]\nbirthday: 1960-11-30\n---\n",
    "Daily/2026-11-01.md": "Called [[Mum]] today.\n",
    # last_contact property outside the vault: 2026-11-20 + 2w = Dec 4 -> not due, not coming up
    "People/Carla.md": "---\ncadence: 2w\nlast_contact: 2026-11-20\n---\n",
    # coming up: last 2026-11-01 + 4w = Nov 29 (within 7 days)
    "People/Dev.md": "---\ncadence: 4 weeks\n---\n",
    "Conversations/2026-11-01 Call with Dev.md": '---\nwith: ["[[Dev]]"]\n---\nA call.\n',
    # snoozed: would be due, but snooze_until pushes it past the horizon
    "People/Eve.md": (
        "---\ncadence: weekly\nsnooze_until: 2026-12-15\nlast_contact: 2026-10-01\n---\n"
    ),
    # scheduled conversation in the future: in no list even though overdue
    "People/Finn.md": "---\ncadence: 2w\nlast_contact: 2026-09-01\n---\n",
    "Conversations/2026-12-03 Lunch with Finn.md": '---\ntype: meeting\nwith: ["[[Finn]]"]\n---\n',
    # never contacted, with a cadence
    "People/Gus.md": "---\ncadence: quarterly\ncompany: Acme\n---\n",
    # no cadence at all: never listed
    "People/Hana.md": "---\ncadence: never\n---\n",
    # heavily overdue relative to its cadence: first in the list
    "People/Ivo.md": "---\ncadence: 10d\nlast_contact: 2026-10-01\n---\n",
    # overdue by more days but a smaller ratio (400/365)
    "People/Jo.md": "---\ncadence: yearly\nlast_contact: 2024-10-19\n---\n",
    # a generated note that links people is not a contact
    "Reconnect.md": (
        "<!-- vault:begin reconnect -->\n[[Ivo]] [[Jo]]\n<!-- vault:end reconnect -->\n"
    ),
}


def test_due_lists_follow_every_rule(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("due", "--no-write")
    assert data["today"] == "2026-11-23"
    due = {e["person"]: e for e in data["due"]}
    assert [e["person"] for e in data["due"]] == ["Ivo", "Jo", "Mum", "Ana Lima"]
    ana = due["Ana Lima"]
    assert ana["due_date"] == "2026-11-22" and ana["days_overdue"] == 1
    assert ana["cadence"] == "1m" and ana["cadence_source"] == "note"
    assert ana["cadence_days"] == 31
    assert ana["last_conversation"] == {
        "path": "Conversations/2026-10-22 Coffee with Ana.md",
        "date": "2026-10-22",
        "title": "2026-10-22 Coffee with Ana",
    }
    assert ana["followups"] == [
        {
            "text": "Send Ana the Stripe article",
            "path": "Conversations/2026-10-22 Coffee with Ana.md",
            "line": 7,
        }
    ]
    mum = due["Mum"]
    assert mum["cadence"] == "2w" and mum["cadence_source"] == "tag:family"
    assert mum["last_contact"] == "2026-11-01" and mum["due_date"] == "2026-11-15"
    assert mum["last_conversation"] is None
    assert mum["upcoming"] == [{"label": "birthday", "date": "2026-11-30", "age": 66}]
    assert due["Ivo"]["days_overdue"] == 43
    assert due["Jo"]["days_overdue"] == 400
    assert [e["person"] for e in data["coming_up"]] == ["Dev"]
    assert data["coming_up"][0]["due_date"] == "2026-11-29"
    assert [e["person"] for e in data["never_contacted"]] == ["Gus"]
    assert data["never_contacted"][0]["last_contact"] is None
    assert data["never_contacted"][0]["cadence_days"] == 92  # Nov 23 + 3 months = Feb 23
    listed = {e["person"] for k in ("due", "coming_up", "never_contacted") for e in data[k]}
    assert not listed & {"Carla", "Eve", "Finn", "Hana"}
    assert data["more"] == 0


def test_limit_and_more(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("due", "--no-write", "--limit", "2")
    assert [e["person"] for e in data["due"]] == ["Ivo", "Jo"]
    assert data["more"] == 2


def test_within_widens_coming_up(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("due", "--no-write", "--within", "2w")
    assert [e["person"] for e in data["coming_up"]] == ["Dev", "Carla"]


def test_tag_filter(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("due", "--no-write", "--tag", "family")
    assert [e["person"] for e in data["due"]] == ["Mum"]
    assert data["coming_up"] == [] and data["never_contacted"] == []


def test_default_cadence_applies_to_people_without_one(make_vault: MakeVault) -> None:
    files = dict(VAULT)
    files[".vault/config.toml"] = 'default_cadence = "6m"\n'
    files["People/Hana.md"] = "---\nlast_contact: 2026-01-01\n---\n"
    data = Vault(make_vault(files)).json("due", "--no-write", "--limit", "50")
    hana = next(e for e in data["due"] if e["person"] == "Hana")
    assert hana["cadence"] == "6m" and hana["cadence_source"] == "default"
    assert hana["due_date"] == "2026-07-01"


def test_followups_command_oldest_first(make_vault: MakeVault) -> None:
    files = dict(VAULT)
    files["Conversations/2026-09-01 Lunch.md"] = (
        '---\nwith: ["[[Gus]]"]\n---\n- [ ] Introduce [[Ana Lima]] to Gus\n'
    )
    v = Vault(make_vault(files))
    items = v.json("followups")
    assert [(i["person"], i["date"]) for i in items] == [
        ("Ana Lima", "2026-09-01"),
        ("Gus", "2026-09-01"),
        ("Ana Lima", "2026-10-22"),
    ]
    assert set(items[0]) == {"person", "text", "path", "line", "date"}
    only = v.json("followups", "gus")
    assert [i["text"] for i in only] == ["Introduce [[Ana Lima]] to Gus"]


def test_cadences_that_compare_equal_are_told_apart(make_vault: MakeVault) -> None:
    # 1, "1", true and 1.0 compare or hash alike in places; only the first two are
    # readable cadences, whatever order the people are worked out in.
    files = {
        f"People/{name}.md": f"---\ncadence: {cadence}\nlast_contact: 2026-11-01\ntags: [x]\n---\n"
        for name, cadence in (
            ("Yes", "true"),
            ("One", "1"),
            ("Float", "1.0"),
            ("Text", '"1"'),
            ("Again", "true"),
        )
    }
    data = Vault(make_vault(files)).json("due", "--no-write")
    assert sorted((e["person"], e["cadence"], e["due_date"]) for e in data["due"]) == [
        ("One", "1", "2026-11-02"),
        ("Text", "1", "2026-11-02"),
    ]
    assert data["coming_up"] == [] and data["never_contacted"] == []

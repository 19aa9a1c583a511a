"""What `vault who` and `vault intros` read of people's profiles is kept in the index by
each refresh: after every kind of change it equals what a full rebuild of the same vault
holds, and the answers are the same."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vault_crm.config import load_settings
from vault_crm.insights.who import conversation_credit
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import Vault, apply_change, write_vault

START = {
    "People/Ana Lima.md": (
        "---\ntype: person\naliases: [Ana]\nneeds: pricing advice for her studio\n---\n"
    ),
    "People/Bo Chen.md": (
        "---\ntype: person\nknown_for: pricing strategy\nrole: designer\ntags: [mentor]\n---\n"
    ),
    "People/Cy Dias.md": "---\ntype: person\nneeds: a designer\ncompany: Pricing Labs\n---\n",
    "People/Dee Fox.md": "---\ntype: person\nworking_on: [hiring, pricing]\n---\n",
    "Conversations/2026-10-01 Coffee with Ana.md": (
        "---\ndate: 2026-10-01\nwith: [Ana]\n---\nWe spoke about pricing.\n"
    ),
    "Conversations/2026-09-01 Call with Bo.md": (
        "---\ndate: 2026-09-01\nwith: [Bo Chen, Ana]\nintent: ask\n---\nHis pricing deck.\n"
    ),
    "Conversations/2026-09-15 Call with Bo.md": (
        "---\ndate: 2026-09-15\nwith: [Bo Chen]\nintent: Ask\n---\nPricing, again.\n"
    ),
    "Conversations/2026-12-01 Dinner with Bo.md": (
        "---\ndate: 2026-12-01\nwith: [Bo Chen]\nintent: ask\n---\nPlanned.\n"
    ),
}


def write(rel: str, text: str) -> Callable[[Path], None]:
    return lambda root: (
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        or ((root / rel).write_text(text, encoding="utf-8"))
    )


def delete(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def rename(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: shutil.move(root / old, root / new)


# Applied in order, each on the vault the previous ones left.
CHANGES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    (
        "person edited (a need changed)",
        write(
            "People/Ana Lima.md",
            "---\ntype: person\naliases: [Ana]\nneeds: a pricing designer\n---\n",
        ),
        ["People/Ana Lima.md"],
    ),
    (
        "alias changed",
        write(
            "People/Ana Lima.md",
            "---\ntype: person\naliases: [Annie]\nneeds: a pricing designer\n---\n",
        ),
        ["People/Ana Lima.md"],
    ),
    (
        "person added",
        write("People/Eve Park.md", "---\ntype: person\nknown_for: design systems\n---\n"),
        ["People/Eve Park.md"],
    ),
    (
        "conversation added",
        write(
            "Conversations/2026-11-02 Lunch with Bo and Eve.md",
            "---\ndate: 2026-11-02\nwith: [Bo Chen, Eve Park]\n---\nPricing, mostly.\n",
        ),
        ["Conversations/2026-11-02 Lunch with Bo and Eve.md"],
    ),
    (
        "conversation edited (who took part, its intent)",
        write(
            "Conversations/2026-09-01 Call with Bo.md",
            "---\ndate: 2026-09-01\nwith: [Bo Chen, Dee Fox, Eve Park]\nintent: give\n---\n"
            "His pricing deck.\n",
        ),
        ["Conversations/2026-09-01 Call with Bo.md"],
    ),
    (
        "a catch-up after the give",
        write(
            "Conversations/2026-11-20 Call with Dee.md",
            "---\ndate: 2026-11-20\nwith: [Dee Fox, Bo Chen]\nintent: catch up\n---\n"
            "Pricing tiers.\n",
        ),
        ["Conversations/2026-11-20 Call with Dee.md"],
    ),
    (
        "conversation deleted",
        delete("Conversations/2026-09-15 Call with Bo.md"),
        ["Conversations/2026-09-15 Call with Bo.md"],
    ),
    (
        "daily note edited",
        write("Daily/2026-11-10.md", "Saw [[Cy Dias]] at the market; pricing again.\n"),
        ["Daily/2026-11-10.md"],
    ),
    (
        "person renamed",
        rename("People/Bo Chen.md", "People/Bo Chen Wu.md"),
        ["People/Bo Chen.md", "People/Bo Chen Wu.md"],
    ),
    (
        "a person's profile emptied",
        write("People/Dee Fox.md", "---\ntype: person\n---\nNothing stated.\n"),
        ["People/Dee Fox.md"],
    ),
    (
        "person deleted",
        delete("People/Cy Dias.md"),
        ["People/Cy Dias.md"],
    ),
]


def stored(idx: Index) -> dict[str, Any]:
    texts, offers, needs = idx.profile_words()
    return {
        # by person and property (rows are numbered by note, which a rebuild renumbers)
        "offers": sorted((*texts[doc], sorted(terms.split())) for doc, terms in offers),
        "needs": sorted((*texts[doc], term, offset) for doc, term, offset in needs),
        "texts": sorted(texts.values()),
        "pricing": idx.profile_hits("pricing"),
        "design": idx.profile_hits("design*"),
        # each conversation's people, by path (a rebuild renumbers the notes), and no row
        # left of a note that is gone or is no longer a conversation
        "conversation_people": conversation_people(idx),
        # (the sums depend on the order the matches are read in, which follows the note
        # ids a rebuild and a refresh give out differently, in their last bits only)
        "credit": [rounded(conversation_credit(idx.conversation_matches(m))) for m in TERMS],
        # `vault report`'s asks since the last give: what is kept, and its answer on days
        # before, between and after the conversations (a new day needs no change)
        "person_asks": sorted(idx.conn.execute("SELECT * FROM person_asks").fetchall()),
        "asks": [idx.asks_since_give(dt.date.fromisoformat(d)) for d in DAYS],
    }


TERMS = ("pricing", "pric*", "deck")


def rounded(credit: tuple[float, dict[str, float]]) -> tuple[float, dict[str, float]]:
    best, shares = credit
    return round(best, 9), {person: round(share, 9) for person, share in shares.items()}


DAYS = ("2026-08-31", "2026-09-01", "2026-09-10", "2026-11-20", "2026-11-23", "2027-01-01")


def conversation_people(idx: Index) -> list[tuple[str, str]]:
    rows = idx.conn.execute(
        "SELECT n.path, c.people FROM conversation_people c LEFT JOIN notes n ON n.id = c.id"
        " AND n.kind = 'conversation' AND n.is_template = 0 AND n.is_generated = 0"
    ).fetchall()
    (conversations,) = idx.conn.execute(
        "SELECT count(*) FROM notes"
        " WHERE kind = 'conversation' AND is_template = 0 AND is_generated = 0"
    ).fetchone()
    assert None not in {path for path, _people in rows}
    assert len(rows) == conversations
    return sorted(rows)


def answers(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VAULT_CRM_CACHE", str(cache))
    v = Vault(root)
    return v.json("who", "pricing"), v.json("who", "designer"), v.json("intros")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["walk", "paths"])
def test_every_change_keeps_the_profiles_a_rebuild_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = write_vault(tmp_path / "vault", START)
    settings = load_settings(root)
    live_cache = tmp_path / "live"
    with Index.open(settings, live_cache) as live:
        refresh_index(live)
        assert [r[:2] for r in live.profile_hits("pricing")] == [
            ("People/Ana Lima.md", "needs"),
            ("People/Bo Chen.md", "known_for"),
            ("People/Cy Dias.md", "company"),
            ("People/Dee Fox.md", "working_on"),
        ]
        # two asks with Bo (one "Ask"), one with Ana; the dinner is not yet
        assert live.asks_since_give(dt.date(2026, 9, 20)) == {
            "People/Bo Chen.md": (2, False),
            "People/Ana Lima.md": (1, False),
        }
        assert live.asks_since_give(dt.date(2027, 1, 1))["People/Bo Chen.md"] == (3, False)
        asks = {}
        for step, (what, change, paths) in enumerate(CHANGES):
            apply_change(root, live, step, change, paths, how)
            fresh_cache = tmp_path / f"fresh{step}"
            with Index.open(settings, fresh_cache) as fresh:
                refresh_index(fresh, rebuild=True)
                expected = stored(fresh)
            assert stored(live) == expected, what
            asks[what] = live.asks_since_give(dt.date(2027, 1, 1))
            live.end_snapshot()
            got = answers(root, live_cache, monkeypatch)
            assert got == answers(root, fresh_cache, monkeypatch), what
    # The last state: Cy is gone, Dee states nothing, Ana needs a pricing designer whom
    # Bo (renamed) and Eve can help with.
    who, _designer, intros = got
    # The call with Bo became a give (with Dee and Eve, not Ana): two asks since; then
    # the second ask is gone. Renamed, Bo is no longer who "Bo Chen" names.
    assert asks["conversation edited (who took part, its intent)"] == {
        "People/Bo Chen.md": (2, True)
    }
    assert asks["conversation deleted"] == {"People/Bo Chen.md": (1, True)}
    assert asks["person renamed"] == {}
    assert "People/Cy Dias.md" not in {x["path"] for x in who}
    assert not any(t[0] == "People/Dee Fox.md" for t in expected["texts"])
    assert {(i["a"], i["b"]) for i in intros} >= {("Ana Lima", "Bo Chen Wu")}

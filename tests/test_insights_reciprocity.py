"""Reciprocity: give / ask / catch-up and who started, over the last 10 conversations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from vault_crm.insights.reciprocity import Touch, reciprocity, something_to_give

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]


def _conversations(name: str, plan: list[tuple[str, str, str]]) -> dict[str, str | bytes]:
    return {
        f"Conversations/{day} {name}.md": (
            f'---\nwith: ["[[{name}]]"]\nintent: {intent}\ninitiated_by: {side}\n---\nHi.\n'
        )
        for day, intent, side in plan
    }


def test_show_counts_the_last_ten_conversations(make_vault: MakeVault) -> None:
    # Twelve conversations: the two oldest (gives) fall outside the last ten.
    plan = [(f"2026-01-{d:02d}", "give", "them") for d in (1, 2)]
    plan += [(f"2026-02-{d:02d}", "catch-up", "them") for d in range(1, 6)]
    plan += [(f"2026-03-{d:02d}", "ask", "me") for d in range(1, 6)]
    files = {"People/Rui.md": "---\ncadence: 1m\n---\n", **_conversations("Rui", plan)}
    # A scheduled conversation and a daily-note mention are not exchanges.
    files["Conversations/2026-12-01 Rui.md"] = (
        '---\nwith: ["[[Rui]]"]\nintent: give\ninitiated_by: them\n---\n'
    )
    files["Daily/2026-11-20.md"] = "Saw [[Rui]].\n"
    v = Vault(make_vault(files))
    data = v.json("show", "Rui")
    assert data["reciprocity"] == {
        "conversations": 10,
        "intent": {"give": 0, "ask": 5, "catch-up": 5},
        "initiated_by": {"me": 5, "them": 5},
        "asks_in_a_row": 5,
        "started_in_a_row": 5,
    }
    text = v.run("show", "Rui").stdout
    assert "last 10 conversations: 0 give · 5 ask · 5 catch-up" in text
    assert "the last 3 contacts were asks: offer something first" in text
    assert "you started the last 5 contacts" in text


def test_one_conversation_is_said_in_the_singular(make_vault: MakeVault) -> None:
    files = {"People/Rui.md": "---\ncadence: 1m\n---\n"}
    files |= _conversations("Rui", [("2026-03-01", "give", "me")])
    text = Vault(make_vault(files)).run("show", "Rui").stdout
    assert "  last 1 conversation: 1 give · 0 ask · 0 catch-up; you started 1" in text


def test_no_conversations_no_reciprocity(make_vault: MakeVault) -> None:
    v = Vault(make_vault({"People/Rui.md": "---\ncadence: 1m\n---\n"}))
    assert v.json("show", "Rui")["reciprocity"] is None
    assert "conversations:" not in v.run("show", "Rui").stdout


def test_streaks_need_the_newest_conversations_in_a_row() -> None:
    d = dt.date(2026, 1, 1)

    def t(days: int, intent: str | None, side: str | None) -> Touch:
        return Touch(d + dt.timedelta(days=days), f"{days}.md", intent, side)

    # newest first: ask, ask, give, ask -> only two asks in a row: no warning
    r = reciprocity([t(9, "ask", "me"), t(8, "ask", "me"), t(7, "give", "me"), t(6, "ask", "me")])
    assert (r.asks_in_a_row, r.only_asks) == (2, False)
    assert r.warnings() == []
    # three asks, then an unrecorded intent: the warning, and four started (not five)
    r = reciprocity([t(9, "ask", "me"), t(8, "ask", "me"), t(7, "ask", "me"), t(6, None, "me")])
    assert r.warnings() == ["the last 3 contacts were asks: offer something first"]
    assert r.started_in_a_row == 4


def test_something_to_give_prefers_a_promise_then_an_introduction_then_help() -> None:
    assert something_to_give(["send the deck"], ["[[Bo]]"], "a book") == (
        "Something to give: follow through on “send the deck”"
    )
    assert something_to_give([], ["[[Bo]]"], "a book") == (
        "Something to give: an introduction to [[Bo]]"
    )
    assert something_to_give([], [], "a book") == (
        "Something to give: help with what they are working on, a book"
    )
    assert something_to_give([], [], None) is None


def test_reconnect_note_suggests_the_open_follow_up_first(make_vault: MakeVault) -> None:
    plan = [(f"2026-03-{d:02d}", "ask", "them") for d in (1, 2, 3)]
    files = {
        "People/Rui.md": "---\ncadence: 1m\nworking_on: a novel\n---\n",
        **_conversations("Rui", plan),
    }
    files["Conversations/2026-03-03 Rui.md"] += "- [ ] send Rui the contract template\n"
    root = make_vault(files)
    assert Vault(root).run("due").exit_code == 0
    note = (root / "Reconnect.md").read_text()
    assert "  - the last 3 contacts were asks: offer something first\n" in note
    assert "  - Something to give: follow through on “send Rui the contract template”\n" in note
    assert "you started" not in note

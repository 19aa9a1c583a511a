"""A refresh after a change updates only what the change touches, and ends where a full
rebuild of the same vault ends: participants, contacts, problems across notes, resolved
links and `vault due`, after every kind of change a user makes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vault_crm.config import load_settings
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import Vault, apply_change, write_vault

START = {
    "People/Ana Lima.md": (
        "---\ntype: person\naliases: [Ana]\ncadence: 2w\n---\nFrom [[Lisbon JS]].\n"
    ),
    "People/Bo Chen.md": "---\ntype: person\ncadence: monthly\n---\n",
    "People/Cy Dias.md": "---\ntype: person\naliases: [Cy]\ncadence: 3w\n---\n",
    "People/eve-park.md": "---\ntype: person\nname: Eve Park\ncadence: 2w\n---\n",
    "Conversations/2026-10-01 Coffee with Ana.md": (
        "---\ndate: 2026-10-01\nwith: [Ana]\n---\n- [ ] Send Ana the deck\n"
    ),
    "Conversations/2026-10-20 Call with Bo.md": (
        '---\ndate: 2026-10-20\nwith: ["[[Bo Chen]]"]\n---\nAbout [[Dee Fox]].\n'
    ),
    "Conversations/2026-11-02 Lunch with Cy and Bo.md": (
        "---\ndate: 2026-11-02\nwith: [Cy, Bo Chen, Nobody Known]\n---\n- [ ] Intro Cy to Bo\n"
    ),
    "Conversations/2026-12-05 Dinner with Dee.md": (
        '---\ndate: 2026-12-05\nwith: ["[[Dee Fox]]"]\n---\nPlanned.\n'
    ),
    "Daily/2026-11-10.md": "Saw [[Bo Chen]] and [[Dee Fox]] at the market.\n",
    "Ideas.md": "Ask [[Cy Dias]] about [[Lisbon JS]], the [[Plan]] and ![[photo.png]].\n",
    "Projects/Deep/Plan.md": "The plan.\n",
}

Change = Callable[[Path], None]


def write(rel: str, text: str) -> Change:
    def change(root: Path) -> None:
        write_vault(root, {rel: text})

    return change


def delete(rel: str) -> Change:
    def change(root: Path) -> None:
        (root / rel).unlink()

    return change


def rename(old: str, new: str) -> Change:
    def change(root: Path) -> None:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        (root / old).rename(root / new)

    return change


# Applied in order, each on the vault the previous ones left.
CHANGES: list[tuple[str, Change, list[str]]] = [
    (
        "conversation edited",
        write(
            "Conversations/2026-10-01 Coffee with Ana.md",
            "---\ndate: 2026-10-03\nwith: [Ana, Cy, Eve Park]\n---\n- [ ] Send Ana the deck\n",
        ),
        ["Conversations/2026-10-01 Coffee with Ana.md"],
    ),
    (
        "daily note edited",
        write("Daily/2026-11-10.md", "Saw [[Cy Dias]] at the market.\n"),
        ["Daily/2026-11-10.md"],
    ),
    (
        "conversation added",
        write(
            "Conversations/2026-11-15 Walk with Bo.md",
            "---\ndate: 2026-11-15\nwith: [Bo Chen]\n---\n- [ ] Book the trip\n",
        ),
        ["Conversations/2026-11-15 Walk with Bo.md"],
    ),
    (
        "conversation's summary and channel edited, its people the same",
        write(
            "Conversations/2026-11-15 Walk with Bo.md",
            "---\ndate: 2026-11-15\nwith: [Bo Chen]\nchannel: video\n---\n"
            "Bo is moving to Porto.\n- [ ] Book the trip\n",
        ),
        ["Conversations/2026-11-15 Walk with Bo.md"],
    ),
    (
        "conversation added naming its participant by a link to an alias",
        write(
            "Conversations/2026-11-12 Tea with Cy.md",
            '---\ndate: 2026-11-12\nwith: ["[[Cy]]"]\n---\nTea.\n',
        ),
        ["Conversations/2026-11-12 Tea with Cy.md"],
    ),
    (
        "a note appears that a dangling link now resolves to",
        write("People/Dee Fox.md", "---\ntype: person\ncadence: 1w\n---\n"),
        ["People/Dee Fox.md"],
    ),
    (
        "a plain note appears with a person's title elsewhere",
        write("Lisbon JS.md", "A meetup.\n"),
        ["Lisbon JS.md"],
    ),
    (
        "person edited",
        write(
            "People/Bo Chen.md",
            "---\ntype: person\naliases: [Cyrus]\ncadence: 2w\n---\nMet in Porto.\n",
        ),
        ["People/Bo Chen.md"],
    ),
    (
        "alias changed",
        write("People/Cy Dias.md", "---\ntype: person\naliases: [Cyrus]\ncadence: 3w\n---\n"),
        ["People/Cy Dias.md"],
    ),
    (
        "alias added that a participant nobody matched now names",
        write(
            "People/Ana Lima.md",
            "---\ntype: person\naliases: [Ana, Nobody Known]\ncadence: 2w\n---\n"
            "From [[Lisbon JS]].\n",
        ),
        ["People/Ana Lima.md"],
    ),
    (
        "a note appears with a linked title at a shorter path (links to the title move)",
        write("Area/Plan.md", "The plan, nearer the top.\n"),
        ["Area/Plan.md"],
    ),
    (
        "an attachment appears that a link names",
        write("Projects/photo.png", "not really a picture"),
        ["Projects/photo.png"],
    ),
    (
        "a note added with links to its own folder and relative ones",
        write(
            "Projects/Deep/Notes.md",
            "See [[Plan]], [up](../../Area/Plan.md), [[./Plan]], [[../Deep/Plan]],"
            " [[photo.png]].\n",
        ),
        ["Projects/Deep/Notes.md"],
    ),
    (
        "the note at the shorter path deleted (links move back)",
        delete("Area/Plan.md"),
        ["Area/Plan.md"],
    ),
    (
        "the attachment deleted",
        delete("Projects/photo.png"),
        ["Projects/photo.png"],
    ),
    (
        "person renamed",
        rename("People/Ana Lima.md", "People/Ana Lima Sousa.md"),
        ["People/Ana Lima.md", "People/Ana Lima Sousa.md"],
    ),
    (
        "conversation deleted",
        delete("Conversations/2026-10-20 Call with Bo.md"),
        ["Conversations/2026-10-20 Call with Bo.md"],
    ),
    (
        "conversation renamed",
        rename(
            "Conversations/2026-11-15 Walk with Bo.md", "Conversations/2026-11-16 Walk with Bo.md"
        ),
        ["Conversations/2026-11-15 Walk with Bo.md", "Conversations/2026-11-16 Walk with Bo.md"],
    ),
    (
        "plain note deleted",
        delete("Lisbon JS.md"),
        ["Lisbon JS.md"],
    ),
    (
        "person deleted",
        delete("People/Dee Fox.md"),
        ["People/Dee Fox.md"],
    ),
]


# Before every contact, between them, the day of one, before a scheduled conversation,
# and after everything.
TODAYS = ["2026-01-01", "2026-10-02", "2026-10-20", "2026-11-23", "2027-06-01"]


def tables(idx: Index) -> dict[str, Any]:
    c = idx.conn
    return {
        "participants": sorted(
            c.execute("SELECT source, person, date, kind FROM participants").fetchall()
        ),
        "participants_order": sorted(
            c.execute(
                "SELECT source, json_group_array(person) FROM"
                " (SELECT * FROM participants ORDER BY rowid) GROUP BY source"
            ).fetchall()
        ),
        "graph_problems": sorted(
            c.execute("SELECT path, line, severity, message FROM graph_problems").fetchall(),
            key=repr,
        ),
        "links": sorted(
            c.execute(
                "SELECT source, target, resolved, line, place, attachment FROM links"
            ).fetchall(),
            key=repr,
        ),
        "person_summary": sorted(c.execute("SELECT * FROM person_summary").fetchall()),
        "person_names": sorted(c.execute("SELECT key, person FROM person_names").fetchall()),
        "contacts": sorted(idx.contacts(), key=repr),
        **{f"latest {t}": sorted(idx.contacts(today=t), key=repr) for t in TODAYS},
        "followups": sorted(idx.open_followups(), key=repr),
    }


def kept_walk(idx: Index) -> list[Any]:
    return idx.conn.execute("SELECT * FROM walk_parts ORDER BY part").fetchall()


def due(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VAULT_CRM_CACHE", str(cache))
    return Vault(root).json("due", "--no-write")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["walk", "paths"])
def test_every_change_ends_where_a_rebuild_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = write_vault(tmp_path / "vault", START)
    settings = load_settings(root)
    live_cache = tmp_path / "live"
    with Index.open(settings, live_cache) as live:
        refresh_index(live)
        for step, (what, change, paths) in enumerate(CHANGES):
            apply_change(root, live, step, change, paths, how)
            fresh_cache = tmp_path / f"fresh{step}"
            with Index.open(settings, fresh_cache) as fresh:
                refresh_index(fresh, rebuild=True)
                expected = tables(fresh)
                if how == "walk":  # the walk kept for the next refresh to compare with
                    expected["walk_parts"] = kept_walk(fresh)
            got = tables(live)
            if how == "walk":
                got["walk_parts"] = kept_walk(live)
            for name in expected:
                assert got[name] == expected[name], f"after '{what}': {name} differ"
            if how == "paths":
                # The parts of the walk kept up by `refresh_paths`: a refresh finds no more.
                quiet = refresh_index(live)
                assert (quiet.added, quiet.updated, quiet.removed) == (0, 0, 0), what
            live.end_snapshot()
            assert due(root, live_cache, monkeypatch) == due(root, fresh_cache, monkeypatch), what


def test_the_test_vault_has_contacts_and_problems(tmp_path: Path) -> None:
    """The comparison above is only worth something if the tables it compares are full."""
    root = write_vault(tmp_path / "vault", START)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)
        t = tables(idx)
    assert len(t["participants"]) >= 5
    assert any("Nobody Known" in p[3] for p in t["graph_problems"])
    assert not any("also used by" in p[3] for p in t["graph_problems"])  # until a change
    assert t["followups"]
    assert any(link[2] is None for link in t["links"])
    assert json.dumps(t)  # plain data


def test_no_change_after_the_first_load_works_out_the_whole_vault_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change of the list above updates the participants of the notes it touches,
    never of every conversation (what made one edit cost seconds in a large vault)."""
    root = write_vault(tmp_path / "vault", START)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)

        def whole_vault(self: Index) -> None:
            raise AssertionError("the whole vault's participants were worked out again")

        monkeypatch.setattr(Index, "_rebuild_graph", whole_vault)
        for step, (_what, change, paths) in enumerate(CHANGES):
            apply_change(root, idx, step, change, paths)
        assert idx.conn.execute("SELECT count(*) FROM participants").fetchone()[0] >= 4


def test_a_changed_conversation_looks_up_only_the_people_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command's refresh after a conversation or daily note changed matches its names
    against the people it names, looked up by name: it never loads everyone's names (a
    fifth of a second in a vault of 10,000 people). The participants are those a rebuild
    finds (see test_every_change_ends_where_a_rebuild_ends)."""
    root = write_vault(tmp_path / "vault", START)
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "c") as idx:
        refresh_index(idx)

    def everyone(*_args: object) -> None:
        raise AssertionError("everyone's names were loaded")

    monkeypatch.setattr("vault_crm.store.index._People.load", everyone)
    for step, (what, change, paths) in enumerate(CHANGES[:5]):
        with Index.open(settings, tmp_path / "c") as idx:  # a new command
            apply_change(root, idx, step, change, paths)
            got = sorted(idx.conn.execute("SELECT source, person FROM participants"))
        assert got, what
    assert ("Conversations/2026-11-12 Tea with Cy.md", "People/Cy Dias.md") in got
    assert ("Conversations/2026-10-01 Coffee with Ana.md", "People/eve-park.md") in got


@pytest.mark.parametrize("how", ["walk", "paths"])
def test_a_few_changed_notes_never_read_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The links of a few changed notes (and those a note that came or went re-points) are
    resolved by looking up just the titles they name: no change of the list above reads
    every note's path or builds the table of every title (seconds in a large vault)."""
    root = write_vault(tmp_path / "vault", START)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)

        def every_path(*_args: object) -> None:
            raise AssertionError("every note's path was read")

        monkeypatch.setattr(Index, "all_paths", every_path)
        monkeypatch.setattr("vault_crm.records.Resolver", every_path)
        for step, (_what, change, paths) in enumerate(CHANGES):
            apply_change(root, idx, step, change, paths, how)
        resolved = dict(
            idx.conn.execute("SELECT target, resolved FROM links WHERE source = ?", ("Ideas.md",))
        )
    assert resolved["Plan"] == "Projects/Deep/Plan.md"
    assert resolved["Cy Dias"] == "People/Cy Dias.md"


def latest_by_hand(
    rows: list[tuple[str, str, str, str, str, str, str | None]], today: str
) -> list[tuple[str, str, str, str, str, str, str | None]]:
    """What `contacts(today=...)` must return, worked out from every contact row: per
    person the latest contact (a conversation first on one day, then the greater path),
    the latest conversation, both on or before today, and the next scheduled one."""
    by_person: dict[str, list[tuple[str, str, str, str, str, str, str | None]]] = {}
    for row in rows:
        by_person.setdefault(row[0], []).append(row)
    out = set()
    for items in by_person.values():
        past = [r for r in items if r[1] <= today]
        convs = [r for r in past if r[4] == "conversation"]
        later = [r for r in items if r[1] > today and r[4] == "conversation"]
        if past:
            out.add(max(past, key=lambda r: (r[1], r[4] == "conversation", r[2])))
        if convs:
            out.add(max(convs, key=lambda r: (r[1], r[2])))
        if later:
            out.add(min(later, key=lambda r: (r[1], r[2])))
    return sorted(out, key=repr)


def test_stored_summaries_answer_for_any_today(tmp_path: Path) -> None:
    """The latest contacts read from the stored per-person summary (the newest contact of
    any date) are those worked out from every contact, for a today before everything,
    between contacts, before a scheduled conversation and after everything, after every
    change."""
    root = write_vault(tmp_path / "vault", START)
    with Index.open(load_settings(root), tmp_path / "c") as idx:
        refresh_index(idx)
        for step, (what, change, paths) in enumerate([("start", None, []), *CHANGES]):
            if change is not None:
                apply_change(root, idx, step, change, paths)
            every = idx.contacts()
            for today in TODAYS:
                got = sorted(idx.contacts(today=today), key=repr)
                assert got == latest_by_hand(every, today), f"after '{what}', today {today}"


def test_a_scheduled_conversation_counts_once_its_day_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dee Fox's only conversation is on 2026-12-05: scheduled before that day, her last
    contact on it and after (the daily note of 2026-11-10 mentions her too)."""
    dee_fox = {"People/Dee Fox.md": "---\ntype: person\ncadence: 2w\n---\n"}
    root = write_vault(tmp_path / "vault", {**START, **dee_fox})
    monkeypatch.setenv("VAULT_CRM_CACHE", str(tmp_path / "c"))

    def dee(today: str) -> dict[str, Any]:
        people = Vault(root, today).json("people")
        found = [p for p in people if p["person"] == "Dee Fox"]
        shown = Vault(root, today).json("show", "Dee Fox")
        return {"last": found[0]["last_contact"], "show": shown["last_contact"]}

    assert dee("2026-11-01") == {"last": None, "show": None}
    assert dee("2026-11-23") == {"last": "2026-11-10", "show": "2026-11-10"}
    assert dee("2026-12-05") == {"last": "2026-12-05", "show": "2026-12-05"}
    assert dee("2030-01-01") == {"last": "2026-12-05", "show": "2026-12-05"}
    before = Vault(root, "2026-11-23").run("show", "Dee Fox").stdout
    assert "scheduled: 2026-12-05" in before
    assert "scheduled" not in Vault(root, "2026-12-06").run("show", "Dee Fox").stdout


def test_a_path_holding_the_key_separator_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The latest contacts are picked as "date\\x1f...\\x1fpath" keys: a file name holding
    that character (as a fuzzed vault did) still names its note."""
    odd = "Conversations/2026-11-20 a\x1fb.md"
    root = write_vault(
        tmp_path / "vault", {**START, odd: "---\ndate: 2026-11-20\nwith: [Ana]\n---\n"}
    )
    monkeypatch.setenv("VAULT_CRM_CACHE", str(tmp_path / "c"))
    people = {p["person"]: p for p in Vault(root).json("people")}
    assert people["Ana Lima"]["last_contact"] == "2026-11-20"
    shown = Vault(root).json("show", "Ana Lima")
    assert shown["conversations"][0]["path"] == odd

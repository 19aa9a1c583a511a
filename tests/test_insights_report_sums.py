"""`vault report` adds up everyone's contacts in the index (contacts per month, each
person's contacts in the report's periods, their asks since the newest give): its figures
and lists equal the report worked out from every contact of every person, for every
today, on a vault of ties and oddly written intents."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from vault_crm.config import load_settings
from vault_crm.contacts import load_graph
from vault_crm.dates import add_months
from vault_crm.due import person_status
from vault_crm.insights.reciprocity import touches
from vault_crm.insights.report import build_report
from vault_crm.insights.sources import contact_dates
from vault_crm.reconnect import network_report
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import write_vault

NAMES = [f"P{i:02d}" for i in range(24)]
# As people write them: the report reads " Give ", "ASK" and "catch up" as give, ask and
# catch-up, and anything else (a list, a number, a word it does not know) as no intent.
INTENTS = ["give", "ask", " Give ", "ASK", "catch up", "[give]", "3", "maybe", None]


def vault_files(seed: int) -> dict[str, str | bytes]:
    rng = random.Random(seed)
    files: dict[str, str | bytes] = {".vault/config.toml": ""}
    for name in NAMES:
        cadence = rng.choice(["", "cadence: 1m\n", "cadence: 2w\n", "cadence: 6m\n"])
        files[f"People/{name}.md"] = f"---\ntype: person\n{cadence}tags: [t{len(name) % 3}]\n---\n"
    start = dt.date(2025, 1, 1)
    for n in range(160):
        # Few days, so that one person often has two conversations on the same day (the
        # newest give is then the one whose path sorts last), some after today.
        day = start + dt.timedelta(days=rng.randrange(0, 730, 7))
        people = rng.sample(NAMES, rng.choice([1, 1, 2, 3]))
        intent = rng.choice(INTENTS)
        props = f"intent: {intent!r}\n" if intent is not None and intent != "[give]" else ""
        if intent == "[give]":
            props = "intent: [give]\n"
        links = ", ".join(f'"[[{p}]]"' for p in people)
        files[f"Conversations/{day} talk {n:03d}.md"] = (
            f"---\ndate: {day}\nwith: [{links}]\n{props}---\nHello.\n"
        )
    for _ in range(30):
        day = start + dt.timedelta(days=rng.randrange(0, 700))
        files[f"Daily/{day}.md"] = f"Saw [[{rng.choice(NAMES)}]] and [[{rng.choice(NAMES)}]].\n"
    return files


def report_from_every_contact(idx: Index, rows: Any, today: dt.date) -> Any:
    """The report worked out from every person's contacts and every interaction row, as
    it was before the index kept its sums and asks: what the index's report must equal."""
    graph = load_graph(idx, today)
    entries = [
        person_status(p, graph.contacts.get(p.path, []), idx.settings, today)
        for p in graph.sorted_people()
    ]
    return build_report(entries, contact_dates(rows), touches(rows, today), today)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_report_from_the_index_sums_equals_the_one_from_every_contact(
    tmp_path: Path, seed: int
) -> None:
    root = write_vault(tmp_path / "vault", vault_files(seed))
    settings = load_settings(root)
    with Index.open(settings, tmp_path / "cache") as idx:
        refresh_index(idx)
        rows = idx.interactions()
        lists = 0
        # Some days, and days 6 and 12 months after a contact (on the periods' edges).
        days = sorted({dt.date.fromisoformat(r[1]) for r in rows})[::17]
        edges = [add_months(d, m) for d in days[:3] for m in (6, 12)]
        for today in (
            dt.date(2025, 3, 1),
            dt.date(2025, 12, 31),
            dt.date(2026, 2, 28),
            dt.date(2026, 6, 15),
            dt.date(2027, 3, 1),
            *edges,
            *days,
        ):
            expected = report_from_every_contact(idx, rows, today)
            got = network_report(idx, today)
            assert got == expected, today
            lists += len(got.fading) + len(got.weak_ties) + len(got.asks)
            assert sum(n for _m, n in got.months) > 0 or today.year == 2027
        # The vault puts people on the lists: the comparison is not of empty reports.
        assert lists > 10


def test_asks_since_the_last_give_follow_edited_added_and_removed_conversations(
    tmp_path: Path,
) -> None:
    """The index reads which conversations were asks or gives from what it keeps of each
    note: after a give becomes an ask, a conversation is added and one is deleted, the
    refreshed index's report equals the one from every contact."""
    root = write_vault(tmp_path / "vault", vault_files(3))
    settings = load_settings(root)
    today = dt.date(2026, 12, 1)

    def check(idx: Index) -> list[str]:
        refresh_index(idx)
        rows = idx.interactions()
        expected = report_from_every_contact(idx, rows, today)
        got = network_report(idx, today)
        assert got == expected
        return [f"{i.path}: {i.why}" for i in got.asks]

    with Index.open(settings, tmp_path / "cache") as idx:
        before = check(idx)
        talks = sorted((root / "Conversations").iterdir())
        gives = [p for p in talks if "intent: 'give'" in p.read_text()]
        assert gives
        for path in gives:
            path.write_text(path.read_text().replace("intent: 'give'", "intent: 'ask'"))
        after = check(idx)
        assert after != before  # the list moved: what was a give is an ask now
        (root / "Conversations" / "2026-11-30 new ask.md").write_text(
            '---\ndate: 2026-11-30\nwith: ["[[P00]]"]\nintent: ask\n---\nA favour.\n'
        )
        gives[0].unlink()
        check(idx)

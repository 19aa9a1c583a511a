"""`vault who` adds up each person's share of the matching conversations in the index and
reads the conversations of only the people who can make the list: for every --limit the
list, scores and evidence equal the ranking of every matching note credited one by one,
on a vault of near ties (people in the same meetings, topics said once or many times)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from vault_crm.config import load_settings
from vault_crm.insights.sources import load_experts
from vault_crm.insights.who import note_hit, rank_people
from vault_crm.refresh import refresh_index
from vault_crm.store import Index

from conftest import write_vault

NAMES = [f"Person {i:02d}" for i in range(30)]
WORDS = ["pricing", "hiring", "pricing pricing", "remote work", "pricing and hiring"]


def vault_files(seed: int) -> dict[str, str | bytes]:
    rng = random.Random(seed)
    files: dict[str, str | bytes] = {".vault/config.toml": ""}
    for i, name in enumerate(NAMES):
        props = rng.choice(
            ["", "known_for: pricing\n", "role: hiring manager\n", "company: Pricing Co\n", ""]
        )
        body = rng.choice(["", "Talks about pricing a lot.\n", "Likes hiring.\n", ""])
        template = "template: true\n" if i == 29 else ""
        alias = f"aliases: [{name.replace('Person', 'P')}]\n"
        files[f"People/{name}.md"] = f"---\ntype: person\n{alias}{props}{template}---\n{body}"
    for n in range(120):
        people = rng.sample(NAMES, rng.choice([1, 1, 2, 2, 3, 5]))
        links = ", ".join(f'"[[{p}]]"' for p in people)
        # A link to nobody: credited to no one, and counted in no one's share.
        if n % 17 == 0:
            links += ', "[[Someone Unknown]]"'
        # The same person named twice (by name and by alias): credited once.
        if n % 13 == 0:
            links += f', "[[{people[0]}]]", "[[{people[0].replace("Person", "P")}]]"'
        said = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        filler = " ".join(["words"] * rng.randint(0, 30))
        files[f"Conversations/2026-{1 + n % 12:02d}-{1 + n % 28:02d} talk {n:03d}.md"] = (
            f"---\ndate: 2026-{1 + n % 12:02d}-{1 + n % 28:02d}\nwith: [{links}]\n---\n"
            f"{said} {filler}\n"
        )
    return files


@pytest.mark.parametrize("seed", [3, 4])
def test_who_from_the_index_sums_equals_crediting_every_note(tmp_path: Path, seed: int) -> None:
    root = write_vault(tmp_path / "vault", vault_files(seed))
    with Index.open(load_settings(root), tmp_path / "cache") as idx:
        refresh_index(idx)
        people = idx.person_titles()
        shown = 0
        for match in ("pricing", "hiring", "pric*", '"remote work"', "nothingmatches"):
            profile = idx.profile_hits(match)
            notes = [note_hit(r) for r in idx.note_hits(match)]
            for limit in (1, 2, 3, 5, 8, 13, 40, None):
                expected = rank_people(people, profile, notes, limit)
                assert load_experts(idx, match, limit) == expected, (match, limit)
                shown += len(expected)
        # Lists of people with conversations as evidence, not empty answers.
        assert shown > 200
        experts = load_experts(idx, "pricing", 5)
        assert any(e.field == "conversation" for x in experts for e in x.evidence)

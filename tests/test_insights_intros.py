"""`vault intros`: introductions worth making, and the ones already made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]


def _person(props: str, body: str = "") -> str:
    return f"---\n{props}\n---\n{body}"


def _talk(day: str, *names: str, body: str = "Chat.\n") -> str:
    people = ", ".join(f'"[[{n}]]"' for n in names)
    return f"---\ndate: {day}\nwith: [{people}]\n---\n{body}"


VAULT: dict[str, str | bytes] = {
    ".vault/config.toml": "",
    "People/Bruno.md": _person("known_for: pricing strategy for SaaS"),
    "People/Eva.md": _person("role: product designer"),
    # Two people who need what Bruno knows: Ana you saw last week, Jana a year ago.
    "People/Ana.md": _person("needs: pricing advice for her studio"),
    "People/Jana.md": _person("needs: pricing advice for her shop"),
    "People/Carla.md": _person("needs: someone to design the new site"),
    # Already connected to Bruno, each in its own way:
    "People/Fred.md": _person("needs: pricing advice"),  # a conversation together
    "People/Gina.md": _person("needs: pricing advice", "Met through [[Bruno]].\n"),  # a link
    "People/Hugo.md": _person('needs: pricing advice\nintroduced_by: "[[Bruno]]"'),
    "People/Ines.md": _person("needs: pricing advice"),  # an open "introduce" follow-up
    # One word of a long need is a coincidence, not an introduction.
    "People/Kim.md": _person("needs: studio office space with parking, pricing aside"),
    "Conversations/2026-11-16 Ana.md": _talk("2026-11-16", "Ana"),
    "Conversations/2026-11-02 Ana.md": _talk("2026-11-02", "Ana"),
    "Conversations/2026-11-10 Bruno.md": _talk("2026-11-10", "Bruno"),
    "Conversations/2025-11-01 Jana.md": _talk("2025-11-01", "Jana"),
    "Conversations/2026-05-01 Fred and Bruno.md": _talk("2026-05-01", "Fred", "Bruno"),
    "Conversations/2026-06-01 Ines.md": _talk(
        "2026-06-01", "Ines", body="- [ ] Introduce Ines to [[Bruno]]\n"
    ),
}


def test_suggested_pairs_and_their_order(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("intros")
    pairs = [(i["a"], i["b"]) for i in data]
    # Ana and Jana need the same thing; you are closer to Ana (seen last week).
    assert pairs == [("Ana", "Bruno"), ("Jana", "Bruno"), ("Carla", "Eva")]
    first = data[0]
    assert set(first) == {"a", "b", "a_path", "b_path", "reason", "needs", "offers", "score"}
    assert first["a_path"] == "People/Ana.md" and first["b_path"] == "People/Bruno.md"
    assert first["needs"] == "pricing advice for her studio"
    assert first["offers"] == "known_for: pricing strategy for SaaS"
    assert first["reason"] == (
        "Ana needs pricing advice for her studio; Bruno is known for pricing strategy"
        " for SaaS (matched: pricing)"
    )
    assert data[0]["score"] > data[1]["score"]
    # "design" meets "designer" through the index's stemming.
    assert data[2]["offers"] == "role: product designer"
    assert "(matched: design)" in data[2]["reason"]


def test_already_connected_pairs_are_never_suggested(make_vault: MakeVault) -> None:
    data = Vault(make_vault(VAULT)).json("intros")
    named = {i["a"] for i in data}
    assert not named & {"Fred", "Gina", "Hugo", "Ines", "Kim"}
    # Closing the follow-up makes Ines an introduction worth making again.
    files = dict(VAULT)
    files["Conversations/2026-06-01 Ines.md"] = _talk(
        "2026-06-01", "Ines", body="- [x] Introduce Ines to [[Bruno]]\n"
    )
    again = Vault(make_vault(files)).json("intros")
    assert ("Ines", "Bruno") in [(i["a"], i["b"]) for i in again]


def test_limit_and_text_output(make_vault: MakeVault) -> None:
    v = Vault(make_vault(VAULT))
    result = v.run("intros", "--limit", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("Ana → Bruno  (")
    assert "matched: pricing" in result.stdout
    assert "Jana" not in result.stdout
    assert "2 more" in result.stderr


def test_nothing_to_suggest(make_vault: MakeVault) -> None:
    result = Vault(make_vault({"People/Bo.md": "---\nknown_for: jazz\n---\n"})).run("intros")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No introductions" in result.stderr


def test_a_limit_shows_the_first_of_the_full_ranking_and_counts_every_pair() -> None:
    """With many candidates (here 120 people who each need and offer a few of five words:
    thousands of candidate pairs, many of them found both ways, many scoring alike),
    `--limit N` keeps only the best while it counts: the N shown are the first N of the
    whole ranking and the count is that of every pair."""
    from vault_crm.insights.intros import Word, suggest

    topics = ["pricing", "design", "hiring", "sales", "legal"]
    people = {f"People/P{i:03}.md": f"P{i:03}" for i in range(120)}
    words = {}
    for i, path in enumerate(people):
        need = [topics[i % 5], topics[(i // 5) % 5]]
        offer = [topics[(i + 2) % 5], topics[(i // 3) % 5]]
        words[path] = {
            "needs": (" ".join(need), [Word(t, t) for t in need]),
            "known_for": (" ".join(offer), [Word(t, t) for t in offer]),
        }
    # Two people who each offer what the other needs, in rare words: the best pair,
    # found both ways with the same score.
    for path, need, offer in (("People/Zed.md", "quantum", "origami"),
                              ("People/Zoe.md", "origami", "quantum")):  # fmt: skip
        people[path] = path[7:10]
        words[path] = {
            "needs": (need, [Word(need, need)]),
            "known_for": (offer, [Word(offer, offer)]),
        }
    paths = sorted(people)
    connected = [(paths[i], paths[i + 1]) for i in range(0, 119, 7)]
    close = {path: (i % 4) / 4 for i, path in enumerate(paths)} | {
        "People/Zed.md": 1.0,
        "People/Zoe.md": 1.0,
    }
    everything, total = suggest(people, words, connected, close)
    assert total == len(everything) > 2_000
    assert {everything[0].a, everything[0].b} == {"Zed", "Zoe"}
    pairs = {frozenset((i.a_path, i.b_path)) for i in everything}
    assert len(pairs) == total  # one per pair
    for limit in (1, 2, 3, 10, 200):
        shown, counted = suggest(people, words, connected, close, limit)
        assert counted == total
        assert shown == everything[:limit]

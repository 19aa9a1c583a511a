"""`vault who TOPIC`: whom you know about a topic, with the evidence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from vault_crm.insights.who import NoteHit, rank_people

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

VAULT: dict[str, str | bytes] = {
    ".vault/config.toml": "",
    "People/Ana Lima.md": """
        ---
        known_for: pricing strategy for SaaS
        role: founder
        ---
        Ana runs a small studio.
        """,
    "People/Bruno Costa.md": """
        ---
        working_on: a new pricing page
        company: Acme
        ---
        """,
    "People/Carla Dias.md": """
        ---
        role: engineer
        ---
        Carla once mentioned pricing at a dinner.
        """,
    "People/Dev Patel.md": """
        ---
        tags: [friend]
        ---
        """,
    "People/Eva Rossi.md": """
        ---
        tags: [design]
        ---
        """,
    # Dev took part in many conversations about pricing: strong evidence, but only mentions.
    **{
        f"Conversations/2026-0{m}-10 Call with Dev.md": f"""
        ---
        with: ["[[Dev Patel]]"]
        ---
        We went through pricing again, round {m}.
        """
        for m in range(1, 7)
    },
    "Conversations/2026-07-01 Team lunch.md": """
        ---
        with: ["[[Eva Rossi]]", "[[Carla Dias]]"]
        ---
        Talked about pricing for a minute, then holidays.
        """,
    "Notes/Pricing ideas.md": "Nothing about people here, just pricing ideas.\n",
}


def test_stated_expertise_ranks_first_then_profile_then_mentions(make_vault: MakeVault) -> None:
    results = Vault(make_vault(VAULT)).json("who", "pricing")
    names = [r["person"] for r in results]
    # Ana says she is known for it; Bruno works on it; Dev, Carla and Eva only
    # come up in conversations or a passing mention, however many.
    assert names[:2] == ["Ana Lima", "Bruno Costa"]
    assert set(names[2:]) == {"Dev Patel", "Carla Dias", "Eva Rossi"}
    # Six conversations with Dev alone outweigh one shared lunch and a passing mention.
    assert names[2] == "Dev Patel"
    # A note that is about no person credits nobody.
    assert all(r["path"].startswith("People/") for r in results)


def test_each_result_shows_its_evidence(make_vault: MakeVault) -> None:
    results = {r["person"]: r for r in Vault(make_vault(VAULT)).json("who", "pricing")}
    assert all(set(r) == {"person", "path", "score", "evidence"} for r in results.values())
    ana = results["Ana Lima"]["evidence"]
    assert ana[0] == {
        "path": "People/Ana Lima.md",
        "field": "known_for",
        "snippet": "[pricing] strategy for SaaS",
    }
    bruno = results["Bruno Costa"]["evidence"]
    assert bruno[0]["field"] == "working_on"
    dev = results["Dev Patel"]["evidence"]
    assert [e["field"] for e in dev] == ["conversation"] * 6
    assert dev[0]["path"] == "Conversations/2026-06-10 Call with Dev.md"  # newest first
    assert "[pricing]" in dev[0]["snippet"]
    carla = [e["field"] for e in results["Carla Dias"]["evidence"]]
    assert carla == ["body", "conversation"]


def test_stemming_and_accents_match_like_search(make_vault: MakeVault) -> None:
    files = {
        "People/Zoë.md": "---\nknown_for: Designing café interiors\n---\n",
        "People/Other.md": "---\nrole: designer\n---\n",
    }
    results = Vault(make_vault(files)).json("who", "cafe", "design")
    assert [r["person"] for r in results] == ["Zoë"]
    assert [r["person"] for r in Vault(make_vault(files)).json("who", "designer")] == [
        "Zoë",
        "Other",
    ]


def test_text_output_and_nobody(make_vault: MakeVault) -> None:
    v = Vault(make_vault(VAULT))
    result = v.run("who", "pricing", "--limit", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("Ana Lima")
    assert "known_for: [pricing] strategy for SaaS" in result.stdout
    assert "Bruno" not in result.stdout
    none = v.run("who", "astronomy")
    assert none.exit_code == 0
    assert none.stdout == ""
    assert "Nobody" in none.stderr


def test_a_filter_is_a_clear_error(make_vault: MakeVault) -> None:
    result = Vault(make_vault(VAULT)).run("who", "pricing", "tag:mentor")
    assert result.exit_code == 1
    assert "vault search" in result.stderr


@given(
    mentions=st.integers(min_value=0, max_value=60),
    mention_score=st.floats(min_value=0.01, max_value=50),
    stated_score=st.floats(min_value=0.01, max_value=50),
    field=st.sampled_from(["working_on", "role", "company", "tags"]),
)
def test_a_passing_mention_never_outranks_a_stated_expertise(
    mentions: int, mention_score: float, stated_score: float, field: str
) -> None:
    people = {"A.md": "Ann", "B.md": "Bob", "C.md": "Cy"}
    # Ann only states it; Bob only works near it; Cy is mentioned in many conversations.
    profile = [("A.md", "known_for", stated_score, "x"), ("B.md", field, 50.0, "x")]
    notes = [
        NoteHit(f"c{i}.md", "conversation", f"c{i}", "2026-01-01", mention_score, ("C.md",))
        for i in range(mentions)
    ]
    notes.append(NoteHit("C.md", "person", "Cy", None, 50.0, ()))
    ranked = [x.person for x in rank_people(people, profile, notes)]
    assert ranked == ["Ann", "Bob", "Cy"]

"""`vault add`, `vault log`, `vault snooze`: new notes and byte-exact front-matter edits."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import forked
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vault_crm.edit import set_property, yaml_frontmatter, yaml_scalar
from vault_crm.errors import WriteRefusedError
from vault_crm.notes import load_yaml

from conftest import Vault

MakeVault = Callable[[dict[str, str | bytes]], Path]

BASE = {
    "People/Ana Lima.md": "---\ntype: person\naliases: [Ana]\ncadence: 2w\n---\nDesigner.\n",
    "People/Rui Costa.md": "---\ntype: person\n---\n",
}

# --- snooze: byte-exact golden edits ---------------------------------------------------

SNOOZE_CASES = {
    "bom-crlf": (
        b"\xef\xbb\xbf---\r\ntype: person\r\ncadence: 2w  \r\n---\r\nBody\r\n",
        b"\xef\xbb\xbf---\r\ntype: person\r\ncadence: 2w  \r\nsnooze_until: 2026-12-07\r\n"
        b"---\r\nBody\r\n",
    ),
    "comments-flow-block-quoting": (
        b"---\n# who\ntype: person   # me\ntags: [a, 'b c']\naliases:\n  - X\n"
        b"email: 'x@y.z'\n---\n",
        b"---\n# who\ntype: person   # me\ntags: [a, 'b c']\naliases:\n  - X\n"
        b"email: 'x@y.z'\nsnooze_until: 2026-12-07\n---\n",
    ),
    "already-present": (
        b"---\ntype: person\nsnooze_until: 2026-01-01\ncadence: 2w\n---\n",
        b"---\ntype: person\nsnooze_until: 2026-12-07\ncadence: 2w\n---\n",
    ),
    "present-as-block-list": (
        b"---\ntype: person\nsnooze_until:\n  - 2026-01-01\ncadence: 2w\n---\n",
        b"---\ntype: person\nsnooze_until: 2026-12-07\ncadence: 2w\n---\n",
    ),
    "no-front-matter": (
        b"Just text.\n",
        b"---\nsnooze_until: 2026-12-07\n---\nJust text.\n",
    ),
    "no-trailing-newline-in-front-matter-value": (
        b"---\ntype: person\n---",
        b"---\ntype: person\nsnooze_until: 2026-12-07\n---",
    ),
}


@pytest.mark.parametrize("case", sorted(SNOOZE_CASES))
def test_snooze_changes_only_its_line(make_vault: MakeVault, case: str) -> None:
    before, after = SNOOZE_CASES[case]
    root = make_vault({"People/Bo.md": before})
    result = Vault(root).run("snooze", "Bo", "2w")
    assert result.exit_code == 0, result.stderr
    assert (root / "People/Bo.md").read_bytes() == after
    assert result.stdout.strip() == "People/Bo.md"


def test_snooze_clear_removes_only_its_line(make_vault: MakeVault) -> None:
    text = b"---\ntype: person\nsnooze_until: 2026-12-07\ncadence: 2w\n---\nBody\n"
    root = make_vault({"People/Bo.md": text})
    assert Vault(root).run("snooze", "bo", "--clear").exit_code == 0
    assert (root / "People/Bo.md").read_bytes() == b"---\ntype: person\ncadence: 2w\n---\nBody\n"


def test_snooze_to_a_date_shows_in_due(make_vault: MakeVault) -> None:
    root = make_vault({**BASE, "People/Bo.md": "---\ncadence: 1w\nlast_contact: 2026-10-01\n---\n"})
    v = Vault(root)
    assert [e["person"] for e in v.json("due", "--no-write")["due"]] == ["Bo"]
    assert v.run("snooze", "Bo", "2027-01-10").exit_code == 0
    assert v.json("due", "--no-write")["due"] == []  # the index saw it at once
    assert v.json("show", "Bo")["due_date"] == "2027-01-10"


def test_snooze_refuses_a_note_whose_front_matter_does_not_parse(make_vault: MakeVault) -> None:
    bad = b"---\ntype: person\nbad: [unclosed\n---\nBody\n"
    root = make_vault({"People/Bo.md": bad})
    result = Vault(root).run("snooze", "Bo", "2w")
    assert result.exit_code == 1
    assert "People/Bo.md" in result.stderr and "not valid YAML" in result.stderr
    assert (root / "People/Bo.md").read_bytes() == bad


def test_snooze_keeps_the_file_mode(make_vault: MakeVault) -> None:
    root = make_vault({"People/Bo.md": "---\ntype: person\n---\n"})
    (root / "People/Bo.md").chmod(0o640)
    assert Vault(root).run("snooze", "Bo", "1w").exit_code == 0
    assert stat.S_IMODE((root / "People/Bo.md").stat().st_mode) == 0o640


def test_snooze_bad_duration_and_unknown_person(make_vault: MakeVault) -> None:
    v = Vault(make_vault(BASE))
    assert v.run("snooze", "Ana", "soonish").exit_code == 2  # a bad value is bad usage
    result = v.run("snooze", "Zed", "2w")
    assert result.exit_code == 1 and "no person named 'Zed'" in result.stderr
    assert v.run("snooze", "Ana").exit_code == 2


KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
VALUES = st.one_of(
    st.text(max_size=20),
    st.integers(-1000, 1000),
    st.lists(st.text(alphabet="abc xyz:#", max_size=6), max_size=3),
)


def _front_matter(props: dict[str, object], crlf: bool) -> str:
    text = yaml.safe_dump(props, allow_unicode=True, sort_keys=False) if props else ""
    doc = f"---\n{text}---\nbody\n"
    return doc.replace("\n", "\r\n") if crlf else doc


def _yaml_of(doc: str) -> str:
    """The YAML between the opening `---` line and the next line that is exactly `---`."""
    return ("\n" + doc.removeprefix("---\n")).split("\n---\n")[0]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(props=st.dictionaries(KEYS, VALUES, min_size=0, max_size=6), crlf=st.booleans())
@example(props={"a": "snooze_until"}, crlf=False)  # the key's name as another key's value
@example(props={"snooze_until": ["a", "b"], "z": 1}, crlf=True)  # replaced in place
@example(props={}, crlf=False)
def test_an_edit_changes_only_the_intended_key(props: dict[str, object], crlf: bool) -> None:
    doc = _front_matter(props, crlf)
    try:
        before = load_yaml(_yaml_of(_front_matter(props, False))) or {}
    except yaml.YAMLError:
        return
    edited = set_property(doc, "snooze_until", "2026-12-07", "x.md")
    after = load_yaml(_yaml_of(edited.replace("\r\n", "\n")))
    assert after == {**before, "snooze_until": dt.date(2026, 12, 7)}
    # The exact bytes: the key's line replaces its old lines in place, or is appended last;
    # every other byte of the file is as it was.
    marker = "SNOOZEMARKER"
    expected = _front_matter({**props, "snooze_until": marker}, crlf)
    assert edited == expected.replace(f"snooze_until: {marker}", "snooze_until: 2026-12-07")
    without = {k: v for k, v in props.items() if k != "snooze_until"}
    assert set_property(edited, "snooze_until", None, "x.md") == _front_matter(without, crlf)


def test_set_property_refuses_a_front_matter_that_is_a_list() -> None:
    with pytest.raises(WriteRefusedError):
        set_property("---\n- a\n---\n", "snooze_until", "2026-01-01", "x.md")


# --- safe YAML for new notes -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Acme: the company", "#hashtag", "@handle", "yes", "no", "12:30", "+447700900123", "0123",
     "Zoë Ångström", 'say "hi"', "it's", "[[Ana Lima]]", "- dash", "2026-01-01", "null", "",
     " padded ", "a # b", "100", "1e3", "~", "*star", "&amp", "!tag", "%pct", "`tick`",
     "0x1F", "0b101", "0o17", "-0x1f", ".5", "+.5e3", ".Inf", "-.INF", ".NaN", ".NAN",
     "3M Company"],
)  # fmt: skip
def test_yaml_scalar_round_trips(value: str) -> None:
    for loader in (yaml.safe_load, load_yaml):
        assert loader(f"k: {yaml_scalar(value)}\n") == {"k": value}


@pytest.mark.parametrize(
    "value", ["0x1F", "0b101", "0o17", "0o7_7", ".5", "-.5", ".Inf", "+.inf", ".NaN", ".NAN"]
)
def test_values_a_yaml_1_2_reader_takes_for_numbers_are_quoted(value: str) -> None:
    # Obsidian reads YAML 1.2, where these are numbers (PyYAML, YAML 1.1, misses some).
    assert yaml_scalar(value) == f'"{value}"'


def test_frontmatter_lists_of_links_as_obsidian_writes_them() -> None:
    text = yaml_frontmatter({"with": ["[[Ana Lima]]", "[[Rui]]"], "empty": [], "n": None})
    assert text == '---\nwith:\n  - "[[Ana Lima]]"\n  - "[[Rui]]"\n---\n'


# --- vault add ---------------------------------------------------------------------------


def test_add_creates_a_person_that_reads_back(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    v = Vault(root)
    result = v.run(
        "add", "Zoë Ångström", "--alias", "Zoe", "--tag", "design", "--cadence", "2w",
        "--company", "Acme: the company", "--phone", "+447700900123", "--birthday", "--03-21",
        "--introduced-by", "ana", "--met", "2026-11-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "People/Zoë Ångström.md"
    shown = v.json("show", "zoe")
    assert shown["properties"]["company"] == "Acme: the company"
    assert shown["properties"]["phone"] == "+447700900123"
    assert shown["properties"]["birthday"] == "--03-21"
    assert shown["introduced_by"] == "Ana Lima"
    assert shown["aliases"] == ["Zoe"] and shown["tags"] == ["design"]
    assert v.json("people")[-1]["person"] == "Zoë Ångström"


@pytest.mark.parametrize(
    "name", ["", "  ", ".hidden", "a..b", "../escape", "a/b", "a\\b", "a:b", "a*b", "a?b",
             'a"b', "a<b", "a>b", "a|b", "a#b", "a^b", "a[b", "a]b"],
)  # fmt: skip
def test_add_refuses_unsafe_names_and_writes_nothing(make_vault: MakeVault, name: str) -> None:
    root = make_vault(BASE)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = Vault(root).run("add", name)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_add_refuses_an_existing_person_or_alias(make_vault: MakeVault) -> None:
    v = Vault(make_vault(BASE))
    assert v.run("add", "ana lima").exit_code == 1
    assert v.run("add", "New Person", "--alias", "Ana").exit_code == 1


def test_add_refuses_a_bad_cadence_or_date_before_writing(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    v = Vault(root)
    assert v.run("add", "New Person", "--cadence", "often").exit_code == 2
    assert v.run("add", "New Person", "--birthday", "01/01/1980").exit_code == 2
    assert not (root / "People/New Person.md").exists()


def test_add_json(make_vault: MakeVault) -> None:
    data = Vault(make_vault(BASE)).json("add", "New Person")
    assert data == {"path": "People/New Person.md", "action": "created"}


def test_add_uses_a_vault_template_override(make_vault: MakeVault) -> None:
    root = make_vault({**BASE, ".vault/templates/person.md.j2": "Hello {{ name }}.\n"})
    assert Vault(root).run("add", "New Person").exit_code == 0
    assert (root / "People/New Person.md").read_text().endswith("---\nHello New Person.\n")


# --- vault log -----------------------------------------------------------------------------


def test_log_creates_a_conversation_that_counts_as_contact(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    v = Vault(root)
    result = v.run("log", "ana", "Rui Costa", "--channel", "coffee", "--intent", "give",
                   "-m", "Talked about pricing.\n\n- [ ] Send Ana the deck")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    path = "Conversations/2026-11-23 Coffee with Ana Lima.md"
    assert result.stdout.strip() == path
    text = (root / path).read_text()
    assert text.startswith(
        "---\ntype: conversation\ndate: 2026-11-23\nwith:\n"
        '  - "[[Ana Lima]]"\n  - "[[Rui Costa]]"\nchannel: coffee\nintent: give\n---\n'
    )
    assert v.json("show", "ana")["last_contact"] == "2026-11-23"
    assert [f["text"] for f in v.json("followups", "rui")] == ["Send Ana the deck"]
    # the same again gets a suffix rather than overwriting
    again = v.run("log", "ana", "--channel", "coffee", "-m", "Second coffee.")
    assert again.stdout.strip() == "Conversations/2026-11-23 Coffee with Ana Lima (2).md"
    assert (root / path).read_text() == text


def test_log_reads_a_piped_message(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    result = Vault(root).run("log", "rui", "--date", "2026-11-20", input="From a pipe.\n")
    assert result.exit_code == 0, result.stderr
    note = root / "Conversations/2026-11-20 Conversation with Rui Costa.md"
    assert note.read_text().endswith("---\nFrom a pipe.\n")


def test_log_empty_message_writes_nothing(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    result = Vault(root).run("log", "rui", input="   \n")
    assert result.exit_code == 1 and "empty message" in result.stderr
    assert not (root / "Conversations").exists() or not any((root / "Conversations").iterdir())


def test_log_unknown_person_lists_candidates(make_vault: MakeVault) -> None:
    result = Vault(make_vault(BASE)).run("log", "Anna Lima", "-m", "x")
    assert result.exit_code == 1
    assert "no person named 'Anna Lima'" in result.stderr and "Ana Lima" in result.stderr


def log_with_editor(root: Path, tmp_path: Path, writes: str) -> subprocess.CompletedProcess[str]:
    """Run `vault log ana` in a process of its own (tests/forked.py) whose $EDITOR is a
    script that types `writes` at the top of the file it is given, as a user does. stdin is
    not a terminal under pytest, so the child is told it is one (the only way `vault log`
    opens an editor)."""
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "old = open(sys.argv[1]).read()\n"
        f"open(sys.argv[1], 'w').write({writes!r} + old)\n"
    )
    env = dict(os.environ, EDITOR=f"{sys.executable} {editor}", VAULT_TODAY="2026-11-23")

    def at_a_terminal() -> None:
        sys.stdin.isatty = lambda: True  # type: ignore[method-assign]

    argv = ["--vault", str(root), "log", "ana"]
    done = forked.run(*argv, env=env, preexec=at_a_terminal)
    return subprocess.CompletedProcess(
        argv, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_log_with_editor_keeps_every_line_the_user_wrote(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    root = make_vault(BASE)
    written = "#design #pricing\n# Pricing\n\nWritten in the editor.\n## Next\n- [ ] Call back\n"
    done = log_with_editor(root, tmp_path, written)
    assert done.returncode == 0, done.stderr
    note = root / "Conversations/2026-11-23 Conversation with Ana Lima.md"
    assert note.read_text().endswith("---\n" + written)
    assert [f["text"] for f in Vault(root).json("followups", "ana")] == ["Call back"]


def test_log_editor_left_empty_aborts(make_vault: MakeVault, tmp_path: Path) -> None:
    root = make_vault(BASE)
    done = log_with_editor(root, tmp_path, "\n  \n")
    assert done.returncode == 1 and "empty message" in done.stderr
    assert not (root / "Conversations").exists() or not any((root / "Conversations").iterdir())


def test_log_each_message_option_is_a_paragraph(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    v = Vault(root)
    result = v.run("log", "ana", "-m", "# Pricing", "-m", "Talked.\nAt length.", "-m", "#followup")
    assert result.exit_code == 0, result.stderr
    note = root / "Conversations/2026-11-23 Conversation with Ana Lima.md"
    assert note.read_text().endswith("---\n# Pricing\n\nTalked.\nAt length.\n\n#followup\n")


def test_log_inline_task_in_a_message_becomes_a_follow_up(make_vault: MakeVault) -> None:
    root = make_vault(BASE)
    v = Vault(root)
    # the README's own example
    message = "Talked about her pricing page. - [ ] send the article"
    assert v.run("log", "ana", "--channel", "coffee", "-m", message).exit_code == 0
    note = root / "Conversations/2026-11-23 Coffee with Ana Lima.md"
    assert note.read_text().endswith(
        "---\nTalked about her pricing page.\n- [ ] send the article\n"
    )
    assert [f["text"] for f in v.json("followups", "ana")] == ["send the article"]


# --- a command's own writes are in the index before it exits -------------------------------


def test_snooze_and_log_are_seen_with_no_refresh(make_vault: MakeVault) -> None:
    root = make_vault({**BASE, "People/Bo.md": "---\ncadence: 1w\nlast_contact: 2026-10-01\n---\n"})
    v = Vault(root)
    assert v.json("show", "Bo")["due_date"] == "2026-10-08"
    assert v.run("snooze", "Bo", "2027-01-10").exit_code == 0
    assert v.json("--no-refresh", "show", "Bo")["due_date"] == "2027-01-10"
    assert v.run("log", "Bo", "-m", "Lunch. - [ ] book the venue").exit_code == 0
    shown = v.json("--no-refresh", "show", "Bo")
    assert shown["last_contact"] == "2026-11-23"
    assert [f["text"] for f in v.json("--no-refresh", "followups", "Bo")] == ["book the venue"]
    assert v.run("add", "Cy Dee").exit_code == 0
    assert "Cy Dee" in [p["person"] for p in v.json("--no-refresh", "people")]

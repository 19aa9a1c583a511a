"""A property of the whole tool: whatever a vault holds, every command answers.

Hypothesis generates whole vaults (names with Unicode, control characters and bytes that
are not UTF-8; front-matter from YAML fragments, hostile ones included, and random bytes;
bodies with links, tasks and code; dates and cadences at the edges) and runs `index`,
`check`, `due --json`, `people`, `search` and `show` on each. None may exit 3 or print a
traceback, `vault check --json` must list every note made unreadable on purpose, and no
file's bytes may change. A few dozen vaults in the normal run; for a long run:
`VAULT_FUZZ_EXAMPLES=2000 pytest tests/test_property_vault.py`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Vault

EXAMPLES = int(os.environ.get("VAULT_FUZZ_EXAMPLES", "25"))

EDGE_DATES = ["0001-01-01", "9999-12-31", "2024-02-29", "2026-02-30", "2026-13-01", "1970-01-01"]
EDGE_CADENCES = ["0", "-1", "1d", "100y", "101y", "99999y", "9" * 30, "never", "2w", "1e9", "y"]
FRAGMENTS = [
    "type: person",
    "type: meeting",
    "type: [person]",
    'with: "[[Ana]]"',
    "with: [[Ana]]",
    "aliases: [A, B, C]",
    "tags: [x, y/z]",
    "birthday: --02-29",
    "dates: {wedding: 2020-01-01}",
    "dates: [1, 2]",
    "categories: '[[People]]'",
    "phone: +447700900123",
    "x: &a [1, 2]\ny: *a",
    "<<: {a: 1}",
    "? complex\n: key",
    "- just\n- a list",
    "plain text",
    "",
]
BAD_FRAGMENTS = [  # each makes the front-matter unreadable: check must list the note
    "a: &a [*a]",
    "a: &a {b: *a}",
    "x: " + "[" * 60 + "]" * 60,
    "x: [unclosed",
    "\tindented: with a tab",
    "l0: &l0 [a,a,a,a,a,a,a,a,a]\n"
    + "\n".join(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 7)),
]
BODY_PARTS = [
    "[[Ana]]",
    "[[Ana|alias]]",
    "![[pic.png]]",
    "[[",
    "]]",
    "- [ ] follow up with [[Bo]]",
    "- [x] done",
    "```\n[[not a link]]\n```",
    "#tag",
    "%%comment%%",
    "---",
    "\x00",
    "é" * 3,
]
NAME_CHARS = st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"])


@st.composite
def names(draw: st.DrawFn) -> bytes:
    # A leading dot hides a file from the vault (as in Obsidian): not generated here.
    text = draw(st.text(NAME_CHARS, min_size=1, max_size=30)).strip().lstrip(".")
    if not text or text.casefold().startswith("reconnect"):
        text = "note"
    raw = text.encode("utf-8")[:150]
    raw = raw.decode("utf-8", "ignore").encode("utf-8") or b"note"
    if draw(st.booleans()) and draw(st.booleans()):
        raw += draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3"]))  # not UTF-8
    folder = draw(st.sampled_from([b"", b"People/", b"Meetings/", b"Deep/er/", b"Templates/"]))
    return folder + raw + b".md"


@st.composite
def notes(draw: st.DrawFn) -> tuple[bytes, bytes, bool]:
    """(content, whether its front-matter was made unreadable on purpose)."""
    lines = draw(st.lists(st.sampled_from(FRAGMENTS), max_size=5))
    lines.append("cadence: " + draw(st.sampled_from(EDGE_CADENCES)))
    for key in ("date", "last_contact", "snooze_until"):
        if draw(st.booleans()):
            lines.append(f"{key}: {draw(st.sampled_from(EDGE_DATES))}")
    bad = draw(st.booleans()) and draw(st.booleans())
    if bad:
        lines.insert(0, "type: person")
        lines.append(draw(st.sampled_from(BAD_FRAGMENTS)))
    front = "\n".join(lines)
    body = " ".join(draw(st.lists(st.sampled_from(BODY_PARTS), max_size=8)))
    body += draw(st.text(max_size=40).map(lambda t: t.replace("\x00", "")))
    content = f"---\n{front}\n---\n{body}\n".encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and not bad:
        content += draw(st.binary(max_size=30))
    return content, bad


@st.composite
def vaults(draw: st.DrawFn) -> dict[bytes, tuple[bytes, bool]]:
    files = draw(st.dictionaries(names(), notes(), min_size=1, max_size=12))
    files[b"People/Ana.md"] = (b"---\ntype: person\ncadence: 2w\n---\nAna\n", False)
    return files


def snapshot(root: Path) -> dict[bytes, bytes]:
    out = {}
    for folder, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                out[path] = fh.read()
    return out


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="CI" in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files=vaults(), query=st.text(max_size=20))
def test_every_command_answers_on_any_vault(
    files: dict[bytes, tuple[bytes, bool]], query: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "vault")
        os.environ["VAULT_CRM_CACHE"] = str(Path(tmp, "cache"))
        broot = os.fsencode(root)
        for name, (content, _bad) in files.items():
            path = os.path.join(broot, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        before = snapshot(root)
        v = Vault(root)
        results = {
            "index": v.run("index", "--json"),
            "check": v.run("check", "--json"),
            "due": v.run("due", "--json"),
            "people": v.run("people"),
            "search": v.run("search", query or "Ana", "--json"),
            "show": v.run("show", "Ana"),
        }
        for name, result in results.items():
            assert result.exit_code in (0, 1, 2), (name, result.output)
            assert "Traceback" not in result.output, (name, result.output)
            assert "Unexpected error" not in result.output, (name, result.output)
        assert results["people"].exit_code == 0
        listed = {p["path"] for p in json.loads(results["check"].stdout)}
        for name, (_content, bad) in files.items():
            shown = name.decode("utf-8", "backslashreplace")
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                assert shown in listed, (shown, listed)
                continue
            if bad and not shown.startswith("Templates/"):
                import unicodedata

                assert unicodedata.normalize("NFC", shown) in listed, (shown, listed)
        after = snapshot(root)
        assert {k: after.get(k) for k in before} == before

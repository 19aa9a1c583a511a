"""`vault import vcard|linkedin` and `vault export vcard|ics` on real vaults in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from icalendar import Calendar

from conftest import CORPUS, Vault, run_on_a_terminal

MakeVault = Callable[[dict[str, str | bytes]], Path]
EZ = CORPUS / "vcard-ez-vcard"
needs_corpus = pytest.mark.skipif(not EZ.is_dir(), reason="../shared/corpus is absent")


def card(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD", ""])


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def people_json(v: Vault) -> list[dict[str, object]]:
    return v.json("people")  # type: ignore[no-any-return]


@pytest.fixture
def vault(make_vault: MakeVault) -> Vault:
    root = make_vault(
        {
            ".vault/config.toml": "",
            "People/Ana Lima.md": "---\ntype: person\nemail: ana@x.org\ncadence: 2w\n---\nHi.\n",
        }
    )
    return Vault(root, today="2026-11-23")


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


# --- vCard import ---------------------------------------------------------------------


def test_import_creates_people_that_read_back(vault: Vault, tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "book.vcf",
        card(
            "FN:Rui Costa",
            "EMAIL;TYPE=INTERNET:rui@y.org",
            "TEL;TYPE=CELL:+351 912 345 678",
            "ORG:Pago",
            "BDAY:--0415",
            "UID:abc-1",
            "NOTE:Met at the meetup.",
        ),
    )
    result = vault.run("import", "vcard", f, "--tag", "imported", "--cadence", "3m")
    assert result.exit_code == 0, result.output
    note = (vault.root / "People/Rui Costa.md").read_text()
    assert note.startswith("---\ntype: person\ntags:\n  - imported\ncadence: 3m\n")
    assert "phone: +351 912 345 678\n" in note
    assert 'birthday: "--04-15"' in note
    assert note.rstrip().endswith("Met at the meetup.")
    show = vault.json("show", "Rui Costa")
    assert show["properties"]["uid"] == "abc-1"
    names = [p["person"] for p in people_json(vault)]
    assert names == ["Ana Lima", "Rui Costa"]


def test_dry_run_writes_nothing_and_prints_the_plan(vault: Vault, tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "book.vcf",
        card("FN:Rui Costa", "EMAIL:rui@y.org")
        + card("FN:Ana Lima", "EMAIL:ANA@x.org")
        + card("FN:Ana Lima", "EMAIL:other@z.org"),
    )
    before = snapshot(vault.root)
    plan = vault.json("import", "vcard", f, "--dry-run")
    assert snapshot(vault.root) == before
    assert [(s["action"], s["title"], s["path"], s["matched_by"]) for s in plan] == [
        ("create", "Rui Costa", "People/Rui Costa.md", None),
        ("skip", "Ana Lima", "People/Ana Lima.md", "email"),
        ("possible-duplicate", "Ana Lima", "People/Ana Lima.md", "same name, another e-mail"),
    ]
    assert plan[0]["source"] == f"{f}#1"
    text = vault.run("import", "vcard", f, "--dry-run")
    assert text.exit_code == 0
    assert re.search(r"^create\s+Rui Costa\s+People/Rui Costa.md", text.stdout, re.M)
    assert "dry run: nothing written" in text.stderr


def test_importing_again_changes_no_byte(vault: Vault, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(tmp_path, "a.vcf", card("FN:Rui Costa", "EMAIL:rui@y.org"))
    write(tmp_path, "sub/b.vcf", card("FN:Rui C.", "EMAIL:RUI@y.org", "TEL:1"))
    first = vault.run("import", "vcard", str(folder))
    assert first.exit_code == 0, first.output
    assert sorted(p.name for p in (vault.root / "People").iterdir()) == [
        "Ana Lima.md",
        "Rui Costa.md",
    ]
    assert 'phone: "1"\n' in (vault.root / "People/Rui Costa.md").read_text()
    before = snapshot(vault.root)
    for extra in ([], ["--merge"]):
        again = vault.run("import", "vcard", str(folder), *extra)
        assert again.exit_code == 0
        assert snapshot(vault.root) == before


def test_merge_adds_missing_properties_and_changes_no_value(vault: Vault, tmp_path: Path) -> None:
    original = (vault.root / "People/Ana Lima.md").read_bytes()
    f = write(
        tmp_path,
        "ana.vcf",
        card("FN:Ana M. Lima", "EMAIL:ana@x.org", "ORG:Pago, Inc.", "CATEGORIES:design,pt"),
    )
    plan = vault.json("import", "vcard", f, "--merge", "--cadence", "1w")
    assert [(s["action"], s["path"]) for s in plan] == [("merge", "People/Ana Lima.md")]
    after = (vault.root / "People/Ana Lima.md").read_bytes()
    assert after == original.replace(
        b"cadence: 2w\n", b'cadence: 2w\ncompany: "Pago, Inc."\ntags: ["design", "pt"]\n'
    )
    assert vault.json("show", "Ana Lima")["person"] == "Ana Lima"


def test_a_bad_card_is_reported_and_the_rest_import(vault: Vault, tmp_path: Path) -> None:
    bad = card("FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=80")
    f = write(tmp_path, "mixed.vcf", card("FN:Rui") + bad + card("EMAIL:x@y.z") + card("FN:Zoë"))
    result = vault.run("import", "vcard", f)
    assert result.exit_code == 1
    assert f"{f}: card 2: problem: a quoted-printable value is not valid text" in result.stderr
    assert f"{f}: card 3: problem: no name" in result.stderr
    assert ": 2 create, 2 problems (" in result.stderr
    assert "Traceback" not in result.output
    assert (vault.root / "People/Rui.md").exists() and (vault.root / "People/Zoë.md").exists()


def test_a_missing_file_is_an_error_and_nothing_is_written(vault: Vault, tmp_path: Path) -> None:
    f = write(tmp_path, "ok.vcf", card("FN:Rui"))
    before = snapshot(vault.root)
    result = vault.run("import", "vcard", f, str(tmp_path / "nope.vcf"))
    assert result.exit_code == 1
    assert "nope.vcf: no such file or folder; nothing was imported" in result.stderr
    assert snapshot(vault.root) == before
    assert vault.run("import", "vcard", f, "--cadence", "often").exit_code == 2


def test_a_name_that_cannot_be_a_file_name(vault: Vault, tmp_path: Path) -> None:
    f = write(tmp_path, "x.vcf", card("FN:AC/DC: Fan Club", "EMAIL:acdc@x.org"))
    assert vault.run("import", "vcard", f).exit_code == 0
    note = (vault.root / "People/AC - DC Fan Club.md").read_text()
    assert 'name: "AC/DC: Fan Club"' in note
    assert "# AC/DC: Fan Club" in note
    # found by its real name
    assert vault.json("show", "AC/DC: Fan Club")["path"] == "People/AC - DC Fan Club.md"


@needs_corpus
def test_the_john_doe_exports_make_one_person(vault: Vault) -> None:
    same = [EZ / f"John_Doe_{n}.vcf" for n in ("GMAIL", "IPHONE", "MAC_ADDRESS_BOOK")]
    same += [EZ / "John_Doe_EVOLUTION.vcf", EZ / "John_Doe_LOTUS_NOTES.vcf"]
    others = [EZ / "John_Doe_MS_OUTLOOK.vcf", EZ / "John_Doe_BLACK_BERRY.vcf"]
    plan = vault.json("import", "vcard", *map(str, same + others))
    assert [s["action"] for s in plan] == ["create"] + ["skip"] * 4 + ["possible-duplicate"] * 2
    created = vault.root / plan[0]["path"]
    text = created.read_text()
    assert "name: Mr. John Richter, James Doe Sr.\n" in text
    assert "uid: 477343c8e6bf375a9bac1f96a5000837" in text  # from the Evolution card
    assert plan[-1]["path"] == plan[0]["path"]


@needs_corpus
def test_every_corpus_vcard_imports_and_reimports_unchanged(vault: Vault) -> None:
    folders = sorted(str(p) for p in CORPUS.glob("vcard-*"))
    first = vault.run("import", "vcard", *folders)
    assert first.exit_code == 1  # seven cards are problems
    assert "7 entries could not be imported" in first.stderr
    index = vault.json("index")
    assert index["people"] > 40
    check = vault.run("check", "--json")
    assert not [p for p in json.loads(check.stdout) if p["severity"] == "error"]
    before = snapshot(vault.root)
    assert vault.run("import", "vcard", *folders, "--merge").exit_code == 1
    assert snapshot(vault.root) == before


# --- LinkedIn --------------------------------------------------------------------------


def test_linkedin_import(vault: Vault, tmp_path: Path) -> None:
    data = (
        "\ufeffNotes:\r\n"
        '"When exporting your connection data, you may notice that some, many, are missing."\r\n'
        "\r\n"
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
        'Ana,Lima,https://www.linkedin.com/in/ana,,"Pago, Inc.",CTO,05 Nov 2025\r\n'
        "Sam,Okafor,https://www.linkedin.com/in/sam,sam@o.org,Acme,Engineer,01 Feb 2024\r\n"
        ",,https://www.linkedin.com/in/hidden,,,,04 Jan 2024\r\n"
    )
    f = write(tmp_path, "Connections.csv", data)
    result = vault.run("import", "linkedin", f)
    assert result.exit_code == 0, result.output
    assert "1 row without a name (restricted profiles) not imported" in result.stderr
    sam = (vault.root / "People/Sam Okafor.md").read_text()
    assert 'linkedin: "https://www.linkedin.com/in/sam"\n' in sam
    assert "met: 2024-02-01\n" in sam
    # Ana matched by name (no e-mail disagrees): skipped, her note untouched
    assert "skip" in result.stdout
    # met is not a contact
    due = vault.json("due")
    assert all(e["person"] != "Sam Okafor" for e in due["due"])
    people = {p["person"]: p for p in people_json(vault)}
    assert people["Sam Okafor"]["last_contact"] is None
    assert vault.run("import", "linkedin", f).exit_code == 0
    bad = write(tmp_path, "x.csv", "a,b\n1,2\n")
    refused = vault.run("import", "linkedin", bad)
    assert refused.exit_code == 1
    assert "x.csv: has no header row" in refused.stderr


@pytest.mark.skipif(not (CORPUS / "linkedin-labeldekho").is_dir(), reason="corpus absent")
def test_linkedin_corpus_imports_then_matches_by_url(vault: Vault) -> None:
    for f in sorted(CORPUS.glob("linkedin-*/Connections.csv")):
        assert vault.run("import", "linkedin", str(f)).exit_code == 0
    assert len(people_json(vault)) == 13
    plan = vault.json("import", "linkedin", str(CORPUS / "linkedin-labeldekho/Connections.csv"))
    assert {s["matched_by"] for s in plan} == {"email", "linkedin"}


# --- exports ------------------------------------------------------------------------------


@pytest.fixture
def people_vault(make_vault: MakeVault) -> Vault:
    root = make_vault(
        {
            ".vault/config.toml": "",
            "People/Ana Lima.md": (
                "---\ntype: person\nemail: [ana@x.org, ana@work.org]\ncadence: 2w\n"
                "birthday: --02-29\ndates:\n  anniversary: 2010-06-01\nuid: given-uid\n---\n"
            ),
            "People/ac-dc.md": (
                '---\ntype: person\nname: "AC/DC: Fan Club, Inc."\nphone: "+351 1"\n'
                "cadence: 1m\nlast_contact: 2026-11-20\naliases: [Acca]\n---\n"
            ),
            "People/Rui.md": "---\ntype: person\ncadence: 1w\nbirthday: 1990-04-15\n---\n",
            "People/Sam.md": "---\ntype: person\ncadence: 1w\n---\n",
            "Meetings/2026-12-01 Lunch.md": "---\ntype: meeting\nwith: ['[[Sam]]']\n---\n",
            "Meetings/2026-10-01 Call.md": "---\ntype: call\nwith: ['[[Rui]]']\n---\n",
        }
    )
    return Vault(root, today="2026-11-23")


def test_export_vcard(people_vault: Vault, tmp_path: Path) -> None:
    out = tmp_path / "out.vcf"
    assert people_vault.run("export", "vcard", "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.count(b"BEGIN:VCARD") == 4
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert b"UID:given-uid\r\n" in data
    assert b"BDAY:--0229\r\n" in data
    assert b"VERSION:3.0\r\n" in data
    again = people_vault.run("export", "vcard")
    assert again.stdout_bytes == data
    uids = re.findall(rb"UID:(.*)\r\n", data)
    assert len(set(uids)) == 4


def test_export_then_import_gives_the_same_people(people_vault: Vault, tmp_path: Path) -> None:
    out = tmp_path / "out.vcf"
    assert people_vault.run("export", "vcard", "-o", str(out)).exit_code == 0
    empty = Vault(tmp_path / "empty", "2026-11-23")
    (empty.root / ".vault").mkdir(parents=True)
    assert empty.run("import", "vcard", str(out)).exit_code == 0

    def summary(v: Vault) -> dict[str, tuple[object, ...]]:
        found = {}
        for p in people_json(v):
            show = v.json("show", str(p["path"]))
            props = show.get("properties", show)
            found[str(p["person"])] = (props.get("email"), props.get("birthday"))
        return found

    assert summary(empty) == summary(people_vault)
    renamed = (empty.root / "People/AC - DC Fan Club, Inc.md").read_text()
    assert 'name: "AC/DC: Fan Club, Inc."' in renamed
    # and exporting the imported vault gives the same file, uids, dates and all
    assert empty.run("export", "vcard").stdout_bytes == out.read_bytes()


def test_export_ics(people_vault: Vault, tmp_path: Path) -> None:
    result = people_vault.run("export", "ics", "--alarm", "9h")
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    cal = Calendar.from_ical(data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    # Ana: never contacted with a cadence → today; Rui: overdue → today;
    # AC/DC: due 2026-12-20; Sam: a meeting is scheduled → no reconnect event
    assert events["Reconnect with Ana Lima"].decoded("dtstart") == dt.date(2026, 11, 23)
    assert events["Reconnect with Rui"].decoded("dtstart") == dt.date(2026, 11, 23)
    assert events["Reconnect with AC/DC: Fan Club, Inc."].decoded("dtstart") == dt.date(
        2026, 12, 20
    )
    assert "Reconnect with Sam" not in events
    leap = events["Ana Lima's birthday"]
    assert leap.decoded("dtstart") == dt.date(2000, 2, 29)
    assert leap["rrule"]["BYMONTHDAY"] == [-1] and leap["rrule"]["BYMONTH"] == [2]
    assert events["Rui's birthday"].decoded("dtstart") == dt.date(1990, 4, 15)
    assert events["Ana Lima: anniversary"]["rrule"]["FREQ"] == ["YEARLY"]
    assert all(
        e.decoded("dtstamp") == dt.datetime(2026, 11, 23, tzinfo=dt.UTC) for e in events.values()
    )
    assert all(len(e.walk("VALARM")) == 1 for e in events.values())
    assert people_vault.run("export", "ics", "--alarm", "9h").stdout_bytes == data
    uids = [str(e["uid"]) for e in events.values()]
    assert len(set(uids)) == len(uids)
    out = tmp_path / "cal.ics"
    people_vault.run("export", "ics", "-o", str(out))
    later = Vault(people_vault.root, today="2026-11-24")
    later.run("export", "ics", "-o", str(out))
    cal2 = Calendar.from_ical(out.read_bytes())
    assert sorted(str(e["uid"]) for e in cal2.walk("VEVENT")) == sorted(
        str(e["uid"])
        for e in Calendar.from_ical(people_vault.run("export", "ics").stdout_bytes).walk("VEVENT")
    )
    assert people_vault.run("export", "ics", "--alarm", "soon").exit_code == 2


def test_merge_into_a_note_that_does_not_parse_is_refused_and_the_rest_import(
    make_vault: MakeVault, tmp_path: Path
) -> None:
    broken = b"---\ntype: person\nemail: rui@y.org\ntags: [unclosed\n---\nBody\n"
    root = make_vault({".vault/config.toml": "", "People/Rui.md": broken})
    v = Vault(root)
    f = write(tmp_path, "b.vcf", card("FN:Rui", "EMAIL:rui@y.org") + card("FN:Zoë", "ORG:X"))
    v.run("index")
    result = v.run("import", "vcard", f, "--merge")
    assert (root / "People/Rui.md").read_bytes() == broken
    assert (root / "People/Zoë.md").exists()
    assert result.exit_code == 1
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_progress_bar_on_a_terminal_for_a_large_import(tmp_path: Path) -> None:
    """Gmail-shaped cards that take over a second (by the bar's clock): on a terminal,
    the reading and the writing bars show."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_import import generate

    book = tmp_path / "big.vcf"
    generate(book, 200)
    vault = tmp_path / "v"
    (vault / ".vault").mkdir(parents=True)
    seen = run_on_a_terminal(vault, "import", "vcard", str(book), long_work=True)
    assert b"100%" in seen and b"Reading" in seen and b"Writing" in seen
    assert b"200 create" in seen
    assert len(list((vault / "People").iterdir())) == 200

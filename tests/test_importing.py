"""Importers as pure functions: vCard and LinkedIn bytes in, incoming people and a plan out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault_crm.contacts import Person
from vault_crm.exporting.vcard import export_vcards
from vault_crm.importing.linkedin import read_connections
from vault_crm.importing.plan import (
    Incoming,
    Known,
    Rejected,
    linkedin_key,
    loose_key,
    make_plan,
    safe_title,
)
from vault_crm.importing.vcard import read_vcards

from conftest import CORPUS

VCARDS = sorted(CORPUS.glob("vcard-*/*.vcf"))
needs_corpus = pytest.mark.skipif(not VCARDS, reason="../shared/corpus is absent")


def card(*lines: str, version: str = "3.0", nl: str = "\r\n") -> bytes:
    return nl.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]).encode()


def one(data: bytes) -> Incoming:
    items = read_vcards(data, "t.vcf")
    assert len(items) == 1
    assert isinstance(items[0], Incoming), items[0]
    return items[0]


# --- the real files ---------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", VCARDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_reads_card_by_card(path: Path) -> None:
    items = read_vcards(path.read_bytes(), path.name)
    assert items
    for item in items:
        if isinstance(item, Rejected):
            assert item.source.startswith(f"{path.name}#") and item.reason
        else:
            assert item.name.strip()


@needs_corpus
def test_the_corpus_gives_70_cards_and_only_nameless_or_broken_ones_fail() -> None:
    items = [i for p in VCARDS for i in read_vcards(p.read_bytes(), p.name)]
    assert len(items) == 70
    rejected = {i.source: i.reason for i in items if isinstance(i, Rejected)}
    assert set(rejected) == {
        "John_Doe_ANDROID.vcf#1",  # only EMAIL + CATEGORIES
        "John_Doe_ANDROID.vcf#2",
        "John_Doe_ANDROID.vcf#6",  # quoted-printable that is not UTF-8
        "unparsable.vcf#1",
        "broken-vcard.vcf#1",
        "broken-vcards2-no_uid.vcf#2",
        "yahoo-qp-url-v21.vcf#1",  # no N or FN at all
    }
    assert "quoted-printable" in rejected["John_Doe_ANDROID.vcf#6"]


@needs_corpus
def test_the_corpus_traps() -> None:
    ez = CORPUS / "vcard-ez-vcard"
    gmail = one((ez / "John_Doe_GMAIL.vcf").read_bytes())
    assert gmail.name == "Mr. John Richter, James Doe Sr."  # the unescaped comma stays
    assert gmail.props["dates"] == {"anniversary": dt.date(1975, 3, 1)}
    assert gmail.body.endswith("Favotire Color: Blue")
    iphone = one((ez / "John_Doe_IPHONE.vcf").read_bytes())  # \r\r\n line ends
    assert iphone.props["email"] == ["john.doe@ibm.com"]
    lotus = one((ez / "John_Doe_LOTUS_NOTES.vcf").read_bytes())  # PROFILE:VCard
    assert lotus.props["aliases"] == ["Johny,JayJay"]  # an escaped comma is one value
    android = read_vcards((ez / "John_Doe_ANDROID.vcf").read_bytes(), "a.vcf")
    assert isinstance(android[2], Incoming) and android[2].name == "Ñ Ñ Ñ Ñ Ñ"
    sabre = CORPUS / "vcard-sabre-vobject"
    assert one((sabre / "apple-omit-year-1604.vcf").read_bytes()).props["birthday"] == "--04-07"
    assert one((sabre / "google-colon-escaping.vcf").read_bytes()).name == "Evert Pot"
    qp = one((sabre / "qp-soft-break-compound-adr-v21.vcf").read_bytes())
    assert qp.name == "John Doe"
    outlook = one((ez / "outlook-2003.vcf").read_bytes())
    assert outlook.props["company"] == "Company, The"
    assert "\r" not in outlook.body
    text_bday = one((CORPUS / "vcard-khard" / "text-bday.vcf").read_bytes())
    assert "birthday" not in text_bday.props
    assert text_bday.warnings == ("BDAY 'circa 1800' is not a date; left out",)


# --- small files of our own ---------------------------------------------------------------


def test_iphone_line_ends_and_mixed_endings() -> None:
    data = card("FN:Ana Lima", "EMAIL;type=INTERNET;type=pref:ana@x.org", nl="\r\r\n")
    assert one(data).props["email"] == ["ana@x.org"]
    mixed = b"BEGIN:VCARD\r\nVERSION:3.0\nFN:Rui\r\nTEL:+351 1\nEND:VCARD\n"
    assert one(mixed).props["phone"] == ["+351 1"]


def test_quoted_printable_soft_breaks_and_blobs() -> None:
    data = card(
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gon=C3=A7al=",
        "ves;Jo=C3=A3o;;;",
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jo=C3=A3o Gon=C3=A7al=",
        "ves",
        "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////",
        " //////////////////////////////////////////",
        "",
        "LOGO:data:image/png;base64,iVBORw0KGgo=",
        "PROFILE:VCard",
        "TEL;CELL;PREF:123",
        version="2.1",
    )
    item = one(data)
    assert item.name == "João Gonçalves"
    assert (item.given, item.family) == ("João", "Gonçalves")
    assert item.props["phone"] == ["123"]


def test_one_bad_card_is_one_problem_and_the_rest_read() -> None:
    good = card("FN:Ana")
    bad = card("FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=80=81", version="2.1")
    nameless = card("EMAIL:x@y.z")
    items = read_vcards(good + bad + nameless + good.replace(b"Ana", b"Rui"), "book.vcf")
    assert [type(i).__name__ for i in items] == ["Incoming", "Rejected", "Rejected", "Incoming"]
    assert [i.source for i in items] == ["book.vcf#1", "book.vcf#2", "book.vcf#3", "book.vcf#4"]
    assert "no name" in items[2].reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("BDAY:--0203", "--02-03"),
        ("BDAY:--04-16", "--04-16"),
        ("BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-07", "--04-07"),
        ("BDAY:16040101", "--01-01"),
        ("BDAY:19800322", dt.date(1980, 3, 22)),
        ("BDAY:1980-03-22T00:00:00Z", dt.date(1980, 3, 22)),
        ("BDAY:--0229", "--02-29"),
    ],
)
def test_birthdays(line: str, expected: object) -> None:
    assert one(card("FN:Ana", line)).props["birthday"] == expected


def test_text_values_keep_every_character() -> None:
    item = one(
        card(
            "FN:Lopez, Ana; \\, and\\; Co",
            "ORG:Acme\\, Inc.;R&D",
            "TITLE:Head of X, Y",
            "NICKNAME:Ani,A.L.",
            "CATEGORIES:friends,work stuff",
            "URL:https\\://www.linkedin.com/in/ana/",
            "NOTE:line one\\nline two",
            "UID:urn:uuid:1234",
            "item1.X-ABDATE:2010-06-01",
            "item1.X-ABLabel:_$!<Anniversary>!$_",
            "item2.X-ABDATE:--0512",
            "item2.X-ABLabel:Kid",
        )
    )
    assert item.name == "Lopez, Ana; , and; Co"
    assert item.props["company"] == "Acme, Inc."
    assert item.props["role"] == "Head of X, Y"
    assert item.props["aliases"] == ["Ani", "A.L."]
    assert item.props["tags"] == ["friends", "work-stuff"]
    assert item.props["linkedin"] == "https://www.linkedin.com/in/ana/"
    assert item.props["uid"] == "urn:uuid:1234"
    assert item.props["dates"] == {"anniversary": dt.date(2010, 6, 1), "kid": "--05-12"}
    assert item.body == "line one\nline two"


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1
    ).filter(lambda s: s.strip() == s and s.strip())
)
def test_any_name_survives_an_export_and_an_import(name: str) -> None:
    person = Person("People/x.md", "x", (), (), {"name": name, "email": "a@b.c"})
    (item,) = read_vcards(export_vcards([person]), "x.vcf")
    assert isinstance(item, Incoming)
    assert item.name == name


# --- LinkedIn -----------------------------------------------------------------------------

LINKEDIN = sorted(CORPUS.glob("linkedin-*/Connections.csv"))


@pytest.mark.skipif(not LINKEDIN, reason="../shared/corpus is absent")
def test_linkedin_corpus_files() -> None:
    kawsay = read_connections((CORPUS / "linkedin-kawsay/Connections.csv").read_bytes(), "c.csv")
    assert [i.name for i in kawsay.items] == ["José García", "Æsop Fontaine"]
    jose = kawsay.items[0]
    assert isinstance(jose, Incoming)
    assert jose.props == {
        "company": "Acme, Inc.",
        "role": "Senior Engineer",
        "linkedin": "https://www.linkedin.com/in/josegarcia",
        "met": dt.date(2024, 1, 15),
    }
    assert jose.source == "c.csv:5"
    label = read_connections((CORPUS / "linkedin-labeldekho/Connections.csv").read_bytes(), "c.csv")
    assert len(label.items) == 10
    alice = label.items[0]
    assert isinstance(alice, Incoming)
    assert alice.props["linkedin"] == "https://linkedin.com/in/alicejohnson"
    assert alice.props["email"] == ["alice.johnson@techcorp.com"]
    assert sum("email" in i.props for i in label.items if isinstance(i, Incoming)) == 7


def test_linkedin_old_export_without_url_or_preamble_and_restricted_rows() -> None:
    data = (
        b"First Name,Last Name,Email Address,Company,Position,Connected On\r\n"
        b'"Laura,Herbst,,Interhyp Gruppe,Product Owner,07 May 2021"\r\n'
        b",,,,,04 Jan 2024\r\n"
        b"Marie (Mimi),Curie ,m@c.fr,-,Chemist,05 Nov 2025\r\n"
    )
    export = read_connections(data, "old.csv")
    assert export.restricted == 1
    assert [i.name for i in export.items] == ["Laura Herbst", "Marie (Mimi) Curie"]
    laura, marie = export.items
    assert isinstance(laura, Incoming) and isinstance(marie, Incoming)
    assert laura.props["company"] == "Interhyp Gruppe"  # a row a spreadsheet wrapped in quotes
    assert laura.props["role"] == "Product Owner"
    assert laura.props["met"] == dt.date(2021, 5, 7)
    assert "company" not in marie.props  # LinkedIn's "-" means none
    assert marie.source == "old.csv:4"


def test_linkedin_file_without_a_header_is_refused() -> None:
    with pytest.raises(ValueError, match="First Name"):
        read_connections(b"name,email\nx,y\n", "x.csv")


# --- the plan -------------------------------------------------------------------------------

ANA = Known("People/Ana Lima.md", "Ana Lima", ("Ana",), {"email": "ana@x.org", "uid": "u-1"})


def inc(name: str, **props: object) -> Incoming:
    return Incoming("f.vcf#1", name, dict(props))


def plan1(item: Incoming, *known: Known, **opts: object) -> tuple[str, str | None, str | None]:
    (step,) = make_plan([item], known or [ANA], folder="People", **opts)  # type: ignore[arg-type]
    return step.action, step.path, step.matched_by


def test_matching_order() -> None:
    assert plan1(inc("Someone Else", uid="u-1")) == ("skip", "People/Ana Lima.md", "uid")
    assert plan1(inc("Someone Else", email=["ANA@x.org"])) == (
        "skip",
        "People/Ana Lima.md",
        "email",
    )
    known = Known("People/Rui.md", "Rui", (), {"linkedin": "https://www.linkedin.com/in/rui/"})
    assert plan1(inc("R", linkedin="linkedin.com/in/rui"), known)[2] == "linkedin"
    assert plan1(inc("ana lima"))[2] == "name"  # no e-mail to disagree
    assert plan1(inc("Ana", email=["ana@x.org", "a@y.z"]))[2] == "email"
    assert plan1(inc("Ana Lima", email=["other@y.z"])) == (
        "possible-duplicate",
        "People/Ana Lima.md",
        "same name, another e-mail",
    )
    assert plan1(inc("Dr. Ana Maria Lima"))[0] == "possible-duplicate"
    assert plan1(inc("Ana Lima", email=["other@y.z"]), allow_duplicates=True)[:2] == (
        "create",
        "People/Ana Lima (2).md",
    )


def test_merge_adds_only_missing_properties() -> None:
    item = inc("Ana Lima", email=["ana@x.org"], company="Pago", uid="other", tags=["x"])
    (step,) = make_plan([item], [ANA], folder="People", merge=True)
    assert step.action == "merge"
    assert step.props == {"company": "Pago", "tags": ["x"]}


def test_cards_met_earlier_in_the_same_import_are_one_person() -> None:
    a = Incoming("a.vcf#1", "Ana Lima", {"email": ["ana@x.org"]})
    b = Incoming("b.vcf#1", "Ana L.", {"email": ["ANA@x.org"], "phone": ["1"]})
    c = Incoming("c.vcf#1", "Ana Lima", {"email": ["ana@y.org"]})
    steps = make_plan([a, b, c], [], folder="People")
    assert [s.action for s in steps] == ["create", "skip", "possible-duplicate"]
    assert steps[0].props["phone"] == ["1"]  # what the second card adds is kept


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("AC/DC: Live", "AC - DC Live"),
        ("..hidden", "hidden"),
        ("Mr. Michael Angstadt Jr.", "Mr. Michael Angstadt Jr"),
        ('Ana "the #1" [Lima]', "Ana the 1 Lima"),
        ("a?b*c|d", "a b c - d"),
    ],
)
def test_safe_titles(name: str, title: str) -> None:
    assert safe_title(name) == title
    (step,) = make_plan([inc(name)], [], folder="People")
    assert step.title == title
    assert step.props["name"] == name


def test_keys() -> None:
    assert linkedin_key("https://www.linkedin.com/in/Ana/") == "linkedin.com/in/ana"
    assert loose_key("Mr. John Richter, James Doe Sr.") == loose_key("Doe, John")
    assert loose_key("Cher") is None


def test_importers_and_exporters_stay_pure() -> None:
    """No click, no SQL, no clock in the importers and exporters; the exchange command
    imports no other command module."""
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "vault_crm"
    for path in [*(src / "importing").glob("*.py"), *(src / "exporting").glob("*.py")]:
        tree = ast.parse(path.read_text())
        names = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert not names & {"click", "sqlite3"}, path
        assert "today()" not in path.read_text() and "now()" not in path.read_text(), path
    command = ast.parse((src / "cli" / "exchange.py").read_text())
    imported = {node.module for node in ast.walk(command) if isinstance(node, ast.ImportFrom)}
    shared = {"vault_crm.cli.app", "vault_crm.cli.params"}
    assert not {m for m in imported if m and m.startswith("vault_crm.cli.") and m not in shared}

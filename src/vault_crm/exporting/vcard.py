"""People → one vCard 3.0 file (vobject writes it: CRLF, lines folded at 75 octets).

One card per person, in name order, so the same vault gives the same bytes. `uid` is the
one an import recorded, else derived from the vault path (stable across runs and
machines). A year-less birthday is written `--MMDD`, as Apple and Google read it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from vault_crm.contacts import Person, name_key
from vault_crm.importing.plan import strings

_ANNIVERSARY = "_$!<Anniversary>!$_"


def display_name(person: Person) -> str:
    """The person's real name: `name` when the file name is a slug, else the title."""
    names = strings(person.props.get("name"))
    return names[0] if names else person.title


def stable_uid(person: Person) -> str:
    uids = strings(person.props.get("uid"))
    if uids:
        return uids[0]
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "vault-crm:" + person.path))


def _vcard_date(value: Any) -> str | None:
    text = str(value).strip()
    m = re.fullmatch(r"--(\d{2})-?(\d{2})", text)
    if m:
        return f"--{m.group(1)}{m.group(2)}"
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text[:10])
    return m.group(0) if m else None


def person_card(person: Person) -> Any:
    import vobject

    props = person.props
    name = display_name(person)
    card = vobject.vCard()
    card.add("version").value = "3.0"
    card.add("uid").value = stable_uid(person)
    card.add("fn").value = name
    words = name.split()
    card.add("n").value = vobject.vcard.Name(
        family=words[-1] if len(words) > 1 else "",
        given=" ".join(words[:-1]) if len(words) > 1 else name,
    )
    for alias in person.aliases:
        if alias != name:
            card.add("nickname").value = alias
    for email in strings(props.get("email")):
        line = card.add("email")
        line.value = email
        line.type_param = "INTERNET"
    for phone in strings(props.get("phone")):
        card.add("tel").value = phone
    for company in strings(props.get("company"))[:1]:
        card.add("org").value = [company]
    for role in strings(props.get("role"))[:1]:
        card.add("title").value = role
    if person.tags:
        card.add("categories").value = list(person.tags)
    for url in strings(props.get("linkedin"))[:1]:
        card.add("url").value = url
    birthday = _vcard_date(props.get("birthday", ""))
    if birthday:
        card.add("bday").value = birthday
    dates = props.get("dates")
    if isinstance(dates, dict):
        for n, (label, value) in enumerate(sorted(dates.items()), start=1):
            when = _vcard_date(value)
            if when is None:
                continue
            card.add(f"item{n}.x-abdate").value = when
            shown = _ANNIVERSARY if str(label).casefold() == "anniversary" else str(label)
            card.add(f"item{n}.x-ablabel").value = shown
    return card


def export_vcards(people: Iterable[Person]) -> bytes:
    """All the people as one .vcf file."""
    ordered = sorted(people, key=lambda p: (name_key(display_name(p)), p.path))
    return "".join(person_card(p).serialize() for p in ordered).encode("utf-8")

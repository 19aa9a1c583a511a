"""A calendar just large enough to be read on every core, cheap to read: a thousand
one-line-summary events, most with a stranger, every 25th with one of five people that
`make_vault` writes, one weekly series of four among them (43 meetings in all)."""

from __future__ import annotations

from pathlib import Path

MEETINGS = 43


def calendar(events: int) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for i in range(events):
        who = f"person{i // 25 % 5}@example.org" if i % 25 == 0 else f"stranger{i % 7}@x.org"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{i:06d}@example.org",
            f"DTSTART:2026{1 + i % 10:02d}{1 + i % 28:02d}T{9 + i % 8:02d}0000Z",
            f"SUMMARY:Meeting {i}",
            f"ATTENDEE:mailto:{who}",
            *(["RRULE:FREQ=WEEKLY;COUNT=4"] if i == 500 else []),
            "END:VEVENT",
        ]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


def make_vault(root: Path) -> None:
    (root / "People").mkdir(parents=True)
    for p in range(5):
        (root / "People" / f"Person {p}.md").write_text(f"---\nemail: person{p}@example.org\n---\n")

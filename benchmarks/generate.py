"""Write a deterministic synthetic networking vault for benchmarks.

    python benchmarks/generate.py OUT_DIR [--people 1000] [--conversations 10000]
                                         [--daily 365] [--seed 42]

The same arguments always give byte-identical files. Notes look like real ones: people
with mixed cadence grammar, tags, aliases and birthdays; conversations with quoted
wikilink participants, several paragraphs, tasks and the odd link to a missing note;
daily notes that mention people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

TODAY = dt.date(2026, 11, 23)

FIRST = (
    "Ana Rui Chloé João Maria Sam Alex Kim Lee Noor Omar Pia Quinn Rosa Tom Uma Vic Wen Yara "
    "Zoë Ines Bruno Carla Diego Elena Farah Goran Hana Ivan Jonas Keiko Lars Mina Nadia Otto "
    "Paula Ravi Sofia Tariq Ulla"
).split()
LAST = (
    "Lima Costa Silva Martin Pereira Smith Chen Kumar Novak Ito Rossi Berg Dubois Haas "
    "Kowalski Lopez Moreau Nagy Ortiz Park Quist Rahman Santos Tanaka Ueda Varga Weber Young "
    "Zhang Ångström"
).split()
CADENCES = ["2w", "monthly", "3 months", "quarterly", "45", "6m", "2 weeks", "yearly", "1m"]
TAGS = ["friend", "founder", "mentor", "investor", "family", "design", "lisbon", "recruiter"]
CHANNELS = ["Coffee", "Call", "Lunch", "Video call", "Dinner", "Email"]
TOPICS = [
    "pricing", "hiring", "fundraising", "roadmap", "onboarding", "churn", "the launch",
    "a reorg", "their new job", "a book", "the conference", "remote work", "a side project",
]  # fmt: skip
EXPERTISE = [
    "pricing strategy", "hiring engineers", "fundraising from angels", "product roadmaps",
    "customer onboarding", "reducing churn", "running a reorg", "remote work", "design systems",
    "conference talks", "writing a book", "growth marketing", "tax law", "machine learning",
]  # fmt: skip
NEEDS = [
    "advice on pricing", "a senior engineer to hire", "an angel investor", "a designer",
    "help with churn", "a publisher for a book", "a speaker for a conference", "a tax lawyer",
    "someone who knows machine learning", "growth marketing help",
]  # fmt: skip
SENTENCES = [
    "We talked about {t} and what they would do differently next time.",
    "They are worried about {t}, mostly because the team is small.",
    "I shared what worked for us with {t} last year.",
    "Most of the hour went to {t}; we ran out of time before the rest.",
    "They asked for an introduction to someone who knows {t}.",
    "{T} came up again, with numbers this time.",
    "Good energy overall, though {t} is clearly weighing on them.",
    "We agreed to compare notes on {t} in a month.",
]


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name in used:
            name = f"{rng.choice(FIRST)} {chr(65 + rng.randrange(26))}. {rng.choice(LAST)}"
        if name not in used:
            used.add(name)
            return name


def _paragraph(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(2, 5)):
        topic = rng.choice(TOPICS)
        out.append(rng.choice(SENTENCES).format(t=topic, T=topic[0].upper() + topic[1:]))
    return " ".join(out)


def generate(
    out: Path,
    people: int = 1000,
    conversations: int = 10000,
    daily: int = 365,
    seed: int = 42,
    real: int = 0,
) -> dict[str, int]:
    rng = random.Random(seed)
    # The insight properties come from their own generator, so adding them left every
    # other byte of the vault as it was.
    extra = random.Random(seed + 1)
    used: set[str] = set()
    names = [_name(rng, used) for _ in range(people)]
    (out / ".vault").mkdir(parents=True, exist_ok=True)
    (out / ".vault" / "config.toml").write_text(
        '[cadence.tags]\nfamily = "2w"\nmentor = "monthly"\n', encoding="utf-8"
    )
    for i, name in enumerate(names):
        lines = ["---", "type: person"]
        if rng.random() < 0.8:
            lines.append(f"cadence: {rng.choice(CADENCES)}")
        lines.append(f"tags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]")
        if rng.random() < 0.2:
            lines.append(f"aliases: [{name.split()[0]}{i}]")
        lines += [
            f"company: {rng.choice(LAST)} {rng.choice(['Labs', 'Ltd', 'GmbH', 'Studio'])}",
            f"role: {rng.choice(['Engineer', 'Founder', 'Designer', 'Partner', 'PM'])}",
            f"email: person{i}@example.com",
            f"phone: +4477009{i:05d}",
        ]
        if rng.random() < 0.3:
            lines.append(f"birthday: {rng.randint(1960, 2000)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d}")  # fmt: skip
        if rng.random() < 0.1:
            lines.append(f"last_contact: {TODAY - dt.timedelta(days=rng.randint(1, 300))}")
        if rng.random() < 0.05:
            lines.append(f"snooze_until: {TODAY + dt.timedelta(days=rng.randint(1, 60))}")
        if extra.random() < 0.5:
            lines.append(f"known_for: {extra.choice(EXPERTISE)}")
        if extra.random() < 0.4:
            lines.append(f"working_on: {extra.choice(TOPICS)}")
        if extra.random() < 0.3:
            lines.append(f"needs: {extra.choice(NEEDS)}")
        lines += ["---", _paragraph(rng), ""]
        path = out / "People" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
    for i in range(conversations):
        day = TODAY - dt.timedelta(days=rng.randint(-10, 730))
        who = rng.sample(names, rng.choice([1, 1, 1, 2, 3]))
        channel = rng.choice(CHANNELS)
        title = f"{day} {channel} with {who[0]}"
        folder = out / "Conversations" / str(day.year)
        path = folder / f"{title}.md"
        if path.exists():
            path = folder / f"{title} ({i}).md"
        quoted = ", ".join(f'"[[{w}]]"' for w in who)
        body = [_paragraph(rng) for _ in range(rng.randint(3, 15))]
        for _ in range(rng.randint(0, 3)):
            mark = "x" if rng.random() < 0.4 else " "
            body.append(f"- [{mark}] Send {rng.choice(who)} the notes on {rng.choice(TOPICS)}")
        if rng.random() < 0.3:
            body.append(f"They mentioned [[{rng.choice(names)}]] and [[Project {i % 40}]].")
        text = (
            f"---\ntype: conversation\ndate: {day}\nwith: [{quoted}]\n"
            f"channel: {channel.lower()}\nintent: {rng.choice(['give', 'ask', 'catch-up'])}\n"
            f"initiated_by: {extra.choice(['me', 'me', 'them'])}\n---\n" + "\n\n".join(body) + "\n"
        )
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for d in range(daily):
        day = TODAY - dt.timedelta(days=d)
        text = _paragraph(rng)
        if rng.random() < 0.3:
            text += f"\nSaw [[{rng.choice(names)}]] today."
        path = out / "Daily" / f"{day}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    for i in range(real):
        _real_note(out, rng, i, names)
    return {"people": people, "conversations": conversations, "daily": daily, "real": real}


def _real_note(out: Path, rng: random.Random, i: int, names: list[str]) -> None:
    """A note shaped like those of large community and zettelkasten vaults: a long body,
    a table, 20+ links, and every fourth one an Excalidraw drawing holding its JSON."""
    links = [f"[[Zettel {rng.randrange(max(i, 1))}]]" for _ in range(rng.randint(8, 16))]
    links += [f"[[{rng.choice(names)}]]" for _ in range(rng.randint(4, 8))]
    body = [f"# Zettel {i}", ""]
    for _ in range(rng.randint(15, 40)):
        body.append(_paragraph(rng) + (" " + rng.choice(links) if rng.random() < 0.5 else ""))
        body.append("")
    body += ["| topic | who | link | note |", "| --- | --- | --- | --- |"]
    for _ in range(rng.randint(10, 40)):
        body.append(
            f"| {rng.choice(TOPICS)} | {rng.choice(names)} |"
            f" {rng.choice(links) if rng.random() < 0.5 else rng.choice(TOPICS)} |"
            f" `{rng.choice(TOPICS)}` |"
        )
    body += ["", "## See also", *(f"- {link}" for link in links), ""]
    folder = out / "Zettel"
    folder.mkdir(parents=True, exist_ok=True)
    if i % 4 == 0:
        elements = [
            {
                "id": f"el{i}-{k}",
                "type": rng.choice(["rectangle", "arrow", "text", "ellipse"]),
                "x": rng.uniform(-500, 500),
                "y": rng.uniform(-500, 500),
                "width": rng.uniform(10, 300),
                "height": rng.uniform(10, 300),
                "strokeColor": "#1e1e1e",
                "seed": rng.randrange(2**31),
                "text": rng.choice(TOPICS),
                "points": [[rng.uniform(0, 99), rng.uniform(0, 99)] for _ in range(4)],
            }
            for k in range(rng.randint(40, 160))
        ]
        drawing = {"type": "excalidraw", "version": 2, "elements": elements}
        (folder / f"Drawing {i}.excalidraw.md").write_text(
            "---\nexcalidraw-plugin: parsed\ntags: [excalidraw]\n---\n"
            f"# Text Elements\n{rng.choice(TOPICS)} ^t{i}\n\n%%\n# Drawing\n```json\n"
            + json.dumps(drawing, indent=1)
            + "\n```\n%%\n",
            encoding="utf-8",
        )
        body.append(f"![[Drawing {i}.excalidraw]]")
    (folder / f"Zettel {i}.md").write_text(
        f"---\ntags: [zettel, {rng.choice(TOPICS).split()[0]}]\n---\n" + "\n".join(body) + "\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=10000)
    parser.add_argument("--daily", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--real",
        type=int,
        default=0,
        metavar="N",
        help="also write N notes shaped like real community vaults (long bodies, tables,"
        " 20+ links, every fourth an Excalidraw drawing with its JSON)",
    )
    args = parser.parse_args()
    counts = generate(
        args.out, args.people, args.conversations, args.daily, args.seed, real=args.real
    )
    print(f"wrote {sum(counts.values()):,} notes to {args.out}: {counts}")


if __name__ == "__main__":
    main()

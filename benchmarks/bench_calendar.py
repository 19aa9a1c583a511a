"""Measure `vault import ics` on a generated Google-shaped calendar (not a timed test).

    python benchmarks/bench_calendar.py [--events 5000] [--runs 3] [--rounds N] [--json]
    TMPDIR=/mnt/ext4 python benchmarks/bench_calendar.py     # the vaults on that file system

The calendar is one .ics of N VEVENTs as Google Calendar exports them (UTC times plus
`X-WR-TIMEZONE`): 92% one-off meetings, 6% weekly series (`RRULE` with `COUNT=20` and an
`EXDATE`), 2% `RECURRENCE-ID` overrides of those series (half of them cancelled). Each
meeting has the owner as organiser, one or two of 300 people in the vault, sometimes a
stranger and a room. Spread over 2024-01 to 2026-12; today is 2026-11-23. Deterministic.

Printed, as the median of --runs fresh processes into a vault of 300 people: the import
(every matched occurrence a new note), the dry run, a re-import (everything skipped), and
a floor measured in the same run: one process that only parses the file with icalendar,
applies x-wr-timezone and expands it with recurring-ical-events over the same window.
The import reads a file this large on every core, so it can beat that one-process floor
on reading; its CPU time (all its processes) is printed beside the wall-clock time, which
is what a busy machine disturbs least.
Then where an import's time goes: one more process per run into a fresh vault times the
stages of `vault import ics` (start-up and opening the index, reading and planning,
writing the notes, indexing them) and the floor's own three steps.
Each run's vaults are removed only after the last run: ext4 mounted without a journal
skips, inode by inode, the inodes freed in the last minute or more when it creates a file,
so deleting 8,666 notes just before an import made that import's writing up to 2 s slower,
a cost of the benchmark's own clean-up, not of the import. Where the vaults go is the
temporary folder (`TMPDIR`): on a file system that does not do this (ext4 with a journal,
as `mkfs.ext4` makes it) the writing's figures stay steady.
With --rounds N, N more rounds each run the floor and one import beside it (in turn, the
order alternating) and print the median of each import's ratio to its own round's floor:
the figure a machine whose speed drifts from minute to minute disturbs least.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-23"
PEOPLE = 300

FLOOR = """
import sys, json, time, datetime as dt, icalendar, recurring_ical_events, x_wr_timezone
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as fh:
    cal = icalendar.Calendar.from_ical(fh.read())
t1 = time.perf_counter()
cal = x_wr_timezone.to_standard(cal)
t2 = time.perf_counter()
n = len(recurring_ical_events.of(cal).between(dt.datetime(1900, 1, 1), dt.datetime(2026, 12, 24)))
t3 = time.perf_counter()
print(json.dumps({"parse": t1 - t0, "x_wr_timezone": t2 - t1, "expand": t3 - t2}))
"""

# The stages of `vault import ics FILE` (as cli/exchange.py runs them), timed one by one.
STAGES = """
import sys, json, time, datetime as dt
started = time.perf_counter()
from pathlib import Path
from vault_crm.calendar_sync import import_calendars, index_written, write_meetings
from vault_crm.cli.app import App
times = {}
def stage(name, since):
    times[name] = time.perf_counter() - since
    return time.perf_counter()
app = App(sys.argv[1], sys.argv[3], debug=False, no_refresh=False)
idx = app.index()
t = stage("start_and_open_index", started)
result = import_calendars(idx, [("calendar.ics", Path(sys.argv[2]))], app.today, dry_run=True)
t = stage("read_and_plan", t)
write_meetings(idx, result, app.today)
t = stage("write_notes", t)
index_written(idx, result, lambda done, total: None)
t = stage("index_notes", t)
app.close()
times["total"] = time.perf_counter() - started
print(json.dumps(times))
"""


def event(i: int) -> tuple[list[str], dt.datetime]:
    start = dt.datetime(2024, 1, 1, 9, 0) + dt.timedelta(hours=5 * i + (i % 7))
    end = start + dt.timedelta(minutes=45)
    a, b = i % PEOPLE, (i * 7 + 3) % PEOPLE
    lines = [
        "BEGIN:VEVENT",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"UID:{i:06d}bench@google.com",
        f"SUMMARY:Meeting {i} about topic {i % 53}",
        f"DESCRIPTION:Agenda for meeting {i}:\\n- item one\\n- item two",
        "ORGANIZER;CN=Me:mailto:me@example.org",
        f"ATTENDEE;CN=Person {a};PARTSTAT=ACCEPTED:mailto:person{a}@example.org",
    ]
    if i % 3 == 0:
        lines.append(f"ATTENDEE;CN=Person {b};PARTSTAT=TENTATIVE:mailto:person{b}@example.org")
    if i % 5 == 0:
        lines.append(f"ATTENDEE;CN=Stranger {i % 40}:mailto:stranger{i % 40}@elsewhere.org")
    if i % 11 == 0:
        lines.append("ATTENDEE;CUTYPE=RESOURCE;CN=Room:mailto:c_1@resource.calendar.google.com")
    return lines, start


def calendar(n: int) -> str:
    out = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:me@example.org",
        "X-WR-TIMEZONE:Europe/Lisbon",
    ]
    series = max(1, n * 6 // 100)
    overrides = max(1, n * 2 // 100)
    singles = n - series - overrides
    for i in range(singles):
        lines, _ = event(i)
        out += [*lines, "END:VEVENT"]
    for s in range(series):
        lines, start = event(singles + s)
        skip = start + dt.timedelta(weeks=3)
        lines += ["RRULE:FREQ=WEEKLY;COUNT=20", f"EXDATE:{skip:%Y%m%dT%H%M%SZ}"]
        out += [*lines, "END:VEVENT"]
    for o in range(overrides):
        s = o % series
        lines, start = event(singles + s)
        rid = start + dt.timedelta(weeks=5)
        moved = rid + dt.timedelta(hours=2)
        lines = [ln for ln in lines if not ln.startswith(("DTSTART", "DTEND", "SUMMARY"))]
        lines += [
            f"RECURRENCE-ID:{rid:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{moved:%Y%m%dT%H%M%SZ}",
            f"DTEND:{moved + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:Moved meeting {s}",
        ]
        if o % 2:
            lines.append("STATUS:CANCELLED")
        out += [*lines, "END:VEVENT"]
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


def make_vault(root: Path) -> None:
    (root / ".vault").mkdir(parents=True)
    (root / ".vault" / "config.toml").write_text('my_emails = ["me@example.org"]\n')
    people = root / "People"
    people.mkdir()
    for p in range(PEOPLE):
        (people / f"Person {p}.md").write_text(
            f"---\ntype: person\nemail: person{p}@example.org\ncadence: 1m\n---\n"
        )


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall-clock seconds of one run of `cmd`; its CPU seconds (its worker processes
    included) appended to `cpu`."""
    start, used = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()}")
    if cpu is not None:
        cpu.append(_children_cpu() - used)
    return elapsed


def figures(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(cmd, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()}")
    return {k: float(v) for k, v in json.loads(done.stdout.decode().splitlines()[-1]).items()}


def measure(n: int, runs: int, work: Path) -> dict[str, float | int]:
    ics = work / f"google-{n}.ics"
    ics.write_text(calendar(n), encoding="utf-8", newline="")
    env = {**os.environ, "VAULT_TODAY": TODAY, "VAULT_CRM_CACHE": str(work / "cache")}
    floor, imports, dry, again, floor_cpu, import_cpu = [], [], [], [], [], []
    floor_steps: list[dict[str, float]] = []
    stages: list[dict[str, float]] = []
    notes = 0
    for r in range(runs):
        start, used = time.perf_counter(), _children_cpu()
        floor_steps.append(figures([sys.executable, "-c", FLOOR, str(ics)], env))
        floor.append(time.perf_counter() - start)
        floor_cpu.append(_children_cpu() - used)
        staged = work / f"staged-{r}"
        make_vault(staged)
        stages.append(figures([sys.executable, "-c", STAGES, str(staged), str(ics), TODAY], env))
        root = work / f"vault-{r}"
        make_vault(root)
        base = [sys.executable, "-m", "vault_crm", "--vault", str(root), "import", "ics", str(ics)]
        timed([sys.executable, "-m", "vault_crm", "--vault", str(root), "index"], env)
        dry.append(timed([*base, "--dry-run", "--json"], env))
        imports.append(timed([*base, "--json"], env, import_cpu))
        again.append(timed([*base, "--json"], env))
        notes = len(list((root / "Meetings").glob("*.md")))
    for r in range(runs):  # only now (see above)
        shutil.rmtree(work / f"staged-{r}")
        shutil.rmtree(work / f"vault-{r}")
    med = statistics.median
    steps = {f"step_{k}_s": round(med(f[k] for f in floor_steps), 3) for k in floor_steps[0]}
    staged_s = {f"stage_{k}_s": round(med(st[k] for st in stages), 3) for k in stages[0]}
    return {
        "events": n,
        "file_mb": round(ics.stat().st_size / 1e6, 2),
        "notes_written": notes,
        "floor_parse_expand_s": round(med(floor), 3),
        "import_s": round(med(imports), 3),
        "import_ratio": round(med(imports) / med(floor), 2),
        "floor_cpu_s": round(med(floor_cpu), 3),
        "import_cpu_s": round(med(import_cpu), 3),
        "dry_run_s": round(med(dry), 3),
        "dry_run_ratio": round(med(dry) / med(floor), 2),
        "reimport_s": round(med(again), 3),
        **steps,
        **staged_s,
    }


def alternate(n: int, rounds: int, work: Path) -> dict[str, float]:
    """`rounds` rounds of (the floor, one import into a fresh vault), order alternating."""
    ics = work / f"google-{n}.ics"
    env = {**os.environ, "VAULT_TODAY": TODAY, "VAULT_CRM_CACHE": str(work / "cache")}
    floors: list[float] = []
    imports: list[float] = []
    cpu: list[float] = []
    for r in range(rounds):
        root = work / f"round-{r}"
        make_vault(root)
        timed([sys.executable, "-m", "vault_crm", "--vault", str(root), "index"], env)
        floor_cmd = [sys.executable, "-c", FLOOR, str(ics)]
        import_cmd = [sys.executable, "-m", "vault_crm", "--vault", str(root)]
        import_cmd += ["import", "ics", str(ics), "--json"]
        if r % 2:
            imports.append(timed(import_cmd, env, cpu))
            floors.append(timed(floor_cmd, env))
        else:
            floors.append(timed(floor_cmd, env))
            imports.append(timed(import_cmd, env, cpu))
    for r in range(rounds):
        shutil.rmtree(work / f"round-{r}")
    med = statistics.median
    return {
        "rounds": rounds,
        "round_import_s": round(med(imports), 3),
        "round_import_cpu_s": round(med(cpu), 3),
        "round_floor_s": round(med(floors), 3),
        "round_ratio": round(med(i / f for i, f in zip(imports, floors, strict=True)), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[5000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=0, help="import beside the floor, N rounds")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vault-ics-bench-") as tmp:
        results = [measure(n, args.runs, Path(tmp)) for n in args.events]
        if args.rounds:
            for r in results:
                r.update(alternate(int(r["events"]), args.rounds, Path(tmp)))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.json:
        print(json.dumps({"machine": machine, "results": results}, indent=2))
        return
    print(f"machine: {machine}; median of {args.runs} runs")
    for r in results:
        print(
            f"{r['events']:>6} events ({r['file_mb']} MB, {r['notes_written']} notes written): "
            f"import {r['import_s']} s ({r['import_ratio']}x the parse+expand floor of "
            f"{r['floor_parse_expand_s']} s); dry run {r['dry_run_s']} s "
            f"({r['dry_run_ratio']}x); re-import {r['reimport_s']} s"
        )
        print(
            f"        CPU time: import {r['import_cpu_s']} s, "
            f"the floor {r['floor_cpu_s']} s (all processes)"
        )
        floor = ", ".join(
            f"{k[5:-2].replace('_', ' ')} {v} s" for k, v in r.items() if k.startswith("step_")
        )
        print(f"        the floor: {floor}")
        stages = ", ".join(
            f"{k[6:-2].replace('_', ' ')} {v} s" for k, v in r.items() if k.startswith("stage_")
        )
        print(f"        the import, stage by stage: {stages}")
        if "rounds" in r:
            print(
                f"        {r['rounds']} rounds of the floor and one import beside it: import "
                f"{r['round_import_s']} s (CPU {r['round_import_cpu_s']} s), floor "
                f"{r['round_floor_s']} s, median ratio {r['round_ratio']}x"
            )


if __name__ == "__main__":
    main()

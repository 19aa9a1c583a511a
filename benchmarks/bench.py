"""Measure vault-crm on a synthetic vault and print the figures (not a timed test).

    python benchmarks/bench.py [--vault DIR] [--shape synthetic|real] [--runs 5] [--keep] [--json]
    python benchmarks/bench.py --notes 10000 30000 100000 [--runs 3] [--json] [--vault DIR]

Each figure is the median of --runs fresh processes, and each is shown next to a floor
measured in the same run on the same machine, because these machines are noisy:

- floor_parse: one process that reads every note and parses its front-matter with
  python-frontmatter (what a full rebuild cannot avoid doing, single-process);
- floor_noop: one process that imports click, frontmatter, jinja2 and sqlite3 and stats
  every note (what any command that checks for changes cannot avoid).

Targets (2-core machine): rebuild <= 1.5x floor_parse; no-op index <= 2x floor_noop;
people and links <= 2x; due --no-write and search <= 2.5x; writing the note <= +50 ms;
who, intros and report (which writes the report note) <= 3x;
search in-process p50 <= 20 ms and p95 <= 60 ms over 50 queries.
"""

from __future__ import annotations

import argparse
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
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402 - the generator sits beside this script

FLOOR_PARSE = """
import os, sys, frontmatter
for root, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith('.')]
    for f in files:
        if f.endswith('.md'):
            with open(os.path.join(root, f), encoding='utf-8') as fh:
                frontmatter.loads(fh.read())
"""
FLOOR_NOOP = """
import os, sys, click, frontmatter, jinja2, sqlite3
stack = [sys.argv[1]]
while stack:
    for e in os.scandir(stack.pop()):
        if e.is_dir(follow_symlinks=False):
            if not e.name.startswith('.'):
                stack.append(e.path)
        elif e.name.endswith('.md'):
            e.stat()
"""
QUERIES = [
    "pricing", "hiring", "fundraising roadmap", '"the launch"', "onboard*", "churn OR reorg",
    "pricing -hiring", "remote work", "side project", "conference", "book", "numbers",
    "introduction", "energy", "team small", "next time", '"compare notes"', "worried",
    "weighing", "Ana", "Lima", "Costa", "chloe", "Zoë", "Ångström", "founder", "mentor",
    "investor", "labs", "gmbh", "studio", "engineer", "partner", "designer", "coffee",
    "dinner", "video", "email", "lunch", "call", "notes", "year", "month", "hour", "time",
    "rest", "knows", "again", "weigh*", "differ*",
]  # fmt: skip


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of every timed process: today fixed, and bytecode written and
    read as in an installed copy (PYTHONDONTWRITEBYTECODE, set in some shells and CI
    images, would make every run compile every module again)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "VAULT_TODAY": "2026-11-23", **extra}


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1])
    return elapsed, done.returncode


def median(argv: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(timed(argv, env)[0] for _ in range(runs))


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def search_latencies(vault: Path, env: dict[str, str]) -> tuple[float, float]:
    """p50 and p95 of in-process search time over the fixed query set."""
    code = f"""
import json, os, time
from pathlib import Path
from vault_crm.config import load_settings
from vault_crm.store import Index
from vault_crm.query import parse_query
idx = Index.open(load_settings(Path({str(vault)!r})))
times = []
for q in {QUERIES!r}:
    p = parse_query(q)
    start = time.perf_counter()
    idx.search(p.match, p.exclude, limit=20)
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps([times[len(times) // 2], times[int(len(times) * 0.95) - 1]]))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    p50, p95 = json.loads(out.stdout)
    return p50, p95


def resolution_share(vault: Path, env: dict[str, str], rebuild: float) -> float:
    """Time to build the resolver and resolve every link once, as a share of a rebuild."""
    code = f"""
import json, time
from pathlib import Path
from vault_crm.config import load_settings
from vault_crm.store import Index
from vault_crm.links import Resolver
idx = Index.open(load_settings(Path({str(vault)!r})))
paths = idx.all_paths()
links = idx.conn.execute("SELECT source, target FROM links").fetchall()
start = time.perf_counter()
r = Resolver(paths)
for source, target in links:
    r.resolve(target, source)
print(time.perf_counter() - start)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout) / rebuild


def rss_mb(pid: int) -> float:
    """The resident memory of a running process, in MB (ps, so Linux and macOS alike)."""
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
    return int(out.stdout.split()[0]) / 1024


def daemon_latency(vault: Path, vault_cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from saving a note to the daemon's rewritten reconnect note (debounce
    included): log a conversation with the first person due, dated today."""
    return daemon_figures(vault, vault_cmd, env)[0]


def daemon_figures(
    vault: Path, vault_cmd: list[str], env: dict[str, str]
) -> tuple[float, float, float]:
    """The daemon's save -> rewritten reconnect note (as `daemon_latency`), its start-up
    (from launching `vault watch` to "watching": the reconcile and both notes written;
    the index is current, as after any command) and its resident memory when idle after
    start-up, in MB."""
    due = json.loads(
        subprocess.run(
            [*vault_cmd, "due", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )["due"]
    if not due:
        raise RuntimeError("nobody is due in this vault")
    note = vault / "Reconnect.md"
    launched = time.perf_counter()
    proc = subprocess.Popen([*vault_cmd, "watch"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        while "watching" not in proc.stderr.readline():
            if proc.poll() is not None:
                raise RuntimeError("vault watch stopped")
        startup = time.perf_counter() - launched
        time.sleep(1.0)  # idle: past the first debounce of its own writes
        idle = rss_mb(proc.pid)
        before = note.read_bytes()
        path = vault / "Conversations" / "bench-latency.md"
        started = time.perf_counter()
        path.write_text(
            f'---\ndate: 2026-11-23\nwith: ["[[{due[0]["person"]}]]"]\n---\nA call.\n',
            encoding="utf-8",
        )
        while note.read_bytes() == before:
            if time.perf_counter() - started > 30:
                raise RuntimeError("the note did not change within 30 s")
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait()
    path.unlink()
    return elapsed, startup, idle


Row = tuple[float, float]  # seconds, peak RSS in MB


def run_rss(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError((err.strip().splitlines() or ["failed"])[-1])
    rss = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
    return elapsed, rss


def median_rss(argv: list[str], env: dict[str, str], runs: int, before: Any = None) -> Row:
    """Median seconds and the largest peak RSS over `runs` processes; `before()` runs
    ahead of each one, untimed."""
    times, peaks = [], []
    for _ in range(runs):
        if before is not None:
            before()
        elapsed, rss = run_rss(argv, env)
        times.append(elapsed)
        peaks.append(rss)
    return statistics.median(times), max(peaks)


def sized(notes: int) -> dict[str, int]:
    """The heavy user's vault shape at `notes`: a tenth people, 365 daily notes per 10,000
    notes, the rest conversations (100,000 -> 10,000 + 90,000 + 3,650)."""
    people = max(10, notes // 10)
    return {"people": people, "conversations": notes - people, "daily": 365 * notes // 10_000}


def scale_figures(notes: int, runs: int, work: Path, keep: bool = False) -> dict[str, Any]:
    """The issue-17 table at one vault size: each command's median, floor, ratio and
    peak RSS. With `keep`, a vault already generated in `work` is used again (the
    generator is deterministic) and left there."""
    vault = work / f"vault-{notes}"
    if not (keep and (vault / "People").is_dir()):
        started = time.perf_counter()
        generate(vault, **sized(notes))
        print(f"generated {vault} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    env = bench_env(VAULT_CRM_CACHE=str(work / f"cache-{notes}"))
    vault_cmd = [shutil.which("vault") or "vault", "--vault", str(vault)]
    py = [sys.executable, "-c"]
    floor_parse = median_rss([*py, FLOOR_PARSE, str(vault)], env, runs)
    floor_walk = median_rss([*py, FLOOR_NOOP, str(vault)], env, runs)
    rows: dict[str, tuple[Row, Row]] = {}
    rows["vault index --rebuild"] = (
        median_rss([*vault_cmd, "index", "--rebuild"], env, min(runs, 3)),
        floor_parse,
    )
    person = json.loads(
        subprocess.run(
            [*vault_cmd, "people", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )[0]["person"]
    commands = {
        "vault index (nothing changed)": ["index"],
        "vault due --no-write --json": ["due", "--no-write", "--json"],
        "vault people --json": ["people", "--json"],
        "vault show PERSON --json": ["show", person, "--json"],
        "vault search pricing --json": ["search", "pricing", "--json"],
        "vault followups PERSON --json": ["followups", person, "--json"],
        "vault links PERSON --json": ["links", person, "--json"],
        "vault who pricing --json": ["who", "pricing", "--json"],
        "vault intros --json": ["intros", "--json"],
        "vault report --json": ["report", "--json"],
    }
    for name, argv in commands.items():
        rows[name] = (median_rss([*vault_cmd, *argv], env, runs), floor_walk)
    conversations = sorted((vault / "Conversations").rglob("*.md"))
    edited = conversations[len(conversations) // 2]
    original = edited.read_text(encoding="utf-8")
    count = iter(range(1, 1000))

    def edit_one() -> None:
        edited.write_text(original + f"\nEdit {next(count)}.\n", encoding="utf-8")

    rows["one note edited, then vault due --no-write --json"] = (
        median_rss([*vault_cmd, "due", "--no-write", "--json"], env, runs, edit_one),
        floor_walk,
    )
    edited.write_text(original, encoding="utf-8")
    subprocess.run([*vault_cmd, "index"], env=env, capture_output=True, check=True)
    figures: dict[str, Any] = {
        "notes": sum(1 for _ in vault.rglob("*.md")),
        "floor_parse_s": floor_parse[0],
        "floor_walk_s": floor_walk[0],
        "commands": {
            name: {"s": t, "floor_s": f[0], "ratio": t / f[0], "peak_rss_mb": rss}
            for name, ((t, rss), f) in rows.items()
        },
    }
    try:
        daemon = [daemon_figures(vault, vault_cmd, env) for _ in range(min(runs, 3))]
        figures["daemon_save_to_note_s"] = statistics.median(d[0] for d in daemon)
        figures["daemon_startup_s"] = statistics.median(d[1] for d in daemon)
        figures["daemon_idle_rss_mb"] = max(d[2] for d in daemon)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        for key in ("daemon_save_to_note_s", "daemon_startup_s", "daemon_idle_rss_mb"):
            figures[key] = f"n/a: {exc}"
    if not keep:
        shutil.rmtree(vault, ignore_errors=True)
    shutil.rmtree(work / f"cache-{notes}", ignore_errors=True)
    return figures


def print_scale(results: list[dict[str, Any]]) -> None:
    for i, fig in enumerate(results):
        print(f"\n| {fig['notes']:,} notes | median | floor | ratio | peak RSS |")
        print("| --- | --- | --- | --- | --- |")
        for name, c in fig["commands"].items():
            print(
                f"| `{name}` | {c['s']:.2f} s | {c['floor_s']:.2f} s | {c['ratio']:.1f}x"
                f" | {c['peak_rss_mb']:.0f} MB |"
            )
        daemon = fig["daemon_save_to_note_s"]
        shown = f"{daemon:.2f} s" if isinstance(daemon, float) else daemon
        print(f"| daemon: save -> rewritten Reconnect.md | {shown} | | | |")
        startup, idle = fig.get("daemon_startup_s"), fig.get("daemon_idle_rss_mb")
        if isinstance(startup, float) and isinstance(idle, float):
            print(
                f"| daemon: start-up (reconcile, both notes) | {startup:.2f} s"
                f" | {fig['floor_walk_s']:.2f} s | {startup / fig['floor_walk_s']:.1f}x"
                f" | {idle:.0f} MB idle |"
            )
        if i:
            prev = results[i - 1]
            grow = fig["notes"] / prev["notes"]
            print(f"\ngrowth from {prev['notes']:,} to {fig['notes']:,} notes ({grow:.1f}x):")
            for name, c in fig["commands"].items():
                before = prev["commands"][name]["s"]
                print(f"  {name}: {c['s'] / before:.2f}x time")
            for key in ("daemon_save_to_note_s", "daemon_startup_s"):
                now, then = fig.get(key), prev.get(key)
                if isinstance(now, float) and isinstance(then, float):
                    print(f"  {key}: {now / then:.2f}x time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--vault",
        type=Path,
        help="benchmark this vault instead of generating; with --notes, the folder the"
        " vaults are generated into once and used again by later runs",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated vault")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument(
        "--shape",
        choices=["synthetic", "real"],
        default="synthetic",
        help="real: most notes shaped like a large community vault's (long bodies, tables,"
        " 20+ links, Excalidraw drawings) instead of short conversations",
    )
    parser.add_argument(
        "--notes",
        type=int,
        nargs="+",
        help="at each of these sizes, a vault shaped like a heavy user's (a tenth people,"
        " 365 daily notes per 10,000): the table of each command against its floor, with"
        " peak RSS, and the growth from one size to the next",
    )
    args = parser.parse_args()

    if args.notes:
        # --vault DIR with --notes: generate the vaults into DIR once, use them again after.
        work = args.vault or Path(tempfile.mkdtemp(prefix="vault-bench-"))
        keep = args.keep or args.vault is not None
        try:
            results = [scale_figures(n, args.runs, work, keep) for n in sorted(args.notes)]
        finally:
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            print(
                f"{os.cpu_count()} cores, Python {platform.python_version()},"
                f" {platform.system()} {platform.machine()}"
            )
            print_scale(results)
        return

    work = Path(tempfile.mkdtemp(prefix="vault-bench-"))
    vault = args.vault or work / "vault"
    if args.vault is None:
        started = time.perf_counter()
        if args.shape == "real":
            generate(vault, people=1000, conversations=1000, daily=365, real=5000)
        else:
            generate(vault)
        print(f"generated {vault} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    env = bench_env(VAULT_CRM_CACHE=str(work / "cache"))
    vault_cmd = [shutil.which("vault") or "vault", "--vault", str(vault)]
    notes = sum(1 for _ in vault.rglob("*.md"))
    py = [sys.executable, "-c"]
    figures: dict[str, object] = {
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        "notes": notes,
        "shape": args.shape if args.vault is None else str(args.vault),
    }

    floor_parse = median([*py, FLOOR_PARSE, str(vault)], env, args.runs)
    floor_noop = median([*py, FLOOR_NOOP, str(vault)], env, args.runs)
    figures["floor_parse_s"] = floor_parse
    figures["floor_noop_s"] = floor_noop

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rebuild = median([*vault_cmd, "index", "--rebuild"], env, args.runs)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures["rebuild_s"] = rebuild
    figures["rebuild_ratio"] = rebuild / floor_parse
    figures["notes_per_s"] = notes / rebuild
    figures["peak_rss_mb"] = (
        (max(peak, before) / 1024) if sys.platform != "darwin" else peak / 2**20
    )
    figures["index_mb"] = dir_size(work / "cache") / 1e6
    figures["resolution_share_of_rebuild"] = resolution_share(vault, env, rebuild)

    commands = {
        "noop_index": ["index"],
        "people": ["people", "--json"],
        "links": ["links", "Conversations", "--json"],
        "due_no_write": ["due", "--no-write", "--json"],
        "due_write": ["due", "--json"],
        "search": ["search", "pricing", "--json"],
        "who": ["who", "pricing", "--json"],
        "intros": ["intros", "--json"],
        "report": ["report", "--json"],
    }
    person = json.loads(
        subprocess.run(
            [*vault_cmd, "people", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )[0]["person"]
    commands["links"] = ["links", person, "--json"]
    for name, argv in commands.items():
        try:
            seconds = median([*vault_cmd, *argv], env, args.runs)
        except RuntimeError as exc:
            figures[f"{name}_s"] = f"n/a: {exc}"
            continue
        figures[f"{name}_s"] = seconds
        figures[f"{name}_ratio"] = seconds / floor_noop
    if isinstance(figures.get("due_write_s"), float) and isinstance(
        figures.get("due_no_write_s"), float
    ):
        figures["write_note_ms"] = (figures["due_write_s"] - figures["due_no_write_s"]) * 1000  # type: ignore[operator]
    try:
        latency, startup, idle = daemon_figures(vault, vault_cmd, env)
        figures["daemon_save_to_note_s"] = latency
        figures["daemon_startup_s"] = startup
        figures["daemon_idle_rss_mb"] = idle
    except (RuntimeError, OSError) as exc:
        figures["daemon_save_to_note_s"] = f"n/a: {exc}"
    p50, p95 = search_latencies(vault, env)
    figures["search_p50_ms"] = p50 * 1000
    figures["search_p95_ms"] = p95 * 1000

    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    if not args.keep and args.vault is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

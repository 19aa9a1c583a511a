"""Measure `vault import vcard` on generated Gmail-shaped address books (not a timed test).

    python benchmarks/bench_import.py [--sizes 1000 10000] [--runs 3] [--json]

Each address book is one .vcf file of N cards as Google Contacts exports them: FN and N,
several EMAIL and TEL types, a labelled `itemN.` e-mail and date, ORG, TITLE, BDAY,
CATEGORIES, a folded NOTE and a base64 PHOTO. Deterministic (same N, same bytes).

For each size it prints, as the median of --runs fresh processes into an empty vault:
the import (creating N notes), the dry run of the same file, a re-import (everything
skipped), cards per second, and a floor measured in the same run: one process that only
parses the file with vobject (`readComponents`), the least any vCard import must do.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import sys, vobject
with open(sys.argv[1], encoding="utf-8") as fh:
    n = sum(1 for _ in vobject.readComponents(fh.read()))
"""

# 100 given names x 100 family names: 10,000 people who are not duplicates of each other
# (the import rightly holds back two "Ana Lima"s with different e-mails).
_A = "Ma Lu Jo Ka Ri Zo Sa Ne Ti Chlo".split()
_B = "na rio é ra ku ssa mir lin da vi".split()
_C = "Lim Cos Oka Ång Mar Web Sil Che Had Ra".split()
_D = "a ta for ström tin er va n dad o".split()
FIRST = [a + b for a in _A for b in _B]
LAST = [c + d for c in _C for d in _D]


def _fold(line: str) -> str:
    out, rest = [], line
    while len(rest.encode()) > 75:
        cut = 75
        while len(rest[:cut].encode()) > 75:
            cut -= 1
        out.append(rest[:cut])
        rest = " " + rest[cut:]
    out.append(rest)
    return "\r\n".join(out)


def gmail_card(i: int) -> str:
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    name = f"{first} {last}"
    photo = base64.b64encode(bytes((i + k) % 256 for k in range(1500))).decode()
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{name}",
        f"N:{last};{first};;;",
        f"EMAIL;TYPE=INTERNET;TYPE=HOME:{first.lower()}.{i}@example.org",
        f"EMAIL;TYPE=INTERNET;TYPE=WORK:{first.lower()}.{last.lower()}.{i}@work.example",
        f"item1.EMAIL;TYPE=INTERNET:{i}@other.example",
        "item1.X-ABLabel:Old",
        f"TEL;TYPE=CELL:+1 555 {i:07d}",
        f"TEL;TYPE=WORK:+1 555 {i + 1:07d}",
        f"TEL;TYPE=HOME:+1 555 {i + 2:07d}",
        f"ORG:Company {i % 97}",
        "TITLE:Engineer",
        f"BDAY:19{70 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        f"item2.X-ABDATE:20{10 + i % 15}-06-01",
        "item2.X-ABLabel:_$!<Anniversary>!$_",
        "CATEGORIES:myContacts,friends",
        _fold(f"NOTE:Met at a conference\\, talked about pricing pages for {i} minutes."),
        _fold(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}"),
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


def generate(path: Path, n: int) -> None:
    path.write_text("".join(gmail_card(i) for i in range(n)), encoding="utf-8", newline="")


def timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()}")
    return elapsed


def measure(n: int, runs: int, work: Path) -> dict[str, float | int]:
    vcf = work / f"gmail-{n}.vcf"
    generate(vcf, n)
    env = {**os.environ, "VAULT_TODAY": "2026-11-23", "VAULT_CRM_CACHE": str(work / "cache")}
    vault_cmd = [sys.executable, "-m", "vault_crm"]
    floor, imports, dry, again = [], [], [], []
    for r in range(runs):
        floor.append(timed([sys.executable, "-c", FLOOR, str(vcf)], env))
        root = work / f"vault-{n}-{r}"
        (root / ".vault").mkdir(parents=True)
        base = [*vault_cmd, "--vault", str(root), "import", "vcard", str(vcf)]
        dry.append(timed([*base, "--dry-run", "--json"], env))
        imports.append(timed([*base, "--json"], env))
        again.append(timed([*base, "--json"], env))
        people = len(list((root / "People").glob("*.md")))
        if people != n:
            sys.exit(f"expected {n} notes, found {people}")
        shutil.rmtree(root)
    med = statistics.median
    return {
        "cards": n,
        "file_mb": round(vcf.stat().st_size / 1e6, 2),
        "floor_vobject_parse_s": round(med(floor), 3),
        "import_s": round(med(imports), 3),
        "import_cards_per_s": round(n / med(imports)),
        "import_ratio": round(med(imports) / med(floor), 2),
        "dry_run_s": round(med(dry), 3),
        "reimport_s": round(med(again), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vault-import-bench-") as tmp:
        results = [measure(n, args.runs, Path(tmp)) for n in args.sizes]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.json:
        print(json.dumps({"machine": machine, "results": results}, indent=2))
        return
    print(f"machine: {machine}; median of {args.runs} runs")
    for r in results:
        print(
            f"{r['cards']:>6} cards ({r['file_mb']} MB): import {r['import_s']} s "
            f"({r['import_cards_per_s']} cards/s, {r['import_ratio']}x the vobject parse floor "
            f"of {r['floor_vobject_parse_s']} s); dry run {r['dry_run_s']} s; "
            f"re-import {r['reimport_s']} s"
        )


if __name__ == "__main__":
    main()

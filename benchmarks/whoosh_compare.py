"""Compare SQLite FTS5 (what vault-crm uses) with Whoosh on the same notes.

    pip install -e '.[bench]'          # brings in whoosh, for this script only
    python benchmarks/whoosh_compare.py [--vault DIR]

Both engines index the same documents (title, and the whole file as text) on the same
machine; the script prints build time and query latencies over the benchmark's 50
queries. The product does not depend on Whoosh.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import QUERIES  # noqa: E402 - the same queries as the main benchmark
from generate import generate  # noqa: E402


def documents(vault: Path) -> list[tuple[str, str, str]]:
    return [
        (str(p.relative_to(vault)), p.stem, p.read_text(encoding="utf-8"))
        for p in sorted(vault.rglob("*.md"))
    ]


def fts5(docs: list[tuple[str, str, str]], folder: Path) -> tuple[float, list[float]]:
    conn = sqlite3.connect(folder / "fts.sqlite")
    started = time.perf_counter()
    conn.execute(
        "CREATE VIRTUAL TABLE f USING fts5(path UNINDEXED, title, body,"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    conn.executemany("INSERT INTO f VALUES (?, ?, ?)", docs)
    conn.commit()
    build = time.perf_counter() - started
    times = []
    for q in QUERIES:
        words = " ".join(
            '"' + w.strip('"*-').replace('"', "") + '"'
            for w in q.split()
            if w.strip('"*-') and w not in ("OR",)
        )
        started = time.perf_counter()
        conn.execute(
            "SELECT path, snippet(f, 2, '[', ']', '…', 12) FROM f WHERE f MATCH ?"
            " ORDER BY bm25(f, 10.0, 1.0) LIMIT 20",
            (words,),
        ).fetchall()
        times.append(time.perf_counter() - started)
    return build, times


def whoosh(docs: list[tuple[str, str, str]], folder: Path) -> tuple[float, list[float]]:
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser

    schema = Schema(
        path=ID(stored=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=10.0),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    started = time.perf_counter()
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    for path, title, body in docs:
        writer.add_document(path=path, title=title, body=body)
    writer.commit()
    build = time.perf_counter() - started
    parser = MultifieldParser(["title", "body"], ix.schema)
    times = []
    with ix.searcher() as searcher:
        for q in QUERIES:
            started = time.perf_counter()
            results = searcher.search(parser.parse(q), limit=20)
            for hit in results:
                hit.highlights("body")
            times.append(time.perf_counter() - started)
    return build, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vault", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vault-whoosh-"))
    vault = args.vault or work / "vault"
    if args.vault is None:
        generate(vault)
    docs = documents(vault)
    print(f"{len(docs):,} notes")
    for name, engine in (("sqlite fts5", fts5), ("whoosh", whoosh)):
        folder = work / name.replace(" ", "-")
        folder.mkdir()
        build, times = engine(docs, folder)
        times.sort()
        print(
            f"{name:12} build {build:6.2f} s   query p50 {statistics.median(times) * 1000:6.1f} ms"
            f"   p95 {times[int(len(times) * 0.95) - 1] * 1000:6.1f} ms"
            f"   max {times[-1] * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()

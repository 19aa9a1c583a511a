"""The texts of the new notes of a large import, made in worker processes.

A calendar import creates thousands of notes; rendering each one's template and checking
that its front-matter reads back as planned is about half the time of writing them. With
many notes and more than one core, the notes are cut into chunks that worker processes
render and check (each chunk with its own `ReadBack`), while the main process writes the
chunks already done, in plan order. Only the texts are made in the workers: every file is
written by the main process, as `NewNotes` does for any import.

A chunk a worker could not finish (an unexpected error) is made again in the main
process, so that the error, if it is one, is raised there as without workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Sequence
from pathlib import Path

from vault_crm.importing.plan import Step

# Fewer new notes than this are made in the main process: workers would not pay off.
PARALLEL_NOTES = 1000
# Notes a worker makes at a time (the main process writes one chunk while the next is made).
CHUNK_NOTES = 250

# A note's text, or the reason it is refused (nothing written).
Made = tuple[str | None, str | None]


# Makes the texts of some new notes, in order (`writer.made_texts`).
Make = Callable[[Path, Sequence[Step], dt.date], list[Made]]


def _make_chunk(job: tuple[Make, Path, list[Step], dt.date]) -> list[Made] | None:
    """A worker's chunk; None when something unexpected happened (the main process then
    makes the chunk itself and meets the error there)."""
    make, vault, steps, today = job
    try:
        return make(vault, steps, today)
    except Exception:  # the main process redoes the chunk and meets the error
        return None


def made_in_workers(
    make: Make, vault: Path, steps: Sequence[Step], today: dt.date, *, at_least: int | None = None
) -> Generator[Made, None, None] | None:
    """The text (or refusal) of each of these new notes, in order, made by worker
    processes chunk by chunk as the caller goes through them; None when there are fewer
    than `at_least` (default PARALLEL_NOTES) notes or one core (the caller then makes
    them itself). Close the iterator when done early: that stops the workers."""
    import os

    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(steps) < (PARALLEL_NOTES if at_least is None else at_least):
        return None
    return _made(make, vault, list(steps), today, workers)


def _made(
    make: Make, vault: Path, steps: list[Step], today: dt.date, workers: int
) -> Generator[Made, None, None]:
    import multiprocessing

    # Loaded before the workers are forked, so that each starts with it.
    import vault_crm.render  # noqa: F401

    chunks = [steps[i : i + CHUNK_NOTES] for i in range(0, len(steps), CHUNK_NOTES)]
    pool = multiprocessing.Pool(min(workers, len(chunks)))
    try:
        done = pool.imap(_make_chunk, [(make, vault, chunk, today) for chunk in chunks])
        for chunk, made in zip(chunks, done, strict=True):
            yield from (made if made is not None else make(vault, chunk, today))
    finally:
        # Done, given up, an error or Ctrl-C: nothing more is wanted from the workers.
        pool.terminate()
        pool.join()

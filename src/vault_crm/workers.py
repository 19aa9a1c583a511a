"""Worker processes for the long reads (a rebuild's notes, a large calendar), in a pool
that never waits forever.

A worker that dies (killed, out of memory) breaks the pool: every result not yet in
raises `WorkerDied` at once, and the caller reads that part in its own process. A caller
that stops early (done with what it needed, an error, Ctrl-C, SIGTERM) ends the workers
on the spot.

Built on `concurrent.futures.ProcessPoolExecutor`, whose manager thread watches every
worker and reads results without taking a lock a worker may hold. `multiprocessing.Pool`
could hang: its `terminate()` kills workers, one of them possibly while it holds the lock
of the result queue (sending a large result nobody reads any more), and then waits for
its task thread, which waits for that lock forever; and a worker that dies mid-task is
replaced while its result is waited for forever."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

# How long `stop` gives the pool's own thread to clean up after the workers are killed.
_CLEANUP_SECONDS = 5.0

# What a future of a broken pool raises: a worker process ended before its work was done.
WorkerDied = BrokenProcessPool


class Workers:
    """`count` forked worker processes, each started with `initializer(*initargs)` (after
    `prepare_worker`). Used as a context manager: leaving it normally lets the workers
    finish and exit; leaving it by an exception (or a generator closed early) kills them."""

    def __init__(
        self,
        count: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Forked on Linux: the workers start with the modules and data the command already
        # loaded. Elsewhere the platform's own way (spawn on macOS, where forking a process
        # that uses the system's frameworks is unsafe; Windows has no fork).
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        self._executor: ProcessPoolExecutor = ProcessPoolExecutor(
            count, mp_context=context, initializer=_start_worker, initargs=(initializer, initargs)
        )
        self._stopped = False

    def submit(self, fn: Callable[[Any], T], arg: Any) -> Future[T]:
        """`fn(arg)` in a worker; its future raises WorkerDied when a worker died."""
        try:
            return self._executor.submit(fn, arg)
        except WorkerDied as exc:  # a worker died before this was handed out
            failed: Future[T] = Future()
            failed.set_exception(exc)
            return failed

    def stop(self) -> None:
        """Drop the queued work and end the workers now, without waiting for them."""
        if self._stopped:
            return
        self._stopped = True
        executor = self._executor
        # (None once shut down; the workers are started with the first piece of work)
        processes = list((executor._processes or {}).values())
        manager: Any = getattr(executor, "_executor_manager_thread", None)
        executor.shutdown(wait=False, cancel_futures=True)
        # Killed rather than left to finish their current piece of work; the pool's own
        # thread notices them gone and cleans up (it takes no lock a worker could hold).
        for process in processes:
            if process.exitcode is None:
                process.terminate()
        if manager is not None:
            # Its cleanup takes a moment; done before the command exits, the interpreter's
            # own goodbye to the pool does not race it. Bounded: never a wait for ever.
            manager.join(_CLEANUP_SECONDS)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None and not self._stopped:
            self._executor.shutdown(wait=True)
        else:
            self.stop()


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    import signal

    # Ctrl-C reaches the whole process group; the parent decides and stops the workers.
    # SIGTERM (from the parent, or anyone) ends a worker on the spot.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A parent killed outright (kill -9) cannot stop its workers: they notice it is gone
    # (they are handed to another parent) and exit instead of working on for nobody. The
    # parent is whoever started this worker: the command, or a fork server it runs.
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_when_orphaned(parent: int, every: float = 0.25) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)

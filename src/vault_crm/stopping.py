"""Stopping long work in worker processes cleanly: SIGTERM and Ctrl-C, while the workers
work, are noted and acted on by the main thread between waits, never raised inside the
pool's own code (where they could leave one of its locks held, and the pool waiting for it
for ever)."""

from __future__ import annotations

from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while worker processes were parsing: unwind like Ctrl-C does."""


class StopOnSignal:
    """While worker processes parse, SIGTERM and Ctrl-C are noted here and acted on by the
    main thread within a moment, at a clean point between batches: it then ends the pool and
    raises Terminated or KeyboardInterrupt (raising inside the pool's own code could leave
    its locks held at exit). A handler someone else installed (the daemon's) is left alone."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            ours = {signal.SIGTERM: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler}
            for signum, default in ours.items():
                previous = signal.getsignal(signum)
                if previous is default:
                    self.previous[signum] = previous
                    signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def check(self) -> None:
        import signal

        if self.signum == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signum is not None:
            raise Terminated

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        import signal

        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        if kind is None:
            # A signal noted after the last check (while the workers were ending, say)
            # still stops the command.
            self.check()

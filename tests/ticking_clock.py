"""Run `vault` with a progress-bar clock that moves a second on each time it is read, so
work of any size looks long to the bar (which shows only after about a second):

    python tests/ticking_clock.py vault-arguments...

Only the bar's clock ticks; everything else, the work included, runs as it does for a
user. A small vault then shows on a terminal what a large one shows on any machine."""

from __future__ import annotations

import runpy
import sys
import time
from typing import Any


class TickingClock:
    """The `time` module, except that monotonic() is one second later at each call."""

    def __init__(self) -> None:
        self.ticks = 0

    def monotonic(self) -> float:
        self.ticks += 1
        return time.monotonic() + self.ticks

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def tick() -> None:
    """From here on, the progress bar's clock in this process moves a second per reading."""
    from vault_crm.cli import app

    app.time = TickingClock()  # type: ignore[assignment]


def main() -> None:
    tick()
    sys.argv = ["vault", *sys.argv[1:]]
    runpy.run_module("vault_crm", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

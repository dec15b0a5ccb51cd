"""A bounded start rate: wait while `limit` executions run, and leave `interval_s` between starts.

Pure apart from the clock and sleep it is given (tests pass fakes). Glue refuses a job run beyond the
job's `max_concurrent_runs` (the state machine would retry it with backoff, the audit item waiting
RUNNING); each execution runs the family's steps one after the other, so at most `limit` running
executions keep every step's job within its limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ops.errors import RefusedError


@dataclass
class Throttle:
    limit: int
    interval_s: float = 1.0
    poll_s: float = 5.0
    timeout_s: float = 6 * 3600.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waits: int = 0  # how many times a start waited for a free slot
    _last_start: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"limit {self.limit} must be at least 1")

    def wait_for_slot(self, running: Callable[[], int], on_wait: Callable[[int], None] | None = None) -> None:
        """Return once fewer than `limit` executions run and `interval_s` has passed since the last start;
        `on_wait(running)` hears each time it has to wait; RefusedError after `timeout_s`."""
        if self._last_start is not None:
            pause = self._last_start + self.interval_s - self.clock()
            if pause > 0:
                self.sleep(pause)
        deadline = self.clock() + self.timeout_s
        waited = False
        while (count := running()) >= self.limit:
            if self.clock() >= deadline:
                raise RefusedError(
                    f"{count} executions still running after {self.timeout_s:.0f} s (limit {self.limit}); "
                    "nothing more was started: see make status, then run the same command again"
                )
            if not waited:
                self.waits += 1
                waited = True
            if on_wait is not None:
                on_wait(count)
            self.sleep(self.poll_s)

    def started(self) -> None:
        self._last_start = self.clock()

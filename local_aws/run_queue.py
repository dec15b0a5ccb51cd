"""Which waiting Glue run takes a free slot, and on which JVM (`RunQueue`).

The local runner has one slot per core and a pool of warm Spark driver JVMs (`local_aws.spark_drivers`).
A run on a warm JVM of its Spark starts at once and runs at full speed; a run on a new JVM pays the JVM's
start and its warm-up (class loading, JIT compilation), which on 2 cores is about 18 s for a 50-row file
(`make bench`'s loop: first file 33.9 s, warm files 15.8 s) and doubles when two JVMs warm up side by
side. A free slot goes, in this order, to:

1. the oldest run that has waited `locality_wait_s` or more, whatever JVM it needs: no run waits longer
   than that for a warm JVM, and no job's runs overtake another job's for longer;
2. the oldest run with an idle JVM of its key (no start to pay);
3. the oldest run whose key has no JVM warming up (starting, or serving its first run): it starts one.

So a run whose key has a JVM warming up waits for it, up to `locality_wait_s` (Spark's own
`spark.locality.wait` for a task's data, applied to a run's JVM: waiting at most what a start would cost
bounds the loss when the wait was in vain). Two files of a family that arrive together run one after
the other on one JVM, and the other slot goes to another family's run, instead of two JVMs warming up
side by side on 2 cores. Once a JVM of a Spark is warm, a stream of its runs (a backfill) gets a second
JVM on a free slot at once, so both cores work. A run that needs a new JVM when every place is taken
stops the longest idle JVM of another Spark, but not one whose run ended less than `KEEP_IDLE_S` ago:
the next step of that family is probably on its way to it (`DriverPool.lease`).

"Oldest" is in the queue's fair order: first the runs of jobs with no run in progress, then the others,
each in arrival order. In AWS runs of different jobs never wait for each other (each job has its own
concurrency); here they share the machine's slots, and one job's burst (a backfill, a family's files
arriving together) must not hold every slot while another job's single run waits. Within a job, runs
keep their order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_aws.spark_drivers import DriverKey, DriverPool, Lease

LOCALITY_WAIT_S = 20.0  # about what a new JVM costs a small run on 2 cores (see above)


@dataclass(eq=False)
class _Waiting:
    job_name: str
    key: DriverKey
    item: Any
    since: float


class RunQueue:
    """The runs waiting for a slot; `take` hands one out with a lease on its JVM."""

    def __init__(
        self,
        drivers: DriverPool,
        *,
        locality_wait_s: float = LOCALITY_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.drivers = drivers
        self.locality_wait_s = locality_wait_s
        self.clock = clock
        self._ready = threading.Condition()
        self._items: list[_Waiting] = []
        self._in_progress: dict[str, int] = {}
        self._closed = False

    def put(self, job_name: str, key: DriverKey, item: Any) -> None:
        with self._ready:
            self._items.append(_Waiting(job_name, key, item, self.clock()))
            self._ready.notify_all()

    def take(self) -> tuple[Any, Lease] | None:
        """The next run to start and its JVM's lease (waiting for one), or None once the queue is closed."""
        with self._ready:
            while not self._closed:
                taken = self._take_now()
                if taken is not None:
                    return taken
                self._ready.wait(timeout=self._until_a_wait_ends())
            return None

    def poll(self) -> tuple[Any, Lease] | None:
        """`take` without waiting: None when no waiting run may start now."""
        with self._ready:
            return None if self._closed else self._take_now()

    def done(self, job_name: str) -> None:
        """A run taken from the queue has ended (its JVM is back in the pool)."""
        with self._ready:
            self._in_progress[job_name] -= 1
            self._ready.notify_all()

    def close(self) -> list[Any]:
        """No run is taken any more; the runs still waiting, in arrival order."""
        with self._ready:
            self._closed = True
            left, self._items = [waiting.item for waiting in self._items], []
            self._ready.notify_all()
            return left

    def _take_now(self) -> tuple[Any, Lease] | None:
        for chosen in self._by_priority(self.clock()):
            lease = self.drivers.lease(chosen.key)
            if lease is not None:  # else no JVM can make room yet (see `DriverPool.lease`)
                self._items.remove(chosen)
                self._in_progress[chosen.job_name] = self._in_progress.get(chosen.job_name, 0) + 1
                return chosen.item, lease
        return None

    def _by_priority(self, now: float) -> list[_Waiting]:
        """The runs that may start now, best first (see the module's docstring)."""
        idle_jobs = [waiting for waiting in self._items if not self._in_progress.get(waiting.job_name)]
        fair = idle_jobs + [waiting for waiting in self._items if waiting not in idle_jobs]
        waited = [waiting for waiting in fair if now - waiting.since >= self.locality_wait_s]
        warm = [waiting for waiting in fair if self.drivers.has_idle(waiting.key)]
        new = [waiting for waiting in fair if not self.drivers.warming_up(waiting.key)]
        return list(dict.fromkeys([*waited, *warm, *new]))

    def _until_a_wait_ends(self) -> float:
        """Seconds until the next waiting run has waited `locality_wait_s` (at most 1: a JVM may become
        free to make room, see `DriverPool.lease`)."""
        now = self.clock()
        ends = [waiting.since + self.locality_wait_s - now for waiting in self._items]
        return max(0.01, min([1.0, *ends]))

"""The local Glue runner's queue: fair between jobs, in arrival order within a job, and a run waits a
bounded time for a warm JVM of its Spark rather than warming up another one (`RunQueue`)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from local_aws.run_queue import RunQueue
from local_aws.spark_drivers import KEEP_IDLE_S, DriverKey, DriverPool, WarmDriver

SPARK_35 = DriverKey(glue_version="5.1", python_path="", submit_args="--master local[1]")
SPARK_41 = DriverKey(glue_version="6.0", python_path=".tools/spark-4.1", submit_args="--master local[1]")
SPARK_35_2G = DriverKey(
    glue_version="5.1", python_path="", submit_args="--master local[1] --driver-memory 2g"
)
WAIT_S = 20.0


class HostOnlyPool(DriverPool):
    """The real pool, whose 'JVMs' are processes that only wait for their standard input to end."""

    def _start(self, key: DriverKey, env: Mapping[str, str], number: int) -> WarmDriver:
        host = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        return WarmDriver(key=key, host=host, port=0, secret="", log_file=self.log_dir / f"{number}.log")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Slots:
    """A queue and its pool on one clock, used the way the runner's workers use them: runs are named
    `<job><n>` and run on the key given for their job; `start` takes a run and opens its JVM, `end`
    gives it back."""

    def __init__(
        self, log_dir: Path, keys: Mapping[str, DriverKey], wait_s: float = WAIT_S, max_drivers: int = 3
    ) -> None:
        self.keys, self.clock = keys, Clock()
        self.pool = HostOnlyPool(
            python=sys.executable, log_dir=log_dir, max_drivers=max_drivers, clock=self.clock
        )
        self.queue = RunQueue(self.pool, locality_wait_s=wait_s, clock=self.clock)
        self.running: dict[str, WarmDriver] = {}

    def put(self, *runs: str) -> None:
        for run in runs:
            self.queue.put(run[0], self.keys[run[0]], run)

    def start(self) -> str | None:
        taken = self.queue.poll()
        if taken is None:
            return None
        run, lease = taken
        self.running[run] = self.pool.open(lease, {})
        return str(run)

    def end(self, run: str) -> None:
        self.pool.release(self.running.pop(run), reusable=True)
        self.queue.done(run[0])


@pytest.fixture
def slots(tmp_path: Path) -> Iterator[Callable[..., Slots]]:
    made: list[Slots] = []

    def make(keys: Mapping[str, DriverKey], **options: Any) -> Slots:
        made.append(Slots(tmp_path, keys, **options))
        return made[-1]

    yield make
    for each in made:
        each.pool.close()


Make = Callable[..., Slots]


def test_runs_of_one_job_start_in_the_order_they_arrived(slots: Make) -> None:
    made = slots({"a": SPARK_35}, wait_s=0)
    made.put("a1", "a2", "a3")
    assert [made.start(), made.start(), made.start()] == ["a1", "a2", "a3"]


def test_a_free_slot_goes_to_a_job_with_no_run_in_progress_before_a_busy_jobs_older_run(slots: Make) -> None:
    # a family's two files arrive together, then another family's delivery: the second slot goes to
    # the delivery, not to the first job's second file (even with no JVM to wait for)
    made = slots({"a": SPARK_35, "c": SPARK_35}, wait_s=0)
    made.put("a1", "a2", "c1")
    assert [made.start(), made.start(), made.start()] == ["a1", "c1", "a2"]


def test_a_job_whose_runs_ended_is_idle_again(slots: Make) -> None:
    made = slots({"a": SPARK_35, "c": SPARK_35}, wait_s=0)
    made.put("a1", "c1", "c2", "a2")
    assert [made.start(), made.start()] == ["a1", "c1"]
    made.end("a1")  # c1 still runs
    assert made.start() == "a2"  # younger than c2, but its job is idle
    made.end("c1")
    assert made.start() == "c2"


def test_a_second_run_of_a_spark_waits_for_its_busy_jvm_while_another_spark_gets_the_free_slot(
    slots: Make,
) -> None:
    # two files of a Spark 3.5 family arrive together, then a Spark 4.1 family's delivery
    made = slots({"a": SPARK_35, "c": SPARK_41})
    made.put("a1", "a2", "c1")
    assert [made.start(), made.start()] == ["a1", "c1"]  # a2 is older than c1 but waits for a1's JVM
    assert made.start() is None  # a slot is free, and a2 still waits
    assert made.pool.started == 2
    made.end("a1")
    assert made.start() == "a2"
    assert made.pool.started == 2  # a2 took a1's JVM
    assert made.running["a2"].runs == 2


def test_a_run_waits_no_longer_than_the_locality_wait_then_starts_a_new_jvm(slots: Make) -> None:
    made = slots({"a": SPARK_35})
    made.put("a1", "a2")
    assert made.start() == "a1"
    made.clock.now += WAIT_S - 0.1
    assert made.start() is None
    made.clock.now += 0.1
    assert made.start() == "a2"
    assert made.running["a1"] is not made.running["a2"] and made.pool.started == 2


def test_once_its_jvm_is_warm_a_stream_of_runs_gets_a_second_jvm_on_a_free_slot(slots: Make) -> None:
    # a backfill: the first file warmed Spark 3.5's JVM up; then files keep coming
    made = slots({"a": SPARK_35})
    made.put("a1")
    assert made.start() == "a1"
    made.end("a1")
    made.put("a2", "a3")
    assert made.start() == "a2"  # on the warm JVM
    assert made.start() == "a3"  # at once, on a second JVM: the first is busy, but not warming up
    assert made.pool.started == 2


def test_a_run_with_an_idle_jvm_of_its_spark_goes_before_an_older_run_that_would_start_one(
    slots: Make,
) -> None:
    made = slots({"a": SPARK_35, "b": SPARK_35, "c": SPARK_41, "d": SPARK_35_2G})
    made.put("a1", "c1")
    assert [made.start(), made.start()] == ["a1", "c1"]
    made.end("a1")  # Spark 3.5's JVM is idle
    # c2 must wait for c1's JVM; d1's JVM (another driver memory) must start; b1 takes the idle one
    made.put("c2", "d1", "b1")
    assert made.start() == "b1"
    assert made.pool.started == 2
    assert made.start() == "d1"
    assert made.pool.started == 3


def test_a_run_that_waited_the_locality_wait_goes_first_even_when_it_needs_a_new_jvm(slots: Make) -> None:
    made = slots({"a": SPARK_35, "c": SPARK_41})
    made.put("c1", "c2")
    assert made.start() == "c1"
    made.clock.now += WAIT_S
    made.put("a1")  # no JVM of its Spark: it could start one at once, but c2 has waited long enough
    assert made.start() == "c2"
    assert made.start() == "a1"


def test_a_jvm_whose_run_just_ended_is_kept_for_its_spark_then_makes_room(slots: Make) -> None:
    # the demo on 2 cores: a Spark 3.5 file and a Spark 4.1 delivery run; the 3.5 family's next run
    # has waited its locality wait when the delivery's first step ends, and the delivery's second step
    # is about to arrive for the 4.1 JVM
    made = slots({"a": SPARK_35, "b": SPARK_35, "c": SPARK_41}, max_drivers=2)
    made.put("a1", "c1")
    assert [made.start(), made.start()] == ["a1", "c1"]
    made.put("b1")
    made.clock.now += WAIT_S
    made.end("c1")
    assert made.start() is None  # b1 may not stop the 4.1 JVM yet
    made.clock.now += 0.5
    made.put("c2")
    assert made.start() == "c2"  # on the 4.1 JVM
    assert made.running["c2"].runs == 2
    made.end("c2")
    made.clock.now += KEEP_IDLE_S
    assert made.start() == "b1"  # a 3.5 JVM in the 4.1 one's place
    assert made.pool.started == 3 and not made.pool.has_idle(SPARK_41)


def test_no_run_waits_when_its_spark_has_no_jvm_and_every_slot_is_free(slots: Make) -> None:
    made = slots({"a": SPARK_35, "c": SPARK_41})
    made.put("c1")
    assert made.start() == "c1"
    assert made.pool.warming_up(SPARK_41) and not made.pool.warming_up(SPARK_35)


def test_a_lease_given_back_unopened_frees_its_place(slots: Make) -> None:
    made = slots({"a": SPARK_35})
    made.put("a1")
    taken = made.queue.poll()
    assert taken is not None
    assert made.pool.warming_up(SPARK_35)  # the JVM being started: a second run of it would wait
    made.pool.cancel(taken[1])
    made.queue.done("a")
    assert not made.pool.warming_up(SPARK_35)


def test_closing_hands_back_the_waiting_runs_in_arrival_order_and_wakes_a_waiting_worker(slots: Make) -> None:
    made = slots({"a": SPARK_35, "c": SPARK_35}, wait_s=0)
    taken: list[Any] = []
    worker = threading.Thread(target=lambda: taken.append(made.queue.take()))
    worker.start()
    worker.join(timeout=0.2)
    assert worker.is_alive()  # nothing queued: it waits
    assert made.queue.close() == []
    worker.join(timeout=5)
    assert not worker.is_alive() and taken == [None]

    made = slots({"a": SPARK_35, "c": SPARK_35}, wait_s=0)
    made.put("a1", "c1", "a2")
    assert made.start() == "a1"
    assert made.queue.close() == ["c1", "a2"]
    assert made.queue.take() is None

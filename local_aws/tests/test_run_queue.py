"""The local Glue runner's queue: fair between jobs, in arrival order within a job (`RunQueue`)."""

from __future__ import annotations

import threading

from local_aws.glue_runner import RunQueue


def _queue(*runs: str) -> RunQueue:
    """A queue holding `runs`, each named `<job><n>` (job "a", run "a1")."""
    waiting = RunQueue()
    for run in runs:
        waiting.put(run[0], run)
    return waiting


def test_runs_of_one_job_start_in_the_order_they_arrived() -> None:
    waiting = _queue("a1", "a2", "a3")
    assert [waiting.take(), waiting.take(), waiting.take()] == ["a1", "a2", "a3"]


def test_a_free_slot_goes_to_a_job_with_no_run_in_progress_before_a_busy_jobs_older_run() -> None:
    # a family's two files arrive together, then another family's delivery: the second slot goes to
    # the delivery, not to the first job's second file
    waiting = _queue("a1", "a2", "c1")
    assert waiting.take() == "a1"
    assert waiting.take() == "c1"
    assert waiting.take() == "a2"


def test_when_every_waiting_job_has_a_run_in_progress_the_oldest_run_starts() -> None:
    waiting = _queue("a1", "c1", "a2", "c2")
    assert [waiting.take(), waiting.take()] == ["a1", "c1"]
    assert waiting.take() == "a2"


def test_a_job_whose_runs_ended_is_idle_again() -> None:
    waiting = _queue("a1", "c1", "c2", "a2")
    assert [waiting.take(), waiting.take()] == ["a1", "c1"]
    waiting.done("a")  # a1 ended; c1 still runs
    assert waiting.take() == "a2"  # younger than c2, but its job is idle
    waiting.done("c")
    assert waiting.take() == "c2"


def test_closing_hands_back_the_waiting_runs_in_arrival_order_and_wakes_a_waiting_worker() -> None:
    waiting = RunQueue()
    taken: list[object] = []
    worker = threading.Thread(target=lambda: taken.append(waiting.take()))
    worker.start()
    worker.join(timeout=0.2)
    assert worker.is_alive()  # nothing queued: it waits
    assert waiting.close() == []
    worker.join(timeout=5)
    assert not worker.is_alive() and taken == [None]

    waiting = _queue("a1", "c1", "a2")
    assert waiting.take() == "a1"
    assert waiting.close() == ["c1", "a2"]
    assert waiting.take() is None

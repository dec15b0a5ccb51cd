"""The bounded start rate: never more than `limit` running, at least `interval_s` between starts."""

from __future__ import annotations

import pytest

from ops.errors import RefusedError
from ops.throttle import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_it_waits_while_the_limit_is_reached_and_starts_when_a_run_ends() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=2, interval_s=0, poll_s=5, clock=clock, sleep=clock.sleep)
    running = iter([2, 2, 1])
    heard: list[int] = []

    throttle.wait_for_slot(lambda: next(running), on_wait=heard.append)

    assert heard == [2, 2]
    assert clock.sleeps == [5, 5]
    assert throttle.waits == 1


def test_it_leaves_the_interval_between_two_starts() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=10, interval_s=1.5, poll_s=5, clock=clock, sleep=clock.sleep)

    throttle.wait_for_slot(lambda: 0)
    throttle.started()
    clock.now += 0.5
    throttle.wait_for_slot(lambda: 0)

    assert clock.sleeps == [pytest.approx(1.0)]


def test_it_gives_up_after_its_timeout_and_says_what_to_do() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=1, interval_s=0, poll_s=60, timeout_s=300, clock=clock, sleep=clock.sleep)

    with pytest.raises(RefusedError, match="1 executions still running after 300 s"):
        throttle.wait_for_slot(lambda: 1)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Throttle(limit=0)

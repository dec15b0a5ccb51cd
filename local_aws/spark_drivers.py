"""Warm Spark drivers for local Glue runs: a started JVM is reused by the next run that needs the same one.

A Glue run locally is a fresh Python process (its module state starts empty, as on Glue) that connects
to a driver JVM from this pool instead of starting one (`local_aws.spark_driver`). What makes two runs
need different JVMs is their `DriverKey`: the Spark of the job's Glue version and the JVM-level settings
(jars, driver memory, JVM options, the truststore). Everything else is per run: each run
creates its own SparkContext and session in the JVM, with only the job's configuration, and stops them
when it ends, so no temp view, cached table, SQL setting or Hadoop file system of an earlier run is seen
by the next one (`local_aws.glue_entry`).

A JVM serves one run at a time; runs in parallel take different JVMs, at most `max_drivers` of them. A
run that did not end cleanly (killed, timed out, crashed, its clean-up failed) takes its JVM with it:
the JVM is stopped and the next run gets a new one, so a crash fails that run only.

The JVMs belong to the process, not to one embedded AWS (`shared_pool`): nothing in a `DriverKey` names
an embedded AWS (each run is given its endpoint, `local_aws.glue_entry.RUN_CONF`), so the runs of the
next embedded AWS the process starts (the next test module, say) find them warm. They stop when the
process ends.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

START_TIMEOUT_S = 180.0
# An idle JVM is kept for its Spark this long after its run ended before another Spark's run may stop it
# to make room: a family's next step starts within about a second of its previous one ending (the state
# machine starts it), and stopping the JVM it was about to reuse would cost both a new JVM.
KEEP_IDLE_S = 5.0


@dataclass(frozen=True)
class DriverKey:
    """What a JVM is started with; runs with equal keys can share one."""

    glue_version: str
    python_path: str  # the Glue version's Spark first
    submit_args: str  # PYSPARK_SUBMIT_ARGS: master, memory, jars, JVM options, s3a settings


@dataclass(eq=False)
class WarmDriver:
    """One started JVM (through its host process), and how a run process connects to it."""

    key: DriverKey
    host: subprocess.Popen[bytes]
    port: int
    secret: str
    log_file: Path
    runs: int = 0
    started_s: float = field(default_factory=time.perf_counter)
    idle_since: float = 0.0  # when its last run ended (the pool's clock)

    def alive(self) -> bool:
        return self.host.poll() is None

    def connection(self) -> dict[str, str]:
        """Environment variables that make a run's pyspark connect to this JVM."""
        return {"PYSPARK_GATEWAY_PORT": str(self.port), "PYSPARK_GATEWAY_SECRET": self.secret}

    def stop(self) -> None:
        """End the host's standard input (it stops the JVM), then make sure both are gone."""
        if self.host.stdin is not None and not self.host.stdin.closed:
            with contextlib.suppress(OSError):
                self.host.stdin.close()
        try:
            self.host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.host.kill()
            self.host.wait()


class DriverStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class Lease:
    """A JVM reserved for one run: an idle one of its key, or room for a new one (`DriverPool.lease`)."""

    key: DriverKey
    driver: WarmDriver | None  # None: a new JVM starts when the lease is opened
    evicted: WarmDriver | None = None  # an idle JVM of another key, stopped to make room


class DriverPool:
    """Started JVMs by key. `lease` reserves one for a run (an idle JVM of its key, or room for a new
    one), `open` hands it out (starting it if new), `release` takes it back."""

    def __init__(
        self,
        *,
        python: str,
        log_dir: Path,
        max_drivers: int,
        keep_idle_s: float = KEEP_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.python = python
        self.log_dir = log_dir
        self.max_drivers = max(1, max_drivers)
        self.keep_idle_s = keep_idle_s
        self.clock = clock
        self.started = 0  # JVMs started so far (for tests and progress output)
        self._idle: list[WarmDriver] = []
        self._busy: set[WarmDriver] = set()
        self._starting: list[DriverKey] = []  # leased for a new JVM, not started yet
        self._lock = threading.Lock()
        self._closed = False

    def attach(self, *, log_dir: Path, max_drivers: int) -> None:
        """Serve a new runner: JVMs it starts log below `log_dir`, at most `max_drivers` of them."""
        with self._lock:
            self.log_dir, self.max_drivers = log_dir, max(1, max_drivers)

    def has_idle(self, key: DriverKey) -> bool:
        """An idle JVM of that key is waiting for a run."""
        with self._lock:
            return any(driver.key == key and driver.alive() for driver in self._idle)

    def warming_up(self, key: DriverKey) -> bool:
        """A JVM of that key is starting or serving its first run (its JIT still cold)."""
        with self._lock:
            return key in self._starting or any(d.key == key and d.runs <= 1 for d in self._busy)

    def lease(self, key: DriverKey) -> Lease | None:
        """Reserve a JVM for a run of `key`: an idle one of that key, else room for a new one (when every
        place is taken, the longest idle JVM of another key that has been idle `keep_idle_s` makes room);
        None when no JVM can make room yet."""
        with self._lock:
            if self._closed:
                raise DriverStartError("the local Glue runner is stopping")
            self._idle = [driver for driver in self._idle if driver.alive()]
            for driver in self._idle:
                if driver.key == key:
                    self._idle.remove(driver)
                    self._busy.add(driver)
                    driver.runs += 1
                    return Lease(key, driver)
            evicted = None
            if len(self._busy) + len(self._idle) + len(self._starting) >= self.max_drivers:
                now = self.clock()
                evicted = next((d for d in self._idle if now - d.idle_since >= self.keep_idle_s), None)
                if evicted is None:
                    return None
                self._idle.remove(evicted)
            self._starting.append(key)
            return Lease(key, None, evicted)

    def open(self, lease: Lease, env: Mapping[str, str]) -> WarmDriver:
        """The leased JVM, started now if the lease is for a new one."""
        if lease.driver is not None:
            return lease.driver
        try:
            if lease.evicted is not None:
                lease.evicted.stop()
            with self._lock:
                if self._closed:
                    raise DriverStartError("the local Glue runner is stopping")
                self.started += 1
                number = self.started
            driver = self._start(lease.key, env, number)
        finally:
            with self._lock:
                self._starting.remove(lease.key)
        with self._lock:
            driver.runs += 1
            self._busy.add(driver)
            if self._closed:
                self._busy.discard(driver)
                driver.stop()
                raise DriverStartError("the local Glue runner is stopping")
        return driver

    def cancel(self, lease: Lease) -> None:
        """Give back a lease that was not opened (its run failed before it needed Spark)."""
        if lease.driver is not None:
            self.release(lease.driver, reusable=True)
            return
        if lease.evicted is not None:
            lease.evicted.stop()
        with self._lock:
            self._starting.remove(lease.key)

    def release(self, driver: WarmDriver, *, reusable: bool) -> None:
        """Back to the idle JVMs, or stopped (a run that did not end cleanly leaves nothing behind)."""
        with self._lock:
            self._busy.discard(driver)
            keep = reusable and driver.alive() and not self._closed
            if keep:
                driver.idle_since = self.clock()
                self._idle.append(driver)
        if not keep:
            driver.stop()

    def close(self) -> None:
        """Stop every JVM (busy ones too: their runs are being stopped by the runner)."""
        with self._lock:
            self._closed = True
            drivers = [*self._idle, *self._busy]
            self._idle, self._busy = [], set()
        for driver in drivers:
            driver.stop()

    def _start(self, key: DriverKey, env: Mapping[str, str], number: int) -> WarmDriver:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f"driver-{number}-glue-{key.glue_version}.log"
        host_env = {
            **env,
            "PYSPARK_SUBMIT_ARGS": key.submit_args,
            "PYTHONPATH": key.python_path,
            "PYTHONUNBUFFERED": "1",
        }
        host_env.pop("PYSPARK_GATEWAY_PORT", None)
        host_env.pop("PYSPARK_GATEWAY_SECRET", None)
        host = subprocess.Popen(
            [self.python, "-m", "local_aws.spark_driver", str(log_file)],
            env=host_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file.open("ab"),
            cwd=self.log_dir,
        )
        line = _read_line(host.stdout, timeout_s=START_TIMEOUT_S) if host.stdout is not None else None
        if not line:
            host.kill()
            host.wait()
            tail = log_file.read_text(errors="replace").strip().splitlines()[-3:] if log_file.exists() else []
            raise DriverStartError(
                f"the Spark driver for Glue {key.glue_version} did not start: "
                + (" | ".join(tail) or "no output")
                + f" (log: {log_file})"
            )
        info: dict[str, Any] = json.loads(line)
        return WarmDriver(
            key=key, host=host, port=int(info["port"]), secret=str(info["secret"]), log_file=log_file
        )


def _read_line(stream: IO[bytes], *, timeout_s: float) -> str | None:
    """The first line the host prints, or None when it ends or the time is up."""
    found: list[bytes] = []
    reader = threading.Thread(target=lambda: found.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return found[0].decode().strip() or None if found else None


_shared: dict[str, DriverPool] = {}
_shared_lock = threading.Lock()


def shared_pool(python: str) -> DriverPool:
    """The process's pool of JVMs for runs of `python`; stopped when the process exits."""
    with _shared_lock:
        if python not in _shared:
            pool = DriverPool(
                python=python, log_dir=Path(tempfile.gettempdir()), max_drivers=default_max_drivers()
            )
            atexit.register(pool.close)
            _shared[python] = pool
        return _shared[python]


def default_max_drivers() -> int:
    """Runs in parallel: one per core of this machine (a small run waits on I/O and JVM calls as much as
    it computes; Glue's own limit per job, MaxConcurrentRuns, is enforced when the run starts)."""
    return max(1, os.cpu_count() or 1)

"""A warm Spark driver for `make run-job`: the JVM outlives the command, the next run connects to it.

    python -m job_family.glue.runtime.warm_spark serve --state <dir> [--idle-exit 900]

Starting a Spark driver JVM costs seconds on every `make run-job`. A local run (`local_run.main`) instead
asks `attached()` for a driver: it takes the driver's lock (one run at a time per driver), starts the
driver daemon when none is alive (`serve`: the JVM started as pyspark starts it, with the run's JVM
settings; detached, it ends by itself after `--idle-exit` seconds unused), and points pyspark at it with
`PYSPARK_GATEWAY_PORT` / `PYSPARK_GATEWAY_SECRET`. The run's process then creates its own SparkContext
and session in that JVM and `stop_spark()` stops them at its end, so nothing of one run (temp views,
cached tables, SQL settings, Hadoop file systems) is seen by the next; Python module state is the run
process's own. A run killed half-way leaves its SparkContext behind: the next run stops it first.

A driver is chosen by what its JVM was started with (the pyspark installation and version, and the
spark-submit arguments: memory, JVM options); runs that need another get another daemon. When the lock
is taken (another run is using the driver), or this process already has a session, the run starts its
own JVM as before. Only `make run-job` asks for it (`local_run --warm`); tests, the class archive and the
bench (which times JVM start-up as part of a job run) start their own. Local only: Glue runs its own.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

STATE_ROOT = Path(__file__).resolve().parents[3] / ".local" / "spark-drivers"
IDLE_EXIT_S = 900
START_TIMEOUT_S = 180.0
_GATEWAY_ENV = ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET")


def stop_spark() -> bool:
    """Stop this process's SparkContext and session, if it started one, after closing the Hadoop file
    systems it cached (they hold the run's settings); True when nothing of the run is left in the JVM."""
    if "pyspark" not in sys.modules:
        return True
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    context = SparkContext._active_spark_context
    if context is None:
        return True
    try:
        jvm = context._jvm
        if jvm is not None:
            jvm.org.apache.hadoop.fs.FileSystem.closeAll()
        session = getattr(SparkSession, "_instantiatedSession", None)
        (session or context).stop()
    except Exception:
        traceback.print_exc()
        return False
    return SparkContext._active_spark_context is None


def driver_key(submit_args: str) -> str:
    """What a driver JVM is started with: this process's pyspark (where and which) and its submit args."""
    import pyspark

    return json.dumps([str(Path(pyspark.__file__).parent), pyspark.__version__, submit_args])


def _alive(info: dict[str, Any]) -> bool:
    try:
        os.kill(int(info["pid"]), 0)
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=2):
            return True
    except (OSError, KeyError, ValueError):
        return False


def _read_info(path: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return info


def _start_daemon(state: Path, submit_args: str, idle_exit_s: int) -> dict[str, Any]:
    info_path = state / "driver.json"
    info_path.unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in _GATEWAY_ENV}
    env |= {"PYSPARK_SUBMIT_ARGS": submit_args, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
    with (state / "daemon.log").open("ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", __name__, "serve", "--state", str(state), "--idle-exit", str(idle_exit_s)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives this command (and its Ctrl-C)
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        info = _read_info(info_path)
        if info is not None:
            return info
        time.sleep(0.1)
    raise RuntimeError(
        f"the warm Spark driver did not start in {START_TIMEOUT_S:.0f} s: see {state}/daemon.log"
    )


def _stop_leftover_context() -> None:
    """A run killed half-way leaves its SparkContext in the JVM; stop it before this run starts its own."""
    from pyspark.java_gateway import launch_gateway

    gateway: Any = launch_gateway()  # type: ignore[no-untyped-call]
    try:
        # SparkContext.getActive is private[spark]: reach the companion object by reflection
        companion = gateway.jvm.java.lang.Class.forName("org.apache.spark.SparkContext$")
        active = companion.getField("MODULE$").get(None).getActive()
        if active.isDefined():
            active.get().stop()
    finally:
        gateway.close()


@contextlib.contextmanager
def attached(
    submit_args: str, *, state_root: Path = STATE_ROOT, idle_exit_s: int = IDLE_EXIT_S
) -> Iterator[bool]:
    """Within the block, pyspark in this process uses a warm driver JVM (True), or starts its own when
    the driver is busy with another run (False). Call before pyspark starts a session."""
    if "pyspark" in sys.modules:
        from pyspark import SparkContext

        if SparkContext._active_spark_context is not None:  # this process has its session already
            yield False
            return
    state = state_root / hashlib.sha256(driver_key(submit_args).encode()).hexdigest()[:16]
    state.mkdir(parents=True, exist_ok=True)
    lock: IO[str] = (state / "lock").open("a+")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        info = _read_info(state / "driver.json")
        if info is None or not _alive(info):
            info = _start_daemon(state, submit_args, idle_exit_s)
        os.environ["PYSPARK_GATEWAY_PORT"], os.environ["PYSPARK_GATEWAY_SECRET"] = (
            str(info["port"]),
            str(info["secret"]),
        )
        _stop_leftover_context()
        clean = False
        try:
            yield True
        finally:
            clean = stop_spark()
            for name in _GATEWAY_ENV:
                os.environ.pop(name, None)
            (state / "driver.json").touch()  # last used: the idle clock starts again
            if not clean:
                with contextlib.suppress(OSError):
                    os.kill(int(info["pid"]), signal.SIGTERM)
    finally:
        lock.close()


def serve(state: Path, idle_exit_s: int) -> int:
    """The daemon: start the JVM, publish how to reach it, end after `idle_exit_s` unused or if it dies."""
    from pyspark.java_gateway import launch_gateway

    info_path = state / "driver.json"
    with (state / "driver.log").open("ab") as log:
        gateway: Any = launch_gateway(popen_kwargs={"stdout": log, "stderr": log})  # type: ignore[no-untyped-call]
    process = gateway.proc
    parameters = gateway.gateway_parameters
    partial = state / "driver.json.partial"
    partial.write_text(
        json.dumps({"port": parameters.port, "secret": parameters.auth_token, "pid": os.getpid()})
    )
    partial.replace(info_path)

    def stop(*_: object) -> None:
        info_path.unlink(missing_ok=True)
        process.stdin.close()  # the gateway JVM exits at the end of its standard input
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        process.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with (state / "lock").open("a+") as lock:
        while process.poll() is None:
            time.sleep(5)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run is using the driver
            try:
                if not info_path.exists() or time.time() - info_path.stat().st_mtime > idle_exit_s:
                    stop()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    info_path.unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="warm_spark", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    daemon = commands.add_parser("serve", help="run the driver daemon (started by attached())")
    daemon.add_argument("--state", required=True, type=Path)
    daemon.add_argument("--idle-exit", type=int, default=IDLE_EXIT_S)
    args = parser.parse_args(argv)
    return serve(args.state, args.idle_exit)


if __name__ == "__main__":
    raise SystemExit(main())

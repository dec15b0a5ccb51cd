"""Child-process entry point of a local Glue job run: run one script as `__main__`, report its error.

    python -m local_aws.glue_entry <error file> <script> [--name value ...]

Like Glue, the script sees `sys.argv = [script, *arguments]` and its own folder on `sys.path`. An
uncaught exception (or a non-zero `sys.exit`) is written to `<error file>` as
`<ExceptionType>: <message>`, which becomes the run's `ErrorMessage`.

The run connects to a warm driver JVM when `PYSPARK_GATEWAY_PORT` is set (`local_aws.spark_drivers`),
gives it the settings of this run only (`RUN_CONF`), and ends by stopping what it started there: its
session and SparkContext, and the Hadoop file systems they cached. The exit code says how the script
ended (0 succeeded, 1 failed) plus `JVM_NOT_CLEAN` (2) when that clean-up failed: the pool then stops
that JVM instead of giving it to the next run, as it does when the process is killed.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

from job_family.glue.runtime.warm_spark import stop_spark

SUCCEEDED, SCRIPT_FAILED, JVM_NOT_CLEAN = 0, 1, 2
# JSON of the Spark settings of this run only (its embedded AWS's s3a endpoint): set in the warm JVM as
# system properties, where the script's new SparkContext reads its defaults, before the script starts.
# Every run sets the same keys, so none is left over from an earlier run.
RUN_CONF = "LOCAL_GLUE_RUN_CONF"


def error_message(error: BaseException) -> str:
    """`<ExceptionType>: <first line>`; for a Java error raised through py4j, the Java exception's line."""
    java = getattr(error, "java_exception", None)
    text = str(java) if java is not None else str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def apply_run_conf(settings: dict[str, str]) -> None:
    """Set this run's Spark settings in the JVM it is connected to, for the SparkContext it will create."""
    from pyspark import SparkContext

    SparkContext._ensure_initialized()
    jvm: Any = SparkContext._jvm
    system = jvm.java.lang.System
    for key, value in settings.items():
        system.setProperty(key, value)


def run_script(error_file: str, script: str) -> int:
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code in (None, 0):
            return SUCCEEDED
        Path(error_file).write_text(f"SystemExit: {stop.code}")
        return SCRIPT_FAILED
    except BaseException as error:
        traceback.print_exc()
        Path(error_file).write_text(error_message(error))
        return SCRIPT_FAILED
    return SUCCEEDED


def main(argv: list[str]) -> int:
    error_file, script, *arguments = argv
    sys.argv = [script, *arguments]
    sys.path.insert(0, str(Path(script).parent))
    if os.environ.get(RUN_CONF):
        apply_run_conf(json.loads(os.environ[RUN_CONF]))
    outcome = run_script(error_file, script)
    return outcome if stop_spark() else outcome + JVM_NOT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

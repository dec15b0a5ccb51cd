"""Child-process entry point of a local Glue job run: run one script as `__main__`, report its error.

    python -m local_aws.glue_entry <error file> <script> [--name value ...]

Like Glue, the script sees `sys.argv = [script, *arguments]` and its own folder on `sys.path`. An
uncaught exception (or a non-zero `sys.exit`) is written to `<error file>` as
`<ExceptionType>: <message>`, which becomes the run's `ErrorMessage`.

The run connects to a warm driver JVM when `PYSPARK_GATEWAY_PORT` is set (`local_aws.spark_drivers`),
so it ends by stopping what it started there: its session and SparkContext, and the Hadoop file systems
they cached. The exit code says how the script ended (0 succeeded, 1 failed) plus `JVM_NOT_CLEAN` (2)
when that clean-up failed: the pool then stops that JVM instead of giving it to the next run, as it does
when the process is killed.
"""

from __future__ import annotations

import runpy
import sys
import traceback
from pathlib import Path

from job_family.glue.runtime.warm_spark import stop_spark

SUCCEEDED, SCRIPT_FAILED, JVM_NOT_CLEAN = 0, 1, 2


def error_message(error: BaseException) -> str:
    """`<ExceptionType>: <first line>`; for a Java error raised through py4j, the Java exception's line."""
    java = getattr(error, "java_exception", None)
    text = str(java) if java is not None else str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


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
    outcome = run_script(error_file, script)
    return outcome if stop_spark() else outcome + JVM_NOT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

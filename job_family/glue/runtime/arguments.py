"""Where a step's run writes what the next step and the state machine read.

The argument contract itself is the family's `StepSpec` (`static` arguments are the Glue job's
default arguments, set by the CDK job definition; `per_run` ones are passed by the state machine
in `StartJobRun.Arguments`); the scripts ask for exactly `static + per_run` (plus Glue's own
`JOB_NAME`), and the framework's contract tests hold the three together. Names are snake_case; on
the wire they are `--<name>`.
"""

from __future__ import annotations


def report_key(report_path: str, run_id: str, step: str) -> str:
    """Where a job run writes its run report: `<report_path>/<run_id>/<step>.json`."""
    return f"{report_path.rstrip('/')}/{run_id}/{step}.json"


def staging_key(report_path: str, run_id: str, step: str) -> str:
    """Where a job run keeps intermediate data it removes when done: `<report_path>/<run_id>/_staging_<step>/`."""
    return f"{report_path.rstrip('/')}/{run_id}/_staging_{step}/"

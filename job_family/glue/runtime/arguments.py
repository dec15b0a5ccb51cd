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


IN_FLIGHT = "_in_flight"


def in_flight_folder(report_path: str, step: str) -> str:
    """Where the runs of a step mark themselves while they stage writes (`storage.staging_area`):
    `<report_path>/_in_flight/<step>/`, one empty object `<owner>@<run_id>` per run; a run killed before
    its end leaves its own. One flat folder: removing a mark leaves no folder named by its source."""
    return f"{report_path.rstrip('/')}/{IN_FLIGHT}/{step}/"


def in_flight_mark(owner: str, run_id: str) -> str:
    """The name of a run's mark in `in_flight_folder` (an owner may hold `@`; a run id does not)."""
    return f"{owner.replace('/', '%2F')}@{run_id}"


def in_flight_run(mark: str, owner: str) -> str | None:
    """The run id of a mark of `owner`'s runs, else None."""
    mine, _, run_id = mark.rpartition("@")
    return run_id if mine == owner.replace("/", "%2F") else None


def staging_key(report_path: str, run_id: str, step: str) -> str:
    """Where a job run keeps intermediate data it removes when done: `<report_path>/<run_id>/_staging_<step>/`."""
    return f"{report_path.rstrip('/')}/{run_id}/_staging_{step}/"

"""The job-argument contract shared by the CDK job definitions, the state machine and the scripts.

Each Glue job takes two kinds of arguments:
- `static`: fixed per deployment, set as the job's `default_arguments` by the CDK job definition;
- `per_run`: different for every file, passed by the state machine in `StartJobRun.Arguments`.
The scripts ask for exactly `static + per_run` (plus Glue's own `JOB_NAME`), and a test holds
the three together. Names are snake_case; on the wire they are `--<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobContract:
    step: str
    static: tuple[str, ...]
    per_run: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.static + self.per_run

    def flags(self, names: tuple[str, ...]) -> list[str]:
        return [f"--{name}" for name in names]


RAW_TO_CONFORMED = JobContract(
    step="raw_to_conformed",
    static=(
        "conformed_path",  # s3://<conformed>/nyc_taxi/conformed/  (one folder per dataset below)
        "quarantine_path",  # s3://<conformed>/nyc_taxi/quarantine/
        "report_path",  # s3://<conformed>/nyc_taxi/_reports/  (run reports, <run_id>/<step>.json)
        "database",  # the job family's Glue database
    ),
    per_run=(
        "source_path",  # s3://<raw>/nyc_taxi/<dataset>/<file>
        "dataset",  # yellow_tripdata | green_tripdata
        "run_id",  # the Step Functions execution name
    ),
)

CONFORMED_TO_PURPOSE_BUILT = JobContract(
    step="conformed_to_purpose_built",
    static=(
        "conformed_path",
        "purpose_built_path",  # s3://<purpose-built>/nyc_taxi/
        "rules_path",  # s3://<code bucket>/rules/  (transformation SQL, read at run time)
        "reference_path",  # s3://<code bucket>/reference/  (taxi_zone_lookup.csv)
        "report_path",
        "database",
    ),
    per_run=(
        "dataset",
        "run_id",  # reads <report_path>/<run_id>/raw_to_conformed.json for the partitions touched
    ),
)

JOBS: tuple[JobContract, ...] = (RAW_TO_CONFORMED, CONFORMED_TO_PURPOSE_BUILT)


def report_key(report_path: str, run_id: str, step: str) -> str:
    """Where a job run writes its run report: `<report_path>/<run_id>/<step>.json`."""
    return f"{report_path.rstrip('/')}/{run_id}/{step}.json"


def staging_key(report_path: str, run_id: str, step: str) -> str:
    """Where a job run keeps intermediate data it removes when done: `<report_path>/<run_id>/_staging_<step>/`."""
    return f"{report_path.rstrip('/')}/{run_id}/_staging_{step}/"

"""Where the nyc_taxi job family keeps its data in the platform's zones, and the jobs' static arguments.

Every value of a `JobContract.static` name comes from here, so the Glue job definitions, the state
machine (which reads the run reports) and the catalog (table locations) agree on one layout:

    s3://<conformed>/nyc_taxi/conformed/<dataset>/...      conformed tables
    s3://<conformed>/nyc_taxi/quarantine/<dataset>/...     quarantine tables
    s3://<conformed>/nyc_taxi/_reports/<run_id>/<step>.json run reports
    s3://<purpose-built>/nyc_taxi/<dataset>_<rule>/...     purpose-built tables
    s3://<code>/rules/, s3://<code>/reference/             SQL rules and lookup data
"""

from __future__ import annotations

from dataclasses import dataclass

from nyc_taxi.jobs.runtime.arguments import RAW_TO_CONFORMED, JobContract, report_key
from nyc_taxi.packaging.bundles import REFERENCE_PREFIX, RULES_PREFIX

FAMILY_PREFIX = "nyc_taxi/"
CONFORMED_PREFIX = f"{FAMILY_PREFIX}conformed/"
QUARANTINE_PREFIX = f"{FAMILY_PREFIX}quarantine/"
REPORTS_PREFIX = f"{FAMILY_PREFIX}_reports/"
PURPOSE_BUILT_PREFIX = FAMILY_PREFIX
RUN_ID_PLACEHOLDER = "{}"


def s3_uri(bucket_name: str, prefix: str) -> str:
    return f"s3://{bucket_name}/{prefix}"


def report_key_format(step: str = RAW_TO_CONFORMED.step) -> str:
    """The run report's object key with `{}` for the run id, for `States.Format` in the state machine.

    Built with the jobs' own `report_key`, so the state machine reads exactly where the job writes.
    """
    bucket_marker = "s3://bucket/"
    uri = report_key(bucket_marker + REPORTS_PREFIX, RUN_ID_PLACEHOLDER, step)
    return uri.removeprefix(bucket_marker)


@dataclass(frozen=True, kw_only=True)
class Locations:
    conformed_bucket_name: str
    purpose_built_bucket_name: str
    code_bucket_name: str
    database_name: str

    @property
    def conformed_path(self) -> str:
        return s3_uri(self.conformed_bucket_name, CONFORMED_PREFIX)

    @property
    def quarantine_path(self) -> str:
        return s3_uri(self.conformed_bucket_name, QUARANTINE_PREFIX)

    @property
    def report_path(self) -> str:
        return s3_uri(self.conformed_bucket_name, REPORTS_PREFIX)

    @property
    def purpose_built_path(self) -> str:
        return s3_uri(self.purpose_built_bucket_name, PURPOSE_BUILT_PREFIX)

    @property
    def rules_path(self) -> str:
        return s3_uri(self.code_bucket_name, RULES_PREFIX)

    @property
    def reference_path(self) -> str:
        return s3_uri(self.code_bucket_name, REFERENCE_PREFIX)

    def static_arguments(self, contract: JobContract) -> dict[str, str]:
        """`--<name>` -> value for every static argument of `contract` (a Glue job's default arguments)."""
        values = {
            "conformed_path": self.conformed_path,
            "quarantine_path": self.quarantine_path,
            "report_path": self.report_path,
            "purpose_built_path": self.purpose_built_path,
            "rules_path": self.rules_path,
            "reference_path": self.reference_path,
            "database": self.database_name,
        }
        unknown = [name for name in contract.static if name not in values]
        if unknown:
            raise KeyError(
                f"no value for static argument(s) {', '.join(unknown)} of {contract.step}; "
                "add them to Locations.static_arguments (nyc_taxi/jobs/locations.py)"
            )
        return {f"--{name}": values[name] for name in contract.static}

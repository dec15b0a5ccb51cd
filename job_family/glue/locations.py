"""Where a job family keeps its data in the platform's zones, and the jobs' static arguments.

Every value of a `StepSpec.static` name comes from here, so the Glue job definitions, the state
machine (which reads the run reports), the job roles' grants and the catalog (table locations)
agree on one layout (`<family>` is the family's name):

    s3://<raw>/<family>/...                                 arriving files
    s3://<conformed>/<family>/conformed/<table folder>/...  conformed tables
    s3://<conformed>/<family>/quarantine/<table folder>/... quarantine tables
    s3://<conformed>/<family>/_reports/<run_id>/<step>.json run reports (and staged copies)
    s3://<purpose-built>/<family>/<table folder>/...        purpose-built tables
    s3://<code>/rules/, s3://<code>/reference/              SQL rules and lookup data
    s3://<code>/spark-ui/<family>/                          Spark event logs (when turned on)
"""

from __future__ import annotations

from dataclasses import dataclass

from job_family.glue.runtime.arguments import report_key
from job_family.spec import StepSpec, Zone

SCRIPTS_PREFIX = "scripts/"
RULES_PREFIX = "rules/"
REFERENCE_PREFIX = "reference/"
SPARK_UI_PREFIX = "spark-ui/"
RUN_ID_PLACEHOLDER = "{}"
DATABASE_ARGUMENT = "database"


def zone_prefix(family: str, zone: Zone) -> str:
    """The key prefix of `zone` for `family` in the zone's bucket (see the module docstring)."""
    prefixes = {
        Zone.RAW: f"{family}/",
        Zone.CONFORMED: f"{family}/conformed/",
        Zone.QUARANTINE: f"{family}/quarantine/",
        Zone.REPORTS: f"{family}/_reports/",
        Zone.PURPOSE_BUILT: f"{family}/",
        Zone.RULES: RULES_PREFIX,
        Zone.REFERENCE: REFERENCE_PREFIX,
    }
    return prefixes[zone]


def s3_uri(bucket_name: str, prefix: str) -> str:
    return f"s3://{bucket_name}/{prefix}"


def report_key_format(family: str, step: str) -> str:
    """The run report's object key with `{}` for the run id, for `States.Format` in the state machine.

    Built with the jobs' own `report_key`, so the state machine reads exactly where the job writes.
    """
    bucket_marker = "s3://bucket/"
    uri = report_key(bucket_marker + zone_prefix(family, Zone.REPORTS), RUN_ID_PLACEHOLDER, step)
    return uri.removeprefix(bucket_marker)


@dataclass(frozen=True, kw_only=True)
class Locations:
    family: str
    raw_bucket_name: str
    conformed_bucket_name: str
    purpose_built_bucket_name: str
    code_bucket_name: str
    database_name: str

    def bucket_of(self, zone: Zone) -> str:
        return {
            Zone.RAW: self.raw_bucket_name,
            Zone.CONFORMED: self.conformed_bucket_name,
            Zone.QUARANTINE: self.conformed_bucket_name,
            Zone.REPORTS: self.conformed_bucket_name,
            Zone.PURPOSE_BUILT: self.purpose_built_bucket_name,
            Zone.RULES: self.code_bucket_name,
            Zone.REFERENCE: self.code_bucket_name,
        }[zone]

    def path(self, zone: Zone) -> str:
        return s3_uri(self.bucket_of(zone), zone_prefix(self.family, zone))

    def static_arguments(self, step: StepSpec) -> dict[str, str]:
        """`--<name>` -> value for every static argument of `step` (a Glue job's default arguments)."""
        values = {zone.value: self.path(zone) for zone in Zone}
        values[DATABASE_ARGUMENT] = self.database_name
        unknown = [name for name in step.static if name not in values]
        if unknown:
            raise KeyError(
                f"no value for static argument(s) {', '.join(unknown)} of step {step.name}; static "
                f"arguments are zone paths ({', '.join(zone.value for zone in Zone)}) or {DATABASE_ARGUMENT}"
            )
        return {f"--{name}": values[name] for name in step.static}

"""What a job family declares: the one place it names itself, its datasets, trigger, steps and tables.

Pure Python (no aws_cdk, no pyspark): the CDK app, the trigger Lambda, the Glue job runtime, the local
AWS and the tests all read the same `FamilySpec`.

    SPEC = FamilySpec(
        name="nyc_taxi",
        package="nyc_taxi",
        datasets=(DatasetSpec("yellow_tripdata", formats=(CSV, CSV_GZ, PARQUET)), ...),
        trigger=PerObject(),
        steps=(StepSpec("raw_to_conformed", module="nyc_taxi.steps.raw_to_conformed", ...), ...),
        tables=schemas.TABLES,
        ...
    )

Everything the framework derives from it (key prefixes, resource descriptions, the Glue database name,
construct ids of jobs and tables, the state machine's Glue tasks, the trigger's accepted keys) comes
from these fields, so a family's name or dataset list is written exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

# The Glue versions a family may declare, and the Python each runs its scripts on. Glue's job API takes
# only the major version (`Command.PythonVersion` "3"); the minor one follows from the Glue version.
GLUE_PYTHON: dict[str, str] = {"5.1": "3.11", "6.0": "3.13"}
DEFAULT_GLUE_VERSION = "5.1"

# The custom CloudWatch metrics the job runtime publishes after each run on Glue: run-report count ->
# metric name, in namespace `FamilySpec.metrics_namespace`, with dimensions Step and Step+Dataset.
METRICS_NAMESPACE_ROOT = "DataLakeKit"
ROW_COUNT_METRICS: dict[str, str] = {
    "rows_read": "RowsRead",
    "rows_conformed": "RowsConformed",
    "rows_quarantined": "RowsQuarantined",
    "rows_written": "RowsWritten",
}


def pascal(snake: str) -> str:
    """`nyc_taxi` -> `NycTaxi` (construct ids are built from code, never from configuration)."""
    return "".join(part.capitalize() for part in snake.split("_"))


class Zone(StrEnum):
    """Where a table or a step's data lives. The value is the job argument holding the zone's base path."""

    RAW = "raw_path"
    CONFORMED = "conformed_path"
    QUARANTINE = "quarantine_path"
    REPORTS = "report_path"
    PURPOSE_BUILT = "purpose_built_path"
    RULES = "rules_path"
    REFERENCE = "reference_path"


@dataclass(frozen=True)
class FileFormat:
    """An accepted input format: its name (what the audit item and the job see) and file-name suffix."""

    name: str
    suffix: str


CSV = FileFormat("csv", ".csv")
CSV_GZ = FileFormat("csv.gz", ".csv.gz")
PARQUET = FileFormat("parquet", ".parquet")
JSON_LINES = FileFormat("jsonl", ".json")
JSON_LINES_GZ = FileFormat("jsonl.gz", ".json.gz")
JSONL = FileFormat("jsonl", ".jsonl")


@dataclass(frozen=True)
class DatasetSpec:
    """One kind of input file: its name (a folder of the raw key layout, or a file of a delivery) and
    the formats accepted for it."""

    name: str
    formats: tuple[FileFormat, ...]
    description: str = ""

    def format_of(self, file_name: str) -> FileFormat | None:
        """The accepted format a file name ends with (longest suffix first), case-insensitively."""
        lowered = file_name.lower()
        for candidate in sorted(self.formats, key=lambda f: len(f.suffix), reverse=True):
            if lowered.endswith(candidate.suffix) and lowered != candidate.suffix:
                return candidate
        return None


@dataclass(frozen=True)
class PerObject:
    """One run per arriving object: `<family>/<dataset>/<file>` (nyc_taxi)."""

    kind: str = "per_object"


@dataclass(frozen=True)
class PerDelivery:
    """One run per complete delivery: `<family>/<deliveries folder>/<delivery id>/<dataset file>`, run
    when the last of the datasets' files arrives, and also by a schedule that picks up every complete
    delivery not yet processed (each delivery is claimed once, whichever comes first)."""

    schedule: str = "rate(1 hour)"
    folder: str = "deliveries"
    kind: str = "per_delivery"


Trigger = PerObject | PerDelivery


@dataclass(frozen=True)
class TableSpec:
    """A table the steps write, declared in the Glue catalog with the same columns and partition keys."""

    name: str
    zone: Zone
    folder: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...]
    description: str
    dataset: str = ""

    def glue_columns(self) -> list[tuple[str, str]]:
        """(name, hive_type) pairs of the data columns, in file order."""
        return list(self.columns)

    def glue_partition_keys(self) -> list[tuple[str, str]]:
        """(name, hive_type) pairs of the partition keys, outermost first."""
        return list(self.partition_keys)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def partition_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.partition_keys)

    def location(self, zone_path: str) -> str:
        """The table's folder below its zone's base path, with a trailing slash."""
        return f"{zone_path.rstrip('/')}/{self.folder}/"


@dataclass(frozen=True)
class StepSpec:
    """One Glue job of the family, run in order by the state machine.

    `module` is the step's script (a module with `run(spark, **arguments) -> report` and a `main()`);
    `static` are the job's default arguments (zone paths, the database), `per_run` the ones the state
    machine passes for each run (from the execution input, or `run_id`); `reads` and `writes` are the
    zones the job's role may read and write below the family's prefix.
    """

    name: str
    module: str
    description: str
    static: tuple[str, ...]
    per_run: tuple[str, ...]
    reads: tuple[Zone, ...]
    writes: tuple[Zone, ...]

    @property
    def construct_id(self) -> str:
        return pascal(self.name)

    @property
    def script(self) -> str:
        """The script's file name in the code bucket's `scripts/`."""
        return f"{self.name}.py"

    @property
    def names(self) -> tuple[str, ...]:
        return self.static + self.per_run


@dataclass(frozen=True)
class NamedQuery:
    """An Athena named query the catalog deploys; `columns` are checked against `table`'s schema."""

    construct_id: str
    name: str
    description: str
    sql: str
    table: str
    columns: tuple[str, ...]


# (folder) -> [(dataset, file)]: sample files for the local demo and the class-data archive
SampleWriter = Callable[[Path], Sequence[tuple[str, Path]]]


@dataclass(frozen=True)
class SmokeTest:
    """The post-deploy check's fixture: a file of `dataset` the pipeline uploads after each release."""

    dataset: str
    fixture: str  # path relative to the family's app folder


@dataclass(frozen=True)
class FamilySpec:
    """A job family: the one declaration every framework unit is built from."""

    name: str
    description: str
    datasets: tuple[DatasetSpec, ...]
    trigger: Trigger
    steps: tuple[StepSpec, ...]
    tables: tuple[TableSpec, ...]
    named_queries: Callable[[str], Sequence[NamedQuery]] = field(default=lambda database: ())
    # the step whose run report carries rows_read / rows_conformed / rows_quarantined
    counts_step: str = ""
    rules_folder: str = "rules"
    rules_pattern: str = "*.sql"
    reference_folder: str = "reference"
    reference_pattern: str = "*.csv"
    smoke_test: SmokeTest | None = None
    sample_files: SampleWriter | None = None
    # "5.1" (Spark 3.5.6, Python 3.11) or "6.0" (Spark 4.1.1, Python 3.13): see GLUE_PYTHON
    glue_version: str = DEFAULT_GLUE_VERSION

    def __post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise ValueError(f"job family spec {self.name!r}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        found: list[str] = []
        if not _SNAKE.fullmatch(self.name):
            found.append(f"name {self.name!r} must be snake_case (lower-case letters, digits, _)")
        for kind, names in (
            ("dataset", [d.name for d in self.datasets]),
            ("step", [s.name for s in self.steps]),
            ("table", [t.name for t in self.tables]),
        ):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                found.append(f"{kind} name(s) {', '.join(repeated)} declared twice")
        if not self.datasets:
            found.append("declares no dataset")
        if not self.steps:
            found.append("declares no step")
        if self.counts_step and self.counts_step not in {s.name for s in self.steps}:
            found.append(f"counts_step {self.counts_step!r} is not one of its steps")
        if self.smoke_test and self.smoke_test.dataset not in {d.name for d in self.datasets}:
            found.append(f"smoke test dataset {self.smoke_test.dataset!r} is not one of its datasets")
        if self.glue_version not in GLUE_PYTHON:
            supported = ", ".join(f'"{v}" (Python {python})' for v, python in GLUE_PYTHON.items())
            found.append(
                f"glue_version {self.glue_version!r} is not supported; use one of {supported} "
                f'(default "{DEFAULT_GLUE_VERSION}")'
            )
        return found

    # -- derived names (one rule each) ---------------------------------------------------------

    @property
    def package(self) -> str:
        return self.name

    @property
    def app_name(self) -> str:
        """`nyc-taxi`: the family in stack, pipeline and workgroup names."""
        return self.name.replace("_", "-")

    @property
    def pascal_name(self) -> str:
        return pascal(self.name)

    @property
    def key_prefix(self) -> str:
        """The family's folder in every zone bucket: `nyc_taxi/`."""
        return f"{self.name}/"

    @property
    def app_folder(self) -> str:
        return f"etl-jobs/{self.name}"

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.datasets)

    def dataset(self, name: str) -> DatasetSpec:
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        raise ValueError(f"unknown dataset {name!r}: {self.name} declares {', '.join(self.dataset_names)}")

    def step(self, name: str) -> StepSpec:
        for step in self.steps:
            if step.name == name:
                return step
        raise ValueError(
            f"unknown step {name!r}: {self.name} declares {', '.join(s.name for s in self.steps)}"
        )

    def table(self, name: str) -> TableSpec:
        for spec in self.tables:
            if spec.name == name:
                return spec
        raise ValueError(
            f"unknown table {name!r}: {self.name} declares {', '.join(t.name for t in self.tables)}"
        )

    @property
    def glue_python(self) -> str:
        """The Python version Glue runs the family's scripts on (`3.11` on Glue 5.1, `3.13` on 6.0)."""
        return GLUE_PYTHON[self.glue_version]

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of the family's run metrics: `DataLakeKit/nyc_taxi`."""
        return f"{METRICS_NAMESPACE_ROOT}/{self.name}"

    @property
    def zones(self) -> frozenset[Zone]:
        """Every zone a step reads or writes, or a table lives in."""
        used = {zone for step in self.steps for zone in (*step.reads, *step.writes)}
        return frozenset(used | {table.zone for table in self.tables})

    @property
    def first_step(self) -> StepSpec:
        return self.steps[0]

    @property
    def report_step(self) -> StepSpec:
        """The step whose run report gives the audit item its row counts."""
        return self.step(self.counts_step) if self.counts_step else self.steps[0]

"""A job family's own settings per environment (Glue capacity per step, cost and observability
switches, limits, retention).

Read from `etl-jobs/<family>/settings.yaml` by the family's app only, validated here (against the
family's declared steps too), and passed down typed.
Accounts, regions, network and e-mail subscriptions stay in `shared_config/environments.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


class WorkerType(StrEnum):
    """Glue 5.0 worker types for Spark ETL jobs (G.025X is for streaming jobs only)."""

    G_1X = "G.1X"
    G_2X = "G.2X"
    G_4X = "G.4X"
    G_8X = "G.8X"


# Data processing units per worker (1 DPU = 4 vCPU, 16 GB): what Glue bills per second of a run.
DPU_PER_WORKER: dict[WorkerType, int] = {
    WorkerType.G_1X: 1,
    WorkerType.G_2X: 2,
    WorkerType.G_4X: 4,
    WorkerType.G_8X: 8,
}


class ExecutionClass(StrEnum):
    """How Glue runs a family's jobs.

    STANDARD: dedicated capacity, a run starts within seconds. FLEX: spare capacity at a lower price per
    DPU-hour (see `job_family.cost`); a run may wait up to `FLEX_START_WAIT_MIN` for capacity before it
    starts (or Glue fails it), and may take longer when Glue reclaims workers. Only G.1X and G.2X workers.
    """

    STANDARD = "STANDARD"
    FLEX = "FLEX"


FLEX_WORKER_TYPES: tuple[WorkerType, ...] = (WorkerType.G_1X, WorkerType.G_2X)
# Glue keeps a Flex run WAITING for capacity up to 20 minutes (after 15 it tries a forced start).
FLEX_START_WAIT_MIN = 20
# What the state machine adds to a Flex step's wait beyond its job timeout and the start-up wait.
FLEX_TASK_MARGIN_MIN = 10


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GlueJobSettings(_Frozen):
    """Capacity and limits of one Glue job."""

    worker_type: WorkerType = WorkerType.G_1X
    worker_count: Annotated[int, Field(ge=2, le=299)] = 2
    timeout_min: Annotated[int, Field(ge=1, le=2880)] = 60
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 3
    # Step Functions already retries throttling and concurrent-run errors; a Glue-level retry would
    # re-run a failed file without the audit table knowing, so the default is none.
    max_retries: Annotated[int, Field(ge=0, le=10)] = 0


class TriggerSettings(_Frozen):
    """How the trigger Lambda consumes the ingestion queue."""

    batch_size: Annotated[int, Field(ge=1, le=10)] = 10
    max_batching_window_s: Annotated[int, Field(ge=0, le=300)] = 5
    # Deliveries of one message before it moves to the dead-letter queue.
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 3
    timeout_s: Annotated[int, Field(ge=3, le=900)] = 60
    memory_mb: Annotated[int, Field(ge=128, le=10240)] = 256


class FamilySettings(_Frozen):
    """Everything a job family needs to know about one environment. `jobs` holds one entry per
    declared step (checked by `JobFamilySettings.check_steps`).

    Cost and observability switches (defaults here; each family's settings.yaml sets FLEX in dev and
    test and `spark_ui_logs` in dev):
    - `execution_class`: STANDARD (default) or FLEX for every job of the environment;
    - `auto_scaling` (default on): `--enable-auto-scaling`, so each job's `worker_count` is the MAXIMUM
      number of workers Glue may scale up to, not a fixed size (Glue bills only the workers in use);
    - `job_metrics` (default on): `--enable-metrics`, `--enable-observability-metrics` and
      `--enable-job-insights` (the Glue metrics the family's dashboard draws);
    - `spark_ui_logs` (default off): `--enable-spark-ui`, Spark event logs under the code bucket's
      `spark-ui/<family>/` for the Spark history server.
    """

    jobs: dict[str, GlueJobSettings] = {}
    execution_class: ExecutionClass = ExecutionClass.STANDARD
    auto_scaling: bool = True
    job_metrics: bool = True
    spark_ui_logs: bool = False
    trigger: TriggerSettings = TriggerSettings()
    log_retention_days: int = 30
    query_results_expiry_days: Annotated[int, Field(ge=1)] = 30
    # After each release the pipeline drops a fixture file into the raw bucket and waits for its audit
    # item to reach SUCCEEDED (it writes a few rows into the tables: dev and test only).
    post_deploy_check: bool = False
    post_deploy_timeout_min: Annotated[int, Field(ge=5, le=480)] = 45

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
            raise ValueError(f"{value} is not a CloudWatch Logs retention; use one of {allowed}")
        return value

    @model_validator(mode="after")
    def _flex_workers(self) -> FamilySettings:
        if self.execution_class == ExecutionClass.FLEX:
            wrong = [f"{step} ({job.worker_type.value})" for step, job in self.jobs.items()
                     if job.worker_type not in FLEX_WORKER_TYPES]  # fmt: skip
            if wrong:
                raise ValueError(
                    f"execution_class FLEX runs only G.1X or G.2X workers, not {', '.join(wrong)}; use one of "
                    "those worker types or set execution_class: STANDARD"
                )
        return self

    def step_wait_min(self, step: str) -> int:
        """The longest the state machine may wait for one run of `step`: the job's timeout, plus with
        FLEX Glue's wait for capacity and a margin (a run's timeout counts only the time it holds
        workers, not the time it waits for them)."""
        wait = self.jobs[step].timeout_min
        if self.execution_class == ExecutionClass.FLEX:
            wait += FLEX_START_WAIT_MIN + FLEX_TASK_MARGIN_MIN
        return wait

    @property
    def execution_timeout_min(self) -> int:
        """A state machine execution may last every step's wait (`step_wait_min`) plus 30 minutes of
        retries and audit."""
        return sum(self.step_wait_min(step) for step in self.jobs) + 30


class SettingsError(ValueError):
    """A settings file that cannot be used; `problems` holds one line per error."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{listing}")


class JobFamilySettings(_Frozen):
    """All environments' settings of the job family."""

    environments: dict[str, FamilySettings]

    def environment(self, name: str) -> FamilySettings:
        try:
            return self.environments[name]
        except KeyError:
            raise KeyError(
                f"settings.yaml has no environment {name!r}; add `{name}:` under `environments:` "
                f"(configured: {', '.join(self.environments) or 'none'})"
            ) from None

    def check_covers(self, environment_names: Iterable[str], *, source: str = "settings.yaml") -> None:
        """Fail unless every environment of environments.yaml has settings here (and no more)."""
        wanted = list(environment_names)
        problems = [
            f"environments.{name}: missing; add an entry for {name} (copy dev's and adjust the capacity)"
            for name in wanted
            if name not in self.environments
        ]
        problems += [
            f"environments.{name}: not an environment of shared_config/environments.yaml; "
            f"remove it or add {name} there"
            for name in self.environments
            if name not in wanted
        ]
        if problems:
            raise SettingsError(source, problems)

    def check_steps(self, step_names: Iterable[str], *, source: str = "settings.yaml") -> None:
        """Fail unless every environment sets the capacity of exactly the family's declared steps."""
        steps = list(step_names)
        problems = []
        for env_name, env in self.environments.items():
            problems += [
                f"environments.{env_name}.jobs.{step}: missing; add the Glue capacity of step {step} "
                "(worker_type, worker_count, timeout_min, max_concurrent_runs)"
                for step in steps
                if step not in env.jobs
            ]
            problems += [
                f"environments.{env_name}.jobs.{name}: not a step of this family; remove it or use one "
                f"of {', '.join(steps)}"
                for name in env.jobs
                if name not in steps
            ]
        if problems:
            raise SettingsError(source, problems)


def load_settings(path: str | Path) -> JobFamilySettings:
    """Read and validate the settings file, listing every problem before raising."""
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            str(source), ["file not found; pass the path of the job family's settings.yaml"]
        ) from None
    except yaml.YAMLError as error:
        raise SettingsError(str(source), [f"not valid YAML ({error}); fix the syntax at that line"]) from None
    return parse_settings(raw, source=str(source))


def parse_settings(raw: object, *, source: str = "<settings>") -> JobFamilySettings:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("environments"), Mapping):
        raise SettingsError(
            source, ["environments: missing; the file must map `environments:` to dev, test, ..."]
        )
    try:
        return JobFamilySettings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError(source, [_describe(item) for item in error.errors()]) from None


def _describe(item: Any) -> str:
    where = ".".join(str(part) for part in item["loc"]) or "<top level>"
    kind = item["type"]
    if kind == "extra_forbidden":
        return f"{where}: not a known field; remove it or check its spelling"
    if kind == "value_error":
        return f"{where}: {item['ctx']['error']}"
    if kind == "enum":
        return f"{where}: {item['input']!r} is not one of {item['ctx']['expected']}; pick one of those"
    return f"{where}: {item['input']!r}: {item['msg']}; fix the value"

"""What a run of each job family costs in Glue compute, at its configured capacity, Flex and Standard.

    python -m job_family.cost     # prints the table of docs/operations.md, "What a run costs"

How Glue bills a Spark job run (Glue 2.0 and later): per second of the run's execution time, with a
1-minute minimum, for every DPU it holds (G.1X = 1 DPU, G.2X = 2: `settings.DPU_PER_WORKER`), at the
execution class's price per DPU-hour. `PRICES` holds the public list prices as of `PRICES_AS_OF`
(Standard $0.44, Flex $0.29 per DPU-hour); they are list prices to re-check for your region and date.

Inputs, and how far to trust them:
- capacity: each environment's `worker_type` x `worker_count` from the family's settings.yaml, for the
  whole run. With auto scaling on, `worker_count` is a maximum, so the figures are an upper bound;
- run time per step: LOCAL-MACHINE measurements (docs/benchmarks/latest.json, `make bench`: each
  nyc_taxi step one local PySpark process on 2 cores, JVM start-up included) used as a proxy for
  Glue's execution time, which has its own start-up, worker count and S3 I/O. us_legislators has no
  measurement: a delivery is a few MB, so the smallest nyc_taxi measurement (100k rows) stands in;
- Glue compute only: no S3, CloudWatch, Step Functions, Lambda, KMS or Athena charges.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from job_family.settings import DPU_PER_WORKER, ExecutionClass, GlueJobSettings, JobFamilySettings

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = REPOSITORY_ROOT / "docs" / "benchmarks" / "latest.json"
PRICES_AS_OF = "2026-11"
PRICES: dict[ExecutionClass, Decimal] = {
    ExecutionClass.STANDARD: Decimal("0.44"),
    ExecutionClass.FLEX: Decimal("0.29"),
}
MINIMUM_BILLED_S = 60
ENVIRONMENTS = ("dev", "test", "prod")  # `local` runs on local PySpark: no Glue bill
SETTINGS_FILE = "settings.yaml"  # job_family.app.SETTINGS_FILE (not imported: that pulls in aws_cdk)
BENCH_FORMAT = "csv"  # TLC publishes CSV and Parquet; both are measured, CSV is the slower

# Step run times in seconds, by step name (one run of the family).
StepSeconds = Mapping[str, float]


def billed_seconds(run_s: float) -> int:
    """Glue bills whole seconds, at least `MINIMUM_BILLED_S` per job run."""
    return max(MINIMUM_BILLED_S, math.ceil(run_s))


def dpu(job: GlueJobSettings) -> int:
    """The DPUs a job holds at its configured worker count (the maximum, with auto scaling)."""
    return DPU_PER_WORKER[job.worker_type] * job.worker_count


def run_dpu_hours(jobs: Mapping[str, GlueJobSettings], step_seconds: StepSeconds) -> Decimal:
    """Billed DPU-hours of one run: every step's DPUs x its billed seconds."""
    missing = sorted(set(jobs) - set(step_seconds))
    if missing:
        raise KeyError(f"no run time for step(s) {', '.join(missing)}")
    seconds = sum(dpu(job) * billed_seconds(step_seconds[step]) for step, job in jobs.items())
    return Decimal(seconds) / Decimal(3600)


@dataclass(frozen=True)
class Workload:
    """What a family processes: `runs` is each kind of run (its step times) with how many of it."""

    family: str
    label: str
    runs: tuple[tuple[StepSeconds, Decimal], ...]
    source: str

    @property
    def run_count(self) -> Decimal:
        return sum((count for _, count in self.runs), Decimal(0))


@dataclass(frozen=True)
class Estimate:
    family: str
    environment: str
    configured: ExecutionClass
    capacity: str
    workload: Workload
    dpu_hours: Decimal

    def cost(self, execution_class: ExecutionClass) -> Decimal:
        return self.dpu_hours * PRICES[execution_class]


def estimate(workload: Workload, settings: JobFamilySettings, environment: str) -> Estimate:
    env = settings.environment(environment)
    hours = sum(
        (run_dpu_hours(env.jobs, step_seconds) * count for step_seconds, count in workload.runs), Decimal(0)
    )
    capacity = ", ".join(f"{job.worker_count} x {job.worker_type.value}" for job in env.jobs.values())
    return Estimate(workload.family, environment, env.execution_class, capacity, workload, hours)


# --- the workloads ----------------------------------------------------------------------------------------
def measured_step_seconds(
    benchmark: Mapping[str, Any], rows: int, file_format: str = BENCH_FORMAT
) -> StepSeconds:
    """nyc_taxi's local wall time per step for a file of `rows` rows (our engine, `file_format`)."""
    for record in benchmark["records"]:
        if record["engine"] == "ours" and record["rows"] == rows and record["format"] == file_format:
            return {
                "raw_to_conformed": float(record["raw_to_conformed"]["wall_s"]),
                "conformed_to_purpose_built": float(record["conformed_to_purpose_built"]["wall_s"]),
            }
    raise LookupError(f"no {file_format} measurement of {rows} rows in the benchmark; run `make bench`")


def workloads(benchmark: Mapping[str, Any]) -> list[Workload]:
    """The workloads of docs/operations.md: one file (or delivery) at each measured size, and a month."""
    small, medium, large = (
        measured_step_seconds(benchmark, rows) for rows in (100_000, 1_000_000, 5_000_000)
    )
    one = Decimal(1)
    measured = (
        f"docs/benchmarks/latest.json of {benchmark.get('generated_at', '?')[:10]}, {BENCH_FORMAT} input"
    )
    nyc = [
        Workload("nyc_taxi", f"1 file of {label} rows", ((times, one),), measured)
        for label, times in (("100k", small), ("1M", medium), ("5M", large))
    ]
    nyc.append(
        Workload(
            "nyc_taxi",
            "a month: 1 yellow file (~3M rows, at the 5M-row times) + 1 green file (~60k rows, at the 100k-row times)",
            ((large, one), (small, one)),
            measured,
        )
    )
    # us_legislators: conform_delivery reads and splits the files, build_memberships joins and writes
    # the rules' tables, like raw_to_conformed and conformed_to_purpose_built at 100k rows.
    delivery = {
        "conform_delivery": small["raw_to_conformed"],
        "build_memberships": small["conformed_to_purpose_built"],
    }
    proxy = f"none measured; a delivery is a few MB, so nyc_taxi's 100k-row times stand in ({measured})"
    legislators = [
        Workload("us_legislators", "1 delivery", ((delivery, one),), proxy),
        Workload("us_legislators", "a month of daily deliveries", ((delivery, Decimal(30)),), proxy),
        Workload(
            "us_legislators",
            "a month of weekly deliveries",
            ((delivery, Decimal(52) / Decimal(12)),),
            proxy,
        ),
    ]
    return nyc + legislators


# --- the table ------------------------------------------------------------------------------------------
FAMILY_NOTES = {
    "nyc_taxi": "one run per arriving file; a month is one file per dataset (yellow and green trips)",
    "us_legislators": "one run per complete delivery; a month is 30 daily or 52/12 weekly deliveries",
}


def _usd(value: Decimal) -> str:
    return "$" + str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _hours(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _number(value: Decimal | float, places: str = "0.01") -> str:
    text = str(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


def _run_times(workload: Workload) -> str:
    return " / ".join(" + ".join(_number(s, "0.1") for s in times.values()) for times, _ in workload.runs)


def markdown(estimates: Sequence[Estimate]) -> str:
    flex, standard = ExecutionClass.FLEX, ExecutionClass.STANDARD
    lines = [
        f"Glue compute only, list prices as of {PRICES_AS_OF} (re-check for your region and date): Standard "
        f"${PRICES[standard]}, Flex ${PRICES[flex]} per DPU-hour, billed per second with a "
        f"{MINIMUM_BILLED_S}-second minimum per job run; G.1X = 1 DPU, G.2X = 2 DPU. Workers: the configured "
        "count for the whole run (with auto scaling a maximum, so an upper bound). Run times: LOCAL-MACHINE "
        "measurements used as a proxy for Glue's (seconds per step, in step order).",
    ]
    for family in dict.fromkeys(e.family for e in estimates):
        rows = [e for e in estimates if e.family == family]
        lines += [
            "",
            f"**{family}**: {FAMILY_NOTES.get(family, '')}; run times: {rows[0].workload.source}.",
            "",
            "| env (class) | workers per step | workload | local run time (s) | runs | DPU-hours | Standard | Flex |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {e.environment} ({e.configured.value}) | {e.capacity} | {e.workload.label} | "
            f"{_run_times(e.workload)} | {_number(e.workload.run_count)} | {_hours(e.dpu_hours)} | "
            f"{_usd(e.cost(standard))} | {_usd(e.cost(flex))} |"
            for e in rows
        ]
    return "\n".join(lines) + "\n"


def table(benchmark_path: Path = BENCHMARK, environments: Sequence[str] = ENVIRONMENTS) -> str:
    from job_family import registry
    from job_family.settings import load_settings

    benchmark = json.loads(benchmark_path.read_text(encoding="utf-8"))
    estimates = []
    for workload in workloads(benchmark):
        settings = load_settings(registry.app_root(workload.family) / SETTINGS_FILE)
        estimates += [estimate(workload, settings, env) for env in environments]
    estimates.sort(key=lambda e: (e.family, environments.index(e.environment)))
    return markdown(estimates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m job_family.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", type=Path, default=BENCHMARK, help="default: %(default)s")
    args = parser.parse_args(argv)
    print(table(args.benchmark), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

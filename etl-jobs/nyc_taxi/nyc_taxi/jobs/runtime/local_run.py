"""`make run-job`: run one nyc_taxi Glue job on local files with plain PySpark.

    python -m nyc_taxi.jobs.runtime.local_run raw_to_conformed --input <trip file> --output <dir>
    python -m nyc_taxi.jobs.runtime.local_run conformed_to_purpose_built --input <dir> --output <dir2>

raw_to_conformed writes `<dir>/conformed/`, `<dir>/quarantine/`, `<dir>/_reports/<run_id>/...`;
conformed_to_purpose_built takes that `<dir>` (or `<dir>/conformed`) and writes `<dir2>/purpose_built/`.
Each prints its run report and writes it to `<output>/run_report.json`. The jobs get exactly the
arguments of the Glue job contract (with an empty `database`: no catalog on plain files), and the
rules and reference data come from this app's `rules/` and `reference/` folders.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nyc_taxi.jobs.runtime import (
    class_archive,
    conformed_to_purpose_built,
    job_runtime,
    raw_to_conformed,
    schemas,
)
from nyc_taxi.jobs.runtime.arguments import RAW_TO_CONFORMED, report_key

APP_ROOT = Path(__file__).resolve().parents[3]
RULES_PATH = APP_ROOT / "rules"
REFERENCE_PATH = APP_ROOT / "reference"
REPORT_NAME = "run_report.json"


def dataset_from_name(path: Path) -> str:
    for dataset in schemas.DATASETS:
        if dataset in path.name:
            return dataset
    raise SystemExit(
        f"cannot tell the dataset of {path.name}: name it like {schemas.DATASETS[0]}_2021-01.csv "
        f"or pass --dataset ({' | '.join(schemas.DATASETS)})"
    )


def start_local_spark(driver_memory: str, *, java_options: str | None = None) -> None:
    """A local session the job's `getOrCreate()` will reuse (all cores, no UI; the driver JVM starts from
    the class-data archive `make setup` writes, see `class_archive`)."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[*]")
        .appName("nyc_taxi-run-job")
        .config("spark.driver.memory", driver_memory)
        .config(
            "spark.driver.extraJavaOptions",
            class_archive.java_options() if java_options is None else java_options,
        )
        # one machine: a few shuffle partitions, not Glue's 200 (AQE still coalesces them)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in job_runtime.SESSION_CONF.items():
        builder = builder.config(key, value)
    builder.getOrCreate().sparkContext.setLogLevel("WARN")


def raw_to_conformed_argv(source: Path, output: Path, *, dataset: str, run_id: str) -> list[str]:
    return [
        "--source_path", str(source),
        "--dataset", dataset,
        "--run_id", run_id,
        "--conformed_path", str(output / "conformed"),
        "--quarantine_path", str(output / "quarantine"),
        "--report_path", str(output / "_reports"),
        "--database", "",
    ]  # fmt: skip


def purpose_built_argv(upstream: Path, output: Path, *, dataset: str, run_id: str) -> list[str]:
    return [
        "--dataset", dataset,
        "--run_id", run_id,
        "--conformed_path", str(upstream / "conformed"),
        "--purpose_built_path", str(output / "purpose_built"),
        "--rules_path", str(RULES_PATH),
        "--reference_path", str(REFERENCE_PATH),
        "--report_path", str(output / "_reports"),
        "--database", "",
    ]  # fmt: skip


def upstream_report(upstream: Path) -> dict[str, Any]:
    path = upstream / REPORT_NAME
    if not path.is_file():
        raise SystemExit(
            f"{upstream} has no {REPORT_NAME}: for STEP=conformed_to_purpose_built, INPUT is the OUTPUT "
            "folder of a STEP=raw_to_conformed run"
        )
    report: dict[str, Any] = json.loads(path.read_text())
    if report.get("step") != RAW_TO_CONFORMED.step:
        raise SystemExit(f"{path} is a {report.get('step')} report, not a {RAW_TO_CONFORMED.step} one")
    return report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="run-job", description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=[RAW_TO_CONFORMED.step, "conformed_to_purpose_built"])
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--dataset", choices=schemas.DATASETS, help="default: from the input file name")
    parser.add_argument("--run-id", default=f"local-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    parser.add_argument("--driver-memory", default="2g")
    args = parser.parse_args(argv)
    source, output = args.input.resolve(), args.output.resolve()
    if not source.exists():
        raise SystemExit(f"INPUT {args.input} does not exist")
    output.mkdir(parents=True, exist_ok=True)

    if args.step == RAW_TO_CONFORMED.step:
        if not source.is_file():
            raise SystemExit(f"INPUT {args.input} must be one trip file (*.csv, *.csv.gz, *.parquet)")
        dataset = args.dataset or dataset_from_name(source)
        start_local_spark(args.driver_memory)
        report = raw_to_conformed.main(
            raw_to_conformed_argv(source, output, dataset=dataset, run_id=args.run_id)
        )
    else:
        upstream = source.parent if source.name == "conformed" else source
        previous = upstream_report(upstream)
        run_id, dataset = str(previous["run_id"]), str(previous["dataset"])
        # The job finds the months to recompute in the raw_to_conformed report of its run id.
        target = Path(report_key(str(output / "_reports"), run_id, RAW_TO_CONFORMED.step))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(report_key(str(upstream / "_reports"), run_id, RAW_TO_CONFORMED.step)), target)
        start_local_spark(args.driver_memory)
        report = conformed_to_purpose_built.main(
            purpose_built_argv(upstream, output, dataset=dataset, run_id=run_id)
        )
    (output / REPORT_NAME).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"run report: {output / REPORT_NAME}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()

"""`make run-job`: run one step of a job family on local files with plain PySpark.

    python -m job_family.glue.runtime.local_run --family nyc_taxi raw_to_conformed --input <file> --output <dir>
    python -m job_family.glue.runtime.local_run --family nyc_taxi conformed_to_purpose_built --input <dir> --output <dir2>

The first step reads the arriving file (or, for a family triggered per delivery, the delivery's
folder) and writes its zones below `<output>/` (`conformed/`, `quarantine/`, `_reports/<run_id>/...`,
...). A later step takes the output folder of the step before it as `--input`: it reads the zones
found there and writes its own below its `--output`. Each prints its run report and writes it to
`<output>/run_report.json`. The steps get exactly the arguments of their declared contract (with an
empty `database`: no catalog on plain files); rules and reference data come from the family's
folders. The family's package must be importable (`PYTHONPATH=etl-jobs/<family>`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from job_family.glue.runtime import class_archive, job_runtime, warm_spark
from job_family.glue.runtime.arguments import report_key
from job_family.glue.runtime.local_driver import DRIVER_MEMORY
from job_family.spec import FamilySpec, StepSpec, Zone

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
REPORT_NAME = "run_report.json"
# The folder of each zone below a local output folder.
ZONE_FOLDERS: dict[Zone, str] = {
    Zone.CONFORMED: "conformed",
    Zone.QUARANTINE: "quarantine",
    Zone.REPORTS: "_reports",
    Zone.PURPOSE_BUILT: "purpose_built",
}


def load_spec(family: str) -> FamilySpec:
    """The family's `SPEC` (see `job_family.registry`)."""
    from job_family import registry

    try:
        return registry.load_spec(family)
    except LookupError as error:
        raise SystemExit(f"FAMILY={family}: {error}") from None


def app_root(spec: FamilySpec) -> Path:
    return REPOSITORY_ROOT / spec.app_folder


def dataset_from_name(spec: FamilySpec, path: Path) -> str:
    if len(spec.datasets) == 1 or path.is_dir():
        return spec.datasets[0].name
    for dataset in spec.dataset_names:
        if dataset in path.name:
            return dataset
    raise SystemExit(
        f"cannot tell the dataset of {path.name}: name it like {spec.dataset_names[0]}_2021-01.csv "
        f"or pass --dataset ({' | '.join(spec.dataset_names)})"
    )


def start_local_spark(driver_memory: str, *, java_options: str | None = None) -> None:
    """A local session the job's `getOrCreate()` will reuse (all cores, no UI; the driver JVM starts from
    the class-data archive `make setup` writes, see `class_archive`)."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[*]")
        .appName("run-job")
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


def driver_submit_args(driver_memory: str) -> str:
    """What the warm driver's JVM is started with: what `start_local_spark` sets that only a JVM start
    can (the rest it sets per session)."""
    parts = ["--driver-memory", driver_memory]
    if class_archive.java_options():
        parts += ["--driver-java-options", class_archive.java_options()]
    return shlex.join([*parts, "pyspark-shell"])


def step_argv(
    spec: FamilySpec,
    step: StepSpec,
    *,
    output: Path,
    upstream: Path | None,
    source: Path | None,
    dataset: str,
    run_id: str,
) -> list[str]:
    """The step's contract arguments for local folders: zones it writes below `output`, zones it only
    reads below `upstream` (the previous step's output), rules and reference from the family's folder."""
    values: dict[str, str] = {"database": "", "dataset": dataset, "run_id": run_id}
    if source is not None:
        values["source_path"] = str(source)
    values[Zone.RULES.value] = str(app_root(spec) / spec.rules_folder)
    values[Zone.REFERENCE.value] = str(app_root(spec) / spec.reference_folder)
    for zone, folder in ZONE_FOLDERS.items():
        base = output if zone in step.writes or upstream is None else upstream
        values[zone.value] = str(base / folder)
    argv: list[str] = []
    for name in step.names:
        argv += [f"--{name}", values[name]]
    return argv


def upstream_report(upstream: Path, previous: StepSpec) -> dict[str, Any]:
    path = upstream / REPORT_NAME
    if not path.is_file():
        raise SystemExit(
            f"{upstream} has no {REPORT_NAME}: INPUT of a later step is the OUTPUT folder of a "
            f"STEP={previous.name} run"
        )
    report: dict[str, Any] = json.loads(path.read_text())
    if report.get("step") != previous.name:
        raise SystemExit(f"{path} is a {report.get('step')} report, not a {previous.name} one")
    return report


def run_step(module: str, argv: list[str]) -> dict[str, Any]:
    main = importlib.import_module(module).main
    report: dict[str, Any] = main(argv)
    return report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="run-job", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True)
    parser.add_argument("step")
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--dataset", help="default: from the input file name")
    parser.add_argument("--run-id", default=f"local-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    parser.add_argument("--driver-memory", default=DRIVER_MEMORY)
    parser.add_argument(
        "--warm",
        action="store_true",
        help="run on the warm driver JVM (started by the first such run, reused by the next; see warm_spark)",
    )
    parser.add_argument("--warm-state", type=Path, default=warm_spark.STATE_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    spec = load_spec(args.family)
    if args.step not in {step.name for step in spec.steps}:
        raise SystemExit(
            f"STEP={args.step} is not a step of {spec.name}; use one of {', '.join(s.name for s in spec.steps)}"
        )
    step = spec.step(args.step)
    source, output = args.input.resolve(), args.output.resolve()
    if not source.exists():
        raise SystemExit(f"INPUT {args.input} does not exist")
    output.mkdir(parents=True, exist_ok=True)

    index = spec.steps.index(step)
    if index == 0:
        dataset = args.dataset or dataset_from_name(spec, source)
        step_args = step_argv(
            spec, step, output=output, upstream=None, source=source, dataset=dataset, run_id=args.run_id
        )
    else:
        previous = spec.steps[index - 1]
        upstream = source.parent if source.name in ZONE_FOLDERS.values() else source
        report = upstream_report(upstream, previous)
        run_id, dataset = str(report["run_id"]), str(report.get("dataset", ""))
        # The step finds what to recompute in the reports of its run id: copy the earlier ones over.
        for earlier in spec.steps[:index]:
            found = Path(report_key(str(upstream / "_reports"), run_id, earlier.name))
            if found.is_file():
                target = Path(report_key(str(output / "_reports"), run_id, earlier.name))
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, target)
        step_args = step_argv(
            spec, step, output=output, upstream=upstream, source=None, dataset=dataset, run_id=run_id
        )
    with contextlib.ExitStack() as driver:
        if args.warm:
            driver.enter_context(
                warm_spark.attached(driver_submit_args(args.driver_memory), state_root=args.warm_state)
            )
        start_local_spark(args.driver_memory)
        result = run_step(step.module, step_args)
    (output / REPORT_NAME).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"run report: {output / REPORT_NAME}", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()

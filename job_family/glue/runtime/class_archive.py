"""JVM class-data archives for local Spark drivers (AppCDS): each start maps Spark's classes from one
instead of loading and verifying them again, 3-5 s less per JVM start on 2 cores.

    python -m job_family.glue.runtime.class_archive --all
    python -m job_family.glue.runtime.class_archive --family nyc_taxi --output <file>

Each Spark line has its own archive (`archive_for`: `.tools/spark-3.5-classes.jsa`, `-4.1-`): a JVM
maps only classes of the class path it was recorded with. `make setup` runs `--all`: for every Spark a
family's Glue version runs on, the first family (by name) on it runs its steps on its sample, on that
Spark, in a JVM started with `-XX:ArchiveClassesAtExit`; the JVM writes the archive when it exits. Local
drivers (`make run-job`, the local AWS's Glue runner, the bench's baseline) start from the archive of
their Spark when it is there. A stale archive (another JDK or Spark) is ignored by the JVM, silently;
`make setup` records them again when the locked dependencies or this module change.
Glue manages its own JVMs: nothing here runs there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from job_family import runtimes
from job_family.spec import FamilySpec, PerDelivery

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]


def archive_for(spark: str) -> Path:
    """The archive of one Spark line, e.g. "3.5"."""
    return REPOSITORY_ROOT / ".tools" / f"spark-{spark}-classes.jsa"


def running_spark() -> str:
    """The Spark line of the pyspark this process imports (the family's, first on its path)."""
    from pyspark.version import __version__

    return ".".join(__version__.split(".")[:2])


def java_options(archive: Path | None = None) -> str:
    """Driver JVM options that use the archive (default: the one of the pyspark imported here) when it
    exists, nothing otherwise; never noisy."""
    archive = archive_for(running_spark()) if archive is None else archive
    if not archive.is_file():
        return ""
    return f"-XX:SharedArchiveFile={archive} -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"


def record_all() -> None:
    """Record the archive of every Spark a family runs on, each with the first family on it that has a
    sample, in a process of its own (its Spark first on the path)."""
    from job_family import registry
    from job_family.glue.runtime import local_run

    recorders: dict[str, FamilySpec] = {}
    for name in registry.family_names():
        spec = registry.load_spec(name)
        if spec.sample_files is not None:
            recorders.setdefault(runtimes.runtime(spec.glue_version).spark, spec)
    for spark, spec in sorted(recorders.items()):
        family = spec.name
        output = archive_for(spark)
        partial = output.with_name(output.name + ".tmp")
        partial.unlink(missing_ok=True)  # the JVM writes it read-only
        path = [runtimes.python_path(spec.glue_version), str(local_run.app_root(spec)), str(REPOSITORY_ROOT)]
        recorded = subprocess.run(
            [sys.executable, "-m", "job_family.glue.runtime.class_archive", "--family", family, "--output", str(partial)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))},
            capture_output=True, text=True,
        )  # fmt: skip
        if recorded.returncode != 0:
            tail = (recorded.stdout + recorded.stderr).strip().splitlines()[-15:]
            raise SystemExit(
                f"the class archive of Spark {spark} was not recorded: {family}'s sample failed on it "
                f"(exit {recorded.returncode}):\n" + "\n".join(tail)
            )
        partial.replace(output)
        print(
            f"class archive of Spark {spark} ({family}): {output} ({output.stat().st_size / 2**20:,.0f} MiB)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="class_archive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="every Spark a family runs on (make setup)")
    parser.add_argument("--family", help="the family whose sample runs through its steps")
    parser.add_argument("--output", type=Path, help="the archive to write")
    args = parser.parse_args(argv)
    if args.all:
        record_all()
        return
    if not (args.family and args.output):
        parser.error("give --all, or --family and --output")
    from job_family.glue.runtime import local_run

    spec = local_run.load_spec(args.family)
    if spec.sample_files is None:
        raise SystemExit(f"{spec.name} declares no sample_files; the archive needs a workload to record")
    output = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (dataset, sample), *_ = spec.sample_files(work / "sample")
        # the session every step reuses (getOrCreate); its JVM writes the archive when Python exits
        local_run.start_local_spark(
            "1g", java_options=f"-XX:ArchiveClassesAtExit={output} -Xlog:cds=off -Xlog:cds+dynamic=off"
        )
        # a family triggered per delivery reads the delivery's folder, not one of its files
        upstream = sample.parent if isinstance(spec.trigger, PerDelivery) else sample
        for index, step in enumerate(spec.steps):
            folder = work / f"step{index}"
            step_argv = [step.name, "--input", str(upstream), "--output", str(folder), "--run-id", "archive"]
            local_run.main(["--family", spec.name, *step_argv, "--dataset", dataset])
            upstream = folder
        _stop_jvm()
    if not output.is_file():
        raise SystemExit(f"the JVM wrote no class archive at {output}: is this a JDK 13 or later?")
    print(f"class archive: {output} ({output.stat().st_size / 2**20:,.0f} MiB)")


def _stop_jvm() -> None:
    """Stop the session and its JVM, and wait: the archive is complete only once the JVM has exited."""
    from pyspark import SparkContext

    gateway: Any = SparkContext._gateway
    SparkContext.getOrCreate().stop()
    process = gateway.proc
    gateway.shutdown()
    process.stdin.close()  # the gateway JVM exits at the end of its standard input
    process.wait(timeout=300)


if __name__ == "__main__":
    main()

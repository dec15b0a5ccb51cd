"""A JVM class-data archive for local Spark drivers (AppCDS): each start maps Spark's classes from it
instead of loading and verifying them again, about 2.5 s less per job run on 2 cores.

    python -m job_family.glue.runtime.class_archive --family nyc_taxi --output .tools/spark-classes.jsa

`make setup` writes it (git-ignored) by running both jobs on a small generated file in a JVM started
with `-XX:ArchiveClassesAtExit`; the JVM writes the archive when it exits. Local sessions
(`local_run.start_local_spark`, the bench's baseline) start from it when it is there. A stale archive
(another JDK or Spark) is ignored by the JVM, silently; `make setup` rebuilds it when the locked
dependencies change. Glue manages its own JVMs: nothing here runs there.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

ARCHIVE = Path(__file__).resolve().parents[3] / ".tools" / "spark-classes.jsa"


def java_options(archive: Path = ARCHIVE) -> str:
    """Driver JVM options that use the archive when it exists (nothing otherwise); never noisy."""
    if not archive.is_file():
        return ""
    return f"-XX:SharedArchiveFile={archive} -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="class_archive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True, help="the family whose sample runs through its steps")
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args(argv)
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
        upstream = sample
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

"""The Spark each Glue version runs, and where the project keeps it for local runs.

| Glue | Spark on Glue | local pyspark |
|---|---|---|
| 5.1 | 3.5.6 | 3.5.9, the project's own (`.venv`, locked in uv.lock) |
| 6.0 | 4.1.1 | 4.1.1, installed by `make setup` into `.tools/spark-4.1/` when a family declares 6.0 |

Glue's Python (`spec.GLUE_PYTHON`: 3.11, 3.13) is not the local one: local runs use the project's 3.11.

A local run of a family's step (`make run-job`, the local AWS's Glue runner, the tests that run a
step on its family's Spark) puts the runtime's folder first on `PYTHONPATH`, so `import pyspark`
finds that Spark; everything else comes from the project's venv. Spark 4 bundles Hadoop 3.4, whose
`fs.s3a.*` defaults carry time units the s3a jars local mode uses (hadoop-aws 3.3.1) cannot parse, so
its local s3a settings give them as plain numbers (`S3A_NUMERIC`).

    python -m job_family.runtimes install [--family F ...]  # what `make setup` runs
    python -m job_family.runtimes pythonpath --family F     # the folder to put first, or nothing
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from job_family.spec import GLUE_PYTHON

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
TOOLS = REPOSITORY_ROOT / ".tools"
PY4J_WHEEL_SHA256 = "c7c26e4158defb37b0bb124933163641a2ff6e3a3913f7811b0ddbe07ed61533"  # as in uv.lock

# Hadoop 3.4 (Spark 4) defaults with units -> numbers hadoop-aws 3.3.1 reads (seconds or ms as it expects).
S3A_NUMERIC: dict[str, str] = {
    "spark.hadoop.fs.s3a.threads.keepalivetime": "60",
    "spark.hadoop.fs.s3a.connection.timeout": "200000",
    "spark.hadoop.fs.s3a.connection.establish.timeout": "30000",
    "spark.hadoop.fs.s3a.connection.ttl": "300000",
    "spark.hadoop.fs.s3a.connection.idle.time": "60000",
    "spark.hadoop.fs.s3a.connection.acquisition.timeout": "60000",
    "spark.hadoop.fs.s3a.connection.request.timeout": "0",
    "spark.hadoop.fs.s3a.multipart.purge.age": "86400",
    "spark.hadoop.fs.s3a.retry.interval": "500",
    "spark.hadoop.fs.s3a.retry.throttle.interval": "100",
    "spark.hadoop.fs.s3a.assumed.role.session.duration": "1800",
    "spark.hadoop.fs.s3a.committer.threads": "8",
    "spark.hadoop.fs.s3a.executor.capacity": "16",
    "spark.hadoop.fs.s3a.multipart.size": "67108864",
    "spark.hadoop.fs.s3a.multipart.threshold": "134217728",
    "spark.hadoop.fs.s3a.block.size": "33554432",
}


@dataclass(frozen=True)
class SparkRuntime:
    glue_version: str
    spark: str  # the Spark line Glue runs, e.g. "3.5"
    pyspark: str  # the pyspark version local runs use
    # a pinned, hashed sdist installed into `folder`; None: the project's own pyspark
    requirement: str | None = None
    sha256: str | None = None
    local_conf: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path | None:
        return None if self.requirement is None else TOOLS / f"spark-{self.spark}"

    @property
    def installed(self) -> bool:
        return self.folder is None or (self.folder / ".ready").is_file()


RUNTIMES: dict[str, SparkRuntime] = {
    # 5.0 is no family's choice (spec.GLUE_PYTHON), but other stacks the local AWS runs may use it
    "5.0": SparkRuntime("5.0", spark="3.5", pyspark="3.5.9"),
    "5.1": SparkRuntime("5.1", spark="3.5", pyspark="3.5.9"),
    "6.0": SparkRuntime(
        "6.0",
        spark="4.1",
        pyspark="4.1.1",
        requirement="pyspark==4.1.1",
        sha256="77f78984aa84fbe865c717dd37b49913b4e5c97d76ef6824f932f1aefa6621ec",
        local_conf=S3A_NUMERIC,
    ),
}


def runtime(glue_version: str) -> SparkRuntime:
    try:
        return RUNTIMES[glue_version]
    except KeyError:
        raise ValueError(
            f"Glue version {glue_version!r} is not supported; use one of {', '.join(RUNTIMES)}"
        ) from None


def python_path(glue_version: str) -> str:
    """What to put first on PYTHONPATH for a local run on that Glue version's Spark ('' for none)."""
    chosen = runtime(glue_version)
    if chosen.folder is None:
        return ""
    if not chosen.installed:
        raise FileNotFoundError(
            f"Spark {chosen.spark} (Glue {glue_version}) is not installed in {chosen.folder}; run `make setup`"
        )
    return str(chosen.folder)


def install(chosen: SparkRuntime, *, uv: Path, python: Path) -> None:
    """Install the pinned pyspark (hash-checked) and its py4j into the runtime's folder, once."""
    if chosen.folder is None or chosen.installed:
        return
    requirements = chosen.folder.with_suffix(".requirements.txt")
    requirements.parent.mkdir(parents=True, exist_ok=True)
    requirements.write_text(
        f"{chosen.requirement} --hash=sha256:{chosen.sha256}\n"
        f"py4j==0.10.9.9 --hash=sha256:{PY4J_WHEEL_SHA256}\n"
    )
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), "--target", str(chosen.folder),
         "--require-hashes", "--no-deps", "--compile-bytecode", "-r", str(requirements)],
        check=True,
    )  # fmt: skip
    (chosen.folder / ".ready").write_text(chosen.pyspark + "\n")


def main(argv: list[str] | None = None) -> int:
    from job_family import registry

    parser = argparse.ArgumentParser(
        prog="python -m job_family.runtimes", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("action", choices=("install", "pythonpath", "version"))
    parser.add_argument("--family", action="append", help="default: every family")
    parser.add_argument("--uv", type=Path, default=TOOLS / "bin" / "uv")
    args = parser.parse_args(argv)
    families = args.family or registry.family_names()
    versions = {registry.load_spec(family).glue_version for family in families}
    if args.action == "install":
        for version in sorted(versions):
            install(runtime(version), uv=args.uv, python=Path(sys.executable))
        return 0
    if len(versions) != 1:
        raise SystemExit(f"{args.action} needs one family (--family); got {', '.join(families)}")
    (version,) = versions
    print(python_path(version) if args.action == "pythonpath" else runtime(version).pyspark)
    return 0


if __name__ == "__main__":
    sys.exit(main())


assert set(GLUE_PYTHON) <= set(RUNTIMES), "every Glue version a family may declare needs its local Spark"

"""Where a job script meets its runtime: arguments, SparkSession, commit.

On Glue, awsglue is importable: arguments come from `getResolvedOptions` (the contract's names plus
`JOB_NAME`), the session from `GlueContext`, and `Job.commit()` ends the run. Anywhere else (local
PySpark, the local_aws executor, tests) a plain argparse reads the same `--<name> <value>` pairs and the
session is `SparkSession.builder.getOrCreate()`, so a session the caller configured (s3a against moto)
is reused. Transforms never see any of this.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from job_family.glue.runtime import report
from job_family.spec import StepSpec

log = logging.getLogger(__name__)

# Trip timestamps are New York wall-clock times without a zone: keep them as they are written.
SESSION_CONF = {"spark.sql.session.timeZone": "UTC"}


@dataclass(frozen=True)
class JobRun:
    args: dict[str, str]
    spark: SparkSession
    commit: Callable[[], None] = field(default=lambda: None)
    on_glue: bool = False


def parse_local_args(contract: StepSpec, argv: list[str]) -> dict[str, str]:
    """The contract's arguments from `--<name> <value>` pairs; unknown ones (Glue's own) are ignored."""
    parser = argparse.ArgumentParser(prog=contract.name, description=f"{contract.name} (local)")
    for name in contract.names:
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--JOB_NAME", default=contract.name)
    known, _ = parser.parse_known_args(argv)
    return {key: str(value) for key, value in vars(known).items()}


def start(contract: StepSpec, argv: list[str] | None = None) -> JobRun:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from awsglue.utils import getResolvedOptions
    except ImportError:
        args = parse_local_args(contract, sys.argv[1:] if argv is None else argv)
        builder = SparkSession.builder.appName(contract.name)
        for key, value in SESSION_CONF.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        for key, value in SESSION_CONF.items():
            spark.conf.set(key, value)
        log.info("running %s on local PySpark %s", contract.name, spark.version)
        return JobRun(args=args, spark=spark)
    from pyspark.context import SparkContext

    full_argv = sys.argv if argv is None else [sys.argv[0], *argv]
    glue_args: dict[str, str] = getResolvedOptions(full_argv, ["JOB_NAME", *contract.names])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(glue_args["JOB_NAME"], glue_args)
    spark = glue_context.spark_session
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    return JobRun(args=glue_args, spark=spark, commit=job.commit, on_glue=True)


@contextmanager
def session_conf(spark: SparkSession, conf: Mapping[str, str]) -> Iterator[None]:
    """Runtime SQL settings for the block only; the previous values (or defaults) come back after it."""
    before: dict[str, str | None] = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, previous in before.items():
            if previous is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, previous)


def run_job(
    contract: StepSpec, run: Callable[..., dict[str, Any]], argv: list[str] | None = None
) -> dict[str, Any]:
    """A script's whole `main()`: start, call the pure job with exactly the contract's arguments as
    keywords, print the run report, commit the Glue job, return the report."""
    job = start(contract, argv)
    run_report = run(job.spark, **{name: job.args[name] for name in contract.names})
    print(report.to_json(run_report), end="")
    job.commit()
    return run_report

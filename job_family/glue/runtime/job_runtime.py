"""Where a job script meets its runtime: arguments, SparkSession, commit.

On Glue, awsglue is importable: arguments come from `getResolvedOptions` (the contract's names plus
`JOB_NAME`), the session from `GlueContext`, and `Job.commit()` ends the run. Anywhere else (local
PySpark, the local_aws executor, tests) a plain argparse reads the same `--<name> <value>` pairs and the
session is `SparkSession.builder.getOrCreate()`, so a session the caller configured (s3a against moto)
is reused. Transforms never see any of this.

After a run on Glue, the run report's row counts go to CloudWatch as custom metrics (namespace from
the job's `--metrics_namespace` argument, dimensions Step and Step+Dataset; `ROW_COUNT_METRICS`), best
effort: a failure to publish is logged and never fails the run. Local runs publish only when asked.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from job_family.glue.runtime import report
from job_family.glue.runtime.session_settings import (
    session_conf as session_conf,  # re-exported: steps use job_runtime.session_conf
)
from job_family.spec import ROW_COUNT_METRICS, StepSpec

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


def run_job(
    contract: StepSpec,
    run: Callable[..., dict[str, Any]],
    argv: list[str] | None = None,
    *,
    publish_metrics: bool | None = None,
) -> dict[str, Any]:
    """A script's whole `main()`: start, call the pure job with exactly the contract's arguments as
    keywords, print the run report, publish its row counts (on Glue, or when `publish_metrics`),
    commit the Glue job, return the report."""
    job = start(contract, argv)
    run_report = run(job.spark, **{name: job.args[name] for name in contract.names})
    print(report.to_json(run_report), end="")
    if job.on_glue if publish_metrics is None else publish_metrics:
        namespace = metrics_namespace(sys.argv[1:] if argv is None else argv)
        if namespace:
            publish_run_metrics(run_report, step=contract.name, namespace=namespace)
        else:
            log.warning("no %s argument: the run's row counts are not published", METRICS_NAMESPACE_FLAG)
    job.commit()
    return run_report


# --- run metrics ---------------------------------------------------------------------------------------
METRICS_NAMESPACE_FLAG = "--metrics_namespace"
# A job in a VPC without a route to CloudWatch waits at most a few seconds for it.
_CONNECT_TIMEOUT_S, _READ_TIMEOUT_S, _ATTEMPTS = 3, 5, 2


def metrics_namespace(argv: list[str]) -> str | None:
    """The `--metrics_namespace` the job definition passes (`FamilySpec.metrics_namespace`), if any."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(METRICS_NAMESPACE_FLAG, default=None)
    known, _ = parser.parse_known_args(argv)
    value = known.metrics_namespace
    return str(value) if value else None


def run_metric_data(run_report: Mapping[str, Any], *, step: str) -> list[dict[str, Any]]:
    """CloudWatch `MetricData` for the report's row counts: each count once by Step and once by Step and
    Dataset (when the report names one)."""
    dataset = run_report.get("dataset")
    dimension_sets = [[{"Name": "Step", "Value": step}]]
    if isinstance(dataset, str) and dataset:
        dimension_sets.append([{"Name": "Step", "Value": step}, {"Name": "Dataset", "Value": dataset}])
    data: list[dict[str, Any]] = []
    for count, metric_name in ROW_COUNT_METRICS.items():
        value = run_report.get(count)
        if isinstance(value, int) and not isinstance(value, bool):
            data += [
                {"MetricName": metric_name, "Dimensions": dimensions, "Value": float(value), "Unit": "Count"}
                for dimensions in dimension_sets
            ]
    return data


def publish_run_metrics(
    run_report: Mapping[str, Any], *, step: str, namespace: str, client: Any = None
) -> bool:
    """Put the report's row counts into `namespace`; True when published. Never raises: a failure (no
    route to CloudWatch, no permission, throttling) is logged and the run goes on."""
    data = run_metric_data(run_report, step=step)
    if not data:
        return False
    try:
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=_CONNECT_TIMEOUT_S,
                read_timeout=_READ_TIMEOUT_S,
                retries={"mode": "standard", "max_attempts": _ATTEMPTS},
            )
            client = boto3.client("cloudwatch", config=config)
        client.put_metric_data(Namespace=namespace, MetricData=data)
    except Exception as error:  # best effort by design: metrics never fail a run
        log.warning("run metrics not published to %s: %s", namespace, error)
        return False
    log.info("published %d run metric values to %s", len(data), namespace)
    return True

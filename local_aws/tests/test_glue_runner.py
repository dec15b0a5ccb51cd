"""Glue job runs on local PySpark, driven by the sample app's real state machine (`glue:startJobRun.sync`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from local_aws.deployer import Deployment
from local_aws.glue_runner import GlueJobRunner
from local_aws.server import LocalAws
from local_aws.tests.sample_app import AUDIT_TABLE_NAME, JOB_NAME, RAW_BUCKET_NAME, STATE_MACHINE_NAME

pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.synth]

TRIPS_CSV = b"fare,tip\n10.5,1.5\n20.0,2.0\n"


@pytest.fixture(scope="module")
def runner(
    deployed: tuple[LocalAws, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GlueJobRunner]:
    aws, _ = deployed
    with GlueJobRunner(aws, work_dir=tmp_path_factory.mktemp("glue"), cores=1) as glue_runner:
        yield glue_runner


def _execute(aws: LocalAws, name: str) -> tuple[dict[str, object], set[str]]:
    """Run the sample state machine; returns its description and the job-run states seen meanwhile."""
    sfn, glue = aws.client("stepfunctions"), aws.client("glue")
    (machine,) = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == STATE_MACHINE_NAME]
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=name)["executionArn"]
    seen: set[str] = set()
    deadline = time.monotonic() + 300
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running after 300 s"
        seen |= {run["JobRunState"] for run in glue.get_job_runs(JobName=JOB_NAME)["JobRuns"]}
        time.sleep(0.5)
    seen |= {run["JobRunState"] for run in glue.get_job_runs(JobName=JOB_NAME)["JobRuns"]}
    return described, seen


def test_state_machine_runs_the_glue_script_on_spark_and_succeeds(
    deployed: tuple[LocalAws, Deployment], runner: GlueJobRunner, tmp_path: Path
) -> None:
    aws, _ = deployed
    s3 = aws.client("s3")
    s3.put_object(Bucket=RAW_BUCKET_NAME, Key="incoming/trips.csv", Body=TRIPS_CSV)

    described, seen = _execute(aws, "run-ok")

    assert described["status"] == "SUCCEEDED", described
    assert {"RUNNING", "SUCCEEDED"} <= seen
    record = runner.runs[-1]
    # the job's default arguments merged with the run's
    assert record.arguments["--source_path"] == f"s3://{RAW_BUCKET_NAME}/incoming/trips.csv"
    assert record.arguments["--run_id"] == "run-ok"
    item = aws.client("dynamodb").get_item(TableName=AUDIT_TABLE_NAME, Key={"pk": {"S": "run-ok"}})["Item"]
    assert item["status"]["S"] == "SUCCEEDED"
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=RAW_BUCKET_NAME, Prefix="parquet/run-ok/")["Contents"]
    ]
    parquet = [key for key in keys if key.endswith(".parquet")]
    assert parquet and "parquet/run-ok/_SUCCESS" in keys
    local = tmp_path / "part.parquet"
    local.write_bytes(s3.get_object(Bucket=RAW_BUCKET_NAME, Key=parquet[0])["Body"].read())
    totals = duckdb.connect().execute(f"SELECT total FROM '{local}' ORDER BY total").fetchall()
    assert totals == [(12.0,), (22.0,)]  # computed by the helper shipped in --extra-py-files
    head = s3.head_object(Bucket=RAW_BUCKET_NAME, Key=parquet[0])
    assert head["ServerSideEncryption"] == "aws:kms"  # written through s3a into the SSE-KMS bucket


def test_a_failing_script_ends_failed_with_its_error_and_the_catch_runs(
    deployed: tuple[LocalAws, Deployment], runner: GlueJobRunner
) -> None:
    aws, _ = deployed
    aws.client("s3").delete_object(Bucket=RAW_BUCKET_NAME, Key="incoming/trips.csv")

    described, _ = _execute(aws, "run-missing-input")

    assert described["status"] == "FAILED"
    record = runner.runs[-1]
    assert record.state == "FAILED"
    assert record.error_message is not None
    assert record.error_message.startswith("AnalysisException: [PATH_NOT_FOUND] Path does not exist: s3://")
    run = aws.client("glue").get_job_run(JobName=JOB_NAME, RunId=record.run_id)["JobRun"]
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", record.error_message)
    item = aws.client("dynamodb").get_item(
        TableName=AUDIT_TABLE_NAME, Key={"pk": {"S": "run-missing-input"}}
    )["Item"]
    assert item["status"]["S"] == "FAILED"
    assert json.loads(item["cause"]["S"])["ErrorMessage"] == record.error_message

"""Glue runner behaviour that needs no Spark: errors, concurrency limits, stopping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from local_aws.glue_runner import GlueJobRunner
from local_aws.server import LocalAws, start_local_aws

ROLE = "arn:aws:iam::123456789012:role/glue"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with start_local_aws() as embedded:
        embedded.client("s3").create_bucket(
            Bucket="scripts", CreateBucketConfiguration={"LocationConstraint": embedded.region}
        )
        yield embedded


def _job(aws: LocalAws, name: str, script: str) -> None:
    aws.client("s3").put_object(Bucket="scripts", Key=f"{name}.py", Body=script.encode())
    aws.client("glue").create_job(
        Name=name,
        Role=ROLE,
        Command={"Name": "glueetl", "ScriptLocation": f"s3://scripts/{name}.py"},
        DefaultArguments={"--greeting": "hello"},
    )


def _wait_for(aws: LocalAws, name: str, run_id: str, states: set[str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while (run := aws.client("glue").get_job_run(JobName=name, RunId=run_id)["JobRun"])[
        "JobRunState"
    ] not in states:
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    return run  # type: ignore[no-any-return]


def test_a_script_exception_fails_the_run_with_type_and_message(aws: LocalAws, tmp_path: Path) -> None:
    _job(
        aws,
        "boom",
        "import sys\nraise ValueError(f'bad input {sys.argv[sys.argv.index(\"--greeting\") + 1]}')\n",
    )
    with GlueJobRunner(aws, work_dir=tmp_path) as runner:
        run_id = aws.client("glue").start_job_run(JobName="boom")["JobRunId"]
        runner.wait_until_idle(timeout_s=60)
    run = aws.client("glue").get_job_run(JobName="boom", RunId=run_id)["JobRun"]
    assert (run["JobRunState"], run["ErrorMessage"]) == ("FAILED", "ValueError: bad input hello")


def test_a_second_run_beyond_max_concurrent_runs_is_refused_while_the_first_runs(
    aws: LocalAws, tmp_path: Path
) -> None:
    _job(aws, "slow", "import time\ntime.sleep(60)\n")
    glue = aws.client("glue")
    with GlueJobRunner(aws, work_dir=tmp_path) as runner:
        first = glue.start_job_run(JobName="slow")["JobRunId"]
        _wait_for(aws, "slow", first, {"RUNNING"})
        with pytest.raises(ClientError, match="ConcurrentRunsExceededException"):
            glue.start_job_run(JobName="slow")
        stopped_at = time.monotonic()
    assert time.monotonic() - stopped_at < 15  # the running script was terminated, not awaited
    assert runner.runs[0].state == "STOPPED"
    assert glue.get_job_run(JobName="slow", RunId=first)["JobRun"]["JobRunState"] == "STOPPED"


def test_the_runner_refuses_to_start_without_the_s3a_jars(aws: LocalAws, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"s3a jars missing.*run `make setup`"):
        GlueJobRunner(aws, work_dir=tmp_path, jars_dir=tmp_path / "no-jars")

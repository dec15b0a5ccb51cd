"""Warm Spark drivers keep Glue's fidelity: a run reuses a started JVM but nothing of an earlier run.

Each run of the probe job records what it can see of earlier runs (temp and global temp views, tables,
a cached table, SQL settings, module state in its own and in an `--extra-py-files` module, its
arguments), then leaves as much of its own behind as it can.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_aws.glue_runner import GlueJobRunner
from local_aws.server import LocalAws, start_local_aws

pytestmark = [pytest.mark.spark]

ROLE = "arn:aws:iam::123456789012:role/glue"
HELPER = """counter = 0
"""
PROBE = """import json, os, signal, sys, time
from pathlib import Path

import probe_helper
from pyspark.sql import SparkSession

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
spark = SparkSession.builder.getOrCreate()
seen = {
    "argv": sys.argv[1:],
    "spark_version": spark.version,
    "application": spark.sparkContext.applicationId,
    "views": sorted(table.name for table in spark.catalog.listTables()),
    "global_views": sorted(row[1] for row in spark.sql("SHOW TABLES IN global_temp").collect()),
    "shuffle_partitions": spark.conf.get("spark.sql.shuffle.partitions"),
    "helper_counter": probe_helper.counter,
    "script_state": globals().get("LEFT_BEHIND"),
    "rows": spark.range(5).selectExpr("sum(id)").first()[0],
    "at": time.time(),
}
Path(args["--out"]).write_text(json.dumps(seen))
probe_helper.counter += 1
LEFT_BEHIND = "from an earlier run"
spark.range(3).createOrReplaceTempView("leftover")
spark.catalog.cacheTable("leftover")
spark.range(2).createOrReplaceGlobalTempView("global_leftover")
spark.conf.set("spark.sql.shuffle.partitions", "7")
if args["--mode"] == "slow":
    time.sleep(float(args.get("--sleep", "5")))
    Path(args["--out"] + ".done").write_text(str(time.time()))
if args["--mode"] == "together":  # wait (at most 2 min) until the other run is inside its session too
    Path(args["--barrier"], args["--JOB_RUN_ID"]).touch()
    deadline = time.time() + 120
    while len(list(Path(args["--barrier"]).iterdir())) < 2 and time.time() < deadline:
        time.sleep(0.1)
    Path(args["--out"] + ".done").write_text(str(len(list(Path(args["--barrier"]).iterdir()))))
if args["--mode"] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
if args["--mode"] == "fail":
    raise ValueError("the probe failed on purpose")
"""


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with start_local_aws() as embedded:
        s3 = embedded.client("s3")
        s3.create_bucket(Bucket="scripts", CreateBucketConfiguration={"LocationConstraint": embedded.region})
        s3.put_object(Bucket="scripts", Key="probe.py", Body=PROBE.encode())
        s3.put_object(Bucket="scripts", Key="probe_helper.py", Body=HELPER.encode())
        glue = embedded.client("glue")
        for name, version in (("probe", "5.1"), ("probe-6", "6.0")):
            glue.create_job(
                Name=name,
                Role=ROLE,
                GlueVersion=version,
                Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/probe.py"},
                DefaultArguments={"--extra-py-files": "s3://scripts/probe_helper.py", "--mode": "ok"},
                ExecutionProperty={"MaxConcurrentRuns": 4},
            )
        yield embedded


@pytest.fixture(scope="module")
def runner(aws: LocalAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GlueJobRunner]:
    # no locality wait: these tests start runs of one job side by side on purpose, each on its own JVM
    with GlueJobRunner(
        aws, work_dir=tmp_path_factory.mktemp("glue"), cores=1, parallel_runs=2, locality_wait_s=0
    ) as glue_runner:
        yield glue_runner


def _run(aws: LocalAws, out: Path, job: str = "probe", **arguments: str) -> str:
    extra = {f"--{name}": value for name, value in arguments.items()}
    return str(
        aws.client("glue").start_job_run(JobName=job, Arguments={"--out": str(out), **extra})["JobRunId"]
    )


def _state(aws: LocalAws, run_id: str, job: str = "probe") -> dict[str, Any]:
    run: dict[str, Any] = aws.client("glue").get_job_run(JobName=job, RunId=run_id)["JobRun"]
    return run


def _seen(out: Path) -> dict[str, Any]:
    seen: dict[str, Any] = json.loads(out.read_text())
    return seen


def test_a_later_run_reuses_the_jvm_but_sees_nothing_of_the_earlier_run(
    aws: LocalAws, runner: GlueJobRunner, tmp_path: Path
) -> None:
    first = _run(aws, tmp_path / "first.json")
    runner.wait_until_idle(timeout_s=300)
    started = runner.drivers.started
    second = _run(aws, tmp_path / "second.json", mode="ok", flag="value with spaces")
    runner.wait_until_idle(timeout_s=300)

    assert [_state(aws, run)["JobRunState"] for run in (first, second)] == ["SUCCEEDED", "SUCCEEDED"]
    assert runner.drivers.started == started  # no JVM started for the second run
    assert runner.runs[-1].warm
    before, after = _seen(tmp_path / "first.json"), _seen(tmp_path / "second.json")
    assert after["application"] != before["application"]  # a SparkContext of its own
    assert after["views"] == after["global_views"] == []
    assert after["shuffle_partitions"] == before["shuffle_partitions"] != "7"
    assert (after["helper_counter"], after["script_state"]) == (0, None)
    assert after["rows"] == 10
    # its arguments exactly as Glue passes them: Glue's own, then the job's defaults merged with the run's
    argv = after["argv"]
    assert argv[:6] == ["--JOB_ID", "j_probe", "--JOB_RUN_ID", second, "--JOB_NAME", "probe"]
    given = dict(zip(argv[6::2], argv[7::2], strict=True))
    assert given == {
        "--extra-py-files": "s3://scripts/probe_helper.py",
        "--mode": "ok",
        "--out": str(tmp_path / "second.json"),
        "--flag": "value with spaces",
    }


def test_a_failed_run_leaves_the_jvm_clean_for_the_next(
    aws: LocalAws, runner: GlueJobRunner, tmp_path: Path
) -> None:
    failed = _run(aws, tmp_path / "failed.json", mode="fail")
    runner.wait_until_idle(timeout_s=300)
    started = runner.drivers.started
    after = _run(aws, tmp_path / "after.json")
    runner.wait_until_idle(timeout_s=300)

    assert (_state(aws, failed)["JobRunState"], _state(aws, failed)["ErrorMessage"]) == (
        "FAILED",
        "ValueError: the probe failed on purpose",
    )
    assert _state(aws, after)["JobRunState"] == "SUCCEEDED"
    assert runner.drivers.started == started
    assert _seen(tmp_path / "after.json")["views"] == []


def test_a_crashed_run_fails_alone_and_the_next_run_gets_a_new_jvm(
    aws: LocalAws, runner: GlueJobRunner, tmp_path: Path
) -> None:
    slow = _run(aws, tmp_path / "slow.json", mode="slow", sleep="8")
    deadline = time.monotonic() + 120
    while not (tmp_path / "slow.json").exists():  # the slow run is inside its Spark session
        assert time.monotonic() < deadline
        time.sleep(0.2)
    crash = _run(aws, tmp_path / "crash.json", mode="crash")  # in parallel, on the other JVM
    runner.wait_until_idle(timeout_s=300)
    started = runner.drivers.started
    after = _run(aws, tmp_path / "after.json")
    runner.wait_until_idle(timeout_s=300)

    crashed = _state(aws, crash)
    assert crashed["JobRunState"] == "FAILED"
    assert crashed["ErrorMessage"].startswith("script exited with code -9")
    assert _state(aws, slow)["JobRunState"] == "SUCCEEDED"
    assert _state(aws, after)["JobRunState"] == "SUCCEEDED"
    assert runner.drivers.started in {started, started + 1}  # the crashed run's JVM was not reused
    assert _seen(tmp_path / "after.json")["views"] == []


def test_runs_in_parallel_take_different_jvms(aws: LocalAws, runner: GlueJobRunner, tmp_path: Path) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    outs = [tmp_path / f"parallel-{n}.json" for n in range(2)]
    runs = [_run(aws, out, mode="together", barrier=str(barrier)) for out in outs]
    runner.wait_until_idle(timeout_s=300)

    assert [_state(aws, run)["JobRunState"] for run in runs] == ["SUCCEEDED", "SUCCEEDED"]
    # each run saw the other inside its session while it was in its own
    assert [Path(f"{out}.done").read_text() for out in outs] == ["2", "2"]
    assert _seen(outs[0])["application"] != _seen(outs[1])["application"]


def test_a_job_of_another_glue_version_gets_its_own_jvm_with_its_spark(
    aws: LocalAws, runner: GlueJobRunner, tmp_path: Path
) -> None:
    five = _run(aws, tmp_path / "five.json")
    runner.wait_until_idle(timeout_s=300)
    six = _run(aws, tmp_path / "six.json", job="probe-6")
    runner.wait_until_idle(timeout_s=300)

    assert _state(aws, five)["JobRunState"] == "SUCCEEDED"
    assert _state(aws, six, job="probe-6")["JobRunState"] == "SUCCEEDED"
    assert _seen(tmp_path / "five.json")["spark_version"].startswith("3.5.")
    assert _seen(tmp_path / "six.json")["spark_version"].startswith("4.1.")

"""A warm driver JVM outlives its runner: the next embedded AWS of the process runs on it, against its
own S3 (each run is given its endpoint), and sees nothing of the earlier one's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_aws.glue_runner import GlueJobRunner
from local_aws.server import start_local_aws

pytestmark = [pytest.mark.spark]

ROLE = "arn:aws:iam::123456789012:role/glue"
# reads its embedded AWS's S3 through Spark's s3a, writes through it, and reports what it saw
PROBE = """import json, sys
from pathlib import Path

from pyspark.sql import SparkSession

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
spark = SparkSession.builder.getOrCreate()
lines = [row.value for row in spark.read.text("s3://data/in.txt").collect()]
spark.createDataFrame([(line,) for line in lines], "value string").write.mode("overwrite").parquet("s3://data/out/")
copied = [row.value for row in spark.read.parquet("s3://data/out/").collect()]
endpoint = spark.sparkContext._jsc.hadoopConfiguration().get("fs.s3a.endpoint")
Path(args["--out"]).write_text(json.dumps({"lines": lines, "copied": copied, "endpoint": endpoint}))
"""


def _run_once(tmp_path: Path, name: str, content: str) -> tuple[dict[str, object], GlueJobRunner, bool, str]:
    """A fresh embedded AWS and runner; one run of the probe on it. What the run saw, the runner, whether
    the run's JVM was warm, and the embedded AWS's S3 endpoint over HTTPS."""
    with start_local_aws() as aws:
        s3 = aws.client("s3")
        for bucket in ("scripts", "data"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
        s3.put_object(Bucket="scripts", Key="probe.py", Body=PROBE.encode())
        s3.put_object(Bucket="data", Key="in.txt", Body=content.encode())
        glue = aws.client("glue")
        glue.create_job(
            Name="probe",
            Role=ROLE,
            GlueVersion="5.1",
            Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/probe.py"},
        )
        out = tmp_path / f"{name}.json"
        with GlueJobRunner(aws, work_dir=tmp_path / name, cores=1, parallel_runs=1) as runner:
            run_id = glue.start_job_run(JobName="probe", Arguments={"--out": str(out)})["JobRunId"]
            runner.wait_until_idle(timeout_s=300)
        state = glue.get_job_run(JobName="probe", RunId=run_id)["JobRun"]
        assert state["JobRunState"] == "SUCCEEDED", state.get("ErrorMessage")
        copied = [o["Key"] for o in s3.list_objects_v2(Bucket="data", Prefix="out/").get("Contents", [])]
        assert any(key.endswith(".parquet") for key in copied)
        endpoint, _ = aws.https_listener()
        return json.loads(out.read_text()), runner, runner.runs[-1].warm, endpoint


def test_the_next_embedded_aws_runs_on_the_warm_jvm_against_its_own_s3(tmp_path: Path) -> None:
    first, runner, _, first_endpoint = _run_once(tmp_path, "first", "from the first\n")
    started = runner.drivers.started
    second, runner, warm, second_endpoint = _run_once(tmp_path, "second", "from the second\n")

    assert warm and runner.drivers.started == started  # no JVM started for the second embedded AWS
    assert first_endpoint != second_endpoint
    assert first == {"lines": ["from the first"], "copied": ["from the first"], "endpoint": first_endpoint}
    assert second == {
        "lines": ["from the second"],
        "copied": ["from the second"],
        "endpoint": second_endpoint,
    }

"""The operator commands' AWS side on moto, in-process (`world.py`): status, pause and resume, reprocess
(names, audit transitions, the rate limit, the execution input), erase (what goes, what stays, the
recompute started as the state machine would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from job_family.audit.runtime.item import ObjectRef, Status, received_item, rejected_item
from job_family.ingest.runtime.arrivals import Accepted, execution_input, execution_name
from ops import audit, deployed, reprocess
from ops.__main__ import main
from ops.aws import Aws
from ops.names import is_valid_name
from ops.stack import read_stack
from ops.target import Target
from ops.tests.world import ACCOUNT, FAMILY, LAYOUT, REGION, STACK, World, build
from ops.throttle import Throttle

TARGET = Target(family=FAMILY, environment="dev", prefix="dlk", account=ACCOUNT, region=REGION)
LONG_KEY = f"{FAMILY}/yellow_tripdata/" + ("yellow_tripdata_2021-03_" + "very-long-name_" * 12)[:171] + ".csv"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "USER": "operator-on-call",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield build(boto3.Session(region_name=REGION))


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)  # type: ignore[call-overload]


def ops(four_accounts: Path, *arguments: str) -> int:
    return main(["--config", str(four_accounts), *arguments])


def put_raw(world: World, key: str, body: bytes = b"a,b\n1,2\n") -> ObjectRef:
    response = client("s3").put_object(Bucket=world.outputs["RawBucketName"], Key=key, Body=body)
    return ObjectRef(
        bucket=world.outputs["RawBucketName"], key=key, version_id=response["VersionId"], size_bytes=len(body)
    )


def put_item(item: dict[str, Any]) -> None:
    client("dynamodb").put_item(TableName="audit", Item=item)


def get_item(object_id: str) -> dict[str, Any]:
    return audit.plain(client("dynamodb").get_item(TableName="audit", Key=audit.key(object_id))["Item"])


def ended(obj: ObjectRef, status: Status, *, at: str, **extra: str) -> dict[str, Any]:
    name = execution_name(obj, "yellow_tripdata", LAYOUT.all_suffixes())
    item = received_item(obj, dataset="yellow_tripdata", file_format="csv", execution_name=name, at=at)
    item["status"] = {"S": status.value}
    item["updated_at"] = {"S": at}
    item |= {attribute: {"S": value} for attribute, value in extra.items()}
    return item


# -- status, pause, resume --------------------------------------------------------------------------


def test_status_shows_runs_by_status_the_failures_causes_the_queues_and_that_ingestion_runs(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = put_raw(world, f"{FAMILY}/yellow_tripdata/good_2021-03.csv")
    bad = put_raw(world, f"{FAMILY}/yellow_tripdata/bad_2021-03.parquet")
    cause = json.dumps({"Id": "jr_1", "JobName": "raw-to-conformed", "ErrorMessage": "not a Parquet file"})
    put_item(ended(good, Status.SUCCEEDED, at="2026-11-29T10:00:00.000Z"))
    put_item(
        ended(
            bad,
            Status.FAILED,
            at="2026-11-29T11:00:00.000Z",
            failed_state="RawToConformed",
            error="Glue.AWSGlueException",
            cause=cause,
        )
    )
    stray = ObjectRef(
        bucket=world.outputs["RawBucketName"], key=f"{FAMILY}/x.txt", version_id="v", size_bytes=1
    )
    put_item(rejected_item(stray, reason="unexpected key", at="2026-11-29T09:00:00.000Z"))
    client("sqs").send_message(QueueUrl=world.outputs["DeadLetterQueueUrl"], MessageBody="{}")

    code = ops(four_accounts, "status", "--family", FAMILY, "--env", "dev")
    out = capsys.readouterr().out

    assert code == 0
    assert f"ingestion    running (event source mapping {world.mapping_uuid} Enabled)" in out
    assert "dead letters 1: see docs/operations.md" in out
    assert "executions   0 running (limit 2: max_concurrent_runs of the Glue jobs)" in out
    assert "    FAILED     1" in out and "    SUCCEEDED  1" in out and "    REJECTED   1" in out
    assert "failed_state RawToConformed  error Glue.AWSGlueException" in out
    assert "cause raw-to-conformed run jr_1: not a Parquet file" in out
    assert "reason: unexpected key" in out


def test_pause_disables_the_event_source_mapping_and_resume_enables_it_again(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lambda_ = client("lambda")

    assert ops(four_accounts, "pause", "--family", FAMILY, "--env", "dev") == 0
    paused = lambda_.get_event_source_mapping(UUID=world.mapping_uuid)["State"]
    assert ops(four_accounts, "pause", "--family", FAMILY, "--env", "dev") == 0
    assert ops(four_accounts, "status", "--family", FAMILY, "--env", "dev") == 0
    assert ops(four_accounts, "resume", "--family", FAMILY, "--env", "dev") == 0
    resumed = lambda_.get_event_source_mapping(UUID=world.mapping_uuid)["State"]
    out = capsys.readouterr().out

    assert (paused, resumed) == ("Disabled", "Enabled")
    assert f"already paused: event source mapping {world.mapping_uuid} is Disabled" in out
    assert "ingestion    PAUSED" in out
    assert f"resumed {FAMILY}: event source mapping {world.mapping_uuid} Enabled" in out


def test_commands_refuse_credentials_of_another_account(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ops(four_accounts, "status", "--family", FAMILY, "--env", "test")

    assert code == 2
    assert (
        "credentials are for account 305812749163, but test is account 617204958321"
        in capsys.readouterr().err
    )


# -- reprocess ----------------------------------------------------------------------------------------


def _aws_and_stack() -> tuple[Aws, Any]:
    aws = Aws(TARGET, session=boto3.Session(region_name=REGION))
    return aws, read_stack(aws, STACK)


def test_reprocess_starts_each_key_with_a_new_valid_name_the_triggers_input_and_at_most_the_limit(
    world: World,
) -> None:
    done = put_raw(world, f"{FAMILY}/yellow_tripdata/done_2021-03.csv")
    failed = put_raw(world, f"{FAMILY}/yellow_tripdata/failed_2021-03.csv")
    unseen = put_raw(world, LONG_KEY)
    put_item(ended(done, Status.SUCCEEDED, at="2026-11-29T10:00:00.000Z"))
    put_item(
        ended(
            failed, Status.FAILED, at="2026-11-29T10:00:01.000Z", error="boom", failed_state="RawToConformed"
        )
    )
    sfn = client("stepfunctions")
    arn = world.outputs["StateMachineArn"]

    def finish_oldest(_: float) -> None:  # the "sleep" while waiting: a running execution ends
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        sfn.stop_execution(executionArn=sorted(running, key=lambda e: e["startDate"])[0]["executionArn"])

    aws, stack = _aws_and_stack()
    found = reprocess.subjects(
        aws, stack, deployed.trigger_layout(aws, stack), keys=[done.key, failed.key, unseen.key], since=None
    )
    throttle = Throttle(limit=1, interval_s=0, poll_s=1, sleep=finish_oldest)
    started, skipped = reprocess.run(
        aws, stack, reprocess.plan(aws, stack, found), throttle=throttle, by="me", say=lambda _: None
    )

    assert skipped == [] and len(started) == 3
    assert throttle.waits == 2  # the second and third start each waited for the one before
    names = [start.name for start in started]
    assert all(is_valid_name(name) for name in names)
    assert names[0].endswith("-r1") and names[1].endswith("-r1")
    assert names[2] == execution_name(unseen, "yellow_tripdata", LAYOUT.all_suffixes())  # the trigger's own
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert sorted(e["name"] for e in executions) == sorted(names)
    described = sfn.describe_execution(
        executionArn=next(e["executionArn"] for e in executions if e["name"] == names[1])
    )
    assert json.loads(described["input"]) == json.loads(
        execution_input(failed, Accepted("yellow_tripdata", "csv")).to_json()
    )
    item = get_item(failed.object_id)
    assert (
        item["status"] == "RECEIVED" and item["execution_name"] == names[1] and item["reprocess_count"] == 1
    )
    assert "error" not in item and "failed_state" not in item
    entry = item["history"][-1]
    assert entry["status"] == "RECEIVED" and entry["reprocessed_at"] == item["reprocessed_at"]
    assert (entry["previous_status"], entry["previous_error"], entry["by"]) == ("FAILED", "boom", "me")
    assert get_item(unseen.object_id)["history"][0]["reprocessed_at"]


def test_a_second_reprocess_takes_the_next_attempt_and_a_running_one_is_skipped(world: World) -> None:
    obj = put_raw(world, f"{FAMILY}/yellow_tripdata/again_2021-03.csv")
    put_item(ended(obj, Status.SUCCEEDED, at="2026-11-29T10:00:00.000Z"))
    aws, stack = _aws_and_stack()
    layout = deployed.trigger_layout(aws, stack)

    def once() -> tuple[list[reprocess.Start], list[reprocess.Skip]]:
        found = reprocess.subjects(aws, stack, layout, keys=[obj.key], since=None)
        return reprocess.run(
            aws,
            stack,
            reprocess.plan(aws, stack, found),
            throttle=Throttle(limit=5),
            by="me",
            say=lambda _: None,
        )

    (first,), _ = once()
    _, (skip,) = once()  # its execution is still RUNNING (moto does not run it)
    sfn = client("stepfunctions")
    sfn.stop_execution(
        executionArn=f"{world.outputs['StateMachineArn'].replace(':stateMachine:', ':execution:')}:{first.name}"
    )
    (second,), _ = once()

    assert first.name.endswith("-r1") and second.name.endswith("-r2")
    assert "is still RUNNING" in skip.reason


def test_reprocess_since_finds_what_arrived_and_skips_what_the_trigger_rejects(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put_raw(world, f"{FAMILY}/yellow_tripdata/a_2021-03.csv")
    put_raw(world, f"{FAMILY}/unknown/b.csv")

    code = ops(
        four_accounts, "--dry-run", "reprocess", "--family", FAMILY, "--env", "dev", "--since", "2000-01-01"
    )
    out = capsys.readouterr().out

    assert code == 0
    assert "# skipped nyc_taxi/unknown/b.csv: the trigger rejects it: unknown dataset 'unknown'" in out
    assert "aws stepfunctions start-execution --region eu-west-1 --state-machine-arn" in out
    assert "aws dynamodb put-item" in out
    assert (
        client("stepfunctions").list_executions(stateMachineArn=world.outputs["StateMachineArn"])[
            "executions"
        ]
        == []
    )


# -- erase -----------------------------------------------------------------------------------------


def _seed_erase(world: World) -> dict[str, Any]:
    """An object run twice (the trigger's run and -r1), its rows in the tables, another file's too."""
    s3 = client("s3")
    key = f"{FAMILY}/yellow_tripdata/erase_me_2021-03.csv"
    first = put_raw(world, key, b"v1")
    second = put_raw(world, key, b"v2")
    base = execution_name(second, "yellow_tripdata", LAYOUT.all_suffixes())
    item = ended(
        second, Status.SUCCEEDED, at="2026-11-29T10:00:00.000Z", received_at="2000-01-01T00:00:00.000Z"
    )
    item["execution_name"] = {"S": f"{base}-r1"}
    item["history"] = {
        "L": [
            {
                "M": {
                    "status": {"S": "RECEIVED"},
                    "execution_name": {"S": f"{base}-r1"},
                    "previous_execution_name": {"S": base},
                }
            }
        ]
    }
    put_item(item)
    conformed, pb = world.outputs["ConformedBucketName"], world.outputs["PurposeBuiltBucketName"]
    locations = {
        "conformed": f"s3://{conformed}/{FAMILY}/conformed/yellow_tripdata/",
        "quarantine": f"s3://{conformed}/{FAMILY}/quarantine/yellow_tripdata/",
    }
    metrics = f"s3://{pb}/{FAMILY}/yellow_tripdata_daily_zone_metrics/"
    for run in (base, f"{base}-r1"):
        reports = {
            "raw_to_conformed": {"step": "raw_to_conformed", "run_id": run, "dataset": "yellow_tripdata",
                                 "source_key": "erase_me_2021-03.csv", "partitions": [{"pickup_year": 2021, "pickup_month": 3}],
                                 "outputs": locations},
            "conformed_to_purpose_built": {"step": "conformed_to_purpose_built", "run_id": run, "outputs": {"m": metrics}},
        }  # fmt: skip
        for step, report in reports.items():
            s3.put_object(
                Bucket=conformed, Key=f"{FAMILY}/_reports/{run}/{step}.json", Body=json.dumps(report)
            )
        s3.put_object(
            Bucket=conformed,
            Key=f"{FAMILY}/_reports/{run}/_staging_raw_to_conformed/part-0.parquet",
            Body=b"x",
        )
    # a run killed while it staged writes leaves its mark, named by its source (`storage.staging_area`)
    for source, run in (("erase_me_2021-03.csv", base), ("keep_2021-03.csv", "keep-run")):
        s3.put_object(
            Bucket=conformed, Key=f"{FAMILY}/_reports/_in_flight/raw_to_conformed/{source}@{run}", Body=b""
        )
    glue = client("glue")
    for source in ("erase_me_2021-03.csv", "keep_2021-03.csv"):
        folder = f"{FAMILY}/conformed/yellow_tripdata/pickup_year=2021/pickup_month=3/source_key={source}/"
        s3.put_object(Bucket=conformed, Key=f"{folder}part-0.parquet", Body=b"rows")
        s3.put_object(
            Bucket=conformed,
            Key=f"{FAMILY}/quarantine/yellow_tripdata/source_key={source}/part-0.parquet",
            Body=b"q",
        )
        for table, values, location in (
            ("yellow_tripdata_conformed", ["2021", "3", source], f"s3://{conformed}/{folder}"),
            (
                "yellow_tripdata_quarantine",
                [source],
                f"s3://{conformed}/{FAMILY}/quarantine/yellow_tripdata/source_key={source}/",
            ),
        ):
            glue.create_partition(
                DatabaseName="dlk_nyc_taxi",
                TableName=table,
                PartitionInput={"Values": values, "StorageDescriptor": {"Location": location}},
            )
    # what Spark's dynamic partition overwrite leaves on a versioned bucket: its staged files, moved into
    # place and deleted (a noncurrent version under a delete marker), and a running write's live ones
    staging = f"{FAMILY}/conformed/yellow_tripdata/.spark-staging-1/pickup_year=2021/pickup_month=3/"
    for source in ("erase_me_2021-03.csv", "keep_2021-03.csv"):
        s3.put_object(Bucket=conformed, Key=f"{staging}source_key={source}/part-0.parquet", Body=b"rows")
        s3.delete_object(Bucket=conformed, Key=f"{staging}source_key={source}/part-0.parquet")
    metrics_staging = (
        f"{FAMILY}/yellow_tripdata_daily_zone_metrics/.spark-staging-2/pickup_year=2021/pickup_month=3/"
    )
    s3.put_object(Bucket=pb, Key=f"{metrics_staging}part-0.parquet", Body=b"with it")
    s3.delete_object(Bucket=pb, Key=f"{metrics_staging}part-0.parquet")
    live = f"{FAMILY}/yellow_tripdata_daily_zone_metrics/.spark-staging-3/pickup_year=2021/pickup_month=3/part-0.parquet"
    s3.put_object(Bucket=pb, Key=live, Body=b"another run writing now")
    month = f"{FAMILY}/yellow_tripdata_daily_zone_metrics/pickup_year=2021/pickup_month=3/part-0.parquet"
    s3.put_object(Bucket=pb, Key=month, Body=b"with it")
    s3.put_object(Bucket=pb, Key=month, Body=b"recomputed")
    s3.put_object(Bucket="results", Key="athena/q1.csv", Body=b"rows of it")
    return {
        "key": key,
        "versions": (first, second),
        "base": base,
        "object_id": second.object_id,
        "month": month,
        "live": live,
    }


def test_erase_without_confirm_prints_the_plan_and_deletes_nothing(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = _seed_erase(world)

    code = ops(four_accounts, "erase", "--family", FAMILY, "--env", "dev", "--key", seeded["key"])
    captured = capsys.readouterr()

    assert code == 2
    assert captured.err.count("stopped:") == 1 and "CONFIRM=1" in captured.err
    assert "raw object versions (2), would delete:" in captured.out
    assert "table partitions holding its rows (2), would delete:" in captured.out
    assert (
        "would recompute without it" in captured.out
        and "ConformedToPurposeBuilt (job conformed-to-purpose-built)" in captured.out
    )
    versions = client("s3").list_object_versions(Bucket=world.outputs["RawBucketName"])["Versions"]
    assert len(versions) == 2


def test_erase_deletes_every_trace_recomputes_the_months_and_keeps_the_item_erased(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = _seed_erase(world)
    s3, glue = client("s3"), client("glue")

    code = ops(
        four_accounts,
        "erase",
        "--family",
        FAMILY,
        "--env",
        "dev",
        "--key",
        seeded["key"],
        "--confirm",
        "--poll-s",
        "0",
    )
    out = capsys.readouterr().out
    again = ops(
        four_accounts, "erase", "--family", FAMILY, "--env", "dev", "--key", seeded["key"], "--confirm"
    )

    assert code == 0, out
    assert "Versions" not in s3.list_object_versions(Bucket=world.outputs["RawBucketName"])
    listed = s3.list_object_versions(Bucket=world.outputs["ConformedBucketName"])
    conformed_keys = [v["Key"] for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]]
    assert conformed_keys and not any(
        "erase_me" in key or ("_reports/" in key and "keep" not in key) for key in conformed_keys
    )
    assert f"{FAMILY}/_reports/_in_flight/raw_to_conformed/keep_2021-03.csv@keep-run" in conformed_keys
    assert any("keep_2021-03.csv" in key and "/.spark-staging-1/" in key for key in conformed_keys)
    assert any("keep_2021-03.csv" in key and "/.spark-staging-1/" not in key for key in conformed_keys)
    partitions = {
        table: [
            p["Values"][-1]
            for p in glue.get_partitions(DatabaseName="dlk_nyc_taxi", TableName=table)["Partitions"]
        ]
        for table in ("yellow_tripdata_conformed", "yellow_tripdata_quarantine")
    }
    assert partitions == {
        "yellow_tripdata_conformed": ["keep_2021-03.csv"],
        "yellow_tripdata_quarantine": ["keep_2021-03.csv"],
    }
    (run,) = glue.get_job_runs(JobName=world.pb_job)["JobRuns"]
    assert run["Arguments"]["--dataset"] == "yellow_tripdata" and run["Arguments"]["--run_id"].startswith(
        "erase-"
    )
    listed = s3.list_object_versions(Bucket=world.outputs["PurposeBuiltBucketName"])
    # the version that counted it is gone, and so is its staged copy; a running write's file stays
    assert "DeleteMarkers" not in listed
    assert sorted((v["Key"], v["IsLatest"]) for v in listed["Versions"]) == [
        (seeded["live"], True),
        (seeded["month"], True),
    ]
    assert "Versions" not in s3.list_object_versions(Bucket="results")
    item = get_item(seeded["object_id"])
    assert item["status"] == "ERASED" and item["erased_by"].endswith("(operator-on-call)")
    assert item["history"][-1]["status"] == "ERASED"
    assert again == 0 and "already erased, nothing left to delete" in capsys.readouterr().out

"""The operator commands on a family triggered per delivery (us_legislators' shape, `world.build_delivery`),
in-process on moto: KEY is a delivery folder (a file of it names its delivery for reprocess, never for
erase), an incomplete delivery is not run, and erase deletes the delivery's partitions of every table,
all keyed by `delivery_id`, with nothing to recompute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from job_family.audit.runtime.item import DELIVERY, Status, received_item
from job_family.ingest.runtime import deliveries
from ops import audit
from ops.__main__ import main
from ops.names import is_valid_name
from ops.tests.world import ACCOUNT, DELIVERY_DATABASE, DELIVERY_FAMILY, REGION, World, build_delivery

ROOT = f"{DELIVERY_FAMILY}/deliveries/"
FILES = ("persons.json", "memberships.json", "organizations.json")


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
        yield build_delivery(boto3.Session(region_name=REGION))


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)  # type: ignore[call-overload]


def ops(four_accounts: Path, *arguments: str) -> int:
    return main(["--config", str(four_accounts), *arguments, "--family", DELIVERY_FAMILY, "--env", "dev"])


def deliver(world: World, delivery_id: str, files: tuple[str, ...] = FILES) -> str:
    folder = f"{ROOT}{delivery_id}/"
    for name in files:
        client("s3").put_object(
            Bucket=world.outputs["RawBucketName"], Key=f"{folder}{name}", Body=b'{"id":"1"}\n'
        )
    return folder


def run_delivery(world: World, folder: str, *, status: Status = Status.SUCCEEDED) -> dict[str, Any]:
    """The delivery's audit item after its trigger-named run, with that run's reports and partitions."""
    ref = deliveries.delivery_ref(world.outputs["RawBucketName"], folder)
    name = deliveries.delivery_execution_name(ref)
    item = received_item(
        ref, dataset=DELIVERY, file_format=DELIVERY, execution_name=name, at="2026-11-29T10:00:00.000Z"
    )
    item |= {"status": {"S": status.value}, "updated_at": {"S": "2026-11-29T10:05:00.000Z"}}
    client("dynamodb").put_item(TableName="audit", Item=item)
    delivery_id = folder.rstrip("/").rsplit("/", 1)[-1]
    conformed, pb = world.outputs["ConformedBucketName"], world.outputs["PurposeBuiltBucketName"]
    tables = {
        "persons": f"s3://{conformed}/{DELIVERY_FAMILY}/conformed/persons/",
        "persons_quarantine": f"s3://{conformed}/{DELIVERY_FAMILY}/quarantine/persons/",
        "legislator_memberships": f"s3://{pb}/{DELIVERY_FAMILY}/legislator_memberships/",
    }
    reports = {
        "conform_delivery": {"outputs": {t: tables[t] for t in ("persons", "persons_quarantine")}},
        "build_memberships": {"outputs": {"legislator_memberships": tables["legislator_memberships"]}},
    }
    s3, glue = client("s3"), client("glue")
    for step, report in reports.items():
        body = {"step": step, "run_id": name, "dataset": "delivery", "delivery_id": delivery_id,
                "partitions": [{"delivery_id": delivery_id}], **report}  # fmt: skip
        s3.put_object(
            Bucket=conformed, Key=f"{DELIVERY_FAMILY}/_reports/{name}/{step}.json", Body=json.dumps(body)
        )
    for table, location in tables.items():
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        partition = f"{prefix}delivery_id={delivery_id}/"
        s3.put_object(Bucket=bucket, Key=f"{partition}part-0.parquet", Body=b"rows")
        glue.create_partition(
            DatabaseName=DELIVERY_DATABASE,
            TableName=table,
            PartitionInput={
                "Values": [delivery_id],
                "StorageDescriptor": {"Location": f"s3://{bucket}/{partition}"},
            },
        )
    return audit.plain(client("dynamodb").get_item(TableName="audit", Key=audit.key(ref.object_id))["Item"])


def test_reprocess_runs_a_delivery_given_by_its_folder_or_one_of_its_files_and_skips_an_incomplete_one(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = deliver(world, "2026-11-01")
    item = run_delivery(world, done)
    incomplete = deliver(world, "2026-11-02", FILES[:1])

    code = ops(four_accounts, "reprocess", "--keys", f"{done}persons.json,{incomplete}", "--interval-s", "0")
    out = capsys.readouterr().out

    assert code == 0, out
    assert (
        f"skipped {incomplete}: the delivery is not complete: no file for memberships, organizations" in out
    )
    (execution,) = client("stepfunctions").list_executions(stateMachineArn=world.outputs["StateMachineArn"])[
        "executions"
    ]
    assert execution["name"] == f"{item['execution_name']}-r1" and is_valid_name(execution["name"])
    started = json.loads(
        client("stepfunctions").describe_execution(executionArn=execution["executionArn"])["input"]
    )
    ref = deliveries.delivery_ref(world.outputs["RawBucketName"], done)
    assert started == json.loads(deliveries.delivery_input(ref).to_json())
    reopened = audit.plain(
        client("dynamodb").get_item(TableName="audit", Key=audit.key(ref.object_id))["Item"]
    )
    assert (reopened["status"], reopened["reprocess_count"]) == ("RECEIVED", 1)
    assert reopened["history"][-1]["previous_status"] == "SUCCEEDED"


def test_reprocess_since_finds_the_deliveries_that_received_a_file(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(world, "2026-11-01")
    deliver(world, "2026-11-03")

    code = ops(four_accounts, "--dry-run", "reprocess", "--since", "2000-01-01")
    out = capsys.readouterr().out

    assert code == 0
    assert out.count("aws stepfunctions start-execution") == 2
    assert f"# {ROOT}2026-11-01/: never run -> RECEIVED, attempt 0" in out
    assert f"# {ROOT}2026-11-03/: never run -> RECEIVED, attempt 0" in out


def test_erase_refuses_one_file_of_a_delivery_and_names_the_delivery_folder(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = deliver(world, "2026-11-01")
    run_delivery(world, folder)

    code = ops(four_accounts, "erase", "--key", f"{folder}persons.json", "--confirm")
    err = capsys.readouterr().err

    assert code == 2 and err.count("stopped:") == 1
    assert f"only the whole delivery can be erased: KEY={folder}" in err
    assert len(client("s3").list_object_versions(Bucket=world.outputs["RawBucketName"])["Versions"]) == 3


def test_erase_of_a_delivery_deletes_its_files_and_partitions_everywhere_and_recomputes_nothing(
    world: World, four_accounts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    erased, kept = deliver(world, "2026-11-01"), deliver(world, "2026-11-02")
    item = run_delivery(world, erased)
    run_delivery(world, kept)
    s3, glue = client("s3"), client("glue")

    code = ops(four_accounts, "erase", "--key", erased, "--confirm", "--poll-s", "0")
    out = capsys.readouterr().out

    assert code == 0, out
    assert "nothing to recompute" in out
    raw = [
        v["Key"] for v in s3.list_object_versions(Bucket=world.outputs["RawBucketName"]).get("Versions", [])
    ]
    assert sorted(raw) == sorted(f"{kept}{name}" for name in FILES)
    for bucket in (world.outputs["ConformedBucketName"], world.outputs["PurposeBuiltBucketName"]):
        keys = [v["Key"] for v in s3.list_object_versions(Bucket=bucket).get("Versions", [])]
        assert keys and not [key for key in keys if "2026-11-01" in key or item["execution_name"] in key]
    for table in ("persons", "persons_quarantine", "legislator_memberships"):
        partitions = glue.get_partitions(DatabaseName=DELIVERY_DATABASE, TableName=table)["Partitions"]
        assert [p["Values"] for p in partitions] == [["2026-11-02"]], table
    for job in (world.raw_job, world.pb_job):
        assert glue.get_job_runs(JobName=job)["JobRuns"] == [], job
    after = audit.plain(
        client("dynamodb").get_item(TableName="audit", Key=audit.key(item["object_id"]))["Item"]
    )
    assert after["status"] == "ERASED" and after["erased_by"].endswith("(operator-on-call)")

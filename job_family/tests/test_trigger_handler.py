"""The trigger Lambda against moto's DynamoDB, Step Functions and SNS (in-process `mock_aws`)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from job_family.audit.runtime.item import (
    TABLE_PARTITION_KEY,
    object_id,
)
from job_family.ingest.runtime import handler as trigger
from job_family.ingest.runtime.environment import (
    AUDIT_TABLE_NAME,
    FAMILY_LAYOUT,
    STATE_MACHINE_ARN,
    TOPIC_ARN,
)
from job_family.ingest.runtime.services import Executions
from job_family.tests.probe import LAYOUT
from job_family.tests.world import BUCKET, EXECUTION_NAME, World, s3_event


def test_valid_object_is_claimed_and_starts_one_execution(world: World) -> None:
    outcome = world.run(s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv"))

    assert outcome.response() == {"batchItemFailures": []}
    [execution] = world.executions()
    assert EXECUTION_NAME.fullmatch(execution["name"])
    assert execution["name"].startswith("yellow_tripdata-yellow_tripdata_2021-01-")
    assert world.execution_input(execution["name"]) == {
        "object_id": f"s3://{BUCKET}/nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv#v1",
        "bucket": BUCKET,
        "key": "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv",
        "version_id": "v1",
        "dataset": "yellow_tripdata",
        "file_format": "csv",
        "source_path": f"s3://{BUCKET}/nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv",
    }
    item = world.item(BUCKET, "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv", "v1")
    assert item["status"] == {"S": "RECEIVED"}
    assert item["execution_name"] == {"S": execution["name"]}
    assert item["updated_at"] == {"S": "2026-11-21T12:00:00.123Z"}
    assert item["history"]["L"][0]["M"]["status"] == {"S": "RECEIVED"}
    assert world.notifications() == []


@pytest.mark.parametrize(
    ("file_name", "file_format"),
    [("green_tripdata_2024-02.parquet", "parquet"), ("green_tripdata_2019-12.csv.gz", "csv.gz")],
)
def test_parquet_and_gzip_csv_are_accepted(world: World, file_name: str, file_format: str) -> None:
    world.run(s3_event(f"nyc_taxi/green_tripdata/{file_name}"))

    [execution] = world.executions()
    assert world.execution_input(execution["name"])["file_format"] == file_format


def test_duplicate_delivery_starts_nothing(world: World) -> None:
    event = s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv")
    first = world.run(event)
    world.dynamodb.update_item(
        TableName=world.table_name,
        Key={
            TABLE_PARTITION_KEY: {
                "S": object_id(BUCKET, "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv", "v1")
            }
        },
        UpdateExpression="SET #s = :running",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":running": {"S": "RUNNING"}},
    )

    second = world.run(event)

    assert len(first.started) == 1
    assert second.started == []
    assert len(second.duplicates) == 1
    assert len(world.executions()) == 1


def test_duplicate_delivery_while_still_received_starts_nothing_new(world: World) -> None:
    event = s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv")
    first = world.run(event)

    again = world.run(event)

    assert again.started == []
    assert again.resumed == first.started
    assert len(world.executions()) == 1


def test_claim_without_a_started_execution_is_started_on_redelivery(world: World) -> None:
    key = "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv"

    class StartFails(Executions):
        def start(self, *, name: str, input_json: str) -> bool:
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "try again"}}, "StartExecution"
            )

    crashing = trigger.Services(
        layout=LAYOUT,
        audit=world.services.audit,
        executions=StartFails(world.sfn, ""),
        notifier=world.services.notifier,
    )
    failed = trigger.process_batch({"Records": [s3_event(key)]}, services=crashing)
    retried = world.run(s3_event(key))

    assert failed.response() == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert world.item(BUCKET, key, "v1")["status"] == {"S": "RECEIVED"}
    assert len(retried.resumed) == 1
    assert len(world.executions()) == 1


def test_each_version_of_an_object_is_its_own_run(world: World) -> None:
    key = "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv"
    world.run(s3_event(key, version="v1"), s3_event(key, version="v2", message_id="m-2"))

    names = {execution["name"] for execution in world.executions()}
    assert len(names) == 2


def test_url_encoded_key_with_spaces_is_decoded(world: World) -> None:
    outcome = world.run(s3_event("nyc_taxi/yellow_tripdata/January+2021+trips%281%29.csv"))

    [execution] = world.executions()
    assert outcome.started == [execution["name"]]
    assert EXECUTION_NAME.fullmatch(execution["name"])
    started = world.execution_input(execution["name"])
    assert started["key"] == "nyc_taxi/yellow_tripdata/January 2021 trips(1).csv"
    assert started["source_path"] == f"s3://{BUCKET}/nyc_taxi/yellow_tripdata/January 2021 trips(1).csv"
    assert world.item(BUCKET, "nyc_taxi/yellow_tripdata/January 2021 trips(1).csv", "v1")["status"] == {
        "S": "RECEIVED"
    }


def test_unknown_dataset_is_rejected_with_reason_and_notification(world: World) -> None:
    key = "nyc_taxi/fhv_tripdata/fhv_tripdata_2021-01.parquet"
    outcome = world.run(s3_event(key))

    assert outcome.response() == {"batchItemFailures": []}
    assert world.executions() == []
    item = world.item(BUCKET, key, "v1")
    assert item["status"] == {"S": "REJECTED"}
    assert "unknown dataset 'fhv_tripdata'" in item["reason"]["S"]
    [notification] = world.notifications()
    assert notification["Subject"] == f"nyc_taxi REJECTED: {key}"
    assert notification["MessageAttributes"]["status"]["Value"] == "REJECTED"
    assert json.loads(notification["Message"])["reason"] == item["reason"]["S"]


@pytest.mark.parametrize(
    "file_name", ["yellow_tripdata_2021-01.xlsx", "yellow_tripdata_2021-01.csv.zip", ".csv"]
)
def test_wrong_extension_is_rejected(world: World, file_name: str) -> None:
    key = f"nyc_taxi/yellow_tripdata/{file_name}"
    world.run(s3_event(key))

    assert world.executions() == []
    item = world.item(BUCKET, key, "v1")
    assert item["status"] == {"S": "REJECTED"}
    assert "must end with one of .csv.gz, .parquet, .csv" in item["reason"]["S"]
    assert len(world.notifications()) == 1


def test_folder_marker_is_rejected(world: World) -> None:
    key = "nyc_taxi/yellow_tripdata/"
    world.run(s3_event(key, size=0))

    assert world.executions() == []
    assert "folder marker" in world.item(BUCKET, key, "v1")["reason"]["S"]


def test_zero_byte_object_is_rejected(world: World) -> None:
    key = "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv"
    world.run(s3_event(key, size=0))

    assert world.executions() == []
    item = world.item(BUCKET, key, "v1")
    assert item["status"] == {"S": "REJECTED"}
    assert "empty object" in item["reason"]["S"]


def test_duplicate_delivery_of_a_rejected_object_notifies_once(world: World) -> None:
    event = s3_event("nyc_taxi/yellow_tripdata/notes.txt")
    world.run(event)
    again = world.run(event)

    assert len(again.duplicates) == 1
    assert len(world.notifications()) == 1


def test_batch_with_one_malformed_message_processes_the_others(world: World) -> None:
    malformed = {"messageId": "m-bad", "body": "{not json"}
    outcome = world.run(
        s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv", message_id="m-1"),
        malformed,
        s3_event("nyc_taxi/green_tripdata/green_tripdata_2021-01.csv", message_id="m-3"),
    )

    assert outcome.response() == {"batchItemFailures": []}
    assert len(world.executions()) == 2
    rejected = world.dynamodb.get_item(
        TableName=world.table_name, Key={TABLE_PARTITION_KEY: {"S": "malformed-message#m-bad"}}
    )["Item"]
    assert rejected["status"] == {"S": "REJECTED"}
    assert "not JSON" in rejected["reason"]["S"]
    [notification] = world.notifications()
    assert notification["MessageAttributes"]["status"]["Value"] == "REJECTED"


def test_batch_with_one_failing_message_reports_only_that_message(world: World) -> None:
    failing_key = "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-02.csv"

    class OneKeyFails(Executions):
        def start(self, *, name: str, input_json: str) -> bool:
            if json.loads(input_json)["key"] == failing_key:
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StartExecution"
                )
            return super().start(name=name, input_json=input_json)

    services = trigger.Services(
        layout=LAYOUT,
        audit=world.services.audit,
        executions=OneKeyFails(world.sfn, world.state_machine_arn),
        notifier=world.services.notifier,
    )
    outcome = trigger.process_batch(
        {
            "Records": [
                s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv", message_id="m-1"),
                s3_event(failing_key, message_id="m-2"),
                s3_event("nyc_taxi/yellow_tripdata/yellow_tripdata_2021-03.csv", message_id="m-3"),
            ]
        },
        services=services,
    )

    assert outcome.response() == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert len(world.executions()) == 2


def test_handler_entry_point_reads_its_collaborators_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(AUDIT_TABLE_NAME, world.table_name)
    monkeypatch.setenv(STATE_MACHINE_ARN, world.state_machine_arn)
    monkeypatch.setenv(TOPIC_ARN, world.topic_arn)
    monkeypatch.setenv(FAMILY_LAYOUT, LAYOUT.to_json())
    trigger.build_services.cache_clear()

    response = trigger.handler(
        {"Records": [s3_event("nyc_taxi/green_tripdata/green_tripdata_2021-01.csv")]}, None
    )
    trigger.build_services.cache_clear()

    assert response == {"batchItemFailures": []}
    assert len(world.executions()) == 1


def test_handler_names_missing_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (AUDIT_TABLE_NAME, STATE_MACHINE_ARN, TOPIC_ARN, FAMILY_LAYOUT):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(TOPIC_ARN, "arn:aws:sns:eu-west-1:111111111111:topic")
    monkeypatch.setenv(FAMILY_LAYOUT, LAYOUT.to_json())

    with pytest.raises(RuntimeError, match="AUDIT_TABLE_NAME, STATE_MACHINE_ARN not set"):
        trigger.handler({"Records": []}, None)

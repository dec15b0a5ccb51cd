"""The trigger handler's world on moto: audit table, state machine, topic, a queue capturing the
notifications; `s3_event` builds the SQS record of an EventBridge `Object Created` event."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import boto3
import pytest
from moto import mock_aws

from job_family.audit.runtime.item import (
    STATUS_INDEX_NAME,
    STATUS_INDEX_PARTITION_KEY,
    STATUS_INDEX_SORT_KEY,
    TABLE_PARTITION_KEY,
    object_id,
)
from job_family.ingest.runtime import handler as trigger
from job_family.ingest.runtime.services import AuditTable, Executions, Notifier
from job_family.tests.probe import LAYOUT

REGION: Final = "eu-west-1"
BUCKET = "dlk-dev-raw-111111111111-eu-west-1"
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass
class World:
    dynamodb: Any
    sfn: Any
    sqs: Any
    table_name: str
    state_machine_arn: str
    topic_arn: str
    notifications_url: str
    services: trigger.Services

    def run(self, *records: dict[str, Any]) -> trigger.Outcome:
        return trigger.process_batch(
            {"Records": list(records)},
            services=self.services,
            clock=lambda: datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=UTC),
        )

    def item(self, bucket: str, key: str, version: str | None) -> dict[str, Any]:
        found = self.dynamodb.get_item(
            TableName=self.table_name, Key={TABLE_PARTITION_KEY: {"S": object_id(bucket, key, version)}}
        )
        return dict(found["Item"])

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"])

    def execution_input(self, name: str) -> dict[str, Any]:
        arn = f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
        return dict(json.loads(self.sfn.describe_execution(executionArn=arn)["input"]))

    def notifications(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.notifications_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


def make_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table_name = "Audit"
        dynamodb.create_table(
            TableName=table_name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": TABLE_PARTITION_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in (TABLE_PARTITION_KEY, STATUS_INDEX_PARTITION_KEY, STATUS_INDEX_SORT_KEY)
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": STATUS_INDEX_NAME,
                    "KeySchema": [
                        {"AttributeName": STATUS_INDEX_PARTITION_KEY, "KeyType": "HASH"},
                        {"AttributeName": STATUS_INDEX_SORT_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)
        state_machine_arn = sfn.create_state_machine(
            name="Pipeline",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/state-machine",
        )["stateMachineArn"]
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name="Notifications")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        notifications_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=notifications_url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "false"},
        )
        yield World(
            dynamodb=dynamodb,
            sfn=sfn,
            sqs=sqs,
            table_name=table_name,
            state_machine_arn=state_machine_arn,
            topic_arn=topic_arn,
            notifications_url=notifications_url,
            services=trigger.Services(
                layout=LAYOUT,
                audit=AuditTable(dynamodb, table_name),
                executions=Executions(sfn, state_machine_arn),
                notifier=Notifier(sns, topic_arn),
            ),
        )


def s3_event(
    key: str, *, size: int = 1024, version: str | None = "v1", message_id: str = "m-1", bucket: str = BUCKET
) -> dict[str, Any]:
    """An SQS record carrying an EventBridge `Object Created` event, as the ingestion queue delivers it."""
    obj: dict[str, Any] = {"key": key, "size": size, "etag": "0123abcd", "sequencer": "0062E99A88DC407460"}
    if version is not None:
        obj["version-id"] = version
    body = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "111111111111",
        "time": "2026-11-21T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": obj, "reason": "PutObject"},
    }
    return {
        "messageId": message_id,
        "receiptHandle": "handle",
        "body": json.dumps(body),
        "eventSource": "aws:sqs",
    }

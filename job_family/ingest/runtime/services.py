"""The thin boto3 layer of the trigger Lambda: claim in the audit table, start the execution, notify."""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from job_family.audit.runtime.item import Attr, Status

_SUBJECT_UNSAFE = re.compile(r"[^\x20-\x7e]")
MAX_SUBJECT = 100


class Claim(Enum):
    NEW = "new"  # this delivery wrote the claim: start the execution
    UNSTARTED = "unstarted"  # claimed earlier but maybe never started: start again (idempotent by name)
    DUPLICATE = "duplicate"  # already running or finished: start nothing


class AuditTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def claim(self, item: dict[str, Any]) -> Claim:
        """Write the RECEIVED item unless an item for this object version exists."""
        if self._put_if_absent(item):
            return Claim.NEW
        existing = self._client.get_item(
            TableName=self._table_name,
            Key={Attr.OBJECT_ID.value: item[Attr.OBJECT_ID.value]},
            ConsistentRead=True,
        ).get("Item", {})
        status = existing.get(Attr.STATUS.value, {}).get("S")
        return Claim.UNSTARTED if status == Status.RECEIVED.value else Claim.DUPLICATE

    def exists(self, object_id: str) -> bool:
        """Whether an item (a claim, a rejection) exists for this object or delivery."""
        found = self._client.get_item(
            TableName=self._table_name,
            Key={Attr.OBJECT_ID.value: {"S": object_id}},
            ConsistentRead=True,
            ProjectionExpression="#id",
            ExpressionAttributeNames={"#id": Attr.OBJECT_ID.value},
        )
        return "Item" in found

    def record_rejection(self, item: dict[str, Any]) -> bool:
        """Write a REJECTED item; False when this object was already recorded (a duplicate delivery)."""
        return self._put_if_absent(item)

    def _put_if_absent(self, item: dict[str, Any]) -> bool:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": Attr.OBJECT_ID.value},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


class Executions:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def start(self, *, name: str, input_json: str) -> bool:
        """Start the execution; False when one with this name exists (names are per object version)."""
        try:
            self._client.start_execution(stateMachineArn=self._state_machine_arn, name=name, input=input_json)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True


class Notifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, *, status: Status, subject: str, details: dict[str, Any]) -> None:
        """Publish a JSON message; subscribers can filter on the `status` message attribute."""
        attributes = {"status": {"DataType": "String", "StringValue": status.value}}
        dataset = details.get("dataset")
        if isinstance(dataset, str) and dataset:
            attributes["dataset"] = {"DataType": "String", "StringValue": dataset}
        self._client.publish(
            TopicArn=self._topic_arn,
            Subject=_SUBJECT_UNSAFE.sub("?", subject)[:MAX_SUBJECT],
            Message=json.dumps({"status": status.value, **details}, sort_keys=True),
            MessageAttributes=attributes,
        )


class Deliveries:
    """What is in the raw bucket's delivery folders (a PerDelivery trigger's only S3 reads: listings)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def file_names(self, bucket: str, prefix: str) -> list[str]:
        """The names of the files directly in the folder `prefix`."""
        names: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, Delimiter="/"
        ):
            names += [entry["Key"][len(prefix) :] for entry in page.get("Contents", [])]
        return [name for name in names if name]

    def folders(self, bucket: str, root: str) -> list[str]:
        """The folders directly below `root` (each `root<name>/`)."""
        folders: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=root, Delimiter="/"
        ):
            folders += [entry["Prefix"] for entry in page.get("CommonPrefixes", [])]
        return folders

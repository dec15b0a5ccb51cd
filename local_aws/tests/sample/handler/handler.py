"""Sample SQS-triggered handler: records each message in the table named by TABLE_NAME."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
            table.put_item(Item={"pk": body["id"], "source": record["eventSourceARN"]})
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

"""The in-process Lambda runtime and its SQS event source, on the sample app's trigger function."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws.deployer import Deployment
from local_aws.lambda_runner import LambdaRuntime, SqsEventSource
from local_aws.server import LocalAws
from local_aws.tests.sample_app import AUDIT_TABLE_NAME

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def source(
    deployed: tuple[LocalAws, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqsEventSource]:
    aws, deployment = deployed
    runtime = LambdaRuntime(
        aws,
        deployment.functions,
        deployment.event_source_mappings,
        code_root=tmp_path_factory.mktemp("functions"),
    )
    (event_source,) = runtime.event_sources
    yield event_source


def _send(aws: LocalAws, source: SqsEventSource, *bodies: str) -> None:
    for body in bodies:
        aws.client("sqs").send_message(QueueUrl=source.queue_url, MessageBody=body)


def _empty(aws: LocalAws, source: SqsEventSource) -> None:
    """Delete whatever is on the queue (PurgeQueue is limited to once a minute)."""
    sqs = aws.client("sqs")
    while messages := sqs.receive_message(
        QueueUrl=source.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_only_the_messages_the_handler_reports_as_failed_stay_on_the_queue(
    deployed: tuple[LocalAws, Deployment], source: SqsEventSource
) -> None:
    aws, _ = deployed
    _send(aws, source, json.dumps({"id": "good-1"}), "not json", json.dumps({"id": "good-2"}))

    result = source.poll_once()

    assert (result.received, result.deleted, len(result.failed_ids), result.error) == (3, 2, 1, None)
    items = aws.client("dynamodb").scan(TableName=AUDIT_TABLE_NAME)["Items"]
    assert sorted(item["pk"]["S"] for item in items) == ["good-1", "good-2"]
    # the handler saw the real event shape: it stored each record's eventSourceARN
    assert {item["source"]["S"] for item in items} == {source.mapping.event_source_arn}
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "0",
        "1",
    )
    aws.client("sqs").change_message_visibility(
        QueueUrl=source.queue_url,
        ReceiptHandle=result.receipt_handles[result.failed_ids[0]],
        VisibilityTimeout=0,
    )
    _empty(aws, source)


def test_a_handler_exception_leaves_the_whole_batch_on_the_queue(
    deployed: tuple[LocalAws, Deployment], source: SqsEventSource
) -> None:
    aws, _ = deployed
    _empty(aws, source)
    _send(aws, source, json.dumps({"id": "fine"}), json.dumps(["a list makes the handler raise"]))

    result = source.poll_once()

    assert result.received == 2 and result.deleted == 0
    assert result.error is not None and result.error.startswith("TypeError")
    _empty(aws, source)


def test_the_handler_runs_in_its_own_module_namespace_with_its_environment(
    deployed: tuple[LocalAws, Deployment], source: SqsEventSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    callers_module = types.ModuleType("handler")
    monkeypatch.setitem(sys.modules, "handler", callers_module)
    monkeypatch.delenv("TABLE_NAME", raising=False)

    response = source.function.invoke({"Records": []})

    assert response == {"batchItemFailures": []}
    assert sys.modules["handler"] is callers_module
    assert "TABLE_NAME" not in __import__("os").environ
    assert Path(source.function.code_dir, "handler.py").exists()

"""The embedded AWS's SQS poller honours its event source mapping's state, as Lambda does: a disabled
mapping leaves every message on the queue untouched; enabled again, each is delivered once. (What makes
`make pause` / `make resume` work on the local AWS: `local_aws/lambda_runner.py`.)"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws.lambda_runner import LocalLambda, SqsEventSource
from local_aws.resources.base import EventSourceMapping, LocalFunction
from local_aws.server import LocalAws, start_local_aws

HANDLER = "calls = []\n\ndef handler(event, context):\n    calls.append(len(event['Records']))\n    return {'batchItemFailures': []}\n"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with start_local_aws(account_id="123456789012", region="us-east-1") as local:
        yield local


def _source(aws: LocalAws, code_root: Path, *, enabled: bool = True) -> SqsEventSource:
    queue_url = aws.client("sqs").create_queue(QueueName="arrivals")["QueueUrl"]
    queue_arn = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    role = aws.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("index.py", HANDLER)
    arn = aws.client("lambda").create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]
    function = LocalFunction(
        logical_id="Fn",
        stack_name="s",
        name="fn",
        arn=arn,
        handler="index.handler",
        runtime="python3.12",
        environment={},
        timeout_s=30,
        code_bucket=None,
        code_key=None,
        inline_code=HANDLER,
    )
    mapping = EventSourceMapping("Mapping", "fn", queue_arn, 10, True, enabled)
    return SqsEventSource(aws, mapping, LocalLambda(aws, function, code_root=code_root))


def _waiting(aws: LocalAws, source: SqsEventSource) -> tuple[str, str]:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    return attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]


def test_a_disabled_mapping_is_not_polled_and_its_messages_wait_untouched(
    aws: LocalAws, tmp_path: Path
) -> None:
    source = _source(aws, tmp_path)
    lambda_ = aws.client("lambda")
    (listed,) = lambda_.list_event_source_mappings(FunctionName="fn")["EventSourceMappings"]

    lambda_.update_event_source_mapping(UUID=source.uuid, Enabled=False)
    aws.client("sqs").send_message(QueueUrl=source.queue_url, MessageBody="one")
    aws.client("sqs").send_message(QueueUrl=source.queue_url, MessageBody="two")
    while_paused = [source.poll_once().received for _ in range(3)]
    waiting = _waiting(aws, source)
    lambda_.update_event_source_mapping(UUID=source.uuid, Enabled=True)
    resumed = source.drain()

    assert listed["UUID"] == source.uuid and listed["State"] == "Enabled"
    assert while_paused == [0, 0, 0]
    assert waiting == ("2", "0")  # moto's own delivery never took them either
    assert sum(result.deleted for result in resumed) == 2
    assert _waiting(aws, source) == ("0", "0")


def test_a_rebuilt_poller_finds_the_same_mapping_and_a_disabled_template_starts_disabled(
    aws: LocalAws, tmp_path: Path
) -> None:
    source = _source(aws, tmp_path, enabled=False)
    again = SqsEventSource(aws, source.mapping, source.function)

    assert again.uuid == source.uuid
    assert not source.enabled

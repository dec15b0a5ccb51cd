"""Run deployed Lambda functions in-process, and deliver SQS messages to them like an event source mapping.

moto records functions but cannot run them without Docker. Here a function's deployed code (its
asset zip in the embedded S3, or inline code) is unpacked and its real handler imported, in its
own module namespace (so it never mixes with the caller's copy of the same package). Each call
runs with the function's resolved environment variables plus the embedded AWS's endpoint and fake
credentials, so boto3 in the handler reaches the embedded AWS.

`SqsEventSource` polls a queue as Lambda's poller does: a batch of up to `BatchSize` messages in
the real SQS event shape; with `ReportBatchItemFailures` only the messages not listed in
`batchItemFailures` are deleted; if the handler raises, none are (they return after the queue's
visibility timeout, and a redrive policy moves them to the dead-letter queue as in AWS).

Each `SqsEventSource` also registers its mapping in the embedded Lambda API (bookkeeping only: detached
from moto's own SQS delivery, which would otherwise consume the queue), and polls only while that
mapping is `Enabled`. So `aws lambda update-event-source-mapping --no-enabled` pauses it as in AWS:
messages wait on the queue, untouched, until the mapping is enabled again (`make pause` / `make resume`).
"""

from __future__ import annotations

import importlib
import io
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_aws.resources.base import EventSourceMapping, LocalFunction
from local_aws.server import LocalAws, _EnvOverlay


@dataclass(frozen=True)
class LambdaContext:
    """The attributes handlers commonly read from Lambda's context object."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def _module_names_under(directory: Path) -> set[str]:
    names: set[str] = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(directory):
            names.add(name)
    return names


class LocalLambda:
    """One deployed function, loaded from its deployed code and callable in-process."""

    def __init__(self, aws: LocalAws, function: LocalFunction, *, code_root: Path) -> None:
        self.aws = aws
        self.function = function
        self.code_dir = (code_root / function.name).resolve()
        self._modules: dict[str, Any] = {}
        self._handler: Callable[[Any, Any], Any] | None = None
        self._lock = threading.Lock()

    def _unpack(self) -> None:
        self.code_dir.mkdir(parents=True, exist_ok=True)
        if self.function.inline_code is not None:
            module = self.function.handler.rsplit(".", 1)[0].replace(".", "/")
            (self.code_dir / f"{module}.py").write_text(self.function.inline_code)
            return
        if not (self.function.code_bucket and self.function.code_key):
            raise ValueError(f"function {self.function.name} has no code location")
        body = self.aws.client("s3").get_object(Bucket=self.function.code_bucket, Key=self.function.code_key)
        with zipfile.ZipFile(io.BytesIO(body["Body"].read())) as archive:
            archive.extractall(self.code_dir)

    @contextmanager
    def _namespace(self) -> Iterator[None]:
        """The function's own modules and code folder, swapped in for the duration of a call."""
        top_level = {name.split(".")[0] for name in self._modules} | {self.function.handler.split(".")[0]}
        shadowed = {
            name: module
            for name, module in list(sys.modules.items())
            if name.split(".")[0] in top_level and module is not self._modules.get(name)
        }
        for name in shadowed:
            del sys.modules[name]
        sys.modules.update(self._modules)
        sys.path.insert(0, str(self.code_dir))
        try:
            yield
        finally:
            sys.path.remove(str(self.code_dir))
            for name in _module_names_under(self.code_dir) | {
                name for name in list(sys.modules) if name.split(".")[0] in top_level
            }:
                module = sys.modules.pop(name, None)
                if module is not None and module is not shadowed.get(name):
                    self._modules[name] = module
            sys.modules.update(shadowed)

    def environment(self) -> dict[str, str | None]:
        return {
            **self.function.environment,
            **self.aws.environment(),
            "AWS_LAMBDA_FUNCTION_NAME": self.function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.function.runtime}",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
        }

    def invoke(self, event: Any) -> Any:
        """Call the real handler with `event`, as Lambda would (one call at a time per function)."""
        with self._lock, _EnvOverlay(self.environment()), self._namespace():
            if self._handler is None:
                self._unpack()
                module_name, _, attribute = self.function.handler.rpartition(".")
                self._handler = getattr(importlib.import_module(module_name.replace("/", ".")), attribute)
            context = LambdaContext(
                function_name=self.function.name,
                invoked_function_arn=self.function.arn,
                memory_limit_in_mb=128,
                aws_request_id=str(uuid.uuid4()),
                log_group_name=f"/aws/lambda/{self.function.name}",
                log_stream_name="local",
                deadline=time.monotonic() + self.function.timeout_s,
            )
            return self._handler(event, context)


@dataclass
class BatchResult:
    received: int = 0
    deleted: int = 0
    failed_ids: list[str] = field(default_factory=list)
    error: str | None = None
    receipt_handles: dict[str, str] = field(default_factory=dict)  # message id -> receipt handle


def _record(message: dict[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    attributes = {
        key: value
        for key, value in message.get("Attributes", {}).items()
        if key not in {"AWSTraceHeader"} or value
    }
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def _registered_mapping(aws: LocalAws, mapping: EventSourceMapping, function_name: str) -> str:
    """The UUID of `mapping` in the embedded Lambda API, created on first use (as the deployed stack
    holds it in AWS), so `list/get/update-event-source-mapping` see and toggle it.

    Created disabled, detached from moto's queue (moto would deliver the queue's messages itself, to a
    function it cannot run), then set to the template's state: no message is ever consumed by moto.
    """
    client = aws.client("lambda")
    existing = client.list_event_source_mappings(
        FunctionName=function_name, EventSourceArn=mapping.event_source_arn
    )["EventSourceMappings"]
    if existing:
        return str(existing[0]["UUID"])
    created = client.create_event_source_mapping(
        FunctionName=function_name,
        EventSourceArn=mapping.event_source_arn,
        BatchSize=mapping.batch_size,
        Enabled=False,
        FunctionResponseTypes=["ReportBatchItemFailures"] if mapping.report_batch_item_failures else [],
    )
    from moto.sqs.models import sqs_backends  # the server runs in this process: same backends

    queue_name = mapping.event_source_arn.rsplit(":", 1)[-1]
    queue = sqs_backends[aws.account_id][aws.region].queues[queue_name]
    queue.lambda_event_source_mappings.pop(created["FunctionArn"], None)
    client.update_event_source_mapping(UUID=created["UUID"], Enabled=mapping.enabled)
    return str(created["UUID"])


class SqsEventSource:
    """Lambda's SQS poller for one event source mapping."""

    def __init__(self, aws: LocalAws, mapping: EventSourceMapping, function: LocalLambda) -> None:
        self.aws = aws
        self.mapping = mapping
        self.function = function
        self.queue_url = aws.client("sqs").get_queue_url(
            QueueName=mapping.event_source_arn.rsplit(":", 1)[-1]
        )["QueueUrl"]
        self.history: list[BatchResult] = []
        self.uuid = _registered_mapping(aws, mapping, function.function.name)

    @property
    def enabled(self) -> bool:
        """Whether the mapping is `Enabled` in the embedded Lambda API (a paused mapping is not polled)."""
        state = self.aws.client("lambda").get_event_source_mapping(UUID=self.uuid)["State"]
        return bool(state == "Enabled")

    def poll_once(self, *, wait_s: int = 0) -> BatchResult:
        """Receive one batch, invoke the function, delete what succeeded (nothing while disabled)."""
        if not self.enabled:
            return BatchResult()
        sqs = self.aws.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_s,
        ).get("Messages", [])
        result = BatchResult(
            received=len(messages), receipt_handles={m["MessageId"]: m["ReceiptHandle"] for m in messages}
        )
        if not messages:
            return result
        event = {"Records": [_record(m, self.mapping.event_source_arn, self.aws.region) for m in messages]}
        try:
            response = self.function.invoke(event)
        except Exception as error:
            result.error = f"{type(error).__name__}: {error}"
            result.failed_ids = [m["MessageId"] for m in messages]
            self.history.append(result)
            return result
        failed = self._failed_ids(response, messages)
        result.failed_ids = sorted(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        result.deleted = len(done)
        self.history.append(result)
        return result

    def _failed_ids(self, response: Any, messages: list[dict[str, Any]]) -> set[str]:
        if not self.mapping.report_batch_item_failures or not isinstance(response, dict):
            return set()
        failures = response.get("batchItemFailures") or []
        ids = {m["MessageId"] for m in messages}
        failed: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in ids:
                return ids  # as in AWS: an invalid entry fails the whole batch
            failed.add(identifier)
        return failed

    def drain(self, *, max_batches: int = 100) -> list[BatchResult]:
        """Poll until a receive comes back empty (or `max_batches`)."""
        results = []
        for _ in range(max_batches):
            result = self.poll_once()
            if result.received == 0:
                break
            results.append(result)
        return results


class LambdaRuntime:
    """Every deployed function and SQS event source of a deployment, ready to run locally."""

    def __init__(
        self,
        aws: LocalAws,
        functions: dict[str, LocalFunction],
        mappings: list[EventSourceMapping],
        *,
        code_root: Path,
    ) -> None:
        self.aws = aws
        self.functions = {
            name: LocalLambda(aws, function, code_root=code_root) for name, function in functions.items()
        }
        self.event_sources = [
            SqsEventSource(aws, mapping, self.function(mapping.function_name))
            for mapping in mappings
            if mapping.enabled
        ]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def function(self, name_or_logical_id: str) -> LocalLambda:
        for name, function in self.functions.items():
            if name_or_logical_id in (name, function.function.logical_id, function.function.arn):
                return function
        raise KeyError(f"no deployed function {name_or_logical_id!r}; deployed: {sorted(self.functions)}")

    def poll_all_once(self) -> int:
        """One batch per event source; returns how many messages were received."""
        return sum(source.poll_once().received for source in self.event_sources)

    def start(self, *, interval_s: float = 0.2) -> None:
        """Poll every event source in a background thread until `stop()`."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                if self.poll_all_once() == 0:
                    self._stop.wait(interval_s)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="local-lambda-pollers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

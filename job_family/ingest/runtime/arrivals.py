"""Pure logic of the trigger: read a queue message, decide whether the object is ours, name its run.

No AWS calls here: `handler.py` feeds these functions and acts on their answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from job_family.audit.runtime.item import NO_VERSION, ObjectRef
from job_family.ingest.runtime.layout import ArrivalLayout
from job_family.orchestration.runtime.execution_input import ExecutionInput

SCHEDULE_SOURCE = "job_family.schedule"  # the `source` of the schedule's sweep message (PerDelivery)
MAX_EXECUTION_NAME = 80
_DIGEST_LENGTH = 16
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Arrival:
    """A queue message that names one S3 object."""

    message_id: str
    obj: ObjectRef


@dataclass(frozen=True)
class Malformed:
    """A queue message that names no S3 object."""

    message_id: str
    reason: str
    body_excerpt: str


@dataclass(frozen=True)
class Sweep:
    """The schedule's message: look for complete deliveries not yet claimed in `bucket`."""

    message_id: str
    bucket: str


@dataclass(frozen=True)
class Accepted:
    dataset: str
    file_format: str


@dataclass(frozen=True)
class Rejected:
    reason: str


def read_message(record: dict[str, Any]) -> Arrival | Sweep | Malformed:
    """Turn one SQS record carrying an EventBridge `Object Created` event into an `Arrival`, or the
    schedule's sweep message into a `Sweep`."""
    message_id = str(record.get("messageId", "<no message id>"))
    body = record.get("body")
    excerpt = str(body)[:120]
    try:
        event = json.loads(body) if isinstance(body, str) else None
    except json.JSONDecodeError:
        return Malformed(message_id, "the message body is not JSON", excerpt)
    if isinstance(event, dict) and event.get("source") == SCHEDULE_SOURCE:
        bucket = event.get("bucket")
        if isinstance(bucket, str) and bucket:
            return Sweep(message_id, bucket)
        return Malformed(message_id, "the schedule's message names no bucket", excerpt)
    if not isinstance(event, dict) or event.get("source") != "aws.s3":
        return Malformed(message_id, "the message is not an EventBridge event from aws.s3", excerpt)
    detail = event.get("detail")
    bucket = _get(detail, "bucket", "name")
    key = _get(detail, "object", "key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        return Malformed(message_id, "the event has no detail.bucket.name or detail.object.key", excerpt)
    size = _get(detail, "object", "size")
    version = _get(detail, "object", "version-id")
    return Arrival(
        message_id,
        ObjectRef(
            bucket=bucket,
            key=unquote_plus(key),
            version_id=str(version) if version else None,
            size_bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
        ),
    )


def _get(node: object, *path: str) -> object:
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node


def classify(obj: ObjectRef, layout: ArrivalLayout) -> Accepted | Rejected:
    """Accept `<family>/<dataset>/<file>` with a known dataset and format; say why anything else is not."""
    datasets = ", ".join(layout.dataset_names)
    expected = f"expected {layout.prefix}/<dataset>/<file> with dataset one of {datasets}"
    if obj.key.endswith("/"):
        return Rejected(f"folder marker {obj.key!r}, not a file")
    parts = obj.key.split("/")
    if len(parts) != 3 or parts[0] != layout.prefix:
        return Rejected(f"unexpected key {obj.key!r}; {expected}")
    _, dataset, file_name = parts
    formats = layout.formats_of(dataset)
    if formats is None:
        return Rejected(f"unknown dataset {dataset!r} in {obj.key!r}; {expected}")
    file_format = format_of(file_name, formats)
    if file_format is None:
        known = ", ".join(suffix for suffix, _ in formats)
        return Rejected(f"unsupported file {file_name!r}; the file name must end with one of {known}")
    if obj.size_bytes == 0:
        return Rejected(f"empty object {obj.key!r} (0 bytes)")
    return Accepted(dataset=dataset, file_format=file_format)


def format_of(file_name: str, formats: tuple[tuple[str, str], ...]) -> str | None:
    lowered = file_name.lower()
    for suffix, name in sorted(formats, key=lambda pair: len(pair[0]), reverse=True):
        if lowered.endswith(suffix) and lowered != suffix:
            return name
    return None


def execution_name(obj: ObjectRef, dataset: str, suffixes: tuple[str, ...] = ()) -> str:
    """A Step Functions execution name for this object version: unique, stable, at most 80 characters.

    `<dataset>-<file stem>-<digest>`: only letters, digits, `-` and `_` (valid for Standard workflows
    and for CloudWatch logging), the digest of bucket/key/version making it unique per object version.
    `suffixes` (the accepted file-name suffixes) are cut from the stem.
    """
    digest = hashlib.sha256(obj.object_id.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]
    stem = obj.key.rstrip("/").rsplit("/", 1)[-1]
    for suffix in sorted(suffixes, key=len, reverse=True):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = _UNSAFE.sub("-", stem).strip("-") or "file"
    room = MAX_EXECUTION_NAME - len(dataset) - len(digest) - 2
    return f"{dataset}-{stem[:room].rstrip('-')}-{digest}"


def execution_input(obj: ObjectRef, accepted: Accepted) -> ExecutionInput:
    return ExecutionInput(
        object_id=obj.object_id,
        bucket=obj.bucket,
        key=obj.key,
        version_id=obj.version_id or NO_VERSION,
        dataset=accepted.dataset,
        file_format=accepted.file_format,
        source_path=obj.uri,
    )

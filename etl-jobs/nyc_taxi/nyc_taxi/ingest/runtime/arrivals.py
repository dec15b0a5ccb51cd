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

from nyc_taxi.audit.runtime.item import NO_VERSION, ObjectRef
from nyc_taxi.orchestration.runtime.execution_input import ExecutionInput

PREFIX = "nyc_taxi"
DATASETS: tuple[str, ...] = ("yellow_tripdata", "green_tripdata")
# Longest first, so `.csv.gz` wins over a shorter match.
FORMATS: tuple[tuple[str, str], ...] = ((".csv.gz", "csv.gz"), (".parquet", "parquet"), (".csv", "csv"))

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
class Accepted:
    dataset: str
    file_format: str


@dataclass(frozen=True)
class Rejected:
    reason: str


def read_message(record: dict[str, Any]) -> Arrival | Malformed:
    """Turn one SQS record carrying an EventBridge `Object Created` event into an `Arrival`."""
    message_id = str(record.get("messageId", "<no message id>"))
    body = record.get("body")
    excerpt = str(body)[:120]
    try:
        event = json.loads(body) if isinstance(body, str) else None
    except json.JSONDecodeError:
        return Malformed(message_id, "the message body is not JSON", excerpt)
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


def classify(obj: ObjectRef) -> Accepted | Rejected:
    """Accept `nyc_taxi/<dataset>/<file>` with a known dataset and format; say why anything else is not."""
    expected = f"expected {PREFIX}/<dataset>/<file> with dataset one of {', '.join(DATASETS)}"
    if obj.key.endswith("/"):
        return Rejected(f"folder marker {obj.key!r}, not a file")
    parts = obj.key.split("/")
    if len(parts) != 3 or parts[0] != PREFIX:
        return Rejected(f"unexpected key {obj.key!r}; {expected}")
    _, dataset, file_name = parts
    if dataset not in DATASETS:
        return Rejected(f"unknown dataset {dataset!r} in {obj.key!r}; {expected}")
    file_format = next((name for suffix, name in FORMATS if file_name.lower().endswith(suffix)), None)
    if file_format is None or file_name.lower() in {suffix for suffix, _ in FORMATS}:
        known = ", ".join(suffix for suffix, _ in FORMATS)
        return Rejected(f"unsupported file {file_name!r}; the file name must end with one of {known}")
    if obj.size_bytes == 0:
        return Rejected(f"empty object {obj.key!r} (0 bytes)")
    return Accepted(dataset=dataset, file_format=file_format)


def execution_name(obj: ObjectRef, dataset: str) -> str:
    """A Step Functions execution name for this object version: unique, stable, at most 80 characters.

    `<dataset>-<file stem>-<digest>`: only letters, digits, `-` and `_` (valid for Standard workflows
    and for CloudWatch logging), the digest of bucket/key/version making it unique per object version.
    """
    digest = hashlib.sha256(obj.object_id.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]
    stem = obj.key.rsplit("/", 1)[-1]
    for suffix, _ in FORMATS:
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

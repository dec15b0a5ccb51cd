"""The audit item: one DynamoDB item per raw object, shared by the trigger Lambda and the state machine.

Key: `object_id` = `s3://<bucket>/<key>#<version id>` (the claim: a conditional write on it makes a
duplicate delivery start nothing). The `by-status` index lists items by `status`, newest first.

Attributes (all optional except the key, `status` and `updated_at`):
- identity: `bucket`, `key`, `version_id`, `size_bytes`, `dataset`, `file_format`
- lifecycle: `status` (one of `Status`), `received_at`, `updated_at`, `history` (a list of
  `{status, at}` maps, appended on each transition)
- run: `execution_name`, `execution_arn`, `rows_read`, `rows_conformed`, `rows_quarantined`,
  `physical_schema` and `columns` (JSON text of the run report's lists: the columns the file stored with
  their types as stored, and what was done with each: kept, cast, renamed, missing, extra)
- failure: `reason` (why an object was REJECTED), `failed_state`, `error`, `cause` (FAILED)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TABLE_PARTITION_KEY = "object_id"
STATUS_INDEX_NAME = "by-status"
STATUS_INDEX_PARTITION_KEY = "status"
STATUS_INDEX_SORT_KEY = "updated_at"
NO_VERSION = "null"  # what S3 calls the version of an object written while versioning was off


class Status(StrEnum):
    RECEIVED = "RECEIVED"  # claimed by the trigger Lambda, execution being started
    RUNNING = "RUNNING"  # the state machine has started the Glue jobs
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"  # not a file this job family processes; no execution


TERMINAL_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED, Status.REJECTED})


class Attr(StrEnum):
    """Attribute names of the audit item (the state machine uses the same names)."""

    OBJECT_ID = TABLE_PARTITION_KEY
    STATUS = STATUS_INDEX_PARTITION_KEY
    UPDATED_AT = STATUS_INDEX_SORT_KEY
    RECEIVED_AT = "received_at"
    HISTORY = "history"
    BUCKET = "bucket"
    KEY = "key"
    VERSION_ID = "version_id"
    SIZE_BYTES = "size_bytes"
    DATASET = "dataset"
    FILE_FORMAT = "file_format"
    EXECUTION_NAME = "execution_name"
    EXECUTION_ARN = "execution_arn"
    ROWS_READ = "rows_read"
    ROWS_CONFORMED = "rows_conformed"
    ROWS_QUARANTINED = "rows_quarantined"
    PHYSICAL_SCHEMA = "physical_schema"
    COLUMNS = "columns"
    REASON = "reason"
    FAILED_STATE = "failed_state"
    ERROR = "error"
    CAUSE = "cause"


DELIVERY = "delivery"  # the "version" of a delivery's audit key: a delivery is claimed once


def object_id(bucket: str, key: str, version_id: str | None) -> str:
    """The audit key of one object version."""
    return f"s3://{bucket}/{key}#{version_id or NO_VERSION}"


def delivery_object_id(bucket: str, prefix: str) -> str:
    """The audit key of one delivery (`<family>/<deliveries folder>/<delivery id>/`), whatever its
    objects' versions: a delivery is processed once, by whichever event or schedule claims it first."""
    return f"s3://{bucket}/{prefix.rstrip('/')}/#{DELIVERY}"


@dataclass(frozen=True, kw_only=True)
class ObjectRef:
    """One S3 object version, as the trigger Lambda saw it arrive."""

    bucket: str
    key: str
    version_id: str | None
    size_bytes: int | None

    @property
    def object_id(self) -> str:
        return object_id(self.bucket, self.key, self.version_id)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def history_entry(status: Status, at: str) -> dict[str, Any]:
    """One element of `history`, in DynamoDB's attribute-value form."""
    return {"M": {"status": {"S": status.value}, "at": {"S": at}}}


def _identity(obj: ObjectRef) -> dict[str, Any]:
    item: dict[str, Any] = {
        Attr.OBJECT_ID.value: {"S": obj.object_id},
        Attr.BUCKET.value: {"S": obj.bucket},
        Attr.KEY.value: {"S": obj.key},
        Attr.VERSION_ID.value: {"S": obj.version_id or NO_VERSION},
    }
    if obj.size_bytes is not None:
        item[Attr.SIZE_BYTES.value] = {"N": str(obj.size_bytes)}
    return item


def received_item(
    obj: ObjectRef, *, dataset: str, file_format: str, execution_name: str, at: str
) -> dict[str, Any]:
    """The claim the trigger Lambda writes before it starts the execution."""
    return {
        **_identity(obj),
        Attr.STATUS.value: {"S": Status.RECEIVED.value},
        Attr.DATASET.value: {"S": dataset},
        Attr.FILE_FORMAT.value: {"S": file_format},
        Attr.EXECUTION_NAME.value: {"S": execution_name},
        Attr.RECEIVED_AT.value: {"S": at},
        Attr.UPDATED_AT.value: {"S": at},
        Attr.HISTORY.value: {"L": [history_entry(Status.RECEIVED, at)]},
    }


def rejected_item(obj: ObjectRef, *, reason: str, at: str) -> dict[str, Any]:
    """The item of an object this job family does not process."""
    return {
        **_identity(obj),
        Attr.STATUS.value: {"S": Status.REJECTED.value},
        Attr.REASON.value: {"S": reason},
        Attr.RECEIVED_AT.value: {"S": at},
        Attr.UPDATED_AT.value: {"S": at},
        Attr.HISTORY.value: {"L": [history_entry(Status.REJECTED, at)]},
    }


def malformed_item(message_id: str, *, reason: str, body_excerpt: str, at: str) -> dict[str, Any]:
    """The item of a queue message that names no S3 object (keyed by the SQS message id)."""
    return {
        Attr.OBJECT_ID.value: {"S": f"malformed-message#{message_id}"},
        Attr.STATUS.value: {"S": Status.REJECTED.value},
        Attr.REASON.value: {"S": f"{reason}; message body starts with {body_excerpt!r}"},
        Attr.RECEIVED_AT.value: {"S": at},
        Attr.UPDATED_AT.value: {"S": at},
        Attr.HISTORY.value: {"L": [history_entry(Status.REJECTED, at)]},
    }

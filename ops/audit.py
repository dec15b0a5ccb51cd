"""The audit transitions the operator commands write, as DynamoDB requests (pure).

The item is the framework's (`job_family.audit.runtime.item`); the commands add:

- **reprocess** re-opens the same item (one item per object version, or per delivery, stays the
  record of that subject): status RECEIVED, `execution_name` the new attempt's name,
  `reprocess_count` its number, `reprocessed_at` now, and a history entry
  `{status: RECEIVED, at, reprocessed_at, execution_name, by, previous_status[, previous_error]}`.
  The last outcome's fields (`failed_state`, `error`, `cause`, `reason`, row counts, `execution_arn`)
  are removed so the item never mixes two runs; the state machine then writes RUNNING and the outcome
  as for any run. The write is conditional on the status and `updated_at` it was planned from, so two
  operators (or the state machine) never interleave.
- **erase** sets status ERASED with `erased_at` and `erased_by`, and a history entry
  `{status: ERASED, at, by}`; the item is kept as the record of the erasure.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from job_family.audit.runtime.item import Attr, Status

ERASED = "ERASED"
IN_FLIGHT = frozenset({Status.RECEIVED.value, Status.RUNNING.value})
REPROCESSABLE = frozenset({Status.SUCCEEDED.value, Status.FAILED.value, Status.REJECTED.value})
STATUSES: tuple[str, ...] = (*(status.value for status in Status), ERASED)

REPROCESS_COUNT = "reprocess_count"
REPROCESSED_AT = "reprocessed_at"
ERASED_AT = "erased_at"
ERASED_BY = "erased_by"
_CLEARED_ON_REOPEN: tuple[str, ...] = (
    Attr.FAILED_STATE.value,
    Attr.ERROR.value,
    Attr.CAUSE.value,
    Attr.REASON.value,
    Attr.ROWS_READ.value,
    Attr.ROWS_CONFORMED.value,
    Attr.ROWS_QUARANTINED.value,
    Attr.EXECUTION_ARN.value,
)
_DESERIALIZER = TypeDeserializer()


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item in plain Python values (numbers as int or float)."""
    return {name: _plain(_DESERIALIZER.deserialize(value)) for name, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def key(object_id: str) -> dict[str, Any]:
    return {Attr.OBJECT_ID.value: _s(object_id)}


def history_executions(item: Mapping[str, Any]) -> list[str]:
    """Every execution name the (plain) item names: in its history (each reprocess records the new and
    the previous name), its current `execution_name`, and the execution its `execution_arn` points at."""
    names: list[str] = []
    arns: list[str] = []
    for entry in item.get(Attr.HISTORY.value, []):
        names += [
            str(entry[name]) for name in ("previous_execution_name", "execution_name") if entry.get(name)
        ]
        arns += [str(entry["previous_execution_arn"])] if entry.get("previous_execution_arn") else []
    names += [str(item[Attr.EXECUTION_NAME.value])] if item.get(Attr.EXECUTION_NAME.value) else []
    arns += [str(item[Attr.EXECUTION_ARN.value])] if item.get(Attr.EXECUTION_ARN.value) else []
    names += [arn.rsplit(":", 1)[-1] for arn in arns if arn.count(":") >= 7]
    return list(dict.fromkeys(names))


def reopen_request(
    table: str,
    item: Mapping[str, Any],
    *,
    execution_name: str,
    attempt: int,
    dataset: str,
    file_format: str,
    at: str,
    by: str,
) -> dict[str, Any]:
    """The `update_item` that re-opens a (plain) item for reprocess `attempt`."""
    previous_status = str(item[Attr.STATUS.value])
    entry: dict[str, Any] = {
        "status": _s(Status.RECEIVED.value),
        "at": _s(at),
        REPROCESSED_AT: _s(at),
        "execution_name": _s(execution_name),
        "by": _s(by),
        "previous_status": _s(previous_status),
    }
    if item.get(Attr.EXECUTION_NAME.value):
        entry["previous_execution_name"] = _s(str(item[Attr.EXECUTION_NAME.value]))
    if item.get(Attr.EXECUTION_ARN.value):
        entry["previous_execution_arn"] = _s(str(item[Attr.EXECUTION_ARN.value]))
    previous_error = item.get(Attr.ERROR.value) or item.get(Attr.REASON.value)
    if previous_error:
        entry["previous_error"] = _s(str(previous_error)[:1000])
    names = {
        "#status": Attr.STATUS.value,
        "#updated": Attr.UPDATED_AT.value,
        "#history": Attr.HISTORY.value,
        "#name": Attr.EXECUTION_NAME.value,
        "#count": REPROCESS_COUNT,
        "#reprocessed": REPROCESSED_AT,
        "#dataset": Attr.DATASET.value,
        "#format": Attr.FILE_FORMAT.value,
    }
    removed = [f"#c{index}" for index in range(len(_CLEARED_ON_REOPEN))]
    names |= dict(zip(removed, _CLEARED_ON_REOPEN, strict=True))
    values: dict[str, Any] = {
        ":received": _s(Status.RECEIVED.value),
        ":now": _s(at),
        ":none": {"L": []},
        ":entry": {"L": [{"M": entry}]},
        ":name": _s(execution_name),
        ":count": {"N": str(attempt)},
        ":dataset": _s(dataset),
        ":format": _s(file_format),
        ":seen_status": _s(previous_status),
        ":seen_updated": _s(str(item[Attr.UPDATED_AT.value])),
    }
    return {
        "TableName": table,
        "Key": key(str(item[Attr.OBJECT_ID.value])),
        "UpdateExpression": (
            "SET #status = :received, #updated = :now, #reprocessed = :now, #name = :name, #count = :count, "
            "#dataset = :dataset, #format = :format, "
            "#history = list_append(if_not_exists(#history, :none), :entry) REMOVE " + ", ".join(removed)
        ),
        "ConditionExpression": "#status = :seen_status AND #updated = :seen_updated",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def erased_request(table: str, object_id: str, *, at: str, by: str) -> dict[str, Any]:
    """The `update_item` that marks an item ERASED (the item must exist)."""
    entry = {"status": _s(ERASED), "at": _s(at), "by": _s(by)}
    return {
        "TableName": table,
        "Key": key(object_id),
        "UpdateExpression": (
            "SET #status = :erased, #updated = :now, #erased_at = :now, #erased_by = :by, "
            "#history = list_append(if_not_exists(#history, :none), :entry)"
        ),
        "ConditionExpression": "attribute_exists(#id)",
        "ExpressionAttributeNames": {
            "#status": Attr.STATUS.value,
            "#updated": Attr.UPDATED_AT.value,
            "#erased_at": ERASED_AT,
            "#erased_by": ERASED_BY,
            "#history": Attr.HISTORY.value,
            "#id": Attr.OBJECT_ID.value,
        },
        "ExpressionAttributeValues": {
            ":erased": _s(ERASED),
            ":now": _s(at),
            ":by": _s(by),
            ":none": {"L": []},
            ":entry": {"L": [{"M": entry}]},
        },
    }


def update_item_cli(request: Mapping[str, Any]) -> list[str]:
    """The `aws dynamodb update-item` arguments of an update request (for dry runs)."""
    from ops.shell import as_json

    arguments = [
        "--table-name",
        str(request["TableName"]),
        "--key",
        as_json(request["Key"]),
        "--update-expression",
        str(request["UpdateExpression"]),
    ]
    if "ConditionExpression" in request:
        arguments += ["--condition-expression", str(request["ConditionExpression"])]
    arguments += [
        "--expression-attribute-names",
        as_json(request["ExpressionAttributeNames"]),
        "--expression-attribute-values",
        as_json(request["ExpressionAttributeValues"]),
    ]
    return arguments

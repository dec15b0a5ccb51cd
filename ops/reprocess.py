"""`make reprocess`: run objects (or deliveries) through the family's state machine again, at a bounded rate.

Which: `KEY=`, `KEYS=k1,k2` (keys below the family's raw prefix; for a family triggered per delivery, a
delivery folder `<family>/<deliveries>/<id>/`), or `SINCE=yyyy-mm-dd` (every object, or every delivery
with a file, last modified in the raw bucket on or after that day, UTC: also arrivals whose queue
message was lost). Each is validated with the deployed trigger's own key layout and run with the
execution input the trigger builds (`ExecutionInput`), on the current version of the object.

Each start re-opens the subject's audit item (see `ops.audit`: status RECEIVED, `reprocessed_at`,
a history entry) and names the execution `<trigger's name>-r<attempt>` (`ops.names`), never the same
twice; an object no run has seen yet is claimed as the trigger would claim it, under the trigger's
own name, so its queued event later starts nothing. A subject whose run is still RUNNING is skipped.

The rate: before each start, wait while `limit` executions of the state machine are RUNNING (`limit` is
the smallest `max_concurrent_runs` of the family's Glue jobs as deployed, or `--max-concurrent` if
lower), and leave `--interval-s` between starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from job_family.audit.runtime.item import (
    DELIVERY,
    NO_VERSION,
    Attr,
    ObjectRef,
    Status,
    history_entry,
    received_item,
)
from job_family.ingest.runtime import deliveries
from job_family.ingest.runtime.arrivals import Rejected, classify, execution_input, execution_name
from job_family.ingest.runtime.handler import timestamp
from job_family.ingest.runtime.layout import ArrivalLayout
from ops import audit, deployed, names, shell
from ops.aws import Aws, error_code
from ops.errors import RefusedError
from ops.stack import FamilyStack
from ops.target import Target
from ops.throttle import Throttle

MAX_NAME_CONFLICTS = 5


@dataclass(frozen=True)
class Subject:
    """What one reprocess runs: an object version or a delivery, with the trigger's name and input."""

    ref: ObjectRef
    dataset: str
    file_format: str
    base_name: str
    input_json: str

    @property
    def object_id(self) -> str:
        return self.ref.object_id

    @property
    def label(self) -> str:
        version = "" if self.ref.version_id in (None, DELIVERY) else f" (version {self.ref.version_id})"
        return f"{self.ref.key}{version}"


@dataclass(frozen=True)
class Skip:
    key: str
    reason: str


@dataclass(frozen=True)
class Start:
    subject: Subject
    attempt: int
    name: str
    item: dict[str, Any] | None  # the audit item as planned from (None: no run has seen the subject)

    @property
    def previous(self) -> str:
        return str(self.item[Attr.STATUS.value]) if self.item else "never run"


# -- pure ------------------------------------------------------------------------------------


def parse_since(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RefusedError(f"SINCE={text!r} is not a date; use yyyy-mm-dd, e.g. SINCE=2026-01-31") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def split_keys(key: str | None, keys: str | None, since: str | None) -> list[str]:
    """The keys of KEY= or KEYS= (exactly one of KEY, KEYS, SINCE must be given)."""
    given = [name for name, value in (("KEY", key), ("KEYS", keys), ("SINCE", since)) if value]
    if len(given) != 1:
        raise RefusedError(
            "give exactly one of KEY=<key>, KEYS=<k1,k2,...> or SINCE=<yyyy-mm-dd>"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if key:
        return [key]
    if keys:
        return list(dict.fromkeys(part.strip() for part in keys.split(",") if part.strip()))
    return []


def delivery_folder(key: str, layout: ArrivalLayout) -> str | None:
    """The delivery folder a key names (the folder itself, or a file in it), or None."""
    root = deliveries.deliveries_root(layout)
    if not key.startswith(root):
        return None
    delivery_id = key[len(root) :].split("/", 1)[0]
    return f"{root}{delivery_id}/" if delivery_id else None


def object_subject(obj: ObjectRef, layout: ArrivalLayout) -> Subject | Skip:
    verdict = classify(obj, layout)
    if isinstance(verdict, Rejected):
        return Skip(obj.key, f"the trigger rejects it: {verdict.reason}")
    return Subject(
        ref=obj,
        dataset=verdict.dataset,
        file_format=verdict.file_format,
        base_name=execution_name(obj, verdict.dataset, layout.all_suffixes()),
        input_json=execution_input(obj, verdict).to_json(),
    )


def delivery_subject(
    bucket: str, folder: str, file_names: Sequence[str], layout: ArrivalLayout
) -> Subject | Skip:
    missing = deliveries.missing_datasets(file_names, layout)
    if missing:
        return Skip(folder, f"the delivery is not complete: no file for {', '.join(missing)}")
    ref = deliveries.delivery_ref(bucket, folder)
    return Subject(
        ref=ref,
        dataset=DELIVERY,
        file_format=DELIVERY,
        base_name=deliveries.delivery_execution_name(ref),
        input_json=deliveries.delivery_input(ref).to_json(),
    )


def decide(subject: Subject, item: dict[str, Any] | None, *, execution_status: str | None) -> Start | Skip:
    """Start the next attempt, or say why not. `execution_status` is the status of the execution the
    item names (None when it does not exist), looked up only for an item RECEIVED or RUNNING."""
    if item is None:
        return Start(subject, 0, names.attempt_name(subject.base_name, 0), None)
    status = str(item.get(Attr.STATUS.value))
    if status == audit.ERASED:
        return Skip(subject.ref.key, f"erased at {item.get(audit.ERASED_AT, '?')}; nothing to reprocess")
    if status in audit.IN_FLIGHT and execution_status == "RUNNING":
        return Skip(
            subject.ref.key,
            f"its run {item.get(Attr.EXECUTION_NAME.value)} is still RUNNING; wait for it (make status)",
        )
    if status not in audit.REPROCESSABLE and status not in audit.IN_FLIGHT:
        return Skip(subject.ref.key, f"audit status {status} is not one reprocess re-opens")
    attempt = (
        max([int(item.get(audit.REPROCESS_COUNT, 0)), *names.attempts_in(audit.history_executions(item))]) + 1
    )
    return Start(subject, attempt, names.attempt_name(subject.base_name, attempt), item)


def claim_request(table: str, start: Start, *, at: str, by: str) -> dict[str, Any]:
    """The conditional `put_item` claiming a subject no run has seen (as the trigger's claim)."""
    item = received_item(
        start.subject.ref,
        dataset=start.subject.dataset,
        file_format=start.subject.file_format,
        execution_name=start.name,
        at=at,
    )
    entry = history_entry(Status.RECEIVED, at)
    entry["M"] |= {audit.REPROCESSED_AT: {"S": at}, "execution_name": {"S": start.name}, "by": {"S": by}}
    item[Attr.HISTORY.value] = {"L": [entry]}
    item[audit.REPROCESSED_AT] = {"S": at}
    item[audit.REPROCESS_COUNT] = {"N": "0"}
    return {
        "TableName": table,
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#id)",
        "ExpressionAttributeNames": {"#id": Attr.OBJECT_ID.value},
    }


def audit_request(table: str, start: Start, *, at: str, by: str) -> tuple[str, dict[str, Any]]:
    """("put_item" | "update_item", request) writing the start's audit transition."""
    if start.item is None:
        return "put_item", claim_request(table, start, at=at, by=by)
    return "update_item", audit.reopen_request(
        table,
        start.item,
        execution_name=start.name,
        attempt=start.attempt,
        dataset=start.subject.dataset,
        file_format=start.subject.file_format,
        at=at,
        by=by,
    )


def plan_commands(
    target: Target, stack: FamilyStack, plan: Sequence[Start | Skip], *, limit: int, at: str, by: str
) -> str:
    """The dry run: the audit write and start-execution of each start, in order, as one block."""
    starts = [step for step in plan if isinstance(step, Start)]
    running = shell.aws(
        target,
        "stepfunctions",
        "list-executions",
        "--state-machine-arn",
        stack.state_machine_arn,
        "--status-filter",
        "RUNNING",
        "--query",
        "length(executions)",
    )
    comments = [
        f"reprocess {len(starts)} of {len(plan)} subject(s) of {target.describe()}, stack {stack.name}",
        f"at most {limit} executions RUNNING at a time: before each start-execution, wait until this prints less than {limit}:",
        f"  {running}",
    ]
    lines: list[str] = []
    for step in plan:
        if isinstance(step, Skip):
            lines.append(f"# skipped {step.key}: {step.reason}")
            continue
        operation, request = audit_request(stack.audit_table, step, at=at, by=by)
        lines.append(f"# {step.subject.label}: {step.previous} -> RECEIVED, attempt {step.attempt}")
        if operation == "put_item":
            arguments = [
                "--table-name",
                request["TableName"],
                "--item",
                shell.as_json(request["Item"]),
                "--condition-expression",
                request["ConditionExpression"],
                "--expression-attribute-names",
                shell.as_json(request["ExpressionAttributeNames"]),
            ]
            lines.append(shell.aws(target, "dynamodb", "put-item", *arguments))
        else:
            lines.append(shell.aws(target, "dynamodb", "update-item", *audit.update_item_cli(request)))
        lines.append(
            shell.aws(
                target,
                "stepfunctions",
                "start-execution",
                "--state-machine-arn",
                stack.state_machine_arn,
                "--name",
                step.name,
                "--input",
                step.subject.input_json,
            )
        )
    return shell.block(comments, lines)


# -- reading ---------------------------------------------------------------------------------


def _current_version(aws: Aws, bucket: str, key: str) -> ObjectRef | None:
    try:
        head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return ObjectRef(
        bucket=bucket,
        key=key,
        version_id=str(head.get("VersionId") or NO_VERSION),
        size_bytes=int(head.get("ContentLength", 0)),
    )


def _listing(aws: Aws, bucket: str, prefix: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        entries += page.get("Contents", [])
    return entries


def subjects(
    aws: Aws, stack: FamilyStack, layout: ArrivalLayout, *, keys: Sequence[str], since: datetime | None
) -> list[Subject | Skip]:
    """The subjects of KEY/KEYS (each checked) or SINCE (found in the raw bucket)."""
    bucket = stack.raw_bucket
    found: list[Subject | Skip] = []
    if stack.per_delivery:
        if since is not None:
            folders: dict[str, bool] = {}
            for entry in _listing(aws, bucket, deliveries.deliveries_root(layout)):
                folder = delivery_folder(str(entry["Key"]), layout)
                if folder:
                    folders[folder] = folders.get(folder, False) or entry["LastModified"] >= since
            wanted = [folder for folder, recent in folders.items() if recent]
        else:
            wanted = []
            for key in keys:
                folder = delivery_folder(key, layout)
                if folder is None:
                    raise RefusedError(
                        f"{key!r} is no delivery of {stack.family}; give its folder, "
                        f"{deliveries.deliveries_root(layout)}<delivery id>/"
                    )
                wanted.append(folder)
        for folder in dict.fromkeys(wanted):
            files = [str(entry["Key"])[len(folder) :] for entry in _listing(aws, bucket, folder)]
            files = [name for name in files if name and "/" not in name]
            if not files:
                found.append(Skip(folder, "no file in the raw bucket"))
                continue
            found.append(delivery_subject(bucket, folder, files, layout))
        return found
    if since is not None:
        keys = [
            str(entry["Key"])
            for entry in _listing(aws, bucket, stack.raw_prefix)
            if entry["LastModified"] >= since and not str(entry["Key"]).endswith("/")
        ]
    for key in keys:
        if not key.startswith(stack.raw_prefix):
            raise RefusedError(f"{key!r} is not below {stack.family}'s raw prefix {stack.raw_prefix}")
        obj = _current_version(aws, bucket, key)
        if obj is None:
            found.append(Skip(key, f"no object s3://{bucket}/{key}"))
            continue
        found.append(object_subject(obj, layout))
    return found


def read_item(aws: Aws, table: str, object_id: str) -> dict[str, Any] | None:
    response = aws.client("dynamodb").get_item(TableName=table, Key=audit.key(object_id), ConsistentRead=True)
    return audit.plain(response["Item"]) if "Item" in response else None


def execution_status(aws: Aws, stack: FamilyStack, item: dict[str, Any]) -> str | None:
    name = item.get(Attr.EXECUTION_NAME.value)
    if not name:
        return None
    try:
        described = aws.client("stepfunctions").describe_execution(
            executionArn=names.execution_arn(stack.state_machine_arn, str(name))
        )
    except ClientError as error:
        if error_code(error) in {"ExecutionDoesNotExist", "ResourceNotFound"}:
            return None
        raise
    return str(described["status"])


def plan(aws: Aws, stack: FamilyStack, found: Sequence[Subject | Skip]) -> list[Start | Skip]:
    steps: list[Start | Skip] = []
    for subject in found:
        if isinstance(subject, Skip):
            steps.append(subject)
            continue
        item = read_item(aws, stack.audit_table, subject.object_id)
        status = None
        if item is not None and str(item.get(Attr.STATUS.value)) in audit.IN_FLIGHT:
            status = execution_status(aws, stack, item)
        steps.append(decide(subject, item, execution_status=status))
    return steps


# -- acting ----------------------------------------------------------------------------------


def _write_and_start(
    aws: Aws, stack: FamilyStack, start: Start, *, by: str, now: Callable[[], datetime]
) -> Start | Skip:
    """Write the audit transition, then start the execution; a taken name moves to the next attempt."""
    dynamodb = aws.client("dynamodb")
    for _ in range(MAX_NAME_CONFLICTS):
        operation, request = audit_request(stack.audit_table, start, at=timestamp(now()), by=by)
        try:
            getattr(dynamodb, operation)(**request)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return Skip(
                start.subject.ref.key,
                "its audit item changed while planning (another run or operator); run again",
            )
        try:
            aws.client("stepfunctions").start_execution(
                stateMachineArn=stack.state_machine_arn, name=start.name, input=start.subject.input_json
            )
            return start
        except ClientError as error:
            if error_code(error) != "ExecutionAlreadyExists":
                raise
        item = read_item(aws, stack.audit_table, start.subject.object_id)
        start = Start(
            start.subject,
            start.attempt + 1,
            names.attempt_name(start.subject.base_name, start.attempt + 1),
            item,
        )
    return Skip(start.subject.ref.key, f"{MAX_NAME_CONFLICTS} execution names in a row were taken")


def run(
    aws: Aws,
    stack: FamilyStack,
    steps: Sequence[Start | Skip],
    *,
    throttle: Throttle,
    by: str,
    say: Callable[[str], None] = print,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[list[Start], list[Skip]]:
    started: list[Start] = []
    skipped: list[Skip] = []
    for step in steps:
        if isinstance(step, Skip):
            say(f"skipped {step.key}: {step.reason}")
            skipped.append(step)
            continue
        heard: list[int] = []

        def waiting(count: int, heard: list[int] = heard) -> None:
            if not heard:
                say(f"waiting: {count} execution(s) running, the limit is {throttle.limit}")
            heard.append(count)

        throttle.wait_for_slot(lambda: deployed.running_executions(aws, stack), on_wait=waiting)
        outcome = _write_and_start(aws, stack, step, by=by, now=now)
        throttle.started()
        if isinstance(outcome, Skip):
            say(f"skipped {outcome.key}: {outcome.reason}")
            skipped.append(outcome)
            continue
        say(
            f"started {outcome.name} for {outcome.subject.label} (attempt {outcome.attempt}, was {outcome.previous})"
        )
        started.append(outcome)
    return started, skipped

"""`make status`: recent runs by status (the audit table's `by-status` index, newest first), failures
with their cause, the queue and dead-letter queue depths, running executions against the limit, and
whether ingestion is paused.

`gather` reads (boto3); `render` and `commands` are pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from job_family.audit.runtime.item import STATUS_INDEX_NAME, Attr, Status
from job_family.outputs import Output
from ops import deployed, shell
from ops.audit import STATUSES, plain
from ops.aws import Aws
from ops.errors import RefusedError
from ops.stack import FamilyStack
from ops.target import Target

CAUSE_CHARACTERS = 400


@dataclass
class StatusReport:
    mapping: deployed.EventSourceMapping | None
    mapping_problem: str | None
    waiting: int
    in_flight: int
    dead_letters: int
    running: int
    limit: int | None
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # status -> newest first
    more: dict[str, bool] = field(default_factory=dict)  # status -> more than shown

    @property
    def paused(self) -> bool | None:
        return None if self.mapping is None else self.mapping.paused


def recent(aws: Aws, table: str, status: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The newest `limit` items of `status` (by `updated_at`), and whether there are more."""
    response = aws.client("dynamodb").query(
        TableName=table,
        IndexName=STATUS_INDEX_NAME,
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": Attr.STATUS.value},
        ExpressionAttributeValues={":s": {"S": status}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [plain(item) for item in response.get("Items", [])], "LastEvaluatedKey" in response


def gather(aws: Aws, stack: FamilyStack, *, limit: int = 10) -> StatusReport:
    try:
        mapping: deployed.EventSourceMapping | None = deployed.event_source_mapping(aws, stack)
        problem = None
    except RefusedError as error:
        mapping, problem = None, str(error)
    waiting, in_flight = deployed.queue_depth(aws, stack.queue_url)
    dead_letters = sum(deployed.queue_depth(aws, stack.dead_letter_queue_url))
    try:
        concurrency: int | None = deployed.concurrency_limit(aws, deployed.deployed_glue_tasks(aws, stack))
    except RefusedError:
        concurrency = None
    report = StatusReport(
        mapping=mapping,
        mapping_problem=problem,
        waiting=waiting,
        in_flight=in_flight,
        dead_letters=dead_letters,
        running=deployed.running_executions(aws, stack),
        limit=concurrency,
    )
    for status in STATUSES:
        report.items[status], report.more[status] = recent(aws, stack.audit_table, status, limit)
    return report


def _cause(text: str) -> str:
    """A Glue run's `ErrorMessage` when the cause is its JSON, else the text; shortened."""
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    if isinstance(parsed, dict) and parsed.get("ErrorMessage"):
        text = f"{parsed.get('JobName', 'Glue job')} run {parsed.get('Id', '?')}: {parsed['ErrorMessage']}"
    text = " ".join(str(text).split())
    return (
        text if len(text) <= CAUSE_CHARACTERS else text[:CAUSE_CHARACTERS] + f"... ({len(text)} characters)"
    )


def _subject(item: dict[str, Any]) -> str:
    return str(item.get(Attr.KEY.value) or item.get(Attr.OBJECT_ID.value, "?"))


def render(report: StatusReport, target: Target, stack: FamilyStack, *, limit: int) -> str:
    lines = [f"{target.describe()}: stack {stack.name}"]
    if report.mapping is None:
        lines.append(f"  ingestion    unknown: {report.mapping_problem}")
    elif report.mapping.paused:
        lines.append(
            f"  ingestion    PAUSED (event source mapping {report.mapping.uuid} {report.mapping.state}"
            f"{', since ' + report.mapping.last_modified if report.mapping.last_modified else ''}); "
            "arrivals wait in the queue (kept 4 days): make resume"
        )
    else:
        lines.append(
            f"  ingestion    running (event source mapping {report.mapping.uuid} {report.mapping.state})"
        )
    lines.append(f"  queue        {report.waiting} waiting, {report.in_flight} in flight")
    dlq_hint = "" if not report.dead_letters else ": see docs/operations.md, The dead-letter queue"
    lines.append(f"  dead letters {report.dead_letters}{dlq_hint}")
    limit_text = f" (limit {report.limit}: max_concurrent_runs of the Glue jobs)" if report.limit else ""
    lines.append(f"  executions   {report.running} running{limit_text}")
    lines.append(f"  runs by status, newest first (at most {limit} each):")
    for status in STATUSES:
        items = report.items.get(status, [])
        count = f"{len(items)}{'+' if report.more.get(status) else ''}"
        lines.append(f"    {status:<10} {count}")
        for item in items:
            at = item.get(Attr.UPDATED_AT.value, "")
            detail = ""
            if status == Status.SUCCEEDED.value and Attr.ROWS_READ.value in item:
                detail = (
                    f"  rows {item.get(Attr.ROWS_READ.value)} read, {item.get(Attr.ROWS_CONFORMED.value)} "
                    f"conformed, {item.get(Attr.ROWS_QUARANTINED.value)} quarantined"
                )
            elif status == Status.REJECTED.value:
                detail = f"  reason: {item.get(Attr.REASON.value, '')}"
            elif status == "ERASED":
                detail = f"  by {item.get('erased_by', '?')}"
            name = item.get(Attr.EXECUTION_NAME.value, "")
            lines.append(f"      {at}  {_subject(item)}{'  ' + name if name else ''}{detail}")
            if status == Status.FAILED.value:
                lines.append(
                    f"        failed_state {item.get(Attr.FAILED_STATE.value, '?')}  "
                    f"error {item.get(Attr.ERROR.value, '?')}"
                )
                lines.append(f"        cause {_cause(str(item.get(Attr.CAUSE.value, '')))}")
    return "\n".join(lines)


def commands(target: Target, *, limit: int = 10) -> str:
    """The AWS CLI reads `status` makes, as one block (no AWS call)."""
    index_query = [
        "--table-name",
        '"$AUDIT_TABLE"',
        "--index-name",
        STATUS_INDEX_NAME,
        "--key-condition-expression",
        "#s = :s",
        "--expression-attribute-names",
        shell.as_json({"#s": Attr.STATUS.value}),
        "--expression-attribute-values",
        '"{\\":s\\":{\\"S\\":\\"$status\\"}}"',
        "--no-scan-index-forward",
        "--max-items",
        str(limit),
    ]
    raw = ('"$AUDIT_TABLE"', '"{\\":s\\":{\\"S\\":\\"$status\\"}}"')
    return shell.block(
        [
            f"status of {target.describe()}, stack {target.stack_name}: reads only",
            "whether ingestion is paused: the trigger's event source mapping (Enabled = running, Disabled = paused)",
        ],
        [
            *shell.variables(
                target,
                [
                    ("FUNCTION", Output.TRIGGER_FUNCTION),
                    ("QUEUE_URL", Output.INGESTION_QUEUE),
                    ("DLQ_URL", Output.DEAD_LETTER_QUEUE),
                    ("AUDIT_TABLE", Output.AUDIT_TABLE),
                    ("STATE_MACHINE", Output.STATE_MACHINE),
                ],
            ),
            "QUEUE_ARN=$("
            + shell.aws(
                target,
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                '"$QUEUE_URL"',
                "--attribute-names",
                "QueueArn",
                "--query",
                "Attributes.QueueArn",
                "--output",
                "text",
                raw=('"$QUEUE_URL"',),
            )
            + ")",
            shell.aws(
                target,
                "lambda",
                "list-event-source-mappings",
                "--function-name",
                '"$FUNCTION"',
                "--event-source-arn",
                '"$QUEUE_ARN"',
                "--query",
                "EventSourceMappings[].[UUID,State,LastModified]",
                "--output",
                "text",
                raw=('"$FUNCTION"', '"$QUEUE_ARN"'),
            ),
            "# the queue (waiting, in flight) and the dead-letter queue",
            *(
                shell.aws(
                    target,
                    "sqs",
                    "get-queue-attributes",
                    "--queue-url",
                    url,
                    "--attribute-names",
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    raw=(url,),
                )
                for url in ('"$QUEUE_URL"', '"$DLQ_URL"')
            ),
            "# running executions",
            shell.aws(
                target,
                "stepfunctions",
                "list-executions",
                "--state-machine-arn",
                '"$STATE_MACHINE"',
                "--status-filter",
                "RUNNING",
                "--query",
                "length(executions)",
                raw=('"$STATE_MACHINE"',),
            ),
            f"# the newest {limit} audit items of each status (FAILED items carry failed_state, error, cause)",
            f"for status in {' '.join(STATUSES)}; do",
            "  " + shell.aws(target, "dynamodb", "query", *index_query, raw=raw),
            "done",
        ],
    )

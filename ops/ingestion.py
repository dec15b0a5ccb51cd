"""`make pause` / `make resume`: stop starting runs without losing arrivals, and start again.

Pausing **disables the trigger function's SQS event source mapping**. Lambda then stops polling the
ingestion queue: every arrival (S3 -> EventBridge -> SQS keeps working) waits on the queue, untouched,
its receive count unchanged, for up to the queue's retention (4 days); resuming enables the mapping
and the trigger processes each waiting arrival once (its claim in the audit table makes a duplicate
start nothing). Runs already started finish.

Not reserved concurrency 0: Lambda's poller ignores a function's reserved concurrency, keeps receiving
messages and gets throttled; each throttled receive counts against the queue's `max_receive_count`, so
paused arrivals would end in the dead-letter queue instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from job_family.outputs import Output
from ops import deployed, shell
from ops.aws import Aws, error_code
from ops.errors import RefusedError
from ops.stack import FamilyStack
from ops.target import Target

QUEUE_RETENTION_DAYS = 4  # job_family/ingest/infrastructure.py: the ingestion queue's retention
SETTLE_TIMEOUT_S = 120.0


def set_ingestion(
    aws: Aws,
    stack: FamilyStack,
    *,
    enabled: bool,
    say: Callable[[str], None] = print,
    poll_s: float = 2.0,
    timeout_s: float = SETTLE_TIMEOUT_S,
) -> deployed.EventSourceMapping:
    """Enable or disable the trigger's mapping and wait until Lambda reports it Enabled / Disabled."""
    wanted = "Enabled" if enabled else "Disabled"
    mapping = deployed.event_source_mapping(aws, stack)
    if mapping.state == wanted:
        say(f"already {'running' if enabled else 'paused'}: event source mapping {mapping.uuid} is {wanted}")
        return mapping
    lambda_ = aws.client("lambda")
    try:
        lambda_.update_event_source_mapping(UUID=mapping.uuid, Enabled=enabled)
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":
            raise
        raise RefusedError(
            f"event source mapping {mapping.uuid} is {mapping.state} (Lambda is still applying a change); "
            "run the command again in a minute"
        ) from None
    deadline = time.monotonic() + timeout_s
    while True:
        state = str(lambda_.get_event_source_mapping(UUID=mapping.uuid).get("State", "?"))
        if state == wanted:
            break
        if time.monotonic() > deadline:
            raise RefusedError(
                f"event source mapping {mapping.uuid} is still {state} after {timeout_s:.0f} s; "
                "check it with make status and run the command again"
            )
        time.sleep(poll_s)
    return deployed.EventSourceMapping(mapping.uuid, state, mapping.last_modified)


def pause(aws: Aws, stack: FamilyStack, say: Callable[[str], None] = print) -> None:
    mapping = set_ingestion(aws, stack, enabled=False, say=say)
    waiting, in_flight = deployed.queue_depth(aws, stack.queue_url)
    say(
        f"paused {stack.family}: event source mapping {mapping.uuid} {mapping.state}. Arrivals wait in the "
        f"ingestion queue ({waiting} waiting, {in_flight} in flight now) for up to {QUEUE_RETENTION_DAYS} "
        "days; running executions finish. Resume with make resume."
    )


def resume(aws: Aws, stack: FamilyStack, say: Callable[[str], None] = print) -> None:
    mapping = set_ingestion(aws, stack, enabled=True, say=say)
    waiting, _ = deployed.queue_depth(aws, stack.queue_url)
    say(
        f"resumed {stack.family}: event source mapping {mapping.uuid} {mapping.state}; the trigger processes "
        f"the {waiting} waiting arrival(s) once each (make status follows them)."
    )


def commands(target: Target, *, enabled: bool) -> str:
    """The AWS CLI lines of pause (`enabled=False`) or resume, as one block (no AWS call)."""
    verb = "resume" if enabled else "pause"
    why = (
        "enable the trigger's SQS event source mapping: the waiting arrivals are processed once each"
        if enabled
        else "disable the trigger's SQS event source mapping: arrivals wait in the queue "
        f"(kept {QUEUE_RETENTION_DAYS} days), running executions finish"
    )
    wanted = "Enabled" if enabled else "Disabled"
    return shell.block(
        [f"{verb} {target.describe()}, stack {target.stack_name}", why],
        [
            *shell.variables(
                target, [("FUNCTION", Output.TRIGGER_FUNCTION), ("QUEUE_URL", Output.INGESTION_QUEUE)]
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
            "MAPPING=$("
            + shell.aws(
                target,
                "lambda",
                "list-event-source-mappings",
                "--function-name",
                '"$FUNCTION"',
                "--event-source-arn",
                '"$QUEUE_ARN"',
                "--query",
                "EventSourceMappings[0].UUID",
                "--output",
                "text",
                raw=('"$FUNCTION"', '"$QUEUE_ARN"'),
            )
            + ")",
            shell.aws(
                target,
                "lambda",
                "update-event-source-mapping",
                "--uuid",
                '"$MAPPING"',
                "--enabled" if enabled else "--no-enabled",
                raw=('"$MAPPING"',),
            ),
            f"# then until it says {wanted}:",
            shell.aws(
                target,
                "lambda",
                "get-event-source-mapping",
                "--uuid",
                '"$MAPPING"',
                "--query",
                "State",
                "--output",
                "text",
                raw=('"$MAPPING"',),
            ),
        ],
    )

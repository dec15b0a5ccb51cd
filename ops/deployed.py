"""What a deployed family is made of, read from AWS (never from the repository's family code):

- the trigger's key layout (`FAMILY_LAYOUT` of the trigger function's configuration);
- the trigger's SQS event source mapping (whether ingestion is paused);
- the state machine's Glue tasks in order, their jobs and per-run arguments (`glue_tasks`, pure),
  and the jobs' `MaxConcurrentRuns` (the family's `max_concurrent_runs` setting as deployed);
- the catalog tables of the family's database; the Athena workgroup's result location.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from job_family.ingest.runtime.environment import FAMILY_LAYOUT
from job_family.ingest.runtime.layout import ArrivalLayout
from ops.aws import Aws
from ops.errors import RefusedError
from ops.stack import FamilyStack

GLUE_SYNC = ":states:::glue:startJobRun"
EXECUTION_NAME_PATH = "$$.Execution.Name"


# -- the trigger -------------------------------------------------------------------------------


def trigger_layout(aws: Aws, stack: FamilyStack) -> ArrivalLayout:
    """The key layout the deployed trigger function validates arrivals with."""
    configuration = aws.client("lambda").get_function_configuration(FunctionName=stack.trigger_function)
    environment = configuration.get("Environment") or {}
    text = (environment.get("Variables") or {}).get(FAMILY_LAYOUT)
    if not text:
        error = (environment.get("Error") or {}).get("Message", "")
        raise RefusedError(
            f"cannot read {FAMILY_LAYOUT} of the trigger function {stack.trigger_function}"
            + (f" ({error})" if error else "")
            + "; the command needs lambda:GetFunctionConfiguration and kms:Decrypt on the family key"
        )
    return ArrivalLayout.from_json(text)


@dataclass(frozen=True)
class EventSourceMapping:
    uuid: str
    state: str  # Enabled | Disabled | Enabling | Disabling | Creating | Updating | Deleting
    last_modified: str

    @property
    def paused(self) -> bool:
        return self.state in {"Disabled", "Disabling"}


def queue_arn(aws: Aws, queue_url: str) -> str:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def event_source_mapping(aws: Aws, stack: FamilyStack) -> EventSourceMapping:
    """The trigger function's mapping on the ingestion queue; RefusedError when there is none."""
    arn = queue_arn(aws, stack.queue_url)
    found = aws.client("lambda").list_event_source_mappings(
        FunctionName=stack.trigger_function, EventSourceArn=arn
    )["EventSourceMappings"]
    mappings = [m for m in found if m.get("EventSourceArn") == arn]
    if not mappings:
        raise RefusedError(
            f"the trigger function {stack.trigger_function} has no event source mapping on {arn}; "
            "redeploy the family (its stack creates it)"
        )
    mapping = mappings[0]
    return EventSourceMapping(
        uuid=str(mapping["UUID"]),
        state=str(mapping.get("State", "?")),
        last_modified=str(mapping.get("LastModified", "")),
    )


def queue_depth(aws: Aws, queue_url: str) -> tuple[int, int]:
    """(messages waiting, messages in flight) of a queue (approximate, as SQS counts them)."""
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


# -- the state machine ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GlueTask:
    """One Glue step of the state machine: its state, its job and its `Arguments` (flag -> value or
    JSONPath, the flag ending `.$` for a path)."""

    state: str
    job_name: str
    arguments: Mapping[str, str]

    def run_arguments(self, execution_input: Mapping[str, Any], execution_name: str) -> dict[str, str]:
        """The job run's arguments, as the state machine passes them for this input and name."""
        resolved: dict[str, str] = {}
        for flag, value in self.arguments.items():
            if not flag.endswith(".$"):
                resolved[flag] = value
            elif value == EXECUTION_NAME_PATH:
                resolved[flag[:-2]] = execution_name
            elif value.startswith("$.") and value[2:] in execution_input:
                resolved[flag[:-2]] = str(execution_input[value[2:]])
            else:
                raise RefusedError(
                    f"the Glue task {self.state} passes {flag} from {value}, which an operator command "
                    "cannot evaluate; run the step through the state machine instead"
                )
        return resolved


def glue_tasks(definition: str) -> list[GlueTask]:
    """The Glue tasks of an ASL definition, in the order the main path runs them (StartAt, Next, ...)."""
    document = json.loads(definition)
    states: Mapping[str, Any] = document.get("States", {})
    found: list[GlueTask] = []
    name: str | None = document.get("StartAt")
    seen: set[str] = set()
    while name and name not in seen:
        seen.add(name)
        state = states.get(name, {})
        if state.get("Type") == "Task" and GLUE_SYNC in str(state.get("Resource", "")):
            parameters = state.get("Parameters", {})
            found.append(
                GlueTask(
                    state=name,
                    job_name=str(parameters["JobName"]),
                    arguments={str(k): str(v) for k, v in (parameters.get("Arguments") or {}).items()},
                )
            )
        name = state.get("Next")
    return found


def deployed_glue_tasks(aws: Aws, stack: FamilyStack) -> list[GlueTask]:
    definition = aws.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)
    tasks = glue_tasks(str(definition["definition"]))
    if not tasks:
        raise RefusedError(f"the state machine {stack.state_machine_arn} runs no Glue job")
    return tasks


def concurrency_limit(aws: Aws, tasks: list[GlueTask]) -> int:
    """The smallest `MaxConcurrentRuns` of the family's Glue jobs (the `max_concurrent_runs` setting)."""
    glue = aws.client("glue")
    limits = [
        int(
            (glue.get_job(JobName=task.job_name)["Job"].get("ExecutionProperty") or {}).get(
                "MaxConcurrentRuns", 1
            )
        )
        for task in tasks
    ]
    return max(1, min(limits))


def running_executions(aws: Aws, stack: FamilyStack) -> int:
    """How many executions of the family's state machine are RUNNING."""
    pages = (
        aws.client("stepfunctions")
        .get_paginator("list_executions")
        .paginate(stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING")
    )
    return sum(len(page["executions"]) for page in pages)


# -- catalog and query results -----------------------------------------------------------------


@dataclass(frozen=True)
class CatalogTable:
    name: str
    location: str  # s3://bucket/prefix/ (with a trailing slash)
    partition_keys: tuple[str, ...]


def catalog_tables(aws: Aws, database: str) -> list[CatalogTable]:
    tables: list[CatalogTable] = []
    for page in aws.client("glue").get_paginator("get_tables").paginate(DatabaseName=database):
        for table in page["TableList"]:
            location = str(table.get("StorageDescriptor", {}).get("Location", ""))
            tables.append(
                CatalogTable(
                    name=str(table["Name"]),
                    location=location if location.endswith("/") else f"{location}/",
                    partition_keys=tuple(str(key["Name"]) for key in table.get("PartitionKeys", [])),
                )
            )
    return sorted(tables, key=lambda table: table.name)


def results_location(aws: Aws, workgroup: str) -> str | None:
    """The workgroup's enforced query result location (s3://bucket/prefix/), if it has one."""
    configuration = (
        aws.client("athena").get_work_group(WorkGroup=workgroup)["WorkGroup"].get("Configuration", {})
    )
    location = (configuration.get("ResultConfiguration") or {}).get("OutputLocation")
    return str(location) if location else None

"""Orchestration: the state machine that runs one arrival through the family's Glue steps, in order,
and keeps the audit item.

    MarkRunning -> <Step1> (.sync) -> <Step2> (.sync) ... -> ReadRunReport (of the counts step)
      -> MarkSucceeded (row counts, the physical schema read and what was done per column)
      -> NotifySucceeded -> Succeeded
    any error of those states -> <State>Failed (names the state) -> MarkFailed (state, error, cause)
      -> NotifyFailed -> Failed

Only integrations that moto's Step Functions interpreter also runs (glue:startJobRun.sync with a
result selector, dynamodb:updateItem, sns:publish, aws-sdk:s3:getObject), so local mode executes this
same definition. Glue tasks retry with backoff on throttling and concurrent-run limits.

With the FLEX execution class a Glue task also retries when Glue refuses to start a run for want of
capacity (`FLEX_RETRY_ERRORS`), and the execution may last each step's job timeout plus Glue's
up-to-20-minute wait for Flex capacity (`FamilySettings.step_wait_min`): a run's timeout counts only the
time it holds workers. The Glue tasks carry no timeout of their own (CDK turns a task timeout of
`GlueStartJobRun` into the run's `Timeout` argument, which would override the job's) and no heartbeat
(a `.sync` Glue task receives none, so one would fail healthy runs). A Flex run that Glue fails after
its wait (no capacity at the forced start) ends FAILED like any failed run: Step Functions reports
`States.TaskFailed`, which is not retried (that would re-run genuine failures too); it is audited,
notified and re-driven as in docs/operations.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from job_family.audit.runtime.item import Attr, Status
from job_family.glue.locations import report_key_format, zone_prefix
from job_family.orchestration.runtime.execution_input import path
from job_family.settings import ExecutionClass
from job_family.spec import FamilySpec, StepSpec, Zone

# Where each per-run job argument comes from in the state machine.
PER_RUN_SOURCES: dict[str, str] = {
    "source_path": path("source_path"),
    "dataset": path("dataset"),
    "run_id": "$$.Execution.Name",
}
GLUE_RETRY_ERRORS: tuple[str, ...] = (
    "Glue.ConcurrentRunsExceededException",
    "Glue.ThrottlingException",
    "Glue.InternalServiceException",
    "Glue.OperationTimeoutException",
)
# StartJobRun's answer when the account's concurrent DPU use is at its quota: a Flex run, started on
# spare capacity, meets it more often; it is transient, so retried like the concurrent-run limit.
FLEX_RETRY_ERRORS: tuple[str, ...] = ("Glue.ResourceNumberLimitExceededException",)
SERVICE_RETRY_ERRORS: tuple[str, ...] = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
    "SNS.ThrottledException",
    "SNS.InternalErrorException",
    "S3.SdkClientException",
    "States.Timeout",
)
REPORT_COUNTS: tuple[Attr, ...] = (Attr.ROWS_READ, Attr.ROWS_CONFORMED, Attr.ROWS_QUARANTINED)
# What was read: the counts step's report lists (stored as their JSON text on the audit item).
REPORT_SCHEMA: tuple[Attr, ...] = (Attr.PHYSICAL_SCHEMA, Attr.COLUMNS)


def failure_error(spec: FamilySpec) -> str:
    """The error name of a failed run, e.g. `NycTaxiRunFailed`."""
    return f"{spec.pascal_name}RunFailed"


def glue_arguments(step: StepSpec) -> dict[str, str]:
    """`--<name>` -> JSONPath for every per-run argument of `step`."""
    unknown = [name for name in step.per_run if name not in PER_RUN_SOURCES]
    if unknown:
        raise KeyError(
            f"the state machine has no source for per-run argument(s) {', '.join(unknown)} of step "
            f"{step.name}; per-run arguments are {', '.join(PER_RUN_SOURCES)}"
        )
    return {f"--{name}": PER_RUN_SOURCES[name] for name in step.per_run}


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Backoff of the Glue tasks on throttling and concurrent-run limits."""

    interval_s: int = 30
    backoff_rate: float = 2.0
    max_attempts: int = 6
    max_delay_s: int = 600


class Orchestration(Construct):
    """A Standard state machine with logging (ALL, to an encrypted log group) and X-Ray tracing."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FamilySpec,
        jobs: dict[str, glue.IJob],
        audit_table: dynamodb.ITable,
        topic: sns.ITopic,
        report_bucket: s3.IBucket,
        key: kms.IKey,
        timeout: cdk.Duration,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        glue_retry: RetryPolicy = RetryPolicy(),
        execution_class: ExecutionClass = ExecutionClass.STANDARD,
    ) -> None:
        """`timeout` bounds the whole execution; `execution_class` is the jobs' (FLEX adds
        `FLEX_RETRY_ERRORS` to the Glue tasks' retry)."""
        super().__init__(scope, construct_id)
        self._spec = spec
        self._table = audit_table
        self._topic = topic
        self._glue_retry = glue_retry
        self._glue_retry_errors = GLUE_RETRY_ERRORS + (
            FLEX_RETRY_ERRORS if execution_class == ExecutionClass.FLEX else ()
        )

        mark_failed = self._mark(
            "MarkFailed",
            Status.FAILED,
            extra={
                Attr.FAILED_STATE: tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.string_at("$.failed_state")
                ),
                Attr.ERROR: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.error.Error")),
                Attr.CAUSE: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.error.Cause")),
            },
        )
        mark_failed.next(
            self._notify(
                "NotifyFailed",
                Status.FAILED,
                details={
                    "failed_state": sfn.JsonPath.string_at("$.failed_state"),
                    "error": sfn.JsonPath.string_at("$.error.Error"),
                    "cause": sfn.JsonPath.string_at("$.error.Cause"),
                },
            )
        ).next(
            sfn.Fail(
                self,
                "Failed",
                error=failure_error(spec),
                cause=f"A step of the {spec.name} run failed; see the audit item and the failure notification",
            )
        )

        mark_running = self._mark(
            "MarkRunning",
            Status.RUNNING,
            extra={Attr.EXECUTION_ARN: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.execution_id)},
        )
        glue_tasks = [self._glue_task(step, jobs[step.name]) for step in spec.steps]
        read_report = tasks.CallAwsService(
            self,
            "ReadRunReport",
            service="s3",
            action="getObject",
            parameters={
                "Bucket": report_bucket.bucket_name,
                "Key": sfn.JsonPath.format(
                    report_key_format(spec.name, spec.report_step.name), sfn.JsonPath.execution_name
                ),
            },
            iam_resources=[report_bucket.arn_for_objects(f"{zone_prefix(spec.name, Zone.REPORTS)}*")],
            result_selector={"report": sfn.JsonPath.string_to_json(sfn.JsonPath.string_at("$.Body"))},
            result_path="$.run_report",
        )
        read_report.add_retry(errors=list(SERVICE_RETRY_ERRORS), max_attempts=3, backoff_rate=2)
        mark_succeeded = self._mark(
            "MarkSucceeded",
            Status.SUCCEEDED,
            extra={
                count: tasks.DynamoAttributeValue.number_from_string(
                    sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(f"$.run_report.report.{count.value}"))
                )
                for count in REPORT_COUNTS
            }
            | {
                key: tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(f"$.run_report.report.{key.value}"))
                )
                for key in REPORT_SCHEMA
            },
        )
        notify_succeeded = self._notify(
            "NotifySucceeded",
            Status.SUCCEEDED,
            details={
                count.value: sfn.JsonPath.number_at(f"$.run_report.report.{count.value}")
                for count in REPORT_COUNTS
            },
        )

        for state in (mark_running, *glue_tasks, read_report, mark_succeeded):
            record_state = sfn.Pass(
                self,
                f"{state.node.id}Failed",
                result=sfn.Result.from_string(state.node.id),
                result_path="$.failed_state",
            )
            state.add_catch(record_state.next(mark_failed), errors=[sfn.Errors.ALL], result_path="$.error")

        chain = sfn.Chain.start(mark_running)
        for task in glue_tasks:
            chain = chain.next(task)
        definition = (
            chain.next(read_report)
            .next(mark_succeeded)
            .next(notify_succeeded)
            .next(sfn.Succeed(self, "Succeeded"))
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            comment=f"{spec.name}: one arrival through {' -> '.join(s.name for s in spec.steps)}, audited and notified",
        )

    def _glue_task(self, step: StepSpec, job: glue.IJob) -> tasks.GlueStartJobRun:
        task = tasks.GlueStartJobRun(
            self,
            step.construct_id,
            glue_job_name=job.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object(
                {flag: sfn.JsonPath.string_at(source) for flag, source in glue_arguments(step).items()}
            ),
            # Keeps only what later states need; moto's interpreter also requires a selector here.
            result_selector={
                "JobRunState": sfn.JsonPath.string_at("$.JobRunState"),
                "Id": sfn.JsonPath.string_at("$.Id"),
            },
            result_path=f"$.jobs.{step.name}",
        )
        retry = self._glue_retry
        task.add_retry(
            errors=list(self._glue_retry_errors),
            interval=cdk.Duration.seconds(retry.interval_s),
            backoff_rate=retry.backoff_rate,
            max_attempts=retry.max_attempts,
            max_delay=cdk.Duration.seconds(retry.max_delay_s),
            jitter_strategy=sfn.JitterType.FULL,
        )
        return task

    def _mark(
        self, construct_id: str, status: Status, *, extra: dict[Attr, tasks.DynamoAttributeValue]
    ) -> tasks.DynamoUpdateItem:
        """Set the audit item's status (and `extra` attributes), stamp it and append to its history."""
        now = tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.State.EnteredTime"))
        names = {
            "#status": Attr.STATUS.value,
            "#updated": Attr.UPDATED_AT.value,
            "#history": Attr.HISTORY.value,
        }
        values = {
            ":status": tasks.DynamoAttributeValue.from_string(status.value),
            ":now": now,
            ":none": tasks.DynamoAttributeValue.from_list([]),
            ":entry": tasks.DynamoAttributeValue.from_list(
                [
                    tasks.DynamoAttributeValue.from_map(
                        {"status": tasks.DynamoAttributeValue.from_string(status.value), "at": now}
                    )
                ]
            ),
        }
        assignments = [
            "#status = :status",
            "#updated = :now",
            "#history = list_append(if_not_exists(#history, :none), :entry)",
        ]
        for index, (attribute, value) in enumerate(extra.items()):
            names[f"#a{index}"] = attribute.value
            values[f":a{index}"] = value
            assignments.append(f"#a{index} = :a{index}")
        task = tasks.DynamoUpdateItem(
            self,
            construct_id,
            table=self._table,
            key={
                Attr.OBJECT_ID.value: tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.string_at(path("object_id"))
                )
            },
            update_expression="SET " + ", ".join(assignments),
            expression_attribute_names=names,
            expression_attribute_values=values,
            result_path=sfn.JsonPath.DISCARD,
        )
        task.add_retry(errors=list(SERVICE_RETRY_ERRORS), max_attempts=3, backoff_rate=2)
        return task

    def _notify(self, construct_id: str, status: Status, *, details: dict[str, Any]) -> tasks.SnsPublish:
        """Publish the outcome with a `status` message attribute; the subject names the run (<= 100 chars)."""
        task = tasks.SnsPublish(
            self,
            construct_id,
            topic=self._topic,
            subject=sfn.JsonPath.format(
                f"{self._spec.name} {status.value}: {{}}", sfn.JsonPath.execution_name
            ),
            message=sfn.TaskInput.from_object(
                {
                    "status": status.value,
                    "execution": sfn.JsonPath.execution_id,
                    "object_id": sfn.JsonPath.string_at(path("object_id")),
                    "source_path": sfn.JsonPath.string_at(path("source_path")),
                    "dataset": sfn.JsonPath.string_at(path("dataset")),
                    **details,
                }
            ),
            message_attributes={
                "status": tasks.MessageAttribute(value=status.value),
                "dataset": tasks.MessageAttribute(value=sfn.JsonPath.string_at(path("dataset"))),
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        task.add_retry(errors=list(SERVICE_RETRY_ERRORS), max_attempts=3, backoff_rate=2)
        return task

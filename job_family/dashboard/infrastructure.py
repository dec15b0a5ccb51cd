"""Dashboard: what an operator of one job family in one environment looks at, built from its spec.

One CloudWatch dashboard (named after the stack, e.g. `dlk-dev-nyc-taxi`), rows top to bottom:

    header (text): the family, its Glue version and Python, execution class, where the numbers come from
    Executions by status (AWS/States)                  | Alarms (the family's alarms, by state)
    per declared step, in order:
      <step>: run time (Glue: glue.driver.aggregate.elapsedTime, minutes)
      | <step>: DPU in use (Glue: numberAllExecutors + driver, x DPU per worker; observability
        glue.driver.workerUtilization on the right axis; the configured maximum as a line)
      | <step>: rows per run (DataLakeKit/<family>: RowsRead, RowsConformed, RowsQuarantined or
        RowsWritten, published by the job runtime)
    Ingestion: dead-letter queue depth and backlog (AWS/SQS) | Trigger: invocations and errors (AWS/Lambda)

The Glue widgets read the job metrics `--enable-metrics` and `--enable-observability-metrics` publish
(namespace `Glue`, dimensions JobName, JobRunId=ALL, Type, ObservabilityGroup); they stay empty in an
environment whose settings turn `job_metrics` off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_glue as glue
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from job_family.settings import DPU_PER_WORKER, FamilySettings
from job_family.spec import ROW_COUNT_METRICS, FamilySpec, StepSpec

ELAPSED_TIME = "glue.driver.aggregate.elapsedTime"
EXECUTORS = "glue.driver.ExecutorAllocationManager.executors.numberAllExecutors"
WORKER_UTILIZATION = "glue.driver.workerUtilization"
STEP_DIMENSION = "Step"
DATASET_DIMENSION = "Dataset"
FULL_WIDTH = 24
ROW_HEIGHT = 6


def row_counts_of(spec: FamilySpec, step: StepSpec) -> tuple[str, ...]:
    """The run-report counts a step's rows widget shows: the report step's read / conformed /
    quarantined, every other step's read / written."""
    if step == spec.report_step:
        return ("rows_read", "rows_conformed", "rows_quarantined")
    return ("rows_read", "rows_written")


class Dashboard(Construct):
    """The family's dashboard (`dashboard`), one row per declared step; `period_min` is every graph's
    period (5 minutes: a run's start and end usually fall in one or two points)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FamilySpec,
        settings: FamilySettings,
        dashboard_name: str,
        jobs: Mapping[str, glue.IJob],
        state_machine: sfn.IStateMachine,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        trigger: lambda_.IFunction,
        alarms: Sequence[cloudwatch.IAlarm],
        period_min: int = 5,
    ) -> None:
        super().__init__(scope, construct_id)
        self._spec = spec
        self._settings = settings
        self._period = period = cdk.Duration.minutes(period_min)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Resource",
            dashboard_name=dashboard_name,
            default_interval=cdk.Duration.days(7),
        )
        self.dashboard.add_widgets(self._header())
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Executions by status",
                left=[
                    state_machine.metric_started(label="started", period=period),
                    state_machine.metric_succeeded(label="succeeded", period=period),
                    state_machine.metric_failed(label="failed", period=period),
                    state_machine.metric_timed_out(label="timed out", period=period),
                    state_machine.metric_aborted(label="aborted", period=period),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="executions", show_units=False),
                width=FULL_WIDTH // 2,
                height=ROW_HEIGHT,
            ),
            cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="Alarms", width=FULL_WIDTH // 2),
        )
        for number, step in enumerate(spec.steps, start=1):
            job = jobs[step.name]
            self.dashboard.add_widgets(
                self._run_time(number, step, job),
                self._dpu_use(number, step, job),
                self._rows(number, step),
            )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Ingestion: dead-letter queue depth and backlog",
                left=[
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        label="dead-letter queue (files never started)", statistic="Maximum", period=period
                    ),
                    queue.metric_approximate_number_of_messages_visible(
                        label="ingestion queue backlog", statistic="Maximum", period=period
                    ),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="messages", show_units=False),
                width=FULL_WIDTH // 2,
                height=ROW_HEIGHT,
            ),
            cloudwatch.GraphWidget(
                title="Trigger: invocations and errors",
                left=[
                    trigger.metric_invocations(label="invocations", period=period),
                    trigger.metric_errors(label="errors", period=period),
                    trigger.metric_throttles(label="throttles", period=period),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
                width=FULL_WIDTH // 2,
                height=ROW_HEIGHT,
            ),
        )

    def _header(self) -> cloudwatch.TextWidget:
        spec, settings = self._spec, self._settings
        steps = " -> ".join(step.name for step in spec.steps)
        return cloudwatch.TextWidget(
            markdown="\n".join(
                [
                    f"## {spec.name}: {spec.description}",
                    f"Steps: {steps}. Glue {spec.glue_version} (Python {spec.glue_python}), execution class "
                    f"{settings.execution_class.value}, auto scaling "
                    f"{'on (worker counts are maxima)' if settings.auto_scaling else 'off'}. "
                    f"Run time and DPU: Glue job metrics (namespace Glue); rows: {spec.metrics_namespace}, "
                    "published by each run. Runbook: docs/operations.md.",
                ]
            ),
            width=FULL_WIDTH,
            height=2,
        )

    def _run_time(self, number: int, step: StepSpec, job: glue.IJob) -> cloudwatch.GraphWidget:
        elapsed = job.metric(ELAPSED_TIME, glue.MetricType.COUNT, statistic="Maximum", period=self._period)
        return cloudwatch.GraphWidget(
            title=f"{number}. {step.name}: run time",
            left=[
                cloudwatch.MathExpression(
                    expression="elapsed / 60000",
                    using_metrics={"elapsed": elapsed},
                    label=f"ETL elapsed time, minutes ({ELAPSED_TIME}, max)",
                    period=self._period,
                )
            ],
            left_y_axis=cloudwatch.YAxisProps(min=0, label="minutes", show_units=False),
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=self._settings.jobs[step.name].timeout_min, label="job timeout (minutes)"
                )
            ],
            width=FULL_WIDTH // 3,
            height=ROW_HEIGHT,
        )

    def _dpu_use(self, number: int, step: StepSpec, job: glue.IJob) -> cloudwatch.GraphWidget:
        capacity = self._settings.jobs[step.name]
        per_worker = DPU_PER_WORKER[capacity.worker_type]
        executors = job.metric(EXECUTORS, glue.MetricType.GAUGE, statistic="Maximum", period=self._period)
        utilization = job.metric(
            WORKER_UTILIZATION,
            glue.MetricType.GAUGE,
            statistic="Average",
            period=self._period,
            dimensions_map={
                "JobName": job.job_name,
                "JobRunId": "ALL",
                "Type": "gauge",
                "ObservabilityGroup": "resource_utilization",
            },
            label=f"worker utilization ({WORKER_UTILIZATION})",
        )
        return cloudwatch.GraphWidget(
            title=f"{number}. {step.name}: DPU in use",
            left=[
                cloudwatch.MathExpression(
                    expression=f"(executors + 1) * {per_worker}",
                    using_metrics={"executors": executors},
                    label=f"DPU in use: (executors + driver) x {per_worker} DPU ({capacity.worker_type.value})",
                    period=self._period,
                )
            ],
            right=[utilization],
            left_y_axis=cloudwatch.YAxisProps(min=0, label="DPU", show_units=False),
            right_y_axis=cloudwatch.YAxisProps(min=0, max=1, label="utilization", show_units=False),
            left_annotations=[
                cloudwatch.HorizontalAnnotation(
                    value=capacity.worker_count * per_worker,
                    label=f"configured {'maximum' if self._settings.auto_scaling else 'size'} "
                    f"({capacity.worker_count} x {capacity.worker_type.value})",
                )
            ],
            width=FULL_WIDTH // 3,
            height=ROW_HEIGHT,
        )

    def _rows(self, number: int, step: StepSpec) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=f"{number}. {step.name}: rows per run",
            left=[
                cloudwatch.Metric(
                    namespace=self._spec.metrics_namespace,
                    metric_name=ROW_COUNT_METRICS[count],
                    dimensions_map={STEP_DIMENSION: step.name},
                    statistic="Sum",
                    period=self._period,
                    label=count.replace("_", " "),
                )
                for count in row_counts_of(self._spec, step)
            ],
            left_y_axis=cloudwatch.YAxisProps(min=0, label="rows", show_units=False),
            width=FULL_WIDTH // 3,
            height=ROW_HEIGHT,
        )

"""Contract: the environment's cost and observability switches reach the jobs and the state machine,
and the family's dashboard shows every step, built from the same spec and settings.

Everything here is read from the family's spec and settings, so it holds for Glue 5.1 and 6.0, FLEX and
STANDARD alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from job_family import naming
from job_family.dashboard.body import dashboards, widget_titles
from job_family.dashboard.infrastructure import EXECUTORS, row_counts_of
from job_family.glue.infrastructure import COMMAND_PYTHON_VERSION, METRICS_NAMESPACE_ARGUMENT, spark_ui_prefix
from job_family.orchestration.infrastructure import FLEX_RETRY_ERRORS, GLUE_RETRY_ERRORS
from job_family.settings import DPU_PER_WORKER, ExecutionClass
from job_family.spec import GLUE_PYTHON, ROW_COUNT_METRICS
from job_family.testing.contracts.jobs_and_orchestration import glue_jobs
from job_family.testing.fixtures import definition
from job_family.testing.synth import Synthesized, resources

ENVIRONMENTS = ("dev", "test", "prod")


def _logical_id_of(template: dict[str, Any], kind: str, prefix: str) -> str:
    [logical_id] = [key for key in resources(template, kind) if key.startswith(prefix)]
    return logical_id


def _dashboard(synthesized: Synthesized, env: str) -> tuple[str | None, dict[str, Any]]:
    [board] = dashboards(synthesized.template_json(env)).values()
    return board["name"], board["body"]


# --- Glue jobs ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_jobs_carry_the_environment_execution_class_and_switches(synthesized: Synthesized, env: str) -> None:
    settings = synthesized.family.environment(env)
    spec = synthesized.spec
    for step, job in glue_jobs(synthesized, synthesized.template_json(env)).items():
        arguments = job["DefaultArguments"]
        assert job["ExecutionClass"] == settings.execution_class.value, step
        assert (arguments.get("--enable-auto-scaling") == "true") is settings.auto_scaling, step
        for flag in ("--enable-metrics", "--enable-observability-metrics", "--enable-job-insights"):
            assert (flag in arguments) is settings.job_metrics, (step, flag)
        assert (arguments.get("--enable-spark-ui") == "true") is settings.spark_ui_logs, step
        if settings.spark_ui_logs:
            path = json.dumps(arguments["--spark-event-logs-path"])
            assert "CodeBucket34C7356F" in path and f"/{spark_ui_prefix(spec.name)}" in path, path
        assert arguments[METRICS_NAMESPACE_ARGUMENT] == spec.metrics_namespace


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_jobs_run_the_python_of_the_family_glue_version(synthesized: Synthesized, env: str) -> None:
    spec = synthesized.spec
    # Glue's API takes the major version only; the Glue version fixes the minor (3.11 on 5.1, 3.13 on 6.0).
    assert spec.glue_python == GLUE_PYTHON[spec.glue_version]
    for job in glue_jobs(synthesized, synthesized.template_json(env)).values():
        assert job["GlueVersion"] == spec.glue_version
        assert job["Command"]["PythonVersion"] == COMMAND_PYTHON_VERSION


def test_flex_runs_only_on_workers_flex_offers(synthesized: Synthesized) -> None:
    for env in ENVIRONMENTS:
        settings = synthesized.family.environment(env)
        if settings.execution_class == ExecutionClass.FLEX:
            assert {job.worker_type.value for job in settings.jobs.values()} <= {"G.1X", "G.2X"}, env


def test_job_roles_put_metrics_only_in_glue_and_the_family_namespace(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    for step in synthesized.spec.steps:
        role = _logical_id_of(template, "AWS::IAM::Role", f"Jobs{step.construct_id}Role")
        [policy] = [
            p["Properties"]
            for p in resources(template, "AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ]
        statements = [
            s for s in policy["PolicyDocument"]["Statement"] if "cloudwatch:PutMetricData" in json.dumps(s)
        ]
        assert statements == [
            {
                "Action": "cloudwatch:PutMetricData",
                "Condition": {
                    "StringEquals": {"cloudwatch:namespace": ["Glue", synthesized.spec.metrics_namespace]}
                },
                "Effect": "Allow",
                "Resource": "*",
            }
        ], step.name


def test_spark_event_logs_are_writable_under_the_family_prefix_and_never_pruned(
    synthesized: Synthesized,
) -> None:
    template = synthesized.template_json("dev")
    [deployment] = resources(template, "Custom::CDKBucketDeployment").values()
    assert "spark-ui/*" in deployment["Properties"]["Exclude"]
    if not synthesized.family.environment("dev").spark_ui_logs:
        return
    prefix = spark_ui_prefix(synthesized.spec.name)
    for step in synthesized.spec.steps:
        role = _logical_id_of(template, "AWS::IAM::Role", f"Jobs{step.construct_id}Role")
        [policy] = [
            p["Properties"]
            for p in resources(template, "AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ]
        writes = [
            s
            for s in policy["PolicyDocument"]["Statement"]
            if "s3:PutObject" in json.dumps(s["Action"]) and f"/{prefix}*" in json.dumps(s["Resource"])
        ]
        assert writes, f"{step.name} may not write its Spark event logs under {prefix}"


# --- state machine --------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_executions_wait_for_flex_capacity_and_glue_tasks_retry_its_errors(
    synthesized: Synthesized, env: str
) -> None:
    settings = synthesized.family.environment(env)
    template = synthesized.template_json(env)
    states = definition(template)["States"]
    for step in synthesized.spec.steps:
        task = states[step.construct_id]
        [retry] = task["Retry"]
        # the run's timeout is the job's; no heartbeat comes from a .sync Glue task
        assert not {"TimeoutSeconds", "HeartbeatSeconds"} & set(task)
        assert "Timeout" not in task["Parameters"]
        flex_errors = set(FLEX_RETRY_ERRORS) & set(retry["ErrorEquals"])
        if settings.execution_class == ExecutionClass.FLEX:
            assert settings.step_wait_min(step.name) >= settings.jobs[step.name].timeout_min + 20
            assert set(GLUE_RETRY_ERRORS) <= set(retry["ErrorEquals"])
            assert flex_errors == set(FLEX_RETRY_ERRORS)
        else:
            assert settings.step_wait_min(step.name) == settings.jobs[step.name].timeout_min
            assert not flex_errors
    waits_s = sum(settings.step_wait_min(step.name) * 60 for step in synthesized.spec.steps)
    assert definition(template)["TimeoutSeconds"] >= waits_s


# --- dashboard ------------------------------------------------------------------------------------------
def test_the_dashboard_is_named_after_the_stack(synthesized: Synthesized) -> None:
    name, _ = _dashboard(synthesized, "dev")
    assert name == naming.stack_name(synthesized.settings.prefix, "dev", synthesized.spec.name)


def test_the_dashboard_has_a_row_per_step_in_order(synthesized: Synthesized) -> None:
    _, body = _dashboard(synthesized, "dev")
    titles = widget_titles(body)
    expected = [
        f"{number}. {step.name}: {what}"
        for number, step in enumerate(synthesized.spec.steps, start=1)
        for what in ("run time", "DPU in use", "rows per run")
    ]
    assert [title for title in titles if title[:1].isdigit()] == expected
    assert {"Executions by status", "Alarms", "Ingestion: dead-letter queue depth and backlog"} <= set(titles)


def test_the_dashboard_draws_this_family_state_machine_jobs_queues_and_alarms(
    synthesized: Synthesized,
) -> None:
    template = synthesized.template_json("dev")
    _, body = _dashboard(synthesized, "dev")
    text = json.dumps(body)
    machine = _logical_id_of(template, "AWS::StepFunctions::StateMachine", "Orchestration")
    assert f'"${{{machine}}}"' in text
    for step in synthesized.spec.steps:
        job = next(
            k for k in resources(template, "AWS::Glue::Job") if k.startswith(f"Jobs{step.construct_id}")
        )
        assert f'"${{{job}}}"' in text, step.name
    assert "${IngestionDeadLetterQueueEB97306D.QueueName}" in text
    alarms = {f"${{{key}.Arn}}" for key in resources(template, "AWS::CloudWatch::Alarm")}
    [alarm_widget] = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert set(alarm_widget["properties"]["alarms"]) == alarms


def test_each_step_row_draws_its_glue_metrics_and_the_row_counts_its_run_publishes(
    synthesized: Synthesized,
) -> None:
    spec, settings = synthesized.spec, synthesized.family.environment("dev")
    _, body = _dashboard(synthesized, "dev")
    by_title = {w["properties"].get("title"): w["properties"] for w in body["widgets"]}
    for number, step in enumerate(spec.steps, start=1):
        run_time = json.dumps(by_title[f"{number}. {step.name}: run time"]["metrics"])
        assert '"Glue", "glue.driver.aggregate.elapsedTime"' in run_time
        dpu = by_title[f"{number}. {step.name}: DPU in use"]
        assert EXECUTORS in json.dumps(dpu["metrics"])
        capacity = settings.jobs[step.name]
        [maximum] = dpu["annotations"]["horizontal"]
        assert maximum["value"] == capacity.worker_count * DPU_PER_WORKER[capacity.worker_type]
        rows = by_title[f"{number}. {step.name}: rows per run"]["metrics"]
        assert [(m[0], m[1], m[2], m[3]) for m in rows] == [
            (spec.metrics_namespace, ROW_COUNT_METRICS[count], "Step", step.name)
            for count in row_counts_of(spec, step)
        ]
    counts_row = by_title[f"{spec.steps.index(spec.report_step) + 1}. {spec.report_step.name}: rows per run"]
    assert {m[1] for m in counts_row["metrics"]} == {"RowsRead", "RowsConformed", "RowsQuarantined"}

"""Contract: the Glue jobs, the state machine, and the one job-argument contract (the family's
`StepSpec`s) that holds them and the scripts together."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from job_family.audit.runtime.item import Attr, Status
from job_family.glue.locations import report_key_format, zone_prefix
from job_family.glue.runtime import job_runtime
from job_family.glue.runtime.arguments import report_key
from job_family.orchestration.infrastructure import GLUE_RETRY_ERRORS
from job_family.orchestration.runtime.execution_input import FIELDS
from job_family.packaging.bundles import runtime_zip_name
from job_family.spec import Zone
from job_family.testing.fixtures import definition
from job_family.testing.synth import Synthesized, resources

# The integrations moto's Step Functions interpreter runs (local mode executes this definition).
LOCAL_MODE_INTEGRATIONS = (
    ":states:::glue:startJobRun.sync",
    ":states:::dynamodb:updateItem",
    ":states:::sns:publish",
    ":states:::aws-sdk:s3:getObject",
)


def glue_jobs(synthesized: Synthesized, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs = resources(template, "AWS::Glue::Job")
    return {
        step.name: next(
            v["Properties"]
            for k, v in jobs.items()
            if k.startswith(f"Jobs{step.construct_id}") and "Role" not in k
        )
        for step in synthesized.spec.steps
    }


# --- Glue jobs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_jobs_run_the_family_glue_version_with_capacity_and_timeout_from_settings(
    synthesized: Synthesized, env: str
) -> None:
    jobs = glue_jobs(synthesized, synthesized.template_json(env))
    family = synthesized.family.environment(env)

    for step in synthesized.spec.steps:
        job, settings = jobs[step.name], family.jobs[step.name]
        assert job["GlueVersion"] == synthesized.spec.glue_version
        assert job["Command"]["Name"] == "glueetl"
        assert job["WorkerType"] == settings.worker_type.value
        assert job["NumberOfWorkers"] == settings.worker_count
        assert job["Timeout"] == settings.timeout_min
        assert job["ExecutionProperty"]["MaxConcurrentRuns"] == settings.max_concurrent_runs
        [config_id] = resources(synthesized.template_json(env), "AWS::Glue::SecurityConfiguration")
        assert job["SecurityConfiguration"] == {"Ref": config_id}
        assert len(job["Connections"]["Connections"]) == synthesized.settings.environment(env).subnet_count


def test_security_configuration_encrypts_logs_bookmarks_and_output(synthesized: Synthesized) -> None:
    [config] = resources(synthesized.template_json("dev"), "AWS::Glue::SecurityConfiguration").values()
    encryption = config["Properties"]["EncryptionConfiguration"]

    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    assert encryption["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"


def test_each_private_subnet_gets_a_network_connection(synthesized: Synthesized) -> None:
    connections = resources(synthesized.template_json("prod"), "AWS::Glue::Connection")

    assert len(connections) == synthesized.settings.environment("prod").subnet_count
    assert {c["Properties"]["ConnectionInput"]["ConnectionType"] for c in connections.values()} == {"NETWORK"}


def test_jobs_run_the_scripts_and_runtime_package_from_the_code_bucket(
    synthesized: Synthesized, dev_template: dict[str, Any]
) -> None:
    for step, job in glue_jobs(synthesized, dev_template).items():
        script = json.dumps(job["Command"]["ScriptLocation"])
        assert f"scripts/{step}.py" in script
        assert "CodeBucket34C7356F" in script
        runtime = f"scripts/{runtime_zip_name(synthesized.spec.name)}"
        assert runtime in json.dumps(job["DefaultArguments"]["--extra-py-files"])


# --- the job-argument contract --------------------------------------------------------------------------
def test_job_definition_state_machine_and_script_agree_on_the_arguments(
    synthesized: Synthesized, dev_template: dict[str, Any], states: dict[str, Any]
) -> None:
    jobs = glue_jobs(synthesized, dev_template)
    for step in synthesized.spec.steps:
        defaults = jobs[step.name]["DefaultArguments"]
        per_run = states[step.construct_id]["Parameters"]["Arguments"]
        per_run_flags = {key.removesuffix(".$") for key in per_run}

        assert {f"--{name}" for name in step.static} <= set(defaults)
        assert per_run_flags == {f"--{name}" for name in step.per_run}
        assert not per_run_flags & set(defaults), "a per-run argument must not have a static default"
        # The script parses what Glue will pass: the job's default arguments plus the state machine's.
        argv = [item for flag in (*defaults, *per_run_flags) for item in (flag, "value")]
        parsed = job_runtime.parse_local_args(step, argv)
        assert set(parsed) - {"JOB_NAME"} == set(step.names)


def test_every_step_script_runs_its_declared_contract(synthesized: Synthesized) -> None:
    import importlib

    for step in synthesized.spec.steps:
        module = importlib.import_module(step.module)
        assert step == module.STEP, (
            f"{step.module} must run the spec's step {step.name} (STEP = SPEC.step(...))"
        )
        assert callable(module.main) and callable(module.run)


def test_state_machine_reads_the_run_report_where_the_job_writes_it(
    synthesized: Synthesized, states: dict[str, Any]
) -> None:
    spec = synthesized.spec
    read = states["ReadRunReport"]
    key_format = read["Parameters"]["Key.$"]
    expected = report_key_format(spec.name, spec.report_step.name)

    assert report_key(
        "s3://bucket/" + zone_prefix(spec.name, Zone.REPORTS), "RUN", spec.report_step.name
    ) == ("s3://bucket/" + expected.replace("{}", "RUN"))
    assert key_format == f"States.Format('{expected}', $$.Execution.Name)"
    assert read["ResultSelector"] == {"report.$": "States.StringToJson($.Body)"}


def test_run_id_is_the_execution_name(synthesized: Synthesized, states: dict[str, Any]) -> None:
    for step in synthesized.spec.steps:
        assert states[step.construct_id]["Parameters"]["Arguments"]["--run_id.$"] == "$$.Execution.Name"


def _paths(node: Any) -> list[str]:
    """Every `$.<first segment>` a state reads (keys ending in `.$`, intrinsic arguments included)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith(".$") and isinstance(value, str):
                found += re.findall(r"(?<!\$)\$\.([A-Za-z_]+)", value)  # not the context object ($$.)
            else:
                found += _paths(value)
    elif isinstance(node, list):
        for value in node:
            found += _paths(value)
    return found


def test_state_machine_reads_only_fields_of_the_execution_input(states: dict[str, Any]) -> None:
    written_by_states = {"error", "failed_state", "run_report", "jobs"}  # Catch / ResultPath targets
    task_results = {"Body", "JobRunState", "Id"}  # read inside ResultSelectors

    read = set(_paths(states))

    assert {"object_id", "source_path", "dataset"} <= read
    assert read <= set(FIELDS) | written_by_states | task_results


# --- orchestration --------------------------------------------------------------------------------------
def test_order_is_audit_running_every_step_report_succeeded_notify(
    synthesized: Synthesized, states: dict[str, Any], dev_template: dict[str, Any]
) -> None:
    order = [
        "MarkRunning",
        *(step.construct_id for step in synthesized.spec.steps),
        "ReadRunReport",
        "MarkSucceeded",
        "NotifySucceeded",
    ]
    assert definition(dev_template)["StartAt"] == "MarkRunning"
    for current, following in itertools.pairwise(order):
        assert states[current]["Next"] == following
    assert states["NotifySucceeded"]["Next"] == "Succeeded"


def test_only_integrations_local_mode_can_run(states: dict[str, Any]) -> None:
    tasks = [s for s in states.values() if s["Type"] == "Task"]
    assert tasks
    for task in tasks:
        assert task["Resource"].endswith(LOCAL_MODE_INTEGRATIONS), task["Resource"]


def test_glue_tasks_wait_select_their_result_and_retry_with_backoff(
    synthesized: Synthesized, states: dict[str, Any]
) -> None:
    for step in synthesized.spec.steps:
        task = states[step.construct_id]
        assert task["Resource"].endswith("glue:startJobRun.sync")
        assert task["ResultSelector"] == {"JobRunState.$": "$.JobRunState", "Id.$": "$.Id"}
        [retry] = task["Retry"]
        assert set(GLUE_RETRY_ERRORS) <= set(retry["ErrorEquals"])
        assert "Glue.ConcurrentRunsExceededException" in retry["ErrorEquals"]
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3 and retry["IntervalSeconds"] >= 10


def test_every_failure_is_audited_with_its_state_then_notified_then_fails(
    synthesized: Synthesized, states: dict[str, Any]
) -> None:
    for name in (
        "MarkRunning",
        *(step.construct_id for step in synthesized.spec.steps),
        "ReadRunReport",
        "MarkSucceeded",
    ):
        [catch] = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert catch["ResultPath"] == "$.error"
        recorder = states[catch["Next"]]
        assert recorder == {
            "Type": "Pass",
            "Result": name,
            "ResultPath": "$.failed_state",
            "Next": "MarkFailed",
        }
    failed = states["MarkFailed"]["Parameters"]
    assert failed["ExpressionAttributeValues"][":status"] == {"S": Status.FAILED.value}
    values = json.dumps(failed)
    for attribute in (Attr.FAILED_STATE, Attr.ERROR, Attr.CAUSE):
        assert attribute.value in values
    assert states["MarkFailed"]["Next"] == "NotifyFailed"
    assert states["NotifyFailed"]["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"


def test_success_and_failure_notifications_say_which_they_are(
    synthesized: Synthesized, states: dict[str, Any]
) -> None:
    for state, status in (("NotifySucceeded", "SUCCEEDED"), ("NotifyFailed", "FAILED")):
        parameters = states[state]["Parameters"]
        assert parameters["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": status}
        family = synthesized.spec.name
        assert parameters["Subject.$"] == f"States.Format('{family} {status}: {{}}', $$.Execution.Name)"
        assert parameters["Message"]["status"] == status


def test_succeeded_item_stores_the_row_counts_of_the_run_report(states: dict[str, Any]) -> None:
    parameters = states["MarkSucceeded"]["Parameters"]
    names = parameters["ExpressionAttributeNames"]
    values = parameters["ExpressionAttributeValues"]

    assert values[":status"] == {"S": "SUCCEEDED"}
    for count in ("rows_read", "rows_conformed", "rows_quarantined"):
        placeholder = next(key for key, value in names.items() if value == count)
        assert values[placeholder.replace("#", ":")] == {
            "N.$": f"States.JsonToString($.run_report.report.{count})"
        }
        assert f"{placeholder} = {placeholder.replace('#', ':')}" in parameters["UpdateExpression"]


def test_succeeded_item_stores_what_the_run_read_and_did_per_column(states: dict[str, Any]) -> None:
    parameters = states["MarkSucceeded"]["Parameters"]
    names = parameters["ExpressionAttributeNames"]
    values = parameters["ExpressionAttributeValues"]

    for key in ("physical_schema", "columns"):
        placeholder = next(name for name, value in names.items() if value == key)
        assert values[placeholder.replace("#", ":")] == {
            "S.$": f"States.JsonToString($.run_report.report.{key})"
        }
        assert f"{placeholder} = {placeholder.replace('#', ':')}" in parameters["UpdateExpression"]


def test_state_machine_logs_everything_and_traces(dev_template: dict[str, Any]) -> None:
    [machine] = resources(dev_template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["StateMachineType"] == "STANDARD"


def test_each_declared_step_is_one_deployed_job(
    synthesized: Synthesized, dev_template: dict[str, Any]
) -> None:
    deployed = list(resources(dev_template, "AWS::Glue::Job"))
    assert len(deployed) == len(synthesized.spec.steps)
    assert set(glue_jobs(synthesized, dev_template)) == {step.name for step in synthesized.spec.steps}

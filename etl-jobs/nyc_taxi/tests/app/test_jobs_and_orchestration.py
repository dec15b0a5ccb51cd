"""The Glue jobs, the state machine, and the one job-argument contract that holds them and the scripts together."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from nyc_taxi.audit.runtime.item import Attr, Status
from nyc_taxi.jobs.locations import REPORTS_PREFIX, report_key_format
from nyc_taxi.jobs.runtime import job_runtime
from nyc_taxi.jobs.runtime.arguments import CONFORMED_TO_PURPOSE_BUILT, JOBS, RAW_TO_CONFORMED, report_key
from nyc_taxi.orchestration.infrastructure import GLUE_RETRY_ERRORS
from nyc_taxi.orchestration.runtime.execution_input import FIELDS

from .conftest import Synthesized, resources

# The integrations moto's Step Functions interpreter runs (local mode executes this definition).
LOCAL_MODE_INTEGRATIONS = (
    ":states:::glue:startJobRun.sync",
    ":states:::dynamodb:updateItem",
    ":states:::sns:publish",
    ":states:::aws-sdk:s3:getObject",
)
JOB_IDS = {
    "raw_to_conformed": "JobsRawToConformed",
    "conformed_to_purpose_built": "JobsConformedToPurposeBuilt",
}
TASK_IDS = {"raw_to_conformed": "RawToConformed", "conformed_to_purpose_built": "ConformedToPurposeBuilt"}


def glue_jobs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs = resources(template, "AWS::Glue::Job")
    return {
        step: next(v["Properties"] for k, v in jobs.items() if k.startswith(prefix) and "Role" not in k)
        for step, prefix in JOB_IDS.items()
    }


def definition(template: dict[str, Any]) -> dict[str, Any]:
    [machine] = resources(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else json.dumps(part).replace('"', "'") for part in parts)
    return dict(json.loads(text))


@pytest.fixture(scope="module")
def dev_template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json("dev")


@pytest.fixture(scope="module")
def states(dev_template: dict[str, Any]) -> dict[str, Any]:
    return dict(definition(dev_template)["States"])


# --- Glue jobs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_jobs_run_glue_5_with_capacity_and_timeout_from_settings(synthesized: Synthesized, env: str) -> None:
    jobs = glue_jobs(synthesized.template_json(env))
    family = synthesized.family.environment(env)

    for step, settings in (
        ("raw_to_conformed", family.raw_to_conformed),
        ("conformed_to_purpose_built", family.conformed_to_purpose_built),
    ):
        job = jobs[step]
        assert job["GlueVersion"] == "5.0"
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

    assert len(connections) == 3
    assert {c["Properties"]["ConnectionInput"]["ConnectionType"] for c in connections.values()} == {"NETWORK"}


def test_jobs_run_the_scripts_and_runtime_package_from_the_code_bucket(dev_template: dict[str, Any]) -> None:
    jobs = glue_jobs(dev_template)
    for step, job in jobs.items():
        script = json.dumps(job["Command"]["ScriptLocation"])
        assert f"scripts/{step}.py" in script
        assert "CodeBucket34C7356F" in script
        assert "scripts/nyc_taxi_runtime.zip" in json.dumps(job["DefaultArguments"]["--extra-py-files"])


# --- the job-argument contract --------------------------------------------------------------------------
@pytest.mark.parametrize("contract", JOBS, ids=lambda c: c.step)
def test_job_definition_state_machine_and_script_agree_on_the_arguments(
    dev_template: dict[str, Any], states: dict[str, Any], contract: Any
) -> None:
    defaults = glue_jobs(dev_template)[contract.step]["DefaultArguments"]
    per_run = states[TASK_IDS[contract.step]]["Parameters"]["Arguments"]
    per_run_flags = {key.removesuffix(".$") for key in per_run}

    assert {f"--{name}" for name in contract.static} <= set(defaults)
    assert per_run_flags == {f"--{name}" for name in contract.per_run}
    assert not per_run_flags & set(defaults), "a per-run argument must not have a static default"
    # The script parses what Glue will pass: the job's default arguments plus the state machine's.
    argv = [item for flag in (*defaults, *per_run_flags) for item in (flag, "value")]
    parsed = job_runtime.parse_local_args(contract, argv)
    assert set(parsed) - {"JOB_NAME"} == set(contract.names)


def test_state_machine_reads_the_run_report_where_the_job_writes_it(states: dict[str, Any]) -> None:
    read = states["ReadRunReport"]
    key_format = read["Parameters"]["Key.$"]

    assert report_key("s3://bucket/" + REPORTS_PREFIX, "RUN", RAW_TO_CONFORMED.step) == (
        "s3://bucket/" + report_key_format().replace("{}", "RUN")
    )
    assert key_format == f"States.Format('{report_key_format()}', $$.Execution.Name)"
    assert read["ResultSelector"] == {"report.$": "States.StringToJson($.Body)"}


def test_run_id_is_the_execution_name(states: dict[str, Any]) -> None:
    for task in TASK_IDS.values():
        assert states[task]["Parameters"]["Arguments"]["--run_id.$"] == "$$.Execution.Name"


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
def test_order_is_audit_running_both_jobs_report_succeeded_notify(
    states: dict[str, Any], dev_template: dict[str, Any]
) -> None:
    order = [
        "MarkRunning",
        "RawToConformed",
        "ConformedToPurposeBuilt",
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


def test_glue_tasks_wait_select_their_result_and_retry_with_backoff(states: dict[str, Any]) -> None:
    for name in TASK_IDS.values():
        task = states[name]
        assert task["Resource"].endswith("glue:startJobRun.sync")
        assert task["ResultSelector"] == {"JobRunState.$": "$.JobRunState", "Id.$": "$.Id"}
        [retry] = task["Retry"]
        assert set(GLUE_RETRY_ERRORS) <= set(retry["ErrorEquals"])
        assert "Glue.ConcurrentRunsExceededException" in retry["ErrorEquals"]
        assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3 and retry["IntervalSeconds"] >= 10


def test_every_failure_is_audited_with_its_state_then_notified_then_fails(states: dict[str, Any]) -> None:
    for name in (
        "MarkRunning",
        "RawToConformed",
        "ConformedToPurposeBuilt",
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


def test_success_and_failure_notifications_say_which_they_are(states: dict[str, Any]) -> None:
    for state, status in (("NotifySucceeded", "SUCCEEDED"), ("NotifyFailed", "FAILED")):
        parameters = states[state]["Parameters"]
        assert parameters["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": status}
        assert parameters["Subject.$"] == f"States.Format('nyc_taxi {status}: {{}}', $$.Execution.Name)"
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


def test_state_machine_logs_everything_and_traces(dev_template: dict[str, Any]) -> None:
    [machine] = resources(dev_template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["StateMachineType"] == "STANDARD"


def test_contract_jobs_are_the_two_deployed_jobs() -> None:
    assert (
        {job.step for job in JOBS}
        == set(TASK_IDS)
        == {RAW_TO_CONFORMED.step, CONFORMED_TO_PURPOSE_BUILT.step}
    )

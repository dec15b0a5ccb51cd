"""Fails loudly when a moto upgrade makes the `.sync` patch unnecessary or wrong."""

from __future__ import annotations

import json
import time
from importlib.metadata import version
from typing import Any

from local_aws import patches
from local_aws.server import LocalAws, start_local_aws

ROLE = "arn:aws:iam::123456789012:role/sfn"
DEFINITION = {
    "StartAt": "RunJob",
    "States": {
        "RunJob": {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": "job"},
            "ResultSelector": {"JobRunState.$": "$.JobRunState", "Id.$": "$.Id"},
            "End": True,
        }
    },
}


def _run_sync_state_machine(aws: LocalAws, name: str) -> dict[str, Any]:
    aws.client("glue").create_job(
        Name="job", Role=ROLE, Command={"Name": "glueetl", "ScriptLocation": "s3://b/k.py"}
    )
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(name=name, definition=json.dumps(DEFINITION), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "state machine still running after 30 s"
        time.sleep(0.1)
    history = sfn.get_execution_history(executionArn=execution)["events"]
    failures = [event["taskFailedEventDetails"] for event in history if "taskFailedEventDetails" in event]
    return {"status": described["status"], "output": described.get("output"), "failures": failures}


def test_installed_moto_is_the_pinned_version() -> None:
    assert version("moto") == patches.PINNED_MOTO_VERSION


def test_unpatched_moto_still_contains_the_unguarded_interrupt_all() -> None:
    source = patches.unpatched_source()
    assert patches.BUGGY_LINE in source
    assert "if callback_endpoint is not None:\n" not in source.split("finally:")[-1]


def test_unpatched_glue_sync_task_still_fails_and_patched_one_succeeds() -> None:
    with start_local_aws() as aws:
        patches.revert_sfn_sync_patch()
        try:
            unpatched = _run_sync_state_machine(aws, "unpatched")
        finally:
            patches.apply_sfn_sync_patch()
        aws.reset()
        aws.moto_api(
            "config", {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        patched = _run_sync_state_machine(aws, "patched")

    assert unpatched["status"] == "FAILED"
    assert any("interrupt_all" in failure.get("cause", "") for failure in unpatched["failures"]), unpatched
    assert patched["status"] == "SUCCEEDED", patched
    assert json.loads(patched["output"])["JobRunState"] == "SUCCEEDED"


def test_patch_is_applied_once_and_can_be_reverted() -> None:
    patches.apply_sfn_sync_patch()
    patched = patches._callback_class()._eval_integration_pattern  # type: ignore[attr-defined]
    patches.apply_sfn_sync_patch()
    assert patches._callback_class()._eval_integration_pattern is patched  # type: ignore[attr-defined]
    patches.revert_sfn_sync_patch()
    assert not patches.is_applied()
    patches.apply_sfn_sync_patch()
    assert patches.is_applied()

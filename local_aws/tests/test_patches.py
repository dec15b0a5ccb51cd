"""Fails loudly when a moto upgrade makes a patch (`.sync` tasks, aws-sdk stream bodies, schedule rules)
unnecessary or wrong."""

from __future__ import annotations

import json
import time
from importlib.metadata import version
from typing import Any

import pytest

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


def _execute(aws: LocalAws, name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """Create a state machine, start one execution and return its description once it has ended."""
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "state machine still running after 30 s"
        time.sleep(0.1)
    return dict(described)


def _run_sync_state_machine(aws: LocalAws, name: str) -> dict[str, Any]:
    aws.client("glue").create_job(
        Name="job", Role=ROLE, Command={"Name": "glueetl", "ScriptLocation": "s3://b/k.py"}
    )
    sfn = aws.client("stepfunctions")
    described = _execute(aws, name, DEFINITION)
    execution = described["executionArn"]
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


# -- aws-sdk stream bodies ------------------------------------------------------------------------

GET_OBJECT_DEFINITION = {
    "StartAt": "ReadReport",
    "States": {
        "ReadReport": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "reports", "Key": "run.json"},
            "ResultSelector": {"report.$": "States.StringToJson($.Body)"},
            "End": True,
        }
    },
}
REPORT = {"rows_read": 50, "rows_conformed": 48}


def _run_get_object_state_machine(aws: LocalAws, name: str) -> dict[str, Any]:
    s3 = aws.client("s3")
    if "reports" not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="run.json", Body=json.dumps(REPORT).encode())
    described = _execute(aws, name, GET_OBJECT_DEFINITION)
    return {
        "status": described["status"],
        "output": described.get("output"),
        "cause": described.get("cause", ""),
    }


def test_unpatched_get_object_body_is_still_a_stream_and_patched_one_is_a_string() -> None:
    with start_local_aws(region="us-east-1") as aws:
        patches.revert_sfn_sdk_body_patch()
        try:
            unpatched = _run_get_object_state_machine(aws, "unpatched-body")
        finally:
            patches.apply_sfn_sdk_body_patch()
        patched = _run_get_object_state_machine(aws, "patched-body")

    assert unpatched["status"] == "FAILED", unpatched
    assert "has no attribute 'strip'" in unpatched["cause"], unpatched
    assert patched["status"] == "SUCCEEDED", patched
    assert json.loads(patched["output"]) == {"report": REPORT}


def test_sdk_body_patch_is_applied_once_and_can_be_reverted() -> None:
    patches.apply_patches()
    patched = patches._aws_sdk_class()._eval_service_task  # type: ignore[attr-defined]
    patches.apply_patches()
    assert patches._aws_sdk_class()._eval_service_task is patched  # type: ignore[attr-defined]
    patches.revert_sfn_sdk_body_patch()
    assert not patches.is_sdk_body_patch_applied()
    assert patches._aws_sdk_class()._eval_service_task is not patched  # type: ignore[attr-defined]
    patches.apply_sfn_sdk_body_patch()
    assert patches.is_sdk_body_patch_applied()


def test_patches_refuse_another_moto_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patches, "PINNED_MOTO_VERSION", "0.0.0")
    with pytest.raises(RuntimeError, match=r"re-check local_aws/patches\.py"):
        patches.check_moto_version()


# -- schedule rules --------------------------------------------------------------------------------


def _queued_keys(aws: LocalAws, queue_url: str) -> list[str]:
    messages = aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"])["detail"]["object"]["key"] for m in messages.get("Messages", [])]


def test_unpatched_schedule_rule_still_receives_s3_events_and_patched_one_does_not() -> None:
    with start_local_aws(region="us-east-1") as aws:
        s3, sqs, events = aws.client("s3"), aws.client("sqs"), aws.client("events")
        s3.create_bucket(Bucket="raw")
        s3.put_bucket_notification_configuration(
            Bucket="raw", NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        queues = {}
        for name in ("scheduled", "matching"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            queues[name] = url
            if name == "scheduled":
                events.put_rule(Name=name, ScheduleExpression="rate(1 hour)")
            else:
                pattern = {"source": ["aws.s3"], "detail": {"object": {"key": [{"prefix": "a/"}]}}}
                events.put_rule(Name=name, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn, "Input": '{"sweep": true}'}])

        patches.revert_events_schedule_patch()
        try:
            s3.put_object(Bucket="raw", Key="a/unpatched.csv", Body=b"x")
        finally:
            patches.apply_events_schedule_patch()
        unpatched = _queued_keys(aws, queues["scheduled"])
        s3.put_object(Bucket="raw", Key="a/patched.csv", Body=b"x")
        patched = _queued_keys(aws, queues["scheduled"])
        matching = _queued_keys(aws, queues["matching"])

    assert set(unpatched) == {"a/unpatched.csv"}
    assert patched == []
    assert set(matching) == {"a/patched.csv", "a/unpatched.csv"}


def test_events_schedule_patch_is_applied_once_and_can_be_reverted() -> None:
    patches.apply_patches()
    patched = patches._rule_class().send_to_targets  # type: ignore[attr-defined]
    patches.apply_patches()
    assert patches._rule_class().send_to_targets is patched  # type: ignore[attr-defined]
    patches.revert_events_schedule_patch()
    assert not patches.is_events_schedule_patch_applied()
    assert patches._rule_class().send_to_targets is not patched  # type: ignore[attr-defined]
    patches.apply_events_schedule_patch()
    assert patches.is_events_schedule_patch_applied()


RETRYING = {
    "StartAt": "Read",
    "States": {
        "Read": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "no-such-bucket", "Key": "k"},
            "Retry": [
                {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "BackoffRate": 3, "MaxAttempts": 2}
            ],
            "End": True,
        }
    },
}


def test_retry_waits_are_the_state_machines_intervals_times_the_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # what the scaled sleep hands to time.sleep
    retrier_decl = patches._retrier_module()

    with patches.retry_waits_scaled(0.01):
        assert retrier_decl.time is not time and retrier_decl.time.monotonic is time.monotonic
        retrier_decl.time.sleep(10)
        retrier_decl.time.sleep(30)
    assert retrier_decl.time is time, "the retrier's own `time` is back after the block"
    assert slept == [pytest.approx(0.1), pytest.approx(0.3)]


def test_a_scaled_execution_retries_as_deployed() -> None:
    """The retries and the history are the state machine's: two retries of a failing task, then FAILED.
    Unscaled, its waits (10 s, then 30 s) would outlast `_execute`'s 30 s deadline."""
    with start_local_aws(retry_wait_scale=0.01) as aws:
        described = _execute(aws, "retrying", RETRYING)
        history = aws.client("stepfunctions").get_execution_history(executionArn=described["executionArn"])
    failed = [event for event in history["events"] if event["type"] == "TaskFailed"]
    assert described["status"] == "FAILED"
    assert len(failed) == 3  # the first attempt and MaxAttempts (2) retries
    assert patches._retrier_module().time is time


def test_moto_retrier_still_sleeps_through_the_time_module() -> None:
    """The patch replaces the retrier module's `time`: it only works while moto sleeps through it."""
    import inspect

    retrier_decl = patches._retrier_module()
    assert retrier_decl.time is time
    assert "time.sleep(interval_seconds)" in inspect.getsource(retrier_decl.RetrierDecl)


@pytest.mark.parametrize("scale", [0, -1, 1.5])
def test_a_retry_wait_scale_outside_0_1_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="retry_wait_scale must be in"), patches.retry_waits_scaled(scale):
        pass

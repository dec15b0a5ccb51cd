"""The Glue version and the environment's cost and observability switches (spec, settings, the jobs
they build), and the run metrics the job runtime publishes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from moto import mock_aws

from job_family.glue.infrastructure import COMMAND_PYTHON_VERSION, EtlJobs
from job_family.glue.locations import Locations
from job_family.glue.runtime import job_runtime
from job_family.settings import ExecutionClass, SettingsError, parse_settings
from job_family.spec import Zone
from job_family.tests.test_settings_and_bundles import JOB, PROBE

FLEX_DEV = {
    "environments": {
        "dev": {"execution_class": "FLEX", "jobs": {"first": JOB, "second": {**JOB, "timeout_min": 45}}}
    }
}


# --- the spec's Glue version ----------------------------------------------------------------------------
def test_glue_version_defaults_to_5_1_on_python_3_11() -> None:
    assert PROBE.glue_version == "5.1"
    assert PROBE.glue_python == "3.11"


def test_glue_6_runs_python_3_13() -> None:
    assert dataclasses.replace(PROBE, glue_version="6.0").glue_python == "3.13"


@pytest.mark.parametrize("version", ["5.0", "4.0", "6", ""])
def test_rejects_a_glue_version_the_framework_does_not_support(version: str) -> None:
    with pytest.raises(ValueError, match=rf"glue_version '{version}' is not supported; use one of \"5.1\""):
        dataclasses.replace(PROBE, glue_version=version)


# --- settings -------------------------------------------------------------------------------------------
def test_switches_default_to_standard_auto_scaling_and_metrics_without_spark_ui() -> None:
    env = parse_settings({"environments": {"dev": {"jobs": {"first": JOB}}}}).environment("dev")
    assert env.execution_class == ExecutionClass.STANDARD
    assert env.auto_scaling and env.job_metrics and not env.spark_ui_logs


def test_rejects_flex_on_workers_flex_does_not_offer() -> None:
    raw = {
        "environments": {
            "dev": {"execution_class": "FLEX", "jobs": {"first": {**JOB, "worker_type": "G.4X"}}}
        }
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, source="settings.yaml")
    assert (
        "environments.dev: execution_class FLEX runs only G.1X or G.2X workers, not first (G.4X); use one of "
        "those worker types or set execution_class: STANDARD"
    ) in str(caught.value)


def test_rejects_an_unknown_execution_class() -> None:
    with pytest.raises(SettingsError, match=r"environments.dev.execution_class: 'SPOT' is not one of"):
        parse_settings({"environments": {"dev": {"execution_class": "SPOT"}}})


def test_flex_lets_each_step_wait_for_capacity_and_the_execution_covers_it() -> None:
    env = parse_settings(FLEX_DEV).environment("dev")
    assert env.step_wait_min("first") == 30 + 20 + 10
    assert env.step_wait_min("second") == 45 + 20 + 10
    assert env.execution_timeout_min == 60 + 75 + 30


def test_standard_waits_only_the_job_timeout() -> None:
    raw = {"environments": {"dev": {"execution_class": "STANDARD", "jobs": {"first": JOB}}}}
    env = parse_settings(raw).environment("dev")
    assert env.step_wait_min("first") == 30
    assert env.execution_timeout_min == 30 + 30


# --- the jobs the settings build (one bare stack; no family app) ------------------------------------------
def _jobs_template(*, glue_version: str, settings: dict[str, Any]) -> dict[str, Any]:
    spec = dataclasses.replace(PROBE, glue_version=glue_version)
    app = cdk.App()
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    code = s3.Bucket(stack, "Code")
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "data")
    vpc_subnet = ec2.Subnet.from_subnet_attributes(
        stack, "Subnet", subnet_id="subnet-1", availability_zone="eu-west-1a"
    )
    EtlJobs(
        stack,
        "Jobs",
        spec=spec,
        code_bucket=code,
        buckets={Zone.RAW: bucket, Zone.CONFORMED: bucket, Zone.REPORTS: bucket},
        locations=Locations(
            family=spec.name,
            raw_bucket_name="raw",
            conformed_bucket_name="conformed",
            purpose_built_bucket_name="purpose-built",
            code_bucket_name="code",
            database_name="probe",
        ),
        family_key=kms.Key(stack, "FamilyKey"),
        data_key=kms.Key(stack, "DataKey"),
        subnets=[vpc_subnet],
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-1"),
        settings=parse_settings({"environments": {"dev": settings}}).environment("dev"),
    )
    return dict(app.synth().get_stack_by_name("Probe").template)


def _job(template: dict[str, Any]) -> dict[str, Any]:
    [job] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job"]
    return dict(job)


@pytest.mark.parametrize("version", ["5.1", "6.0"])
def test_jobs_run_the_declared_glue_version_on_its_python(version: str) -> None:
    job = _job(_jobs_template(glue_version=version, settings={"jobs": {"first": JOB}}))
    assert job["GlueVersion"] == version
    assert job["Command"] == {
        "Name": "glueetl",
        "PythonVersion": COMMAND_PYTHON_VERSION,
        "ScriptLocation": job["Command"]["ScriptLocation"],
    }


def test_flex_dev_jobs_scale_report_and_log_spark_events() -> None:
    settings = {"execution_class": "FLEX", "spark_ui_logs": True, "jobs": {"first": JOB}}
    template = _jobs_template(glue_version="6.0", settings=settings)
    job = _job(template)
    arguments = job["DefaultArguments"]

    assert job["ExecutionClass"] == "FLEX"
    assert job["NumberOfWorkers"] == 2  # with auto scaling: the most Glue may use
    assert arguments["--enable-auto-scaling"] == "true"
    assert arguments["--enable-job-insights"] == "true"
    assert arguments["--enable-observability-metrics"] == "true"
    assert "--enable-metrics" in arguments
    assert arguments["--enable-spark-ui"] == "true"
    assert "/spark-ui/probe_family/" in json.dumps(arguments["--spark-event-logs-path"])
    assert arguments["--metrics_namespace"] == "DataLakeKit/probe_family"


def test_switched_off_jobs_carry_none_of_the_switch_arguments() -> None:
    settings = {"auto_scaling": False, "job_metrics": False, "jobs": {"first": JOB}}
    job = _job(_jobs_template(glue_version="5.1", settings=settings))
    arguments = job["DefaultArguments"]

    assert job["ExecutionClass"] == "STANDARD"
    for flag in (
        "--enable-auto-scaling",
        "--enable-job-insights",
        "--enable-metrics",
        "--enable-observability-metrics",
        "--enable-spark-ui",
    ):
        assert flag not in arguments, flag


# --- run metrics ----------------------------------------------------------------------------------------
REPORT = {
    "step": "first",
    "dataset": "yellow_tripdata",
    "rows_read": 10,
    "rows_conformed": 9,
    "rows_quarantined": 1,
    "rows_written": 9,
    "durations_s": {"total": 3.2},
}


def test_each_row_count_is_published_by_step_and_by_step_and_dataset() -> None:
    data = job_runtime.run_metric_data(REPORT, step="first")

    by_step = {d["MetricName"]: d["Value"] for d in data if len(d["Dimensions"]) == 1}
    by_dataset = {d["MetricName"] for d in data if len(d["Dimensions"]) == 2}
    assert by_step == {"RowsRead": 10.0, "RowsConformed": 9.0, "RowsQuarantined": 1.0, "RowsWritten": 9.0}
    assert by_dataset == set(by_step)
    assert {"Name": "Dataset", "Value": "yellow_tripdata"} in data[1]["Dimensions"]
    assert all(d["Unit"] == "Count" for d in data)


def test_counts_a_report_does_not_carry_are_not_published() -> None:
    data = job_runtime.run_metric_data({"rows_read": 5, "rows_written": True, "dataset": ""}, step="second")
    assert [(d["MetricName"], d["Dimensions"]) for d in data] == [
        ("RowsRead", [{"Name": "Step", "Value": "second"}])
    ]


@mock_aws
def test_run_metrics_land_in_the_family_namespace() -> None:
    client = boto3.client("cloudwatch", region_name="eu-west-1")

    assert job_runtime.publish_run_metrics(REPORT, step="first", namespace="DataLakeKit/probe", client=client)
    listed = client.list_metrics(Namespace="DataLakeKit/probe")["Metrics"]
    assert {m["MetricName"] for m in listed} == {
        "RowsRead",
        "RowsConformed",
        "RowsQuarantined",
        "RowsWritten",
    }


def test_a_failure_to_publish_never_fails_the_run(caplog: pytest.LogCaptureFixture) -> None:
    class Unreachable:
        def put_metric_data(self, **_: Any) -> None:
            raise ConnectionError("no route to monitoring.eu-west-1.amazonaws.com")

    published = job_runtime.publish_run_metrics(REPORT, step="first", namespace="N", client=Unreachable())

    assert published is False
    assert "run metrics not published to N: no route" in caplog.text


def test_the_namespace_comes_from_the_job_argument() -> None:
    argv = ["--run_id", "r", "--metrics_namespace", "DataLakeKit/nyc_taxi", "--JOB_NAME", "j"]
    assert job_runtime.metrics_namespace(argv) == "DataLakeKit/nyc_taxi"
    assert job_runtime.metrics_namespace(["--run_id", "r"]) is None


@pytest.mark.parametrize(
    ("on_glue", "asked", "published"),
    [(False, None, False), (True, None, True), (False, True, True), (True, False, False)],
)
def test_runs_publish_on_glue_and_locally_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, on_glue: bool, asked: bool | None, published: bool
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        job_runtime,
        "start",
        lambda contract, argv: job_runtime.JobRun(args={}, spark=None, on_glue=on_glue),  # type: ignore[arg-type]
    )
    monkeypatch.setattr(job_runtime, "publish_run_metrics", lambda report, **kwargs: calls.append(kwargs))
    step = dataclasses.replace(PROBE.steps[0], static=(), per_run=())

    job_runtime.run_job(
        step, lambda spark: dict(REPORT), ["--metrics_namespace", "DataLakeKit/probe"], publish_metrics=asked
    )

    assert calls == ([{"step": "first", "namespace": "DataLakeKit/probe"}] if published else [])


@pytest.mark.parametrize("owner", ["yellow_tripdata_2021-05.csv", "legislators/2026-11-29/", "a@b.csv"])
def test_an_in_flight_mark_names_its_owner_and_run_and_only_its_owner_reads_it_back(owner: str) -> None:
    from job_family.glue.runtime import arguments

    mark = arguments.in_flight_mark(owner, "run-1")
    assert "/" not in mark  # one flat folder: no folder named by the source is left behind
    assert arguments.in_flight_run(mark, owner) == "run-1"
    assert arguments.in_flight_run(mark, owner + "x") is None
    assert arguments.in_flight_run(arguments.in_flight_mark("b.csv", "run-1"), "a@b.csv") is None

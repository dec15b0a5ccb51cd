"""Every job family at once on ONE embedded AWS: the infrastructure and each family of
`job_family.registry.family_names()` deployed together, a sample of each uploaded at the same time,
each run by its own trigger and state machine, and no family's flow touching another family's resources.

A family is covered as soon as it is deployable (`etl-jobs/<family>/cdk.json` and its spec): nothing
here names one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from job_family import registry
from job_family.audit.runtime.item import Attr, Status
from job_family.ingest.runtime.environment import AUDIT_TABLE_NAME, STATE_MACHINE_ARN, TOPIC_ARN
from job_family.outputs import Output
from job_family.testing.contracts.e2e import SETTLE_TIMEOUT_S, LocalFamily, LocalLake, deployed_families
from job_family.testing.family import FamilyUnderTest
from local_aws.flow import DeployedFlow, Upload, wait_until_settled

pytestmark = pytest.mark.e2e

FAMILIES = registry.family_names()
DELIVERY_ID = "together"
_S3_URL = re.compile(r"s3a?://([^/\s\"',]+)/?([^\s\"',]*)")

Runs = dict[str, tuple[Upload, dict[str, Any]]]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLake]:
    families = [FamilyUnderTest(registry.load_spec(name), registry.app_root(name)) for name in FAMILIES]
    with deployed_families(
        families,
        work_dir=tmp_path_factory.mktemp("e2e_families"),
        assemblies=tmp_path_factory.getbasetemp() / "assemblies",
    ) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def runs(lake: LocalLake) -> Runs:
    """One sample of each family (its first file per object, its delivery per delivery), all uploaded
    before any is followed, then followed together."""
    uploads: dict[str, Upload] = {}
    for name, family in lake.families.items():
        samples = family.sample_files(DELIVERY_ID)
        (uploads[name],) = family.flow.upload_samples(
            samples if family.flow.per_delivery else samples[:1], delivery_id=DELIVERY_ID
        )
    items = wait_until_settled(
        [(lake.families[name].flow, upload) for name, upload in uploads.items()],
        timeout_s=SETTLE_TIMEOUT_S * len(uploads),
    )
    return {name: (upload, items[upload.object_id]) for name, upload in uploads.items()}


def _others(lake: LocalLake, name: str) -> list[LocalFamily]:
    return [family for other, family in lake.families.items() if other != name]


def _execution_names(flow: DeployedFlow) -> set[str]:
    return {str(execution["name"]) for execution in flow.executions()}


def _own_buckets(flow: DeployedFlow) -> set[str]:
    """The buckets the family's stack created (its code bucket, its query results)."""
    stack = flow.env.deployment.stack(flow.stack_name)
    return {resource.physical_id for resource in stack.of_type("AWS::S3::Bucket")}


def _foreign_locations(flow: DeployedFlow, text: str) -> list[str]:
    """The s3:// locations in `text` that are neither below the family's prefix of a zone bucket nor in
    one of its own buckets."""
    zones = {flow.raw_bucket, flow.output(Output.CONFORMED_BUCKET), flow.purpose_built_bucket}
    own = _own_buckets(flow)
    foreign = []
    for bucket, key in _S3_URL.findall(text):
        if bucket in own or (bucket in zones and key.startswith(f"{flow.key_prefix}/")):
            continue
        foreign.append(f"s3://{bucket}/{key}")
    return foreign


def test_every_family_is_deployed_and_runs_its_sample_to_succeeded_at_the_same_time(
    lake: LocalLake, runs: Runs
) -> None:
    assert FAMILIES, "no job family under etl-jobs/ (a folder with cdk.json and <family>/spec.py)"
    assert sorted(lake.families) == FAMILIES
    outcome = {
        name: (item[Attr.STATUS.value], item.get(Attr.CAUSE.value)) for name, (_, item) in runs.items()
    }
    assert outcome == dict.fromkeys(FAMILIES, (Status.SUCCEEDED, None))
    for name, (_, item) in runs.items():
        assert (
            item[Attr.ROWS_READ.value] == item[Attr.ROWS_CONFORMED.value] + item[Attr.ROWS_QUARANTINED.value]
        ), name


def test_each_family_is_started_by_its_own_trigger_and_state_machine(lake: LocalLake, runs: Runs) -> None:
    for name, (upload, item) in runs.items():
        flow = lake.families[name].flow
        execution = item[Attr.EXECUTION_NAME.value]
        own = _execution_names(flow)

        assert execution in own, name
        assert own == {
            i[Attr.EXECUTION_NAME.value] for i in flow.audit_items() if Attr.EXECUTION_NAME.value in i
        }
        for other in _others(lake, name):
            assert execution not in _execution_names(other.flow), (name, other.spec.name)
        # its own trigger handled the upload's events, from its own queue
        source = flow.trigger_source()
        assert sum(batch.deleted for batch in source.history) >= len(upload.objects), name
        queue_name = source.mapping.event_source_arn.rsplit(":", 1)[-1]
        assert flow.output(Output.INGESTION_QUEUE).endswith(f"/{queue_name}"), name


def test_no_flow_reads_another_familys_resources(lake: LocalLake, runs: Runs) -> None:
    env = lake.env
    for name, family in lake.families.items():
        flow = family.flow
        prefix = f"{flow.key_prefix}/"
        executions = _execution_names(flow)

        # the trigger is wired to the family's own audit table, state machine and topic
        function = env.deployment.functions[flow.trigger_function]
        assert (
            function.environment[AUDIT_TABLE_NAME],
            function.environment[STATE_MACHINE_ARN],
            function.environment[TOPIC_ARN],
        ) == (flow.audit_table, flow.state_machine_arn, flow.topic_arn), name
        # the audit table holds only the family's objects, its executions only their inputs
        strangers = [
            item for item in flow.audit_items() if not str(item.get(Attr.KEY.value)).startswith(prefix)
        ]
        assert strangers == [], name
        sfn = env.aws.client("stepfunctions")
        for execution in flow.executions():
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            assert str(json.loads(described["input"])["key"]).startswith(prefix), (name, described["input"])
            assert not _foreign_locations(flow, described["input"]), name
        # the Glue runs its executions started are its own jobs, reading and writing only its locations
        started = [run for run in env.glue.runs if run.arguments.get("--run_id") in executions]
        assert started, name
        for job in flow.job_names:
            script = env.aws.client("glue").get_job(JobName=job)["Job"]["Command"]["ScriptLocation"]
            assert not _foreign_locations(flow, script), (name, job, script)
        for run in started:
            assert run.job_name in flow.job_names, (name, run.job_name)
            assert run.arguments.get("--database", flow.database) == flow.database, name
            assert not _foreign_locations(flow, json.dumps(run.arguments)), (name, run.job_name)
        # its catalog describes only its own data
        for table in flow.tables():
            assert not _foreign_locations(flow, table.location), (name, table.name, table.location)
        # its topic told only about its own objects
        upload, _ = runs[name]
        assert family.notifications_about(upload), name
        told = json.dumps(family.notifications.received)
        for other in _others(lake, name):
            other_prefix = f"{other.flow.key_prefix}/"
            assert f'"{other_prefix}' not in told and f"/{other_prefix}" not in told, (name, other.spec.name)


def test_each_familys_jobs_ran_on_the_spark_of_its_glue_version(lake: LocalLake, runs: Runs) -> None:
    from job_family import runtimes

    for name, family in lake.families.items():
        ran = {run.spark_version for run in lake.env.glue.runs if run.job_name in family.flow.job_names}
        # the version each run's report printed (the Spark that ran it), not the one configured
        assert ran == {runtimes.runtime(family.spec.glue_version).pyspark}, (name, ran)

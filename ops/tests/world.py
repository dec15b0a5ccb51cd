"""A deployed family as the operator commands see it, built directly on moto (in-process, no Spark):
its stack's outputs, raw / conformed / purpose-built buckets (versioned), the audit table with its
`by-status` index, the ingestion and dead-letter queues, the trigger function with its key layout and
SQS event source mapping, a state machine with the family's two Glue tasks, the Glue jobs, database and
tables, and the Athena workgroup. Executions do not run on moto: they stay RUNNING until stopped.

Two shapes, as the two families deploy them: `build` is nyc_taxi (per object; conformed and quarantine
tables keyed by `source_key`, purpose-built months mixing files), `build_delivery` is us_legislators
(per delivery; every table keyed by `delivery_id`).
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

from job_family.ingest.runtime.environment import FAMILY_LAYOUT
from job_family.ingest.runtime.layout import PER_DELIVERY, ArrivalLayout
from job_family.outputs import Output

ACCOUNT = "305812749163"  # dev in conftest.ACCOUNTS
REGION = "eu-west-1"
STACK = "dlk-dev-nyc-taxi"
FAMILY = "nyc_taxi"
DATABASE = "dlk_nyc_taxi"
LAYOUT = ArrivalLayout(
    family=FAMILY,
    datasets=tuple(
        (name, ((".csv.gz", "csv.gz"), (".parquet", "parquet"), (".csv", "csv")))
        for name in ("yellow_tripdata", "green_tripdata")
    ),
)
DELIVERY_STACK = "dlk-dev-us-legislators"
DELIVERY_FAMILY = "us_legislators"
DELIVERY_DATABASE = "dlk_us_legislators"
DELIVERY_LAYOUT = ArrivalLayout(
    family=DELIVERY_FAMILY,
    datasets=tuple(
        (name, ((".json.gz", "jsonl.gz"), (".jsonl", "jsonl"), (".json", "jsonl")))
        for name in ("persons", "memberships", "organizations")
    ),
    trigger=PER_DELIVERY,
)


@dataclass
class World:
    outputs: dict[str, str]
    mapping_uuid: str
    raw_job: str = "raw-to-conformed"
    pb_job: str = "conformed-to-purpose-built"

    def __getitem__(self, output: Output) -> str:
        return self.outputs[output.value]


def _definition(first: tuple[str, str, dict[str, str]], second: tuple[str, str, dict[str, str]]) -> str:
    """An ASL definition: a Pass state, then two Glue tasks (state, job, arguments), then Succeed."""

    def glue(job: str, arguments: dict[str, str], following: str) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": "arn:aws:states:::glue:startJobRun.sync",
            "Parameters": {"JobName": job, "Arguments": arguments},
            "Next": following,
        }

    return json.dumps(
        {
            "StartAt": "MarkRunning",
            "States": {
                "MarkRunning": {"Type": "Pass", "Next": first[0]},
                first[0]: glue(first[1], first[2], second[0]),
                second[0]: glue(second[1], second[2], "Succeeded"),
                "Succeeded": {"Type": "Succeed"},
            },
        }
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


BUCKETS = {
    "raw": "dlk-dev-raw",
    "conformed": "dlk-dev-conformed",
    "pb": "dlk-dev-purpose-built",
    "results": "results",
}
_RUN_ID = {"--run_id.$": "$$.Execution.Name"}


def build(session: Any, *, max_concurrent_runs: int = 2) -> World:
    """nyc_taxi: per object, raw -> conformed (and quarantine) by `source_key`, then monthly metrics."""
    conformed, pb = BUCKETS["conformed"], BUCKETS["pb"]
    return _build(
        session,
        stack=STACK,
        family=FAMILY,
        database=DATABASE,
        layout=LAYOUT,
        steps=(
            ("RawToConformed", "raw-to-conformed", {"--source_path.$": "$.source_path", "--dataset.$": "$.dataset", **_RUN_ID}),
            ("ConformedToPurposeBuilt", "conformed-to-purpose-built", {"--dataset.$": "$.dataset", **_RUN_ID}),
        ),
        tables=(
            ("yellow_tripdata_conformed", f"s3://{conformed}/{FAMILY}/conformed/yellow_tripdata/", ("pickup_year", "pickup_month", "source_key")),
            ("yellow_tripdata_quarantine", f"s3://{conformed}/{FAMILY}/quarantine/yellow_tripdata/", ("source_key",)),
            ("yellow_tripdata_daily_zone_metrics", f"s3://{pb}/{FAMILY}/yellow_tripdata_daily_zone_metrics/", ("pickup_year", "pickup_month")),
        ),
        max_concurrent_runs=max_concurrent_runs,
    )  # fmt: skip


def build_delivery(session: Any, *, max_concurrent_runs: int = 2) -> World:
    """us_legislators: per delivery, every table (conformed, quarantine, purpose-built) by `delivery_id`."""
    conformed, pb = BUCKETS["conformed"], BUCKETS["pb"]
    family = DELIVERY_FAMILY
    return _build(
        session,
        stack=DELIVERY_STACK,
        family=family,
        database=DELIVERY_DATABASE,
        layout=DELIVERY_LAYOUT,
        steps=(
            ("ConformDelivery", "conform-delivery", {"--source_path.$": "$.source_path", **_RUN_ID}),
            ("BuildMemberships", "build-memberships", dict(_RUN_ID)),
        ),
        tables=(
            ("persons", f"s3://{conformed}/{family}/conformed/persons/", ("delivery_id",)),
            ("persons_quarantine", f"s3://{conformed}/{family}/quarantine/persons/", ("delivery_id",)),
            ("legislator_memberships", f"s3://{pb}/{family}/legislator_memberships/", ("delivery_id",)),
        ),
        max_concurrent_runs=max_concurrent_runs,
    )


def _build(
    session: Any,
    *,
    stack: str,
    family: str,
    database: str,
    layout: ArrivalLayout,
    steps: tuple[tuple[str, str, dict[str, str]], tuple[str, str, dict[str, str]]],
    tables: tuple[tuple[str, str, tuple[str, ...]], ...],
    max_concurrent_runs: int,
) -> World:
    def client(name: str) -> Any:
        return session.client(name, region_name=REGION)

    s3 = client("s3")
    for name in BUCKETS.values():
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="audit",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("object_id", "status", "updated_at")
        ],
        KeySchema=[{"AttributeName": "object_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "updated_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    sqs = client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="ingestion")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    role = client("iam").create_role(RoleName="trigger", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName="trigger",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {FAMILY_LAYOUT: layout.to_json()}},
    )
    mapping = client("lambda").create_event_source_mapping(
        FunctionName="trigger", EventSourceArn=queue_arn, BatchSize=10, Enabled=True
    )
    # moto would hand the queue's messages to its own (fake) function: detach it, as local_aws does
    from moto.sqs.models import sqs_backends

    sqs_backends[ACCOUNT][REGION].queues["ingestion"].lambda_event_source_mappings.clear()
    glue = client("glue")
    world = World(outputs={}, mapping_uuid=mapping["UUID"], raw_job=steps[0][1], pb_job=steps[1][1])
    for _, job, _ in steps:
        glue.create_job(
            Name=job,
            Role=role,
            Command={"Name": "glueetl", "ScriptLocation": "s3://code/scripts/x.py"},
            ExecutionProperty={"MaxConcurrentRuns": max_concurrent_runs},
        )
    glue.create_database(DatabaseInput={"Name": database})
    for name, location, keys in tables:
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "StorageDescriptor": {"Location": location},
                "PartitionKeys": [{"Name": key, "Type": "string"} for key in keys],
            },
        )
    state_machine = client("stepfunctions").create_state_machine(
        name="orchestration", definition=_definition(*steps), roleArn=role
    )["stateMachineArn"]
    workgroup = f"dlk-{family.replace('_', '-')}"
    client("athena").create_work_group(
        Name=workgroup,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKETS['results']}/athena/"}},
    )
    world.outputs = {
        Output.FAMILY.value: family,
        Output.TRIGGER.value: layout.trigger,
        Output.RAW_BUCKET.value: BUCKETS["raw"],
        Output.RAW_KEY_PREFIX.value: f"{family}/",
        Output.CONFORMED_BUCKET.value: BUCKETS["conformed"],
        Output.PURPOSE_BUILT_BUCKET.value: BUCKETS["pb"],
        Output.AUDIT_TABLE.value: "audit",
        Output.STATE_MACHINE.value: state_machine,
        Output.TOPIC.value: f"arn:aws:sns:{REGION}:{ACCOUNT}:topic",
        Output.TRIGGER_FUNCTION.value: "trigger",
        Output.INGESTION_QUEUE.value: queue,
        Output.DEAD_LETTER_QUEUE.value: dlq,
        Output.DATABASE.value: database,
        Output.WORKGROUP.value: workgroup,
    }
    publish_outputs(session.client("cloudformation", region_name=REGION), stack, world.outputs)
    return world


def publish_outputs(cloudformation: Any, stack_name: str, outputs: dict[str, str]) -> None:
    """Create a CloudFormation stack holding nothing but these outputs, so `describe-stacks` finds a
    family deployed without CloudFormation (moto; local_aws deploys resources one by one)."""
    template = {
        "Resources": {"Outputs": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: "WaitConditionHandle is not supported" (it needs none)
        cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))

"""The deployer on the sample CDK app: resources exist with the template's names and values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_aws.cloud_assembly import read_cloud_assembly
from local_aws.deployer import Deployment
from local_aws.resources import SKIPPED
from local_aws.server import LocalAws
from local_aws.tests.sample_app import (
    ACCOUNT,
    AUDIT_TABLE_NAME,
    DATABASE_NAME,
    JOB_NAME,
    RAW_BUCKET_NAME,
    RAW_BUCKET_PARAMETER,
    REGION,
    STATE_MACHINE_NAME,
    WORKGROUP_NAME,
)

pytestmark = pytest.mark.synth


def _resource(deployment: Deployment, stack: str, resource_type: str) -> str:
    (resource,) = deployment.stack(stack).of_type(resource_type)
    return resource.physical_id


def test_every_stack_deploys_and_only_listed_types_are_skipped(deployed: tuple[LocalAws, Deployment]) -> None:
    _, deployment = deployed
    assert [stack.name for stack in deployment.stacks] == ["Local-SampleInfra", "Local-SampleEtl"]
    for stack in deployment.stacks:
        for resource in stack.skipped:
            assert resource.skipped_reason == SKIPPED[resource.resource_type]
    skipped_types = {r.resource_type for stack in deployment.stacks for r in stack.skipped}
    assert {
        "AWS::IAM::Policy",
        "AWS::S3::BucketPolicy",
        "AWS::Lambda::LayerVersion",
        "Custom::S3AutoDeleteObjects",
    } <= skipped_types


def test_bucket_has_the_templates_name_kms_key_and_versioning(
    deployed: tuple[LocalAws, Deployment],
) -> None:
    aws, deployment = deployed
    s3 = aws.client("s3")
    key_arn = deployment.stack("Local-SampleInfra").of_type("AWS::KMS::Key")[0].attributes["Arn"]
    rule = s3.get_bucket_encryption(Bucket=RAW_BUCKET_NAME)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    assert s3.get_bucket_versioning(Bucket=RAW_BUCKET_NAME)["Status"] == "Enabled"
    # EventBridge notifications: moto does not echo them in GetBucketNotificationConfiguration;
    # test_s3_object_created_reaches_the_rules_queue_only_under_its_prefix proves they are on.
    alias = aws.client("kms").list_aliases(KeyId=key_arn.rsplit("/", 1)[-1])["Aliases"]
    assert [a["AliasName"] for a in alias] == ["alias/sample-local-data"]


def test_ssm_contract_holds_the_real_local_ids(deployed: tuple[LocalAws, Deployment]) -> None:
    aws, _ = deployed
    ssm, ec2 = aws.client("ssm"), aws.client("ec2")
    values = {
        p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path="/sample/local/infra/v1")["Parameters"]
    }
    assert values[RAW_BUCKET_PARAMETER] == RAW_BUCKET_NAME
    assert values["/sample/local/infra/v1/data-key-arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    subnet = ec2.describe_subnets(SubnetIds=[values["/sample/local/infra/v1/private-subnet-1-id"]])[
        "Subnets"
    ][0]
    assert (subnet["CidrBlock"], subnet["AvailabilityZone"]) == ("10.40.0.0/24", "eu-west-1a")
    group_id = values["/sample/local/infra/v1/workload-security-group-id"]
    assert ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["VpcId"] == subnet["VpcId"]


def test_table_and_queues_follow_the_template(deployed: tuple[LocalAws, Deployment]) -> None:
    aws, deployment = deployed
    key_arn = aws.client("ssm").get_parameter(Name="/sample/local/infra/v1/data-key-arn")["Parameter"][
        "Value"
    ]
    table = aws.client("dynamodb").describe_table(TableName=AUDIT_TABLE_NAME)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn
    backups = aws.client("dynamodb").describe_continuous_backups(TableName=AUDIT_TABLE_NAME)
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        == "ENABLED"
    )

    queues = deployment.stack("Local-SampleEtl").of_type("AWS::SQS::Queue")
    arrivals = next(q for q in queues if q.logical_id.startswith("Arrivals"))
    dead_letters = next(q for q in queues if q.logical_id.startswith("DeadLetters"))
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=arrivals.physical_id, AttributeNames=["All"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.attributes["Arn"],
        "maxReceiveCount": 3,
    }
    assert (attributes["KmsMasterKeyId"], attributes["VisibilityTimeout"]) == (key_arn, "30")


def test_state_machine_runs_the_templates_definition_with_names_resolved(
    deployed: tuple[LocalAws, Deployment], sample_assembly: Path
) -> None:
    aws, _ = deployed
    sfn = aws.client("stepfunctions")
    (machine,) = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == STATE_MACHINE_NAME]
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
    )
    run_job = definition["States"]["RunJob"]
    assert run_job["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert run_job["Parameters"]["JobName"] == JOB_NAME
    assert definition["States"]["AuditSucceeded"]["Parameters"]["TableName"] == AUDIT_TABLE_NAME
    etl = next(s for s in read_cloud_assembly(sample_assembly) if s.stack_name == "Local-SampleEtl")
    template_text = json.dumps(etl.template["Resources"]["FlowA74D6E88"]["Properties"]["DefinitionString"])
    assert '\\"ResultSelector\\":{\\"JobRunState.$\\":\\"$.JobRunState\\"' in template_text


def test_glue_job_lambda_and_catalog_carry_resolved_template_values(
    deployed: tuple[LocalAws, Deployment],
) -> None:
    aws, deployment = deployed
    job = aws.client("glue").get_job(JobName=JOB_NAME)["Job"]
    assert job["DefaultArguments"]["--source_path"] == f"s3://{RAW_BUCKET_NAME}/incoming/trips.csv"
    assert job["Command"]["ScriptLocation"].startswith(f"s3://cdk-hnb659fds-assets-{ACCOUNT}-{REGION}/")
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.0", "G.1X", 2)

    trigger = next(f for f in deployment.functions.values() if f.logical_id.startswith("Trigger"))
    assert trigger.handler == "handler.handler"
    assert trigger.environment == {"TABLE_NAME": AUDIT_TABLE_NAME, "RAW_BUCKET": RAW_BUCKET_NAME}
    (mapping,) = deployment.event_source_mappings
    assert (mapping.function_name, mapping.batch_size, mapping.report_batch_item_failures) == (
        trigger.name,
        5,
        True,
    )

    table = aws.client("glue").get_table(DatabaseName=DATABASE_NAME, Name="trips")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{RAW_BUCKET_NAME}/parquet/"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["run_id"]
    athena = aws.client("athena")
    workgroup = athena.get_work_group(WorkGroup=WORKGROUP_NAME)["WorkGroup"]
    assert (
        workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"]
        == f"s3://{RAW_BUCKET_NAME}/athena-results/"
    )
    query_id = _resource(deployment, "Local-SampleEtl", "AWS::Athena::NamedQuery")
    assert athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]["QueryString"].endswith(
        f"{DATABASE_NAME}.trips"
    )


def test_bucket_deployment_copies_the_source_asset_to_the_destination_prefix(
    deployed: tuple[LocalAws, Deployment],
) -> None:
    aws, _ = deployed
    body = aws.client("s3").get_object(Bucket=RAW_BUCKET_NAME, Key="rules/total.sql")["Body"].read()
    assert body == (Path(__file__).parent / "sample" / "rules" / "total.sql").read_bytes()


def test_s3_object_created_reaches_the_rules_queue_only_under_its_prefix(
    deployed: tuple[LocalAws, Deployment],
) -> None:
    """moto routes bucket EventBridge notifications to rules and SQS targets itself: no shim needed."""
    aws, deployment = deployed
    s3, sqs = aws.client("s3"), aws.client("sqs")
    queue_url = next(
        q.physical_id
        for q in deployment.stack("Local-SampleEtl").of_type("AWS::SQS::Queue")
        if q.logical_id.startswith("Arrivals")
    )
    s3.put_object(Bucket=RAW_BUCKET_NAME, Key="elsewhere/ignored.csv", Body=b"a")
    s3.put_object(Bucket=RAW_BUCKET_NAME, Key="incoming/routed.csv", Body=b"a")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    events = [json.loads(m["Body"]) for m in messages]
    assert [(e["source"], e["detail-type"], e["detail"]["object"]["key"]) for e in events] == [
        ("aws.s3", "Object Created", "incoming/routed.csv")
    ]
    assert events[0]["detail"]["bucket"]["name"] == RAW_BUCKET_NAME
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])

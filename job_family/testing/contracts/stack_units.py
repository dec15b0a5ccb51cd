"""Contract: fine-grained assertions on each unit of a family stack (dev unless said otherwise)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match, Template

from job_family import naming
from job_family.audit.runtime.item import STATUS_INDEX_NAME, TABLE_PARTITION_KEY
from job_family.glue.locations import zone_prefix
from job_family.ingest.runtime.environment import VARIABLES
from job_family.packaging.bundles import runtime_zip_name
from job_family.spec import Zone
from job_family.testing.synth import Synthesized, only, resources


def _ref_name(value: Any) -> str:
    return str(value["Ref"]) if isinstance(value, dict) and "Ref" in value else str(value)


# --- code bucket ----------------------------------------------------------------------------------
def test_code_bucket_is_kms_encrypted_versioned_and_tls_only(dev: Template) -> None:
    dev.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": ["EncryptionKey3A692D6E", "Arn"]},
                        },
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicAcls": True}),
        },
    )
    dev.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": "CodeBucket34C7356F"},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )


def test_code_bucket_receives_scripts_rules_and_reference_data_on_deploy(
    synthesized: Synthesized, dev: Template
) -> None:
    spec = synthesized.spec
    dev.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {"DestinationBucketName": {"Ref": "CodeBucket34C7356F"}, "Prune": True},
    )
    bundle = _asset_with(synthesized.outdir, f"scripts/{runtime_zip_name(spec.name)}")
    files = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*") if path.is_file()}
    assert {f"scripts/{step.script}" for step in spec.steps} <= files
    for zone, prefix in ((Zone.RULES, "rules/"), (Zone.REFERENCE, "reference/")):
        if zone in {zone for step in spec.steps for zone in step.reads}:
            assert any(name.startswith(prefix) for name in files), f"no {prefix} files in the code bucket"


def test_runtime_zip_holds_the_framework_runtime_and_the_family_package_and_no_cdk_code(
    synthesized: Synthesized,
) -> None:
    spec = synthesized.spec
    zip_name = runtime_zip_name(spec.name)
    bundle = _asset_with(synthesized.outdir, f"scripts/{zip_name}")
    names = set(zipfile.ZipFile(bundle / "scripts" / zip_name).namelist())

    assert {
        "job_family/__init__.py",
        "job_family/spec.py",
        "job_family/glue/runtime/job_runtime.py",
        "job_family/glue/runtime/storage.py",
        f"{spec.package}/__init__.py",
        f"{spec.package}/spec.py",
        *(step.module.replace(".", "/") + ".py" for step in spec.steps),
    } <= names
    assert all(
        name.startswith(("job_family/glue/runtime/", f"{spec.package}/"))
        or name.endswith(("__init__.py", "job_family/spec.py"))
        for name in names
    )
    assert not any("infrastructure" in name or "__pycache__" in name for name in names)


def _asset_with(outdir: Path, relative: str) -> Path:
    matches = [path for path in outdir.glob("asset.*") if (path / relative).is_file()]
    assert len(matches) == 1, f"expected one asset holding {relative}, found {matches}"
    return matches[0]


# --- ingestion -------------------------------------------------------------------------------------
def test_rule_sends_the_family_objects_of_the_raw_bucket_to_the_queue(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    _, rule = only(template, "AWS::Events::Rule", "IngestionObjectCreated")
    pattern = rule["Properties"]["EventPattern"]

    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": synthesized.spec.key_prefix}]}
    [bucket_name] = pattern["detail"]["bucket"]["name"]
    assert template["Parameters"][_ref_name(bucket_name)]["Default"] == "/dlk/dev/infra/v1/raw-bucket-name"
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["IngestionQueue8DED9A6F", "Arn"]}


def test_queues_are_kms_encrypted_with_a_dead_letter_queue(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    queues = resources(template, "AWS::SQS::Queue")
    main = queues["IngestionQueue8DED9A6F"]["Properties"]

    assert all(
        q["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["EncryptionKey3A692D6E", "Arn"]}
        for q in queues.values()
    )
    assert (
        main["RedrivePolicy"]["maxReceiveCount"]
        == synthesized.family.environment("dev").trigger.max_receive_count
    )
    assert main["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["IngestionDeadLetterQueueEB97306D", "Arn"]
    }
    assert main["VisibilityTimeout"] == 6 * synthesized.family.environment("dev").trigger.timeout_s


def test_trigger_function_runs_current_python_in_the_vpc_with_its_collaborators(
    synthesized: Synthesized,
) -> None:
    template = synthesized.template_json("dev")
    _, function = only(template, "AWS::Lambda::Function", "IngestionFunction")
    props = function["Properties"]

    assert props["Runtime"] == "python3.14"
    assert props["Handler"] == "job_family.ingest.runtime.handler.handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    subnets = [template["Parameters"][_ref_name(s)]["Default"] for s in props["VpcConfig"]["SubnetIds"]]
    assert subnets == ["/dlk/dev/infra/v1/private-subnet-1-id", "/dlk/dev/infra/v1/private-subnet-2-id"]
    [group] = props["VpcConfig"]["SecurityGroupIds"]
    assert (
        template["Parameters"][_ref_name(group)]["Default"] == "/dlk/dev/infra/v1/workload-security-group-id"
    )
    assert set(props["Environment"]["Variables"]) == set(VARIABLES)
    role = template["Resources"][props["Role"]["Fn::GetAtt"][0]]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_trigger_reports_partial_batch_failures(dev: Template) -> None:
    dev.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FunctionResponseTypes": ["ReportBatchItemFailures"], "BatchSize": 10},
    )


def test_trigger_may_only_put_and_get_audit_items(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    _, policy = only(template, "AWS::IAM::Policy", "IngestionFunctionRoleDefaultPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    dynamodb = [s for s in statements if any(str(a).startswith("dynamodb:") for a in _list(s["Action"]))]

    assert dynamodb == [
        {
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": ["AuditTable18A3095C", "Arn"]},
        }
    ]
    assert any("states:StartExecution" in _list(s["Action"]) for s in statements)
    assert any("sns:Publish" in _list(s["Action"]) for s in statements)


def test_trigger_bundle_holds_the_framework_handler_and_no_cdk_code(synthesized: Synthesized) -> None:
    bundle = _asset_with(synthesized.outdir, "job_family/ingest/runtime/handler.py")
    files = {path.relative_to(bundle).as_posix() for path in bundle.rglob("*.py")}

    assert "job_family/audit/runtime/item.py" in files
    assert "job_family/orchestration/runtime/execution_input.py" in files
    assert not any(name.endswith("infrastructure.py") or name == "job_family/stack.py" for name in files)
    assert not any(name.startswith(f"{synthesized.spec.package}/") for name in files)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- audit ------------------------------------------------------------------------------------------
def test_audit_table_is_on_demand_with_pitr_kms_and_a_status_index(dev: Template) -> None:
    dev.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": TABLE_PARTITION_KEY, "KeyType": "HASH"}],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": {"Fn::GetAtt": ["EncryptionKey3A692D6E", "Arn"]},
            },
            "GlobalSecondaryIndexes": [
                Match.object_like(
                    {
                        "IndexName": STATUS_INDEX_NAME,
                        "KeySchema": [
                            {"AttributeName": "status", "KeyType": "HASH"},
                            {"AttributeName": "updated_at", "KeyType": "RANGE"},
                        ],
                    }
                )
            ],
        },
    )


def test_retained_environments_protect_the_audit_table_and_dev_may_delete_it(
    dev: Template, prod: Template
) -> None:
    prod.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})
    prod.has_resource_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": True})
    dev.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Delete"})
    dev.has_resource_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": False})
    prod.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})


# --- notifications ----------------------------------------------------------------------------------
def test_topic_is_kms_encrypted_and_subscribed_from_config(synthesized: Synthesized, dev: Template) -> None:
    dev.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": ["EncryptionKey3A692D6E", "Arn"]}}
    )
    emails = synthesized.settings.notifications.emails
    dev.resource_count_is("AWS::SNS::Subscription", len(emails))
    for email in emails:
        dev.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": email})


def test_alarms_watch_failed_and_timed_out_executions_and_the_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    template = synthesized.template_json("dev")
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    metrics = {(a["Namespace"], a["MetricName"]) for a in alarms}

    assert {
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    } <= metrics
    topic_ref = {"Ref": next(iter(resources(template, "AWS::SNS::Topic")))}
    assert all(a["AlarmActions"] == [topic_ref] for a in alarms)


# --- catalog ----------------------------------------------------------------------------------------
def test_every_declared_table_has_the_schema_columns_and_partition_keys(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    tables = {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in resources(template, "AWS::Glue::Table").values()
    }

    assert set(tables) == {spec.name for spec in synthesized.spec.tables}
    for spec in synthesized.spec.tables:
        table = tables[spec.name]
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        partitions = [(c["Name"], c["Type"]) for c in table["PartitionKeys"]]
        assert columns == spec.glue_columns(), spec.name
        assert partitions == spec.glue_partition_keys(), spec.name
        assert "parquet" in table["StorageDescriptor"]["InputFormat"].lower()


def test_tables_live_under_the_job_family_prefixes(synthesized: Synthesized) -> None:
    template = synthesized.template_json("dev")
    joined = {
        t["Properties"]["TableInput"]["Name"]: _joined(
            t["Properties"]["TableInput"]["StorageDescriptor"]["Location"]
        )
        for t in resources(template, "AWS::Glue::Table").values()
    }

    for spec in synthesized.spec.tables:
        assert (
            joined[spec.name] == f"s3://<ref>/{zone_prefix(synthesized.spec.name, spec.zone)}{spec.folder}/"
        )


def _joined(value: Any) -> str:
    """A `Fn::Join` rendered with `<ref>` for each token."""
    parts = value["Fn::Join"][1] if isinstance(value, dict) and "Fn::Join" in value else [value]
    return "".join(part if isinstance(part, str) else "<ref>" for part in parts)


def test_athena_workgroup_enforces_encrypted_results(synthesized: Synthesized, dev: Template) -> None:
    spec, prefix = synthesized.spec, synthesized.settings.prefix
    dev.has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "Name": naming.workgroup_name(prefix, spec.name),
            "WorkGroupConfiguration": Match.object_like(
                {
                    "EnforceWorkGroupConfiguration": True,
                    "ResultConfiguration": {
                        "EncryptionConfiguration": {
                            "EncryptionOption": "SSE_KMS",
                            "KmsKey": {"Fn::GetAtt": ["EncryptionKey3A692D6E", "Arn"]},
                        },
                        "OutputLocation": Match.any_value(),
                    },
                }
            ),
        },
    )
    database = naming.database_name(prefix, spec.name)
    dev.resource_count_is("AWS::Athena::NamedQuery", len(spec.named_queries(database)))
    dev.has_resource_properties(
        "AWS::Glue::Database", {"DatabaseInput": Match.object_like({"Name": database})}
    )


def test_stage_resources_carry_the_standard_tags(synthesized: Synthesized, prod: Template) -> None:
    settings = synthesized.settings
    (table,) = prod.find_resources("AWS::DynamoDB::Table").values()
    assert {tag["Key"]: tag["Value"] for tag in table["Properties"]["Tags"]} == {
        "project": settings.project,
        "app": synthesized.spec.app_name,
        "environment": "prod",
        "cost-centre": settings.cost_centre,
    }


def test_a_family_triggered_per_delivery_also_sweeps_on_its_schedule(synthesized: Synthesized) -> None:
    from job_family.spec import PerDelivery

    template = synthesized.template_json("dev")
    schedules = [
        rule["Properties"]
        for key, rule in resources(template, "AWS::Events::Rule").items()
        if key.startswith("IngestionSchedule")
    ]
    trigger = synthesized.spec.trigger
    if not isinstance(trigger, PerDelivery):
        assert schedules == []
        return
    [schedule] = schedules
    assert schedule["ScheduleExpression"] == trigger.schedule
    [target] = schedule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["IngestionQueue8DED9A6F", "Arn"]}
    assert "job_family.schedule" in str(target["Input"])

"""A small CDK app shaped like a data-lake stage, synthesized by the tests to exercise local_aws.

Stage `Local` holds two stacks, coupled only through an SSM parameter (as the real apps are):
- `SampleInfra`: KMS key + alias, a KMS-encrypted versioned bucket with EventBridge notifications,
  a VPC with isolated subnets and a security group, and the SSM parameters naming them;
- `SampleEtl`: reads the bucket name from SSM, and holds an audit table, an EventBridge rule to a
  queue (with DLQ) feeding a Lambda, a Glue job (script + --extra-py-files assets), a state machine
  (`glue:startJobRun.sync` with a result_selector, then `dynamodb:updateItem`, Catch to FAILED),
  an SNS topic, a Glue database/table, an Athena workgroup/named query and a BucketDeployment.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

SAMPLE = Path(__file__).parent / "sample"
ACCOUNT = "111111111111"
REGION = "eu-west-1"
RAW_BUCKET_NAME = f"sample-local-raw-{ACCOUNT}-{REGION}"
RAW_BUCKET_PARAMETER = "/sample/local/infra/v1/raw-bucket-name"
DATA_KEY_PARAMETER = "/sample/local/infra/v1/data-key-arn"
AUDIT_TABLE_NAME = "sample-local-audit"
JOB_NAME = "sample-local-csv-to-parquet"
STATE_MACHINE_NAME = "sample-local-flow"
DATABASE_NAME = "sample_local"
WORKGROUP_NAME = "sample-local"


class SampleInfra(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        key = kms.Key(self, "DataKey", enable_key_rotation=True, alias="alias/sample-local-data")
        raw = s3.Bucket(
            self,
            "RawBucket",
            bucket_name=RAW_BUCKET_NAME,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            versioned=True,
            event_bridge_enabled=True,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        vpc = ec2.Vpc(
            self,
            "Network",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/22"),
            availability_zones=["eu-west-1a", "eu-west-1b"],
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
        )
        workload = ec2.SecurityGroup(self, "WorkloadSecurityGroup", vpc=vpc)
        ssm.StringParameter(
            self, "RawBucketName", parameter_name=RAW_BUCKET_PARAMETER, string_value=raw.bucket_name
        )
        ssm.StringParameter(self, "DataKeyArn", parameter_name=DATA_KEY_PARAMETER, string_value=key.key_arn)
        ssm.StringParameter(
            self,
            "SubnetId",
            parameter_name="/sample/local/infra/v1/private-subnet-1-id",
            string_value=vpc.isolated_subnets[0].subnet_id,
        )
        ssm.StringParameter(
            self,
            "SecurityGroupId",
            parameter_name="/sample/local/infra/v1/workload-security-group-id",
            string_value=workload.security_group_id,
        )


class SampleEtl(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        raw_name = ssm.StringParameter.value_for_string_parameter(self, RAW_BUCKET_PARAMETER)
        key_arn = ssm.StringParameter.value_for_string_parameter(self, DATA_KEY_PARAMETER)
        raw = s3.Bucket.from_bucket_name(self, "Raw", raw_name)
        key = kms.Key.from_key_arn(self, "DataKey", key_arn)

        table = ddb.Table(
            self,
            "AuditTable",
            table_name=AUDIT_TABLE_NAME,
            partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            encryption=ddb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        dead_letters = sqs.Queue(
            self, "DeadLetters", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key
        )
        queue = sqs.Queue(
            self,
            "Arrivals",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            visibility_timeout=cdk.Duration.seconds(30),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=3),
        )
        events.Rule(
            self,
            "ObjectCreated",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [raw_name]}, "object": {"key": [{"prefix": "incoming/"}]}},
            ),
            targets=[targets.SqsQueue(queue)],
        )
        trigger = lambda_.Function(
            self,
            "Trigger",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(SAMPLE / "handler")),
            environment={"TABLE_NAME": table.table_name, "RAW_BUCKET": raw_name},
        )
        trigger.add_event_source(sources.SqsEventSource(queue, batch_size=5, report_batch_item_failures=True))
        table.grant_write_data(trigger)

        script = s3_assets.Asset(self, "Script", path=str(SAMPLE / "jobs" / "csv_to_parquet.py"))
        helpers = s3_assets.Asset(self, "Helpers", path=str(SAMPLE / "helpers"))
        job_role = iam.Role(self, "JobRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        raw.grant_read_write(job_role)
        job = glue.CfnJob(
            self,
            "CsvToParquet",
            name=JOB_NAME,
            role=job_role.role_arn,
            glue_version="5.0",
            worker_type="G.1X",
            number_of_workers=2,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            default_arguments={
                "--source_path": f"s3://{raw_name}/incoming/trips.csv",
                "--output_path": f"s3://{raw_name}/parquet/",
                "--extra-py-files": helpers.s3_object_url,
                "--job-language": "python",
            },
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=2),
        )

        run_job = tasks.GlueStartJobRun(
            self,
            "RunJob",
            glue_job_name=job.ref,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object({"--run_id": sfn.JsonPath.string_at("$$.Execution.Name")}),
            result_selector={"JobRunState.$": "$.JobRunState", "Id.$": "$.Id"},
            result_path="$.job",
        )
        succeeded = tasks.DynamoUpdateItem(
            self,
            "AuditSucceeded",
            table=table,
            key={"pk": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.Execution.Name"))},
            update_expression="SET #s = :s",
            expression_attribute_names={"#s": "status"},
            expression_attribute_values={":s": tasks.DynamoAttributeValue.from_string("SUCCEEDED")},
        )
        failed = tasks.DynamoUpdateItem(
            self,
            "AuditFailed",
            table=table,
            key={"pk": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.Execution.Name"))},
            update_expression="SET #s = :s, #c = :c",
            expression_attribute_names={"#s": "status", "#c": "cause"},
            expression_attribute_values={
                ":s": tasks.DynamoAttributeValue.from_string("FAILED"),
                ":c": tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$.error.Cause")),
            },
        ).next(sfn.Fail(self, "Failed"))
        run_job.add_catch(failed, result_path="$.error")
        log_group = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_WEEK)
        sfn.StateMachine(
            self,
            "Flow",
            state_machine_name=STATE_MACHINE_NAME,
            definition_body=sfn.DefinitionBody.from_chainable(run_job.next(succeeded)),
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
            tracing_enabled=True,
        )

        topic = sns.Topic(self, "Notifications", master_key=key)
        topic.add_subscription(subscriptions.SqsSubscription(dead_letters))

        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=self.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(name=DATABASE_NAME),
        )
        trips = glue.CfnTable(
            self,
            "TripsTable",
            catalog_id=self.account,
            database_name=DATABASE_NAME,
            table_input=glue.CfnTable.TableInputProperty(
                name="trips",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="run_id", type="string")],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=f"s3://{raw_name}/parquet/",
                    columns=[
                        glue.CfnTable.ColumnProperty(name="fare", type="double"),
                        glue.CfnTable.ColumnProperty(name="tip", type="double"),
                    ],
                ),
            ),
        )
        trips.add_dependency(database)
        workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=WORKGROUP_NAME,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{raw_name}/athena-results/"
                ),
            ),
        )
        query = athena.CfnNamedQuery(
            self,
            "TotalsQuery",
            name="totals",
            database=DATABASE_NAME,
            work_group=workgroup.ref,
            query_string=f"SELECT sum(fare + tip) FROM {DATABASE_NAME}.trips",
        )
        query.add_dependency(workgroup)
        s3_deployment.BucketDeployment(
            self,
            "Rules",
            sources=[s3_deployment.Source.asset(str(SAMPLE / "rules"))],
            destination_bucket=raw,
            destination_key_prefix="rules/",
            prune=False,
        )


def build_sample_app(outdir: Path) -> Path:
    """Synthesize the sample stage into `outdir`; returns the cloud assembly directory."""
    app = cdk.App(outdir=str(outdir))
    stage = cdk.Stage(app, "Local", env=cdk.Environment(account=ACCOUNT, region=REGION))
    infra = SampleInfra(stage, "SampleInfra")
    etl = SampleEtl(stage, "SampleEtl")
    etl.add_dependency(infra)
    app.synth()
    return outdir

"""Ingestion: EventBridge rule on the raw bucket's `<family>/` objects -> SQS queue -> trigger Lambda.

The job family never edits the infrastructure's bucket notifications: the raw bucket sends every event
to EventBridge, and this rule picks the `Object Created` events under `<family>/`. The queue (KMS,
dead-letter queue after `max_receive_count` deliveries) absorbs bursts and retries; the function
reports partial batch failures, so one bad message never returns the others to the queue.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from job_family.ingest.runtime import environment
from job_family.ingest.runtime.arrivals import SCHEDULE_SOURCE
from job_family.ingest.runtime.layout import PER_DELIVERY, PER_OBJECT, ArrivalLayout
from job_family.packaging.bundles import FRAMEWORK, FamilyBundles
from job_family.settings import TriggerSettings
from job_family.spec import FamilySpec, PerDelivery

HANDLER = f"{FRAMEWORK}.ingest.runtime.handler.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# AWS recommends a queue visibility timeout of at least six times the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6


def layout_of(spec: FamilySpec) -> ArrivalLayout:
    """The key layout the trigger accepts, from the family's spec."""
    return ArrivalLayout(
        family=spec.name,
        datasets=tuple(
            (dataset.name, tuple((f.suffix, f.name) for f in dataset.formats)) for dataset in spec.datasets
        ),
        trigger=PER_DELIVERY if isinstance(spec.trigger, PerDelivery) else PER_OBJECT,
        deliveries_folder=spec.trigger.folder if isinstance(spec.trigger, PerDelivery) else "deliveries",
    )


class Ingestion(Construct):
    """The rule, queues and trigger function. Grant the function its collaborators from outside
    (`audit_table.grant(...)`, `state_machine.grant_start_execution(...)`, `topic.grant_publish(...)`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FamilySpec,
        bundles: FamilyBundles,
        raw_bucket: s3.IBucket,
        audit_table: dynamodb.ITable,
        state_machine: sfn.IStateMachine,
        topic: sns.ITopic,
        key: kms.IKey,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        settings: TriggerSettings,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = cdk.Duration.seconds(settings.timeout_s)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(settings.timeout_s * VISIBILITY_TIMEOUT_FACTOR),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=settings.max_receive_count
            ),
        )
        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description=f"{spec.name}: objects created under {spec.key_prefix} in the raw bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [raw_bucket.bucket_name]},
                    "object": {"key": [{"prefix": spec.key_prefix}]},
                },
            ),
            targets=[targets.SqsQueue(self.queue)],
        )
        self.schedule: events.Rule | None = None
        if isinstance(spec.trigger, PerDelivery):
            # The sweep: picks up every complete delivery no event has started (never one twice).
            self.schedule = events.Rule(
                self,
                "Schedule",
                description=f"{spec.name}: look for complete deliveries not yet processed",
                schedule=events.Schedule.expression(spec.trigger.schedule),
                targets=[
                    targets.SqsQueue(
                        self.queue,
                        message=events.RuleTargetInput.from_object(
                            {"source": SCHEDULE_SOURCE, "bucket": raw_bucket.bucket_name}
                        ),
                    )
                ],
            )

        self.log_group = logs.LogGroup(
            self, "FunctionLogs", encryption_key=key, retention=log_retention, removal_policy=removal_policy
        )
        self.role = role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name} trigger: its log group, its VPC network interfaces",
        )
        self.log_group.grant_write(role)
        # Lambda's VPC attachment (AWSLambdaVPCAccessExecutionRole's actions); AWS does not support
        # resource-level permissions for them.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=(
                f"{spec.name} trigger: validate, claim (audit) and start one execution per "
                f"{'complete delivery' if isinstance(spec.trigger, PerDelivery) else 'raw object'}"
            ),
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(
                str(bundles.framework_root / FRAMEWORK), **bundles.lambda_bundle.options()
            ),
            role=role,
            timeout=timeout,
            memory_size=settings.memory_mb,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[security_group],
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                environment.AUDIT_TABLE_NAME: audit_table.table_name,
                environment.STATE_MACHINE_ARN: state_machine.state_machine_arn,
                environment.TOPIC_ARN: topic.topic_arn,
                environment.FAMILY_LAYOUT: layout_of(spec).to_json(),
            },
            environment_encryption=key,
        )
        if isinstance(spec.trigger, PerDelivery):
            # Listings of the family's delivery folders only (whether a delivery is complete).
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[raw_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{spec.key_prefix}*"]}},
                )
            )
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=settings.batch_size,
                max_batching_window=cdk.Duration.seconds(settings.max_batching_window_s),
                report_batch_item_failures=True,
            )
        )

"""The data zones: a customer-managed key, raw / conformed / purpose-built buckets, access logs.

Every data bucket is SSE-KMS with the data key (bucket keys on), TLS-only, private, versioned
(non-current versions expire), logged to the access-log bucket, and refuses uploads that ask for
any other encryption. The raw bucket also sends its events to EventBridge, so a job family
subscribes with an EventBridge rule and never edits the bucket's notifications.

The access-log bucket is SSE-S3: the S3 logging service cannot write to a bucket whose default
encryption is a customer-managed key it has no grant on (seed-repos.md, W-S3). Its policy lets the
logging service deliver the server access logs of any bucket of this account (job families' code and
query-result buckets log here too), not only of the buckets CDK sees in this stack.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from delivery.buckets import hardened_bucket, kms_bucket
from delivery.compliance import acknowledge
from shared_config.model import Lifecycle

INCOMPLETE_UPLOAD_DAYS = 7
S3_LOGGING_PRINCIPAL = "logging.s3.amazonaws.com"
ACCOUNT_ACCESS_LOGS_SID = "AllowServerAccessLogsFromThisAccount"


@dataclass(frozen=True, kw_only=True)
class BucketNames:
    """Physical names of the zone buckets (people and producers outside CDK use them)."""

    raw: str
    conformed: str
    purpose_built: str
    access_logs: str


class Storage(Construct):
    """The data key and the zone buckets of one environment.

    `removal_policy` applies to the key and every bucket (RETAIN unless the environment's two
    deletion switches agree); `auto_delete_objects` empties buckets on stack deletion and is only
    allowed together with `RemovalPolicy.DESTROY`. `lifecycle` comes from the environment.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: BucketNames,
        lifecycle: Lifecycle,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        auto_delete_objects: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        if auto_delete_objects and removal_policy != cdk.RemovalPolicy.DESTROY:
            raise ValueError(
                "auto_delete_objects=True needs removal_policy=RemovalPolicy.DESTROY: emptying a "
                "bucket that is kept makes no sense; set both from the environment's deletion switches"
            )
        self.data_key = kms.Key(
            self,
            "DataKey",
            description="Encrypts the data lake zones (raw, conformed, purpose-built)",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=names.access_logs,
            encryption=s3.BucketEncryption.S3_MANAGED,
            **hardened_bucket(),
            versioned=True,
            lifecycle_rules=[_noncurrent_rule(lifecycle)],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        _accept_access_logs_from_the_account(self.access_logs)
        acknowledge(
            self.access_logs,
            {
                "AwsSolutions-S1": (
                    "this is the access-log bucket itself; logging it into itself would loop, and "
                    "CloudTrail data events cover access to it"
                )
            },
        )

        def zone(construct_id: str, bucket_name: str, *, expiry_days: int | None = None) -> s3.Bucket:
            bucket = s3.Bucket(
                self,
                construct_id,
                bucket_name=bucket_name,
                **kms_bucket(
                    self.data_key, access_logs=self.access_logs, access_log_prefix=f"{bucket_name}/"
                ),
                versioned=True,
                lifecycle_rules=_zone_rules(lifecycle, expiry_days=expiry_days),
                removal_policy=removal_policy,
                auto_delete_objects=auto_delete_objects,
            )
            _deny_other_encryption(bucket, self.data_key)
            return bucket

        self.raw = zone("Raw", names.raw, expiry_days=lifecycle.raw_expiry_days)
        self.conformed = zone("Conformed", names.conformed)
        self.purpose_built = zone("PurposeBuilt", names.purpose_built)
        _send_events_to_eventbridge(self.raw)

    @property
    def data_buckets(self) -> tuple[s3.Bucket, s3.Bucket, s3.Bucket]:
        return (self.raw, self.conformed, self.purpose_built)


def _noncurrent_rule(lifecycle: Lifecycle) -> s3.LifecycleRule:
    return s3.LifecycleRule(
        id="ExpireNoncurrentVersions",
        noncurrent_version_expiration=cdk.Duration.days(lifecycle.noncurrent_version_expiry_days),
        abort_incomplete_multipart_upload_after=cdk.Duration.days(INCOMPLETE_UPLOAD_DAYS),
    )


def _zone_rules(lifecycle: Lifecycle, *, expiry_days: int | None) -> list[s3.LifecycleRule]:
    rules = [_noncurrent_rule(lifecycle)]
    if lifecycle.infrequent_access_after_days is not None:
        rules.append(
            s3.LifecycleRule(
                id="MoveToInfrequentAccess",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=cdk.Duration.days(lifecycle.infrequent_access_after_days),
                    )
                ],
            )
        )
    if expiry_days is not None:
        rules.append(s3.LifecycleRule(id="ExpireObjects", expiration=cdk.Duration.days(expiry_days)))
    return rules


def _accept_access_logs_from_the_account(bucket: s3.Bucket) -> None:
    """AWS's documented grant for server access logging: the logging service may put objects,
    only on behalf of buckets of this account (`aws:SourceAccount`).

    CDK adds a statement per source bucket it knows (`server_access_logs_bucket=` in this stack);
    buckets of other stacks (a job family's code or Athena results bucket) need this one.
    """
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid=ACCOUNT_ACCESS_LOGS_SID,
            principals=[iam.ServicePrincipal(S3_LOGGING_PRINCIPAL)],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("*")],
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(bucket).account}},
        )
    )


def _deny_other_encryption(bucket: s3.Bucket, key: kms.IKey) -> None:
    """Refuse uploads that ask for another algorithm or another key.

    An upload that names no encryption gets the bucket default, which IS the data key, so it is
    allowed; one that names SSE-S3, DSSE or a different KMS key (by anything but this key's ARN)
    is denied. Every object therefore ends up encrypted with the data key.
    """
    refused = {
        "DenyOtherEncryptionAlgorithms": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "DenyOtherEncryptionKeys": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key.key_arn},
    }
    for sid, unless in refused.items():
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={"StringNotEqualsIfExists": unless},
            )
        )


def _send_events_to_eventbridge(bucket: s3.Bucket) -> None:
    """Native `NotificationConfiguration.EventBridgeConfiguration` (CDK's `event_bridge_enabled`
    would add a notification-handler Lambda to do the same)."""
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )

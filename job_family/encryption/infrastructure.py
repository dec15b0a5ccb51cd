"""FamilyKey: the job family's own KMS key, for what AWS services write on its behalf.

The platform's data key encrypts the data zones; this key encrypts the job family's own resources
(code and query-result buckets, queues, topic, audit table, log groups, Glue logs and bookmarks).
A separate key is needed because EventBridge, CloudWatch alarms and CloudWatch Logs must be granted
in the *key policy*, which the job family cannot change on the imported data key.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class FamilyKey(Construct):
    """A customer-managed key with rotation that EventBridge, CloudWatch and CloudWatch Logs may use.

    `removal_policy` defaults to RETAIN: data encrypted with a deleted key is lost.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        family: str,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description=f"{family} job family: code, queues, topic, audit table and logs",
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=cdk.Duration.days(30),
        )
        # EventBridge delivers to the encrypted ingestion queue; CloudWatch alarms publish to the topic.
        for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
            self.key.grant(iam.ServicePrincipal(service), "kms:Decrypt", "kms:GenerateDataKey*")
        # CloudWatch Logs encrypts this account's log groups with the key (and only those).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                        )
                    }
                },
            )
        )

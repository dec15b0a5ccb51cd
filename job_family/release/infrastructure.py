"""SmokeTestAccess: what the delivery pipeline's post-deploy check may do in the target account.

The check runs in the deployment account and assumes this role to drop one fixture file (or delivery)
into the raw bucket (`<family>/<dataset or deliveries>/smoke-test-*` only) and read its audit item. The outputs
hand the names to the pipeline step (`env_from_cfn_outputs`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from job_family.release.runtime.smoke_test import SMOKE_TEST_LABEL
from job_family.spec import FamilySpec, PerDelivery


def smoke_key_prefix(spec: FamilySpec) -> str:
    """Where the post-deploy check uploads: `<family>/<dataset>/smoke-test-` (one object per run), or
    `<family>/<deliveries folder>/smoke-test-` (one delivery per run)."""
    if spec.smoke_test is None:
        raise ValueError(f"{spec.name} declares no smoke test; add SmokeTest(dataset=..., fixture=...)")
    if isinstance(spec.trigger, PerDelivery):
        return f"{spec.key_prefix}{spec.trigger.folder}/{SMOKE_TEST_LABEL}"
    return f"{spec.key_prefix}{spec.smoke_test.dataset}/{SMOKE_TEST_LABEL}"


class SmokeTestAccess(Construct):
    """A role named `role_name` that `trusted_account` may assume, and the outputs the check reads."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        family: str,
        key_prefix: str,
        trusted_account: str,
        role_name: str,
        raw_bucket: s3.IBucket,
        data_key: kms.IKey,
        audit_table: dynamodb.ITable,
        audit_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key_prefix = key_prefix
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.AccountPrincipal(trusted_account),
            description=f"{family} post-deploy check: upload a fixture file and read its audit item",
            max_session_duration=cdk.Duration.hours(1),
        )
        # Explicit statements, narrower than the grant_* action groups.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[raw_bucket.arn_for_objects(f"{key_prefix}*")]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[audit_table.table_arn])
        )
        data_key.grant(self.role, "kms:GenerateDataKey")
        audit_key.grant(self.role, "kms:Decrypt")

        self.raw_bucket_name = cdk.CfnOutput(self, "RawBucketName", value=raw_bucket.bucket_name)
        self.data_key_arn = cdk.CfnOutput(self, "DataKeyArn", value=data_key.key_arn)
        self.audit_table_name = cdk.CfnOutput(self, "AuditTableName", value=audit_table.table_name)
        self.role_arn = cdk.CfnOutput(self, "RoleArn", value=self.role.role_arn)

    def outputs(self) -> dict[str, cdk.CfnOutput]:
        """Environment variable -> output, for the pipeline step."""
        return {
            "RAW_BUCKET_NAME": self.raw_bucket_name,
            "DATA_KEY_ARN": self.data_key_arn,
            "AUDIT_TABLE_NAME": self.audit_table_name,
            "SMOKE_TEST_ROLE_ARN": self.role_arn,
        }

"""SmokeTestAccess: what the delivery pipeline's post-deploy check may do in the target account.

The check runs in the deployment account and assumes this role to drop one fixture file into the raw
bucket (`nyc_taxi/yellow_tripdata/smoke-test-*` only) and read that file's audit item. The outputs
hand the names to the pipeline step (`env_from_cfn_outputs`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from nyc_taxi.release.runtime.smoke_test import FIXTURE_KEY_PREFIX


class SmokeTestAccess(Construct):
    """A role named `role_name` that `trusted_account` may assume, and the outputs the check reads."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trusted_account: str,
        role_name: str,
        raw_bucket: s3.IBucket,
        data_key: kms.IKey,
        audit_table: dynamodb.ITable,
        audit_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.AccountPrincipal(trusted_account),
            description="nyc_taxi post-deploy check: upload a fixture file and read its audit item",
            max_session_duration=cdk.Duration.hours(1),
        )
        # Explicit statements, narrower than the grant_* action groups.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[raw_bucket.arn_for_objects(f"{FIXTURE_KEY_PREFIX}*")]
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

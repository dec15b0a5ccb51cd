"""JobCode: the job family's code bucket and what each deploy puts in it.

`scripts/` holds the two Glue scripts and the runtime package zip (`--extra-py-files`), `rules/` the
transformation SQL read by conformed->purpose-built at run time, `reference/` the zone lookup. A deploy
replaces the three folders with the app's current files (prune), so the bucket never serves stale rules.
`spark-ui/` holds the jobs' Spark event logs (when the environment turns them on) and is never pruned.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from delivery.buckets import kms_bucket
from job_family.glue.locations import SCRIPTS_PREFIX, SPARK_UI_PREFIX
from job_family.packaging.bundles import FamilyBundles, runtime_zip_name


class JobCode(Construct):
    """A KMS-encrypted, TLS-only, versioned bucket holding the Glue scripts, runtime, rules and reference data.

    `removal_policy` defaults to RETAIN; `auto_delete_objects` (only with DESTROY) empties the bucket
    when the stack is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bundles: FamilyBundles,
        key: kms.IKey,
        access_log_bucket: s3.IBucket,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        auto_delete_objects: bool = False,
        noncurrent_version_expiry_days: int = 90,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        self._family = bundles.spec.name
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            **kms_bucket(key, access_logs=access_log_bucket, access_log_prefix=f"{bundles.spec.name}/code/"),
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=cdk.Duration.days(noncurrent_version_expiry_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        # Its own role and encrypted log group, rather than CDK's default role with the AWS managed
        # AWSLambdaBasicExecutionRole policy (logs on every log group).
        self.deployment_logs = logs.LogGroup(
            self, "DeploymentLogs", encryption_key=key, retention=log_retention, removal_policy=removal_policy
        )
        self.deployment_role = deployment_role = iam.Role(
            self,
            "DeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Copies the {bundles.spec.name} scripts, rules and reference data into the code bucket",
        )
        self.deployment_logs.grant_write(deployment_role)
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "Deployment",
            destination_bucket=self.bucket,
            sources=[
                s3_deployment.Source.asset(
                    str(bundles.app_root / bundles.spec.package), **bundles.code_bundle.options()
                )
            ],
            prune=True,
            exclude=[f"{SPARK_UI_PREFIX}*"],  # written by the jobs, not by deploys: keep it
            retain_on_delete=False,
            memory_limit=512,
            role=deployment_role,
            log_group=self.deployment_logs,
        )

    def s3_uri(self, prefix: str) -> str:
        return f"s3://{self.bucket.bucket_name}/{prefix}"

    @property
    def runtime_zip_key(self) -> str:
        return SCRIPTS_PREFIX + runtime_zip_name(self._family)

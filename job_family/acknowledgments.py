"""cdk-nag findings a job family stack accepts: each on the narrowest construct, each with its reason.

Wildcards come from three places: CDK's grant action groups (`s3:GetObject*`, `kms:GenerateDataKey*`)
on resources that are already scoped, object keys under the job family's own prefixes, and AWS APIs
that support no resource-level permissions (VPC network interfaces, X-Ray, log delivery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from constructs import IConstruct

from delivery.compliance import acknowledge
from job_family.glue.infrastructure import spark_ui_prefix
from job_family.glue.locations import zone_prefix
from job_family.spec import Zone

if TYPE_CHECKING:
    from job_family.stack import FamilyStack

GRANT_GROUPS = (
    "CDK's grant methods emit action groups (s3:GetObject*, s3:List*, kms:GenerateDataKey*, ...) on "
    "resources that are scoped to this job family's prefixes or keys; the wildcard is the action family"
)
OWN_PREFIX = "object keys are generated per file and run; access is limited to the job family's own prefix"
SPARK_UI = (
    "Spark names its event-log files per application run; the job writes (and renames) them only under "
    "the family's own spark-ui/<family>/ prefix of its code bucket"
)
S3_GROUPS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "s3:DeleteObject*")
KMS_GROUPS = ("kms:GenerateDataKey*", "kms:ReEncrypt*")


def _ref(stack: cdk.Stack, token: str) -> str:
    """How cdk-nag prints a token in a finding id: `<LogicalId>` or `<LogicalId.Attribute>`."""
    resolved: Any = stack.resolve(token)
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        logical_id, attribute = resolved["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    return str(resolved)


def _iam5(resource_or_action: str) -> str:
    return f"AwsSolutions-IAM5[{resource_or_action}]"


def _groups(actions: tuple[str, ...]) -> dict[str, str]:
    return {_iam5(f"Action::{action}"): GRANT_GROUPS for action in actions}


def _prefixes(stack: cdk.Stack, bucket_arn: str, *prefixes: str) -> dict[str, str]:
    return {_iam5(f"Resource::{_ref(stack, bucket_arn)}/{prefix}*"): OWN_PREFIX for prefix in prefixes}


def acknowledge_findings(stack: FamilyStack) -> None:
    partition = "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
    arn = f"arn:{partition}"
    platform = stack.platform
    spec = stack.spec
    conformed = platform.conformed_bucket.bucket_arn
    code = stack.code.bucket.bucket_arn
    zone_buckets = {zone: bucket.bucket_arn for zone, bucket in stack.jobs.buckets.items()}

    glue_common = {
        **_groups(S3_GROUPS + KMS_GROUPS),
        _iam5("Resource::*"): (
            "Glue places workers in the VPC with EC2 network-interface and describe calls that support no "
            "resource-level permissions; cloudwatch:PutMetricData is conditioned on the Glue namespace and "
            "the family's own run-metrics namespace"
        ),
        _iam5(f"Resource::{arn}:ec2:{stack.region}:{stack.account}:network-interface/*"): (
            "Glue tags the network interfaces it creates; the statement only allows the tag key "
            "aws-glue-service-resource"
        ),
        _iam5(f"Resource::{arn}:logs:{stack.region}:{stack.account}:log-group:/aws-glue/*"): (
            "Glue writes job logs to log groups it names under /aws-glue/ (per job run and security configuration)"
        ),
        _iam5(f"Resource::{arn}:glue:{stack.region}:{stack.account}:table/{stack.jobs.database_name}/*"): (
            "the jobs add and update partitions of the tables of this job family's own database only"
        ),
    }
    spark_ui: dict[str, str] = {}
    if stack.jobs.settings.spark_ui_logs:
        spark_ui = dict.fromkeys(_prefixes(stack, code, spark_ui_prefix(spec.name)), SPARK_UI)
    for step in spec.steps:
        prefixes: dict[str, str] = {}
        for zone in (*step.reads, *step.writes):
            prefixes |= _prefixes(stack, zone_buckets[zone], zone_prefix(spec.name, zone))
        acknowledge(stack.jobs.job(step.name).role, {**glue_common, **prefixes, **spark_ui})
    acknowledge(
        stack.orchestration.state_machine,
        {
            _iam5("Resource::*"): (
                "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery, ...) support no "
                "resource-level permissions"
            ),
            **_prefixes(stack, conformed, zone_prefix(spec.name, Zone.REPORTS)),
        },
    )
    acknowledge(
        stack.ingestion.role,
        {
            **_groups(KMS_GROUPS),
            _iam5("Resource::*"): (
                "Lambda's VPC network interfaces and X-Ray tracing support no resource-level permissions"
            ),
        },
    )
    acknowledge(
        stack.code.deployment_role,
        {
            **_groups(S3_GROUPS + KMS_GROUPS),
            _iam5(f"Resource::{_ref(stack, code)}/*"): (
                "the deployment replaces the whole content of the job family's own code bucket"
            ),
            _iam5(
                f"Resource::{arn}:s3:::cdk-hnb659fds-assets-{stack.account}-{stack.region}/*"
            ): "the deployment reads its source zip from the CDK bootstrap asset bucket",
        },
    )
    acknowledge(
        _bucket_deployment_function(stack),
        {
            "AwsSolutions-L1": (
                "the BucketDeployment handler is CDK's singleton function; aws-cdk-lib chooses its runtime "
                "(it runs only during deployments)"
            )
        },
    )
    for bucket in (stack.code.bucket, stack.catalog.results_bucket):
        acknowledge(
            bucket,
            {
                "Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded": (
                    "the access-log bucket belongs to the infrastructure app (read from the SSM contract); "
                    "its policy statement AllowServerAccessLogsFromThisAccount lets the S3 logging service "
                    "deliver the logs of any bucket of this account (aws:SourceAccount)"
                )
            },
        )
    if stack.smoke_test is not None:
        acknowledge(
            stack.smoke_test.role,
            {
                _iam5(
                    f"Resource::{_ref(stack, platform.raw_bucket.bucket_arn)}/{stack.smoke_test.key_prefix}*"
                ): "each post-deploy check uploads one fixture file named after its build; only that prefix",
            },
        )
    acknowledge(
        platform,
        {
            "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId": (
                "the job family only places Glue connections and the trigger Lambda in the subnets; it "
                "never reads or changes their route tables, so it does not import them"
            )
        },
    )


def _bucket_deployment_function(stack: cdk.Stack) -> IConstruct:
    for child in stack.node.children:
        if child.node.id.startswith("Custom::CDKBucketDeployment"):
            return child
    raise LookupError("no BucketDeployment handler in the stack; remove its acknowledgment")

"""EtlJobs: the two Glue 5.0 PySpark jobs (raw->conformed, conformed->purpose-built) in the VPC.

Each job has its own role, granted only the prefixes it reads and writes; a security configuration
encrypts its logs and bookmarks with the family key and its S3 output with the platform's data key;
one network connection per private subnet (Glue falls over to the next when a subnet has no free IP).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from nyc_taxi.jobs.locations import (
    CONFORMED_PREFIX,
    FAMILY_PREFIX,
    QUARANTINE_PREFIX,
    REPORTS_PREFIX,
    Locations,
)
from nyc_taxi.jobs.runtime.arguments import CONFORMED_TO_PURPOSE_BUILT, RAW_TO_CONFORMED, JobContract
from nyc_taxi.packaging.bundles import (
    CONFORMED_TO_PURPOSE_BUILT_SCRIPT,
    RAW_TO_CONFORMED_SCRIPT,
    REFERENCE_PREFIX,
    RULES_PREFIX,
    RUNTIME_ZIP,
    SCRIPTS_PREFIX,
)
from nyc_taxi.settings import GlueJobSettings

# What Glue needs to place workers in the VPC (AWSGlueServiceRole's EC2 subset). AWS documents these
# actions as not supporting resource-level permissions, except the tags on network interfaces.
_NETWORK_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeRouteTables",
)
_CATALOG_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
)


class EtlJobs(Construct):
    """`raw_to_conformed` and `conformed_to_purpose_built`: `glue.PySparkEtlJob`s reading their scripts
    and runtime package from `code_bucket`, with static arguments from `locations`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_bucket: s3.IBucket,
        raw_bucket: s3.IBucket,
        conformed_bucket: s3.IBucket,
        purpose_built_bucket: s3.IBucket,
        locations: Locations,
        family_key: kms.IKey,
        data_key: kms.IKey,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        raw_to_conformed: GlueJobSettings,
        conformed_to_purpose_built: GlueJobSettings,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = cdk.Stack.of(self)
        self.database_name = locations.database_name
        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(family_key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(family_key),
            s3_encryption=glue.S3Encryption.kms(data_key),
            removal_policy=removal_policy,
        )
        self.connections = [
            glue.Connection(
                self,
                f"Connection{index}",
                type=glue.ConnectionType.NETWORK,
                network=glue.ConnectionNetwork.subnet(subnet),
                security_groups=[security_group],
                description=f"nyc_taxi Glue workers in private subnet {index}",
            )
            for index, subnet in enumerate(subnets, start=1)
        ]
        self._runtime = glue.Code.from_bucket(code_bucket, SCRIPTS_PREFIX + RUNTIME_ZIP)

        self.raw_to_conformed = self._job(
            "RawToConformed",
            contract=RAW_TO_CONFORMED,
            script=RAW_TO_CONFORMED_SCRIPT,
            settings=raw_to_conformed,
            code_bucket=code_bucket,
            locations=locations,
            family_key=family_key,
            description="nyc_taxi: a raw TLC file -> typed conformed Parquet + quarantine, with a run report",
        )
        raw_bucket.grant_read(self.raw_to_conformed.role, f"{FAMILY_PREFIX}*")
        for prefix in (CONFORMED_PREFIX, QUARANTINE_PREFIX, REPORTS_PREFIX):
            conformed_bucket.grant_read_write(self.raw_to_conformed.role, f"{prefix}*")

        self.conformed_to_purpose_built = self._job(
            "ConformedToPurposeBuilt",
            contract=CONFORMED_TO_PURPOSE_BUILT,
            script=CONFORMED_TO_PURPOSE_BUILT_SCRIPT,
            settings=conformed_to_purpose_built,
            code_bucket=code_bucket,
            locations=locations,
            family_key=family_key,
            description="nyc_taxi: recompute the purpose-built partitions a conformed file touched (rules/*.sql)",
        )
        conformed_bucket.grant_read(self.conformed_to_purpose_built.role, f"{CONFORMED_PREFIX}*")
        conformed_bucket.grant_read_write(self.conformed_to_purpose_built.role, f"{REPORTS_PREFIX}*")
        purpose_built_bucket.grant_read_write(self.conformed_to_purpose_built.role, f"{FAMILY_PREFIX}*")
        for prefix in (RULES_PREFIX, REFERENCE_PREFIX):
            code_bucket.grant_read(self.conformed_to_purpose_built.role, f"{prefix}*")

    @property
    def jobs(self) -> tuple[glue.PySparkEtlJob, glue.PySparkEtlJob]:
        return (self.raw_to_conformed, self.conformed_to_purpose_built)

    def _job(
        self,
        construct_id: str,
        *,
        contract: JobContract,
        script: str,
        settings: GlueJobSettings,
        code_bucket: s3.IBucket,
        locations: Locations,
        family_key: kms.IKey,
        description: str,
    ) -> glue.PySparkEtlJob:
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue job {contract.step} of the nyc_taxi job family",
        )
        job = glue.PySparkEtlJob(
            self,
            construct_id,
            role=role,
            script=glue.Code.from_bucket(code_bucket, SCRIPTS_PREFIX + script),
            extra_python_files=[self._runtime],
            glue_version=glue.GlueVersion.V5_0,
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[settings.worker_type.name],
                number_of_workers=settings.worker_count,
            ),
            timeout=cdk.Duration.minutes(settings.timeout_min),
            max_concurrent_runs=settings.max_concurrent_runs,
            max_retries=settings.max_retries,
            security_configuration=self.security_configuration,
            connections=self.connections,
            default_arguments={
                **locations.static_arguments(contract),
                "--job-bookmark-option": "job-bookmark-disable",
            },
            description=description,
        )
        self._grant_runtime(role, family_key)
        return job

    def _grant_runtime(self, role: iam.Role, family_key: kms.IKey) -> None:
        """Logs, metrics, the VPC, the catalog of this job family, and the family key (logs, bookmarks)."""
        stack = self._stack
        glue_logs = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws-glue/*"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[glue_logs],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=list(_NETWORK_ACTIONS), resources=["*"]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateTags", "ec2:DeleteTags"],
                resources=[f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:network-interface/*"],
                conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetConnection"],
                resources=[connection.connection_arn for connection in self.connections],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(_CATALOG_ACTIONS),
                resources=[
                    stack.format_arn(service="glue", resource="catalog"),
                    stack.format_arn(service="glue", resource="database", resource_name=self.database_name),
                    stack.format_arn(
                        service="glue", resource="table", resource_name=f"{self.database_name}/*"
                    ),
                ],
            )
        )
        family_key.grant_encrypt_decrypt(role)

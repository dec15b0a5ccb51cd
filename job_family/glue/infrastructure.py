"""EtlJobs: one Glue PySpark job per declared step of the family, in the VPC.

Each job has its own role, granted only the zones its step declares it reads and writes (below the
family's prefix); a security configuration encrypts its logs and bookmarks with the family key and its
S3 output with the platform's data key; one network connection per private subnet (Glue falls over to
the next when a subnet has no free IP).

The environment's settings choose the execution class (STANDARD or FLEX), auto scaling (the worker
count becomes a maximum), Glue's job metrics, observability metrics and job insights, and Spark UI
event logs (to the code bucket's `spark-ui/<family>/`). Every job also gets `--metrics_namespace`, where
the job runtime publishes the run's row counts (`FamilySpec.metrics_namespace`; the role may put
metrics in that namespace and Glue's own only).

Python: Glue takes only the major version (`Command.PythonVersion` "3", which `PySparkEtlJob` sets for
every Glue version; the API accepts 2, 3 or 3.9); the minor one follows from the Glue version, 3.11 on
5.1 and 3.13 on 6.0 (`job_family.spec.GLUE_PYTHON`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from job_family.glue.locations import SCRIPTS_PREFIX, SPARK_UI_PREFIX, Locations, zone_prefix
from job_family.packaging.bundles import runtime_zip_name
from job_family.settings import ExecutionClass, FamilySettings, GlueJobSettings
from job_family.spec import GLUE_PYTHON, FamilySpec, StepSpec, Zone

# The Glue versions a spec may declare (validated there, against GLUE_PYTHON).
GLUE_VERSIONS: dict[str, glue.GlueVersion] = {
    "5.1": glue.GlueVersion.V5_1,
    "6.0": glue.GlueVersion.V6_0,
}
assert set(GLUE_VERSIONS) == set(GLUE_PYTHON), "every Glue version the spec accepts has a CDK constant"
# What Glue's job API takes as Command.PythonVersion for glueetl jobs (the minor version is Glue's).
COMMAND_PYTHON_VERSION = "3"
METRICS_NAMESPACE_ARGUMENT = "--metrics_namespace"


def spark_ui_prefix(family: str) -> str:
    """Where a family's Spark event logs go in its code bucket: `spark-ui/nyc_taxi/`."""
    return f"{SPARK_UI_PREFIX}{family}/"


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
    """One `glue.PySparkEtlJob` per step of `spec`, in step order (`jobs`, by step name), reading its
    script and the runtime package from `code_bucket`, with static arguments from `locations`;
    `buckets` holds the bucket of every zone the family uses (its steps' grants); `settings` gives each
    step's capacity and the environment's execution class, auto scaling, metrics and Spark UI switches."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FamilySpec,
        code_bucket: s3.IBucket,
        buckets: Mapping[Zone, s3.IBucket],
        locations: Locations,
        family_key: kms.IKey,
        data_key: kms.IKey,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        settings: FamilySettings,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = cdk.Stack.of(self)
        self.spec = spec
        self.settings = settings
        self.code_bucket = code_bucket
        self.buckets = dict(buckets)
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
                description=f"{spec.name} Glue workers in private subnet {index}",
            )
            for index, subnet in enumerate(subnets, start=1)
        ]
        self._runtime = glue.Code.from_bucket(code_bucket, SCRIPTS_PREFIX + runtime_zip_name(spec.name))
        self.jobs: dict[str, glue.PySparkEtlJob] = {}
        for step in spec.steps:
            job = self._job(
                step,
                settings=settings.jobs[step.name],
                code_bucket=code_bucket,
                locations=locations,
                family_key=family_key,
            )
            for zone in Zone:  # one order for every family: the grants' statements are stable
                if zone in step.writes:
                    buckets[zone].grant_read_write(job.role, f"{zone_prefix(spec.name, zone)}*")
                elif zone in step.reads:
                    buckets[zone].grant_read(job.role, f"{zone_prefix(spec.name, zone)}*")
            self.jobs[step.name] = job

    def job(self, step: str) -> glue.PySparkEtlJob:
        return self.jobs[step]

    def _job(
        self,
        step: StepSpec,
        *,
        settings: GlueJobSettings,
        code_bucket: s3.IBucket,
        locations: Locations,
        family_key: kms.IKey,
    ) -> glue.PySparkEtlJob:
        role = iam.Role(
            self,
            f"{step.construct_id}Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue job {step.name} of the {self.spec.name} job family",
        )
        switches = self.settings
        job = glue.PySparkEtlJob(
            self,
            step.construct_id,
            role=role,
            script=glue.Code.from_bucket(code_bucket, SCRIPTS_PREFIX + step.script),
            extra_python_files=[self._runtime],
            glue_version=GLUE_VERSIONS[self.spec.glue_version],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[settings.worker_type.name],
                number_of_workers=settings.worker_count,
            ),
            timeout=cdk.Duration.minutes(settings.timeout_min),
            max_concurrent_runs=settings.max_concurrent_runs,
            max_retries=settings.max_retries,
            security_configuration=self.security_configuration,
            connections=self.connections,
            enable_metrics=switches.job_metrics,
            enable_observability_metrics=switches.job_metrics,
            # --enable-spark-ui and --spark-event-logs-path; the L2 grants the role read and write on
            # the prefix (Spark writes each event log, then renames it when the run ends)
            spark_ui=(
                glue.SparkUIProps(
                    bucket=code_bucket, prefix="/" + spark_ui_prefix(self.spec.name).rstrip("/")
                )
                if switches.spark_ui_logs
                else None
            ),
            default_arguments={
                **locations.static_arguments(step),
                **self._switch_arguments(),
                "--job-bookmark-option": "job-bookmark-disable",
                METRICS_NAMESPACE_ARGUMENT: self.spec.metrics_namespace,
            },
            description=f"{self.spec.name}: {step.description}",
        )
        resource = job.node.default_child
        assert isinstance(resource, glue.CfnJob)
        # PySparkEtlJob sets no execution class (Glue's default is STANDARD): always say which.
        resource.execution_class = switches.execution_class.value
        self._grant_runtime(role, family_key)
        return job

    def _switch_arguments(self) -> dict[str, str]:
        """The Glue arguments of the environment's auto scaling and job insights switches (metrics,
        observability metrics and the Spark UI are the L2's own properties)."""
        switches = self.settings
        arguments: dict[str, str] = {}
        if switches.auto_scaling:
            arguments["--enable-auto-scaling"] = "true"
        if switches.job_metrics:
            arguments["--enable-job-insights"] = "true"
        return arguments

    @property
    def execution_class(self) -> ExecutionClass:
        return self.settings.execution_class

    def job_settings(self, step: str) -> GlueJobSettings:
        return self.settings.jobs[step]

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
                # Glue's job metrics, and the run's row counts the job runtime publishes
                conditions={"StringEquals": {"cloudwatch:namespace": ["Glue", self.spec.metrics_namespace]}},
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

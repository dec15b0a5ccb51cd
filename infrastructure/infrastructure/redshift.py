"""Optional Redshift Serverless over the purpose-built zone (the seeds' Redshift variant), off by default.

The workgroup sits in the private subnets and is never publicly accessible; the admin password
is generated and kept by Secrets Manager (encrypted with the data key) and reaches the namespace
only as a dynamic reference; a reader role that Redshift may assume can read only the
purpose-built bucket.

Why not `ManageAdminPassword: true`: CloudFormation does not return the ARN of the secret Redshift
creates (`Namespace.AdminPasswordSecretArn` is not a GetAtt attribute; aws/aws-cdk#29930), and the
SSM contract publishes the admin secret's ARN. Owning the secret keeps the contract complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_redshiftserverless as redshiftserverless
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from delivery.compliance import acknowledge

REDSHIFT_PORT = 5439
ADMIN_USERNAME = "lakeadmin"
DATABASE = "lake"


class RedshiftServerless(Construct):
    """Namespace + workgroup. `name` (e.g. `dlk-dev`) names both, as people connect by name.

    `removal_policy` (RETAIN by default) applies to the namespace (it holds the data) and workgroup.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        clients: ec2.ISecurityGroup,
        data_key: kms.IKey,
        purpose_built: s3.IBucket,
        base_capacity_rpu: int = 8,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.reader_role = iam.Role(
            self,
            "ReaderRole",
            description="Lets Redshift Serverless read the purpose-built zone, and nothing else",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("redshift.amazonaws.com"),
                iam.ServicePrincipal("redshift-serverless.amazonaws.com"),
            ),
        )
        purpose_built.grant_read(self.reader_role)
        acknowledge(
            self.reader_role,
            {
                "AwsSolutions-IAM5[Action::s3:GetObject*]": "read-only object access, scoped to the purpose-built bucket",
                "AwsSolutions-IAM5[Action::s3:GetBucket*]": "read-only bucket metadata, scoped to the purpose-built bucket",
                "AwsSolutions-IAM5[Action::s3:List*]": "listing, scoped to the purpose-built bucket",
                f"AwsSolutions-IAM5[Resource::<{_logical(purpose_built)}.Arn>/*]": (
                    "every object of the purpose-built zone is readable by design (COPY / Spectrum)"
                ),
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": (
                    "granted by the bucket's key for reads under SSE-KMS bucket keys, scoped to the data key"
                ),
                "AwsSolutions-IAM5[Action::kms:ReEncrypt*]": (
                    "part of the data key's read grant for SSE-KMS objects, scoped to the data key"
                ),
            },
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Redshift Serverless workgroup: reachable from the workload security group only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(clients, ec2.Port.tcp(REDSHIFT_PORT), "SQL from job families")

        self.admin_secret = secretsmanager.Secret(
            self,
            "AdminSecret",
            description="Admin credentials of the Redshift Serverless namespace",
            encryption_key=data_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": ADMIN_USERNAME}),
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=32,
            ),
            removal_policy=removal_policy,
        )
        acknowledge(
            self.admin_secret,
            {
                "AwsSolutions-SMG4": (
                    "rotating this secret alone would desynchronise the namespace's admin password; "
                    "rotation needs the Redshift rotation function, a follow-up when Redshift is enabled"
                )
            },
        )
        namespace = redshiftserverless.CfnNamespace(
            self,
            "Namespace",
            namespace_name=name,
            db_name=DATABASE,
            admin_username=ADMIN_USERNAME,
            # A dynamic reference ({{resolve:secretsmanager:...}}): the password never enters the template.
            admin_user_password=self.admin_secret.secret_value_from_json("password").unsafe_unwrap(),
            kms_key_id=data_key.key_arn,
            iam_roles=[self.reader_role.role_arn],
            default_iam_role_arn=self.reader_role.role_arn,
            log_exports=["userlog", "connectionlog", "useractivitylog"],
        )
        workgroup = redshiftserverless.CfnWorkgroup(
            self,
            "Workgroup",
            workgroup_name=name,
            namespace_name=namespace.namespace_name,
            base_capacity=base_capacity_rpu,
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            subnet_ids=[subnet.subnet_id for subnet in subnets],
            security_group_ids=[self.security_group.security_group_id],
            port=REDSHIFT_PORT,
        )
        workgroup.add_dependency(namespace)
        namespace.apply_removal_policy(removal_policy)
        workgroup.apply_removal_policy(removal_policy)
        self.namespace_name = namespace.namespace_name
        self.workgroup_name = workgroup.workgroup_name
        self.endpoint_address = workgroup.attr_workgroup_endpoint_address
        self.admin_secret_arn = self.admin_secret.secret_arn


def _logical(construct: s3.IBucket) -> str:
    child = construct.node.default_child
    if not isinstance(child, cdk.CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return cdk.Stack.of(construct).get_logical_id(child)

"""PlatformImports: the job family's one reader of the infrastructure's SSM contract.

Only the values the job family uses are read (an unused CloudFormation parameter is a template
warning). Every value is read with `ssm.StringParameter.value_for_string_parameter` (a CloudFormation parameter
resolved at deploy time), from the names `shared_config.contract` defines: synth stays offline and
the infrastructure stack stays free to change (no `Fn::ImportValue`).
"""

from __future__ import annotations

import functools

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from shared_config.contract import ContractScope, Param, SubnetParam


class PlatformImports(Construct):
    """Typed handles on the data platform of one environment.

    Attributes: `data_key`, `raw_bucket`, `conformed_bucket`, `purpose_built_bucket_name` (and, when
    used, `purpose_built_bucket`),
    `access_log_bucket`, `vpc`, `private_subnets` (one per availability zone, in AZ order),
    `security_group` (the workload group with a self-referencing rule, for Glue and Lambda).
    `parameter_names` lists every contract name read, in order.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, contract: ContractScope, subnet_count: int
    ) -> None:
        super().__init__(scope, construct_id)
        if subnet_count < 1:
            raise ValueError(
                f"subnet_count must be at least 1 (one per availability zone), got {subnet_count}"
            )
        self.contract = contract
        self.parameter_names: list[str] = []

        self.data_key = kms.Key.from_key_arn(self, "DataKey", self._read(contract.name(Param.DATA_KEY_ARN)))
        self.raw_bucket = self._bucket(
            "RawBucket", Param.RAW_BUCKET_NAME, Param.RAW_BUCKET_ARN, self.data_key
        )
        self.conformed_bucket = self._bucket(
            "ConformedBucket", Param.CONFORMED_BUCKET_NAME, Param.CONFORMED_BUCKET_ARN, self.data_key
        )
        # read when a step or table of the family uses the purpose-built zone (an unused parameter is a
        # template warning): `purpose_built_bucket`
        self.purpose_built_bucket_name = self._read(contract.name(Param.PURPOSE_BUILT_BUCKET_NAME))
        # SSE-S3 (the S3 logging service cannot use a customer-managed key without a key grant);
        # only its name is needed, as the target of server access logging.
        self.access_log_bucket = s3.Bucket.from_bucket_name(
            self, "AccessLogBucket", self._read(contract.name(Param.ACCESS_LOG_BUCKET_NAME))
        )

        self.private_subnets: list[ec2.ISubnet] = [
            ec2.Subnet.from_subnet_attributes(
                self,
                f"PrivateSubnet{index}",
                subnet_id=self._read(contract.subnet(index, SubnetParam.ID)),
                availability_zone=self._read(contract.subnet(index, SubnetParam.AVAILABILITY_ZONE)),
            )
            for index in range(1, subnet_count + 1)
        ]
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=self._read(contract.name(Param.VPC_ID)),
            availability_zones=[subnet.availability_zone for subnet in self.private_subnets],
            private_subnet_ids=[subnet.subnet_id for subnet in self.private_subnets],
        )
        # CDK's Lambda API needs a VPC handle although the template only needs the subnets; the output
        # tells operators which VPC the job family runs in (and keeps the parameter in use).
        cdk.CfnOutput(
            self, "VpcId", value=self.vpc.vpc_id, description="The VPC the Glue workers and trigger run in"
        )
        self.security_group = ec2.SecurityGroup.from_security_group_id(
            self,
            "WorkloadSecurityGroup",
            self._read(contract.name(Param.WORKLOAD_SECURITY_GROUP_ID)),
            mutable=False,
        )

    @functools.cached_property
    def purpose_built_bucket(self) -> s3.IBucket:
        return s3.Bucket.from_bucket_attributes(
            self,
            "PurposeBuiltBucket",
            bucket_name=self.purpose_built_bucket_name,
            bucket_arn=self._read(self.contract.name(Param.PURPOSE_BUILT_BUCKET_ARN)),
            encryption_key=self.data_key,
        )

    @property
    def subnet_selection(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnets=self.private_subnets)

    def _read(self, name: str) -> str:
        self.parameter_names.append(name)
        return ssm.StringParameter.value_for_string_parameter(self, name)

    def _bucket(self, construct_id: str, name: Param, arn: Param, key: kms.IKey) -> s3.IBucket:
        return s3.Bucket.from_bucket_attributes(
            self,
            construct_id,
            bucket_name=self._read(self.contract.name(name)),
            bucket_arn=self._read(self.contract.name(arn)),
            encryption_key=key,
        )

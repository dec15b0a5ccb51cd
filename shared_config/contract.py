"""The SSM contract: every identifier the infrastructure app publishes for job families.

This module is the only coupling between apps. The infrastructure app writes exactly
`contract_parameters(...)`; a job family reads values with
`ssm.StringParameter.value_for_string_parameter(scope, parameter_name(...))` (resolved at deploy
time, so synth stays offline). Never `Fn::ImportValue`, never synth-time lookups.

Names are versioned: `/<prefix>/<env>/infra/v1/<name>`. A breaking change publishes v2 beside v1
and job families move over one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CONTRACT_VERSION = "v1"
PRODUCER = "infra"


class Param(StrEnum):
    """Scalar parameters: one per value, the same for every environment."""

    RAW_BUCKET_NAME = "raw-bucket-name"
    RAW_BUCKET_ARN = "raw-bucket-arn"
    CONFORMED_BUCKET_NAME = "conformed-bucket-name"
    CONFORMED_BUCKET_ARN = "conformed-bucket-arn"
    PURPOSE_BUILT_BUCKET_NAME = "purpose-built-bucket-name"
    PURPOSE_BUILT_BUCKET_ARN = "purpose-built-bucket-arn"
    ACCESS_LOG_BUCKET_NAME = "access-log-bucket-name"
    ACCESS_LOG_BUCKET_ARN = "access-log-bucket-arn"
    DATA_KEY_ARN = "data-key-arn"
    VPC_ID = "vpc-id"
    VPC_CIDR = "vpc-cidr"
    WORKLOAD_SECURITY_GROUP_ID = "workload-security-group-id"


class SubnetParam(StrEnum):
    """Per-subnet parameters: `private-subnet-<n>-<field>` for n = 1 .. number of AZs."""

    ID = "id"
    AVAILABILITY_ZONE = "az"
    ROUTE_TABLE_ID = "route-table-id"


class RedshiftParam(StrEnum):
    """Published only when the environment enables Redshift Serverless."""

    NAMESPACE_NAME = "redshift-namespace-name"
    WORKGROUP_NAME = "redshift-workgroup-name"
    WORKGROUP_ENDPOINT = "redshift-workgroup-endpoint"
    READER_ROLE_ARN = "redshift-reader-role-arn"
    ADMIN_SECRET_ARN = "redshift-admin-secret-arn"


@dataclass(frozen=True)
class ContractScope:
    """Where a contract lives: the prefix and environment name of the publishing stage."""

    prefix: str
    environment: str
    version: str = CONTRACT_VERSION

    @property
    def path(self) -> str:
        return f"/{self.prefix}/{self.environment}/{PRODUCER}/{self.version}"

    def name(self, param: Param | RedshiftParam) -> str:
        return f"{self.path}/{param.value}"

    def subnet(self, index: int, field: SubnetParam) -> str:
        """Name of a field of the `index`-th private subnet (1-based, in AZ order)."""
        if index < 1:
            raise ValueError(f"subnet index starts at 1, got {index}")
        return f"{self.path}/private-subnet-{index}-{field.value}"


def contract_parameters(scope: ContractScope, *, subnet_count: int, redshift: bool = False) -> list[str]:
    """Every parameter name the infrastructure app publishes for one environment, in a stable order."""
    names = [scope.name(param) for param in Param]
    names += [scope.subnet(index, field) for index in range(1, subnet_count + 1) for field in SubnetParam]
    if redshift:
        names += [scope.name(param) for param in RedshiftParam]
    return names

"""The SSM contract, written: one `ssm.StringParameter` per name in `shared_config.contract`.

Job families read these at deploy time (`value_for_string_parameter`). The set of names written
is checked against `contract_parameters(...)` when the stack is built, so the app cannot publish
a name the contract does not define, nor miss one it does.
"""

from __future__ import annotations

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infrastructure.network import Network
from infrastructure.redshift import RedshiftServerless
from infrastructure.storage import Storage
from shared_config.contract import ContractScope, Param, RedshiftParam, SubnetParam, contract_parameters


def contract_values(
    contract: ContractScope, *, network: Network, storage: Storage, redshift: RedshiftServerless | None
) -> dict[str, str]:
    """Parameter name -> value (mostly tokens) for every contract entry of one environment."""
    values = {
        contract.name(Param.RAW_BUCKET_NAME): storage.raw.bucket_name,
        contract.name(Param.RAW_BUCKET_ARN): storage.raw.bucket_arn,
        contract.name(Param.CONFORMED_BUCKET_NAME): storage.conformed.bucket_name,
        contract.name(Param.CONFORMED_BUCKET_ARN): storage.conformed.bucket_arn,
        contract.name(Param.PURPOSE_BUILT_BUCKET_NAME): storage.purpose_built.bucket_name,
        contract.name(Param.PURPOSE_BUILT_BUCKET_ARN): storage.purpose_built.bucket_arn,
        contract.name(Param.ACCESS_LOG_BUCKET_NAME): storage.access_logs.bucket_name,
        contract.name(Param.ACCESS_LOG_BUCKET_ARN): storage.access_logs.bucket_arn,
        contract.name(Param.DATA_KEY_ARN): storage.data_key.key_arn,
        contract.name(Param.VPC_ID): network.vpc.vpc_id,
        contract.name(Param.VPC_CIDR): network.vpc.vpc_cidr_block,
        contract.name(Param.WORKLOAD_SECURITY_GROUP_ID): network.workload_security_group.security_group_id,
    }
    for index, subnet in enumerate(network.private_subnets, start=1):
        values[contract.subnet(index, SubnetParam.ID)] = subnet.subnet_id
        values[contract.subnet(index, SubnetParam.AVAILABILITY_ZONE)] = subnet.availability_zone
        values[contract.subnet(index, SubnetParam.ROUTE_TABLE_ID)] = subnet.route_table.route_table_id
    if redshift is not None:
        values[contract.name(RedshiftParam.NAMESPACE_NAME)] = redshift.namespace_name
        values[contract.name(RedshiftParam.WORKGROUP_NAME)] = redshift.workgroup_name
        values[contract.name(RedshiftParam.WORKGROUP_ENDPOINT)] = redshift.endpoint_address
        values[contract.name(RedshiftParam.READER_ROLE_ARN)] = redshift.reader_role.role_arn
        values[contract.name(RedshiftParam.ADMIN_SECRET_ARN)] = redshift.admin_secret_arn
    return values


def construct_id_for(contract: ContractScope, name: str) -> str:
    """`/dlk/dev/infra/v1/private-subnet-1-id` -> `PrivateSubnet1Id`: derived from the contract's
    relative name, never from the prefix or environment, so logical IDs survive a rename."""
    relative = name.removeprefix(contract.path + "/")
    return "".join(part.capitalize() for part in relative.split("-"))


class ContractExports(Construct):
    """Writes every contract parameter of one environment, and nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        contract: ContractScope,
        network: Network,
        storage: Storage,
        redshift: RedshiftServerless | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        values = contract_values(contract, network=network, storage=storage, redshift=redshift)
        expected = contract_parameters(
            contract, subnet_count=len(network.private_subnets), redshift=redshift is not None
        )
        if sorted(values) != sorted(expected):
            missing = sorted(set(expected) - set(values))
            extra = sorted(set(values) - set(expected))
            raise ValueError(
                f"the infrastructure app's exports drifted from shared_config.contract: missing {missing}, "
                f"not in the contract {extra}; update infrastructure/exports.py to match the contract"
            )
        self.parameters = {
            name: ssm.StringParameter(
                self,
                construct_id_for(contract, name),
                parameter_name=name,
                string_value=values[name],
                description=f"SSM contract {contract.version}: {name.rsplit('/', 1)[-1]}",
            )
            for name in expected
        }

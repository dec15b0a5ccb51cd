"""The composition stack of one environment: it builds the units and wires them, nothing else."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infrastructure.exports import ContractExports
from infrastructure.network import Network
from infrastructure.redshift import RedshiftServerless
from infrastructure.storage import BucketNames, Storage
from shared_config.contract import ContractScope
from shared_config.model import EnvironmentConfig
from shared_config.naming import Zone, bucket_name


class DataLakeInfrastructure(cdk.Stack):
    """Network, data key and zones, optional Redshift, and the SSM contract of one environment.

    `prefix` and `env_config` are data; behaviour comes from the environment's fields:
    RETAIN unless `env_config.destroy_data_on_delete` (both switches), lifecycle, NAT gateways,
    Redshift on/off.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        env_config: EnvironmentConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        destroy = env_config.destroy_data_on_delete
        removal_policy = cdk.RemovalPolicy.DESTROY if destroy else cdk.RemovalPolicy.RETAIN

        self.storage = Storage(
            self,
            "Storage",
            names=BucketNames(
                raw=bucket_name(prefix, env_config, Zone.RAW),
                conformed=bucket_name(prefix, env_config, Zone.CONFORMED),
                purpose_built=bucket_name(prefix, env_config, Zone.PURPOSE_BUILT),
                access_logs=bucket_name(prefix, env_config, Zone.ACCESS_LOGS),
            ),
            lifecycle=env_config.lifecycle,
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )
        self.network = Network(
            self,
            "Network",
            cidr=env_config.vpc_cidr,
            availability_zones=env_config.availability_zones,
            nat_gateways=env_config.nat_gateways,
            flow_log_bucket=self.storage.access_logs,
        )
        self.redshift: RedshiftServerless | None = None
        if env_config.redshift.enabled:
            self.redshift = RedshiftServerless(
                self,
                "Redshift",
                name=f"{prefix}-{env_config.name}",
                vpc=self.network.vpc,
                subnets=self.network.private_subnets,
                clients=self.network.workload_security_group,
                data_key=self.storage.data_key,
                purpose_built=self.storage.purpose_built,
                base_capacity_rpu=env_config.redshift.base_capacity_rpu,
                removal_policy=removal_policy,
            )
        self.contract = ContractScope(prefix, env_config.name)
        self.exports = ContractExports(
            self,
            "Contract",
            contract=self.contract,
            network=self.network,
            storage=self.storage,
            redshift=self.redshift,
        )

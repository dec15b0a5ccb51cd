"""The one validated place for accounts, regions, CIDRs, branches, prefixes and the SSM contract."""

from shared_config.contract import (
    CONTRACT_VERSION,
    ContractScope,
    Param,
    RedshiftParam,
    SubnetParam,
    contract_parameters,
)
from shared_config.loader import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    Problem,
    load_config,
    parse_config,
    read_config,
)
from shared_config.model import EnvironmentConfig, Settings, is_placeholder_account
from shared_config.naming import Zone, bucket_name

__all__ = [
    "CONTRACT_VERSION",
    "DEFAULT_CONFIG_PATH",
    "ConfigError",
    "ContractScope",
    "EnvironmentConfig",
    "Param",
    "Problem",
    "RedshiftParam",
    "Settings",
    "SubnetParam",
    "Zone",
    "bucket_name",
    "contract_parameters",
    "is_placeholder_account",
    "load_config",
    "parse_config",
    "read_config",
]

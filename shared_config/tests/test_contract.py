"""The SSM contract: names are unique, versioned and stable (renaming one breaks every job family)."""

from __future__ import annotations

import re

import pytest

from shared_config import (
    CONTRACT_VERSION,
    ContractScope,
    Param,
    SubnetParam,
    contract_parameters,
    load_config,
)

SCOPE = ContractScope(prefix="dlk", environment="dev")

# Pinned on purpose: a job family deployed against v1 reads exactly these names. Change them only
# by publishing a v2 beside v1.
V1_DEV_TWO_AZS = [
    "/dlk/dev/infra/v1/raw-bucket-name",
    "/dlk/dev/infra/v1/raw-bucket-arn",
    "/dlk/dev/infra/v1/conformed-bucket-name",
    "/dlk/dev/infra/v1/conformed-bucket-arn",
    "/dlk/dev/infra/v1/purpose-built-bucket-name",
    "/dlk/dev/infra/v1/purpose-built-bucket-arn",
    "/dlk/dev/infra/v1/access-log-bucket-name",
    "/dlk/dev/infra/v1/access-log-bucket-arn",
    "/dlk/dev/infra/v1/data-key-arn",
    "/dlk/dev/infra/v1/vpc-id",
    "/dlk/dev/infra/v1/vpc-cidr",
    "/dlk/dev/infra/v1/workload-security-group-id",
    "/dlk/dev/infra/v1/private-subnet-1-id",
    "/dlk/dev/infra/v1/private-subnet-1-az",
    "/dlk/dev/infra/v1/private-subnet-1-route-table-id",
    "/dlk/dev/infra/v1/private-subnet-2-id",
    "/dlk/dev/infra/v1/private-subnet-2-az",
    "/dlk/dev/infra/v1/private-subnet-2-route-table-id",
]


def test_contract_names_are_stable() -> None:
    assert contract_parameters(SCOPE, subnet_count=2) == V1_DEV_TWO_AZS


def test_contract_names_are_unique_for_every_configured_environment() -> None:
    settings = load_config()
    for env in settings.environments.values():
        names = contract_parameters(
            ContractScope(settings.prefix, env.name), subnet_count=env.subnet_count, redshift=True
        )
        assert len(names) == len(set(names)), env.name


def test_every_name_carries_the_version_segment() -> None:
    pattern = re.compile(rf"^/dlk/dev/infra/{CONTRACT_VERSION}/[a-z0-9-]+$")
    names = contract_parameters(SCOPE, subnet_count=3, redshift=True)
    assert all(pattern.fullmatch(name) for name in names), names


def test_a_v2_contract_lives_beside_v1() -> None:
    v2 = ContractScope(prefix="dlk", environment="dev", version="v2")
    assert v2.name(Param.RAW_BUCKET_NAME) == "/dlk/dev/infra/v2/raw-bucket-name"
    assert not set(contract_parameters(v2, subnet_count=2)) & set(V1_DEV_TWO_AZS)


def test_one_subnet_parameter_set_per_availability_zone() -> None:
    names = contract_parameters(SCOPE, subnet_count=3)
    assert len(names) == len(Param) + 3 * len(SubnetParam)
    assert SCOPE.subnet(3, SubnetParam.AVAILABILITY_ZONE) in names


def test_redshift_identifiers_join_the_contract_only_when_enabled() -> None:
    without = contract_parameters(SCOPE, subnet_count=2)
    with_redshift = contract_parameters(SCOPE, subnet_count=2, redshift=True)
    added = [name for name in with_redshift if name not in without]
    assert added and all("/redshift-" in name for name in added)
    assert not any("/redshift-" in name for name in without)


def test_subnet_index_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        SCOPE.subnet(0, SubnetParam.ID)

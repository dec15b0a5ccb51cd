"""The SSM contract: exactly the contract's names, one parameter per value."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import assertions
from infrastructure.exports import construct_id_for

from shared_config import ContractScope, Param, RedshiftParam, Settings, SubnetParam, contract_parameters

from .conftest import logical_id

pytestmark = pytest.mark.synth


def _parameters(template: assertions.Template) -> dict[str, dict[str, Any]]:
    return {
        p["Properties"]["Name"]: p["Properties"]
        for p in template.find_resources("AWS::SSM::Parameter").values()
    }


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_parameter_names_are_exactly_the_contract(synthesized: Any, settings: Settings, env: str) -> None:
    config = settings.environments[env]
    expected = contract_parameters(
        ContractScope(settings.prefix, env), subnet_count=config.subnet_count, redshift=False
    )
    names = list(_parameters(synthesized.template(env)))
    assert sorted(names) == sorted(expected)
    assert len(names) == len(set(names))


def test_redshift_identifiers_join_the_contract_when_enabled(variant: Any) -> None:
    config = variant.settings.environments["dev"]
    expected = contract_parameters(
        ContractScope("acme", "dev"), subnet_count=config.subnet_count, redshift=True
    )
    assert sorted(_parameters(variant.template)) == sorted(expected)


def test_values_point_at_the_resources_they_name(synthesized: Any, settings: Settings) -> None:
    template = synthesized.template("dev")
    values = {name: p["Value"] for name, p in _parameters(template).items()}
    scope = ContractScope(settings.prefix, "dev")
    raw = logical_id(template, "AWS::S3::Bucket", "StorageRaw")
    assert values[scope.name(Param.RAW_BUCKET_NAME)] == {"Ref": raw}
    assert values[scope.name(Param.RAW_BUCKET_ARN)] == {"Fn::GetAtt": [raw, "Arn"]}
    assert values[scope.name(Param.PURPOSE_BUILT_BUCKET_NAME)] == {
        "Ref": logical_id(template, "AWS::S3::Bucket", "StoragePurposeBuilt")
    }
    assert values[scope.name(Param.DATA_KEY_ARN)] == {
        "Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "StorageDataKey"), "Arn"]
    }
    assert values[scope.name(Param.VPC_ID)] == {"Ref": logical_id(template, "AWS::EC2::VPC", "NetworkVpc")}
    assert values[scope.name(Param.WORKLOAD_SECURITY_GROUP_ID)] == {
        "Fn::GetAtt": [
            logical_id(template, "AWS::EC2::SecurityGroup", "NetworkWorkloadSecurityGroup"),
            "GroupId",
        ]
    }
    assert values[scope.subnet(1, SubnetParam.ID)] == {
        "Ref": logical_id(template, "AWS::EC2::Subnet", "NetworkVpcPrivateSubnet1Subnet")
    }
    assert values[scope.subnet(2, SubnetParam.AVAILABILITY_ZONE)] == "eu-west-1b"
    assert values[scope.subnet(2, SubnetParam.ROUTE_TABLE_ID)] == {
        "Ref": logical_id(template, "AWS::EC2::RouteTable", "NetworkVpcPrivateSubnet2RouteTable")
    }


def test_parameter_construct_ids_come_from_the_contract_not_the_prefix() -> None:
    scope = ContractScope("dlk", "dev")
    assert (
        construct_id_for(scope, scope.subnet(3, SubnetParam.ROUTE_TABLE_ID)) == "PrivateSubnet3RouteTableId"
    )
    assert construct_id_for(scope, scope.name(RedshiftParam.ADMIN_SECRET_ARN)) == "RedshiftAdminSecretArn"
    other = ContractScope("acme", "prod")
    assert construct_id_for(other, other.name(Param.RAW_BUCKET_NAME)) == construct_id_for(
        scope, scope.name(Param.RAW_BUCKET_NAME)
    )

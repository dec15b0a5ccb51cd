"""Optional Redshift Serverless: off by default; when on, private, secret-backed, read-only on one zone."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.synth


def test_redshift_is_off_by_default(synthesized: Any) -> None:
    for env in ("dev", "test", "prod"):
        synthesized.template(env).resource_count_is("AWS::RedshiftServerless::Namespace", 0)


def test_workgroup_is_private_in_the_private_subnets(variant: Any) -> None:
    template = variant.template
    (workgroup,) = template.find_resources("AWS::RedshiftServerless::Workgroup").values()
    properties = workgroup["Properties"]
    assert properties["PubliclyAccessible"] is False
    assert properties["EnhancedVpcRouting"] is True
    assert properties["BaseCapacity"] == 16
    subnets = {
        i for i in template.find_resources("AWS::EC2::Subnet") if i.startswith("NetworkVpcPrivateSubnet")
    }
    assert {ref["Ref"] for ref in properties["SubnetIds"]} == subnets


def test_admin_password_comes_from_secrets_manager_never_the_template(variant: Any) -> None:
    template = variant.template
    (namespace,) = template.find_resources("AWS::RedshiftServerless::Namespace").values()
    (secret_id,) = template.find_resources("AWS::SecretsManager::Secret")
    password = json.dumps(namespace["Properties"]["AdminUserPassword"])
    assert "{{resolve:secretsmanager:" in password and secret_id in password
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": {"GenerateStringKey": "password", "PasswordLength": 32}},
    )


def test_reader_role_reads_only_the_purpose_built_bucket(variant: Any) -> None:
    template = variant.template
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for i, p in template.find_resources("AWS::IAM::Policy").items()
        if i.startswith("RedshiftReaderRole")
    ]
    (statements,) = policies
    s3_resources = json.dumps(
        [s["Resource"] for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    )
    assert "StoragePurposeBuilt" in s3_resources
    assert "StorageRaw" not in s3_resources and "StorageConformed" not in s3_resources
    actions = {a for s in statements for a in s["Action"]}
    assert not {a for a in actions if a.startswith("s3:Put") or a.startswith("s3:Delete")}

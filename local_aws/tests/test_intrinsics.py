from __future__ import annotations

from typing import Any

import pytest

from local_aws.intrinsics import Scope, TemplateError, evaluate_conditions, references, resolve

RESOURCES = {"Bucket": "my-bucket", "Key": "key-id"}
ATTRIBUTES = {
    ("Bucket", "Arn"): "arn:aws:s3:::my-bucket",
    ("Key", "Arn"): "arn:aws:kms:eu-west-1:1:key/key-id",
}


def _scope(**overrides: Any) -> Scope:
    scope = Scope(
        stack_name="Local-Stack",
        account="111111111111",
        region="eu-west-1",
        parameters={"Env": "local", "Zones": ["eu-west-1a", "eu-west-1b"]},
        mappings={"Sizes": {"local": {"Workers": 2}}},
        exports={"Shared-Vpc": "vpc-123"},
        ref=lambda name: RESOURCES[name] if name in RESOURCES else (_ for _ in ()).throw(TemplateError(name)),
        get_att=lambda name, attribute: ATTRIBUTES[(name, attribute)],
        availability_zones=lambda region: [f"{region}a", f"{region}b"],
    )
    for key, value in overrides.items():
        setattr(scope, key, value)
    return scope


def test_resolves_refs_to_pseudo_parameters_parameters_and_resources() -> None:
    fragment = [{"Ref": "AWS::AccountId"}, {"Ref": "AWS::Partition"}, {"Ref": "Env"}, {"Ref": "Bucket"}]
    assert resolve(fragment, _scope()) == ["111111111111", "aws", "local", "my-bucket"]


def test_join_and_getatt_build_the_strings_cdk_synthesizes() -> None:
    fragment = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]}
    assert resolve(fragment, _scope()) == "arn:aws:s3:::my-bucket/*"
    assert resolve({"Fn::GetAtt": ["Key", "Arn"]}, _scope()) == ATTRIBUTES[("Key", "Arn")]
    assert resolve({"Fn::GetAtt": "Bucket.Arn"}, _scope()) == ATTRIBUTES[("Bucket", "Arn")]


def test_sub_replaces_refs_attributes_variables_and_keeps_escaped_literals() -> None:
    fragment = {
        "Fn::Sub": ["${Bucket}/${Bucket.Arn}/${AWS::Region}/${Extra}/${!Literal}", {"Extra": {"Ref": "Env"}}]
    }
    assert resolve(fragment, _scope()) == "my-bucket/arn:aws:s3:::my-bucket/eu-west-1/local/${Literal}"


def test_select_split_getazs_findinmap_and_importvalue() -> None:
    scope = _scope()
    assert resolve({"Fn::Select": [1, {"Fn::GetAZs": ""}]}, scope) == "eu-west-1b"
    assert resolve({"Fn::Select": [0, {"Fn::Split": ["/", "a/b"]}]}, scope) == "a"
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Workers"]}, scope) == 2
    assert resolve({"Fn::ImportValue": "Shared-Vpc"}, scope) == "vpc-123"


def test_conditions_drive_if_and_novalue_drops_the_key() -> None:
    scope = _scope()
    scope.conditions = evaluate_conditions(
        {
            "IsLocal": {"Fn::Equals": [{"Ref": "Env"}, "local"]},
            "IsNotLocal": {"Fn::Not": [{"Condition": "IsLocal"}]},
            "Both": {"Fn::And": [{"Condition": "IsLocal"}, {"Condition": "IsNotLocal"}]},
        },
        scope,
    )
    assert scope.conditions == {"IsLocal": True, "IsNotLocal": False, "Both": False}
    fragment = {
        "A": {"Fn::If": ["IsLocal", "yes", "no"]},
        "B": {"Fn::If": ["IsNotLocal", "x", {"Ref": "AWS::NoValue"}]},
    }
    assert resolve(fragment, scope) == {"A": "yes"}


def test_unsupported_function_and_missing_export_are_errors_naming_them() -> None:
    with pytest.raises(TemplateError, match="Fn::Cidr is not supported"):
        resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, _scope())
    with pytest.raises(TemplateError, match=r"Fn::ImportValue Other.*deploy its producer first"):
        resolve({"Fn::ImportValue": "Other"}, _scope())


def test_references_collects_logical_ids_from_ref_getatt_and_sub() -> None:
    fragment = {
        "A": {"Ref": "Bucket"},
        "B": [{"Fn::GetAtt": ["Key", "Arn"]}],
        "C": {"Fn::Sub": ["${Queue.Arn}-${Local}-${!Skip}", {"Local": {"Ref": "Table"}}]},
    }
    assert references(fragment) == {"Bucket", "Key", "Queue", "Table"}

"""Data key and zone buckets, per environment (removal policy and lifecycle come from the config)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import assertions

from shared_config import Settings, Zone, bucket_name

from .conftest import logical_id

pytestmark = pytest.mark.synth

ZONE_IDS = {"Raw": Zone.RAW, "Conformed": Zone.CONFORMED, "PurposeBuilt": Zone.PURPOSE_BUILT}


def _buckets(template: assertions.Template) -> dict[str, dict[str, Any]]:
    """Construct id (Raw, Conformed, PurposeBuilt, AccessLogs) -> bucket resource."""
    found = template.find_resources("AWS::S3::Bucket")
    named = {re.fullmatch(r"Storage([A-Za-z]+)[0-9A-F]{8}", logical_id): r for logical_id, r in found.items()}
    return {match.group(1): dict(resource) for match, resource in named.items() if match}


def _policy_of(template: assertions.Template, construct_id: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::S3::BucketPolicy")
    (policy,) = (
        p for i, p in policies.items() if re.fullmatch(rf"Storage{construct_id}Policy[0-9A-F]{{8}}", i)
    )
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def _key_id(template: assertions.Template) -> str:
    (key_id,) = template.find_resources("AWS::KMS::Key").keys()
    return str(key_id)


def test_data_key_is_customer_managed_with_rotation(synthesized: Any) -> None:
    synthesized.template("prod").has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize("zone", ZONE_IDS)
def test_zone_buckets_use_the_data_key_with_bucket_keys(synthesized: Any, zone: str) -> None:
    template = synthesized.template("test")
    encryption = _buckets(template)[zone]["Properties"]["BucketEncryption"]
    assert encryption == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": {"Fn::GetAtt": [_key_id(template), "Arn"]},
                    "SSEAlgorithm": "aws:kms",
                },
            }
        ]
    }


@pytest.mark.parametrize("zone", [*ZONE_IDS, "AccessLogs"])
def test_every_bucket_is_private_versioned_and_tls_only(synthesized: Any, zone: str) -> None:
    template = synthesized.template("prod")
    properties = _buckets(template)[zone]["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    tls = [
        s
        for s in _policy_of(template, zone)
        if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Action"] == "s3:*"


@pytest.mark.parametrize("zone", ZONE_IDS)
def test_uploads_asking_for_another_algorithm_or_key_are_denied(synthesized: Any, zone: str) -> None:
    template = synthesized.template("dev")
    statements = {s.get("Sid"): s for s in _policy_of(template, zone)}
    algorithm = statements["DenyOtherEncryptionAlgorithms"]
    key = statements["DenyOtherEncryptionKeys"]
    assert algorithm["Effect"] == key["Effect"] == "Deny"
    assert algorithm["Action"] == key["Action"] == "s3:PutObject"
    assert algorithm["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    assert key["Condition"] == {
        "StringNotEqualsIfExists": {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": {"Fn::GetAtt": [_key_id(template), "Arn"]}
        }
    }


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_bucket_names_come_from_the_naming_helper(synthesized: Any, settings: Settings, env: str) -> None:
    buckets = _buckets(synthesized.template(env))
    config = settings.environments[env]
    expected = {**ZONE_IDS, "AccessLogs": Zone.ACCESS_LOGS}
    assert {cid: b["Properties"]["BucketName"] for cid, b in buckets.items()} == {
        cid: bucket_name(settings.prefix, config, zone) for cid, zone in expected.items()
    }


def test_only_the_raw_bucket_sends_events_to_eventbridge(synthesized: Any) -> None:
    buckets = _buckets(synthesized.template("dev"))
    enabled = {
        cid
        for cid, b in buckets.items()
        if b["Properties"].get("NotificationConfiguration")
        == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    }
    assert enabled == {"Raw"}
    synthesized.template("dev").resource_count_is("Custom::S3BucketNotifications", 0)


def test_access_log_bucket_is_sse_s3_and_the_logging_service_may_write(synthesized: Any) -> None:
    template = synthesized.template("prod")
    buckets = _buckets(template)
    assert buckets["AccessLogs"]["Properties"]["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    per_bucket = [s for s in _log_writers(template) if "aws:SourceArn" in json.dumps(s.get("Condition"))]
    assert len(per_bucket) == len(ZONE_IDS)
    access_logs_id = logical_id(template, "AWS::S3::Bucket", "StorageAccessLogs")
    for zone in ZONE_IDS:
        assert buckets[zone]["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {
            "Ref": access_logs_id
        }


def _log_writers(template: assertions.Template) -> list[dict[str, Any]]:
    return [
        s
        for s in _policy_of(template, "AccessLogs")
        if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} and s["Effect"] == "Allow"
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_access_log_bucket_accepts_server_access_logs_from_any_bucket_of_the_environment_account(
    synthesized: Any, settings: Settings, env: str
) -> None:
    # Job families' buckets (code, Athena results) log here too; CDK only grants the buckets it sees.
    template = synthesized.template(env)
    access_logs_id = logical_id(template, "AWS::S3::Bucket", "StorageAccessLogs")
    (statement,) = (
        s for s in _log_writers(template) if s.get("Sid") == "AllowServerAccessLogsFromThisAccount"
    )
    assert statement == {
        "Sid": "AllowServerAccessLogsFromThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [access_logs_id, "Arn"]}, "/*"]]},
        "Condition": {"StringEquals": {"aws:SourceAccount": settings.environments[env].account}},
    }


def _rules(template: assertions.Template, zone: str) -> dict[str, dict[str, Any]]:
    rules = _buckets(template)[zone]["Properties"]["LifecycleConfiguration"]["Rules"]
    return {rule["Id"]: rule for rule in rules}


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_noncurrent_versions_expire_after_the_configured_days(
    synthesized: Any, settings: Settings, env: str
) -> None:
    days = settings.environments[env].lifecycle.noncurrent_version_expiry_days
    for zone in [*ZONE_IDS, "AccessLogs"]:
        rule = _rules(synthesized.template(env), zone)["ExpireNoncurrentVersions"]
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": days}


def test_raw_objects_expire_only_where_configured(synthesized: Any, settings: Settings) -> None:
    assert settings.environments["dev"].lifecycle.raw_expiry_days == 30
    assert _rules(synthesized.template("dev"), "Raw")["ExpireObjects"]["ExpirationInDays"] == 30
    assert "ExpireObjects" not in _rules(synthesized.template("dev"), "Conformed")
    assert "ExpireObjects" not in _rules(synthesized.template("prod"), "Raw")


def test_infrequent_access_transition_follows_the_config(synthesized: Any) -> None:
    transition = _rules(synthesized.template("test"), "PurposeBuilt")["MoveToInfrequentAccess"]["Transitions"]
    assert transition == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 90}]
    assert "MoveToInfrequentAccess" not in _rules(synthesized.template("dev"), "PurposeBuilt")


@pytest.mark.parametrize("env", ["test", "prod"])
def test_stateful_resources_are_retained_in_test_and_prod(synthesized: Any, env: str) -> None:
    template = synthesized.template(env)
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in template.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_dev_deletes_data_only_because_both_switches_allow_it(synthesized: Any, settings: Settings) -> None:
    dev = settings.environments["dev"]
    assert (dev.retain_data, dev.allow_data_deletion) == (False, True)
    template = synthesized.template("dev")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in template.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Delete"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 4)


def test_one_switch_alone_keeps_the_data() -> None:
    import aws_cdk as cdk
    from infrastructure.storage import BucketNames, Storage

    from shared_config.model import Lifecycle

    with pytest.raises(ValueError, match="auto_delete_objects=True needs removal_policy"):
        Storage(
            cdk.Stack(cdk.App(), "Probe"),
            "Storage",
            names=BucketNames(
                raw="r-bucket", conformed="c-bucket", purpose_built="p-bucket", access_logs="a-bucket"
            ),
            lifecycle=Lifecycle(),
            removal_policy=cdk.RemovalPolicy.RETAIN,
            auto_delete_objects=True,
        )

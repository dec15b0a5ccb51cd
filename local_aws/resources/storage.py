"""S3 buckets (and their notification / deployment custom resources), KMS keys and aliases, SSM parameters.

Ignored bucket properties (no local effect): LifecycleConfiguration, LoggingConfiguration,
OwnershipControls, ObjectLockConfiguration, CorsConfiguration, Tags.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from local_aws.resources.base import Created, HandlerContext


def _queue_topic_lambda(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration to the PutBucketNotificationConfiguration shape."""
    converted: dict[str, Any] = {}
    if config.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        converted["EventBridgeConfiguration"] = {}
    for cfn_key, api_key, arn_key, api_arn_key in (
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
    ):
        entries = []
        for entry in config.get(cfn_key, []):
            item: dict[str, Any] = {api_arn_key: entry[arn_key], "Events": [entry["Event"]]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                item["Filter"] = {"Key": {"FilterRules": rules}}
            entries.append(item)
        if entries:
            converted[api_key] = entries
    return converted


def bucket(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("BucketName") or ctx.generated_name(max_length=63, lower=True)
    s3 = ctx.client("s3")
    create: dict[str, Any] = {"Bucket": name}
    if ctx.region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    s3.create_bucket(**create)
    if "BucketEncryption" in props:
        rules = [
            {
                (
                    "ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault" else key
                ): value
                for key, value in rule.items()
            }
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "NotificationConfiguration" in props:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration=_queue_topic_lambda(props["NotificationConfiguration"])
        )
    arn = f"arn:{ctx.partition}:s3:::{name}"
    return Created(
        name,
        {
            "Arn": arn,
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{ctx.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{ctx.region}.amazonaws.com",
        },
    )


def bucket_notifications(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    """`Custom::S3BucketNotifications` (CDK's notification handler): put the configuration it carries."""
    name = props["BucketName"]
    wanted = {key: value for key, value in props["NotificationConfiguration"].items() if value is not None}
    s3 = ctx.client("s3")
    if str(props.get("Managed", True)).lower() != "true":
        current = s3.get_bucket_notification_configuration(Bucket=name)
        current.pop("ResponseMetadata", None)
        for key, entries in wanted.items():
            if isinstance(entries, list):
                current[key] = [*current.get(key, []), *entries]
            else:
                current[key] = entries
        wanted = current
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=wanted)
    return Created(f"{name}-notifications")


def bucket_deployment(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    """`Custom::CDKBucketDeployment`: unzip every source asset into the destination bucket/prefix.

    `SourceMarkers` (deploy-time values in `Source.data` / `Source.jsonData`) are substituted in
    each file, as the real handler does. `Prune`, `Exclude`/`Include` and metadata are ignored.
    """
    s3 = ctx.client("s3")
    destination = props["DestinationBucketName"]
    prefix = props.get("DestinationBucketKeyPrefix", "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    markers: list[dict[str, Any]] = props.get("SourceMarkers") or []
    extract = str(props.get("Extract", True)).lower() == "true"
    keys: list[str] = []
    for index, (source_bucket, source_key) in enumerate(
        zip(props["SourceBucketNames"], props["SourceObjectKeys"], strict=True)
    ):
        body = s3.get_object(Bucket=source_bucket, Key=source_key)["Body"].read()
        if not extract:
            key = f"{prefix}{source_key.rsplit('/', 1)[-1]}"
            s3.put_object(Bucket=destination, Key=key, Body=body)
            keys.append(key)
            continue
        replacements = markers[index] if index < len(markers) else {}
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                content = archive.read(member)
                for marker, value in (replacements or {}).items():
                    content = content.replace(marker.encode(), str(value).encode())
                key = f"{prefix}{member.filename}"
                s3.put_object(Bucket=destination, Key=key, Body=content)
                keys.append(key)
    return Created(
        f"aws.cdk.s3deployment.{ctx.logical_id}",
        {"DestinationBucketArn": f"arn:{ctx.partition}:s3:::{destination}", "SourceObjectKeys": keys},
    )


def kms_key(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    kms = ctx.client("kms")
    create: dict[str, Any] = {}
    if "KeyPolicy" in props:
        policy = props["KeyPolicy"]
        create["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    for key in ("Description", "KeyUsage", "KeySpec", "MultiRegion"):
        if key in props:
            create[key] = props[key]
    key_id = kms.create_key(**create)["KeyMetadata"]["KeyId"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=key_id)
    if props.get("Enabled") is False:
        kms.disable_key(KeyId=key_id)
    return Created(key_id, {"Arn": ctx.arn("kms", f"key/{key_id}"), "KeyId": key_id})


def kms_alias(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    target = str(props["TargetKeyId"]).rsplit("/", 1)[-1]
    ctx.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=target)
    return Created(props["AliasName"])


def ssm_parameter(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or f"CFN-{ctx.generated_name(max_length=1000)}"
    put: dict[str, Any] = {
        "Name": name,
        "Value": str(props["Value"]),
        "Type": props["Type"],
        "Overwrite": True,
    }
    for key in ("Description", "AllowedPattern", "Tier", "DataType"):
        if key in props:
            put[key] = props[key]
    ctx.client("ssm").put_parameter(**put)
    return Created(name, {"Type": props["Type"], "Value": str(props["Value"])})


HANDLERS = {
    "AWS::S3::Bucket": bucket,
    "Custom::S3BucketNotifications": bucket_notifications,
    "Custom::CDKBucketDeployment": bucket_deployment,
    "AWS::KMS::Key": kms_key,
    "AWS::KMS::Alias": kms_alias,
    "AWS::SSM::Parameter": ssm_parameter,
}

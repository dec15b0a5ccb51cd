"""DynamoDB tables, the Glue catalog and jobs, Athena workgroups and named queries."""

from __future__ import annotations

from typing import Any

from local_aws.resources.base import Created, HandlerContext, to_attribute_strings

# String maps where CloudFormation accepts any JSON scalar but the Glue API wants strings.
_STRING_MAPS = {"Parameters", "DefaultArguments", "NonOverridableArguments", "ConnectionProperties", "Tags"}


def _strings_in_maps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: to_attribute_strings(item)
            if key in _STRING_MAPS and isinstance(item, dict)
            else _strings_in_maps(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_strings_in_maps(item) for item in value]
    return value


_TABLE_KEYS = (
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
)


def dynamodb_table(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("TableName") or ctx.generated_name(max_length=255)
    create: dict[str, Any] = {key: props[key] for key in _TABLE_KEYS if key in props}
    create["TableName"] = name
    if "StreamSpecification" in props:
        create["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:
        sse = props["SSESpecification"]
        create["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    dynamodb = ctx.client("dynamodb")
    table = dynamodb.create_table(**create)["TableDescription"]
    pitr = props.get("PointInTimeRecoverySpecification", {})
    if pitr.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    return Created(name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")})


def glue_database(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    props = _strings_in_maps(props)
    database_input = dict(props["DatabaseInput"])
    database_input.setdefault(
        "Name", ctx.generated_name(max_length=255, lower=True, separator="_").replace("-", "_")
    )
    ctx.client("glue").create_database(DatabaseInput=database_input)
    return Created(database_input["Name"])


def glue_table(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    props = _strings_in_maps(props)
    table_input = dict(props["TableInput"])
    table_input.setdefault(
        "Name", ctx.generated_name(max_length=255, lower=True, separator="_").replace("-", "_")
    )
    ctx.client("glue").create_table(DatabaseName=props["DatabaseName"], TableInput=table_input)
    return Created(table_input["Name"])


_JOB_KEYS = (
    "Description",
    "LogUri",
    "Role",
    "ExecutionProperty",
    "Command",
    "DefaultArguments",
    "NonOverridableArguments",
    "Connections",
    "MaxRetries",
    "AllocatedCapacity",
    "Timeout",
    "MaxCapacity",
    "SecurityConfiguration",
    "NotificationProperty",
    "GlueVersion",
    "NumberOfWorkers",
    "WorkerType",
    "ExecutionClass",
)


def glue_job(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    props = _strings_in_maps(props)
    name = props.get("Name") or ctx.generated_name(max_length=255)
    create: dict[str, Any] = {key: props[key] for key in _JOB_KEYS if key in props}
    create["Name"] = name
    if isinstance(props.get("Tags"), dict):
        create["Tags"] = props["Tags"]
    ctx.client("glue").create_job(**create)
    return Created(name)


def glue_security_configuration(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.generated_name(max_length=255)
    encryption = dict(props["EncryptionConfiguration"])
    if "S3Encryptions" in encryption:  # CloudFormation's plural is the API's S3Encryption list
        encryption["S3Encryption"] = encryption.pop("S3Encryptions")
    ctx.client("glue").create_security_configuration(Name=name, EncryptionConfiguration=encryption)
    return Created(name)


def glue_connection(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    props = _strings_in_maps(props)
    connection_input = dict(props["ConnectionInput"])
    connection_input.setdefault("Name", ctx.generated_name(max_length=255))
    connection_input.setdefault("ConnectionProperties", {})  # optional in CloudFormation, required by the API
    ctx.client("glue").create_connection(ConnectionInput=connection_input)
    return Created(connection_input["Name"])


def athena_workgroup(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    create: dict[str, Any] = {"Name": props["Name"]}
    if "WorkGroupConfiguration" in props:
        create["Configuration"] = props["WorkGroupConfiguration"]
    if "Description" in props:
        create["Description"] = props["Description"]
    ctx.client("athena").create_work_group(**create)
    return Created(props["Name"])


def athena_named_query(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    create: dict[str, Any] = {
        "Name": props.get("Name") or ctx.generated_name(max_length=128),
        "Database": props["Database"],
        "QueryString": props["QueryString"],
    }
    for key in ("Description", "WorkGroup"):
        if key in props:
            create[key] = props[key]
    query_id = ctx.client("athena").create_named_query(**create)["NamedQueryId"]
    return Created(query_id, {"NamedQueryId": query_id})


HANDLERS = {
    "AWS::DynamoDB::Table": dynamodb_table,
    "AWS::Glue::Database": glue_database,
    "AWS::Glue::Table": glue_table,
    "AWS::Glue::Job": glue_job,
    "AWS::Glue::SecurityConfiguration": glue_security_configuration,
    "AWS::Glue::Connection": glue_connection,
    "AWS::Athena::WorkGroup": athena_workgroup,
    "AWS::Athena::NamedQuery": athena_named_query,
}

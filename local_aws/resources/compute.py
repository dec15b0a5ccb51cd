"""IAM roles, Lambda functions (and their event source mappings), Step Functions, log groups.

- IAM roles are created (other services want a role ARN); their policies are not.
- Lambda functions are created in moto and recorded (`Records.functions`) with their resolved
  handler and environment, so `local_aws.lambda_runner` can call the real handler. Layers, VPC
  config and dead-letter config are dropped (no local effect).
- Event source mappings are only recorded: moto would deliver SQS messages to a Docker Lambda.
- State machines are created through the Step Functions API, so moto's interpreter runs them.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from typing import Any

from local_aws.resources.base import (
    Created,
    EventSourceMapping,
    HandlerContext,
    LocalFunction,
    lower_first,
)


def iam_role(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("RoleName") or ctx.generated_name(max_length=64)
    create: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": json.dumps(props["AssumeRolePolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    for key in ("Description", "MaxSessionDuration"):
        if key in props:
            create[key] = props[key]
    role = ctx.client("iam").create_role(**create)["Role"]
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


def _inline_zip(source: str, handler: str) -> bytes:
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def lambda_function(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    code = props["Code"]
    if "ImageUri" in code or props.get("PackageType") == "Image":
        raise ctx.fail("container-image functions cannot run locally; package the function as a zip asset")
    name = props.get("FunctionName") or ctx.generated_name(max_length=64)
    handler = props.get("Handler", "index.handler")
    runtime = props.get("Runtime", "python3.12")
    environment = {
        key: str(value) for key, value in props.get("Environment", {}).get("Variables", {}).items()
    }
    if "ZipFile" in code:
        api_code: dict[str, Any] = {"ZipFile": _inline_zip(code["ZipFile"], handler)}
    else:
        api_code = {"S3Bucket": code["S3Bucket"], "S3Key": code["S3Key"]}
    create: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": runtime,
        "Role": props["Role"],
        "Handler": handler,
        "Code": api_code,
        "Environment": {"Variables": environment},
        "Timeout": int(props.get("Timeout", 3)),
        "MemorySize": int(props.get("MemorySize", 128)),
    }
    for key in ("Description", "Architectures"):
        if key in props:
            create[key] = props[key]
    arn = ctx.client("lambda").create_function(**create)["FunctionArn"]
    ctx.records.functions[name] = LocalFunction(
        logical_id=ctx.logical_id,
        stack_name=ctx.stack_name,
        name=name,
        arn=arn,
        handler=handler,
        runtime=runtime,
        environment=environment,
        timeout_s=int(props.get("Timeout", 3)),
        code_bucket=code.get("S3Bucket"),
        code_key=code.get("S3Key"),
        inline_code=code.get("ZipFile"),
    )
    return Created(name, {"Arn": arn})


def event_source_mapping(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    source_arn = props.get("EventSourceArn", "")
    if ":sqs:" not in source_arn:
        raise ctx.fail(f"only SQS event sources run locally, not {source_arn or 'this source'}")
    function_name = (
        str(props["FunctionName"]).rsplit(":", 1)[-1]
        if ":function:" in str(props["FunctionName"])
        else str(props["FunctionName"])
    )
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.stack_name}/{ctx.logical_id}"))
    ctx.records.event_source_mappings.append(
        EventSourceMapping(
            logical_id=ctx.logical_id,
            function_name=function_name,
            event_source_arn=source_arn,
            batch_size=int(props.get("BatchSize", 10)),
            report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            enabled=bool(props.get("Enabled", True)),
        )
    )
    return Created(
        mapping_id,
        {"Id": mapping_id, "EventSourceMappingArn": ctx.arn("lambda", f"event-source-mapping:{mapping_id}")},
    )


def _definition(ctx: HandlerContext, props: dict[str, Any]) -> str:
    if "DefinitionString" in props:
        definition = str(props["DefinitionString"])
    elif "Definition" in props:
        definition = json.dumps(props["Definition"])
    else:
        raise ctx.fail("DefinitionS3Location is not supported locally; use DefinitionString or Definition")
    for variable, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + variable + "}", str(value))
    leftover = re.findall(r"\$\{[A-Za-z0-9_]+\}", definition)
    if leftover:
        raise ctx.fail(f"definition substitutions without a value: {sorted(set(leftover))}")
    return definition


def state_machine(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("StateMachineName") or ctx.generated_name(max_length=80)
    create: dict[str, Any] = {
        "name": name,
        "definition": _definition(ctx, props),
        "roleArn": props["RoleArn"],
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if "LoggingConfiguration" in props:
        create["loggingConfiguration"] = lower_first(props["LoggingConfiguration"])
    if "TracingConfiguration" in props:
        create["tracingConfiguration"] = lower_first(props["TracingConfiguration"])
    arn = ctx.client("stepfunctions").create_state_machine(**create)["stateMachineArn"]
    return Created(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": arn})


def log_group(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("LogGroupName") or ctx.generated_name(max_length=512)
    logs = ctx.client("logs")
    create: dict[str, Any] = {"logGroupName": name}
    if "KmsKeyId" in props:
        create["kmsKeyId"] = props["KmsKeyId"]
    logs.create_log_group(**create)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Created(name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})


HANDLERS = {
    "AWS::IAM::Role": iam_role,
    "AWS::Lambda::Function": lambda_function,
    "AWS::Lambda::EventSourceMapping": event_source_mapping,
    "AWS::StepFunctions::StateMachine": state_machine,
    "AWS::Logs::LogGroup": log_group,
}

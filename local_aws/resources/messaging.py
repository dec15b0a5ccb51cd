"""SQS queues, SNS topics and subscriptions, EventBridge rules and their targets."""

from __future__ import annotations

import json
from typing import Any

from local_aws.resources.base import Created, HandlerContext, to_attribute_strings

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def queue(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    fifo = str(props.get("FifoQueue", False)).lower() == "true"
    name = props.get("QueueName") or ctx.generated_name(max_length=75 if fifo else 80)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = to_attribute_strings({key: props[key] for key in _QUEUE_ATTRIBUTES if key in props})
    url = ctx.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return Created(url, {"Arn": ctx.arn("sqs", name), "QueueName": name, "QueueUrl": url})


def topic(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    fifo = str(props.get("FifoTopic", False)).lower() == "true"
    name = props.get("TopicName") or ctx.generated_name(max_length=251 if fifo else 256)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attribute_keys = (
        "KmsMasterKeyId",
        "FifoTopic",
        "ContentBasedDeduplication",
        "DisplayName",
        "SignatureVersion",
    )
    attributes = to_attribute_strings({key: props[key] for key in attribute_keys if key in props})
    sns = ctx.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return Created(arn, {"TopicArn": arn, "TopicName": name})


def subscription(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    attribute_keys = (
        "RawMessageDelivery",
        "FilterPolicy",
        "FilterPolicyScope",
        "RedrivePolicy",
        "DeliveryPolicy",
    )
    attributes = to_attribute_strings({key: props[key] for key in attribute_keys if key in props})
    arn = ctx.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props.get("Endpoint", ""),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Created(arn, {"Arn": arn})


def rule(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    name = props.get("Name") or ctx.generated_name(max_length=64)
    events = ctx.client("events")
    put: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        put["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    for key in ("ScheduleExpression", "Description", "EventBusName", "RoleArn"):
        if key in props:
            put[key] = props[key]
    arn = events.put_rule(**put)["RuleArn"]
    if props.get("Targets"):
        target_args: dict[str, Any] = {"Rule": name, "Targets": props["Targets"]}
        if "EventBusName" in props:
            target_args["EventBusName"] = props["EventBusName"]
        failed = events.put_targets(**target_args).get("FailedEntries", [])
        if failed:
            raise ctx.fail(f"targets refused: {failed}")
    return Created(name, {"Arn": arn})


HANDLERS = {
    "AWS::SQS::Queue": queue,
    "AWS::SNS::Topic": topic,
    "AWS::SNS::Subscription": subscription,
    "AWS::Events::Rule": rule,
}

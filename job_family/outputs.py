"""The outputs every family stack publishes: how operators, the operator commands and the local AWS
find a deployed family's resources from its stack (`<prefix>-<env>-<family>`), never by guessing.

Pure (no aws_cdk): read with `cloudformation describe-stacks` in AWS, or from a local deployment.
"""

from __future__ import annotations

from enum import StrEnum


class Output(StrEnum):
    FAMILY = "Family"  # the family's name
    TRIGGER = "Trigger"  # per_object | per_delivery
    RAW_BUCKET = "RawBucketName"
    RAW_KEY_PREFIX = "RawKeyPrefix"  # `<family>/`
    CONFORMED_BUCKET = "ConformedBucketName"
    PURPOSE_BUILT_BUCKET = "PurposeBuiltBucketName"
    AUDIT_TABLE = "AuditTableName"
    STATE_MACHINE = "StateMachineArn"
    TOPIC = "TopicArn"
    TRIGGER_FUNCTION = "TriggerFunctionName"
    INGESTION_QUEUE = "IngestionQueueUrl"
    DEAD_LETTER_QUEUE = "DeadLetterQueueUrl"
    DATABASE = "DatabaseName"
    WORKGROUP = "WorkgroupName"

"""AuditTable: one DynamoDB item per raw object (shape in `audit/runtime/item.py`)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from job_family.audit.runtime.item import (
    STATUS_INDEX_NAME,
    STATUS_INDEX_PARTITION_KEY,
    STATUS_INDEX_SORT_KEY,
    TABLE_PARTITION_KEY,
)


class AuditTable(Construct):
    """On-demand, point-in-time recovery, encrypted with `key`, with the `by-status` index.

    `removal_policy` defaults to RETAIN, and deletion protection is on whenever the table is retained.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        # `Table` (AWS::DynamoDB::Table), not `TableV2`: moto's CloudFormation deploys only the former.
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=TABLE_PARTITION_KEY, type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=removal_policy == cdk.RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        self.table.add_global_secondary_index(
            index_name=STATUS_INDEX_NAME,
            partition_key=dynamodb.Attribute(name=STATUS_INDEX_PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=STATUS_INDEX_SORT_KEY, type=string),
            projection_type=dynamodb.ProjectionType.ALL,
        )

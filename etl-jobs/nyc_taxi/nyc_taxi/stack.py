"""NycTaxiEtl: the composition stack of the nyc_taxi job family. It only builds the units and wires them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from nyc_taxi import naming
from nyc_taxi.acknowledgments import acknowledge_findings
from nyc_taxi.audit.infrastructure import AuditTable
from nyc_taxi.catalog.infrastructure import Catalog
from nyc_taxi.encryption.infrastructure import FamilyKey
from nyc_taxi.ingest.infrastructure import Ingestion
from nyc_taxi.jobs.code_bucket import JobCode
from nyc_taxi.jobs.infrastructure import EtlJobs
from nyc_taxi.jobs.locations import Locations
from nyc_taxi.notifications.infrastructure import Notifications
from nyc_taxi.orchestration.infrastructure import Orchestration
from nyc_taxi.platform.infrastructure import PlatformImports
from nyc_taxi.release.infrastructure import SmokeTestAccess
from nyc_taxi.settings import LOG_RETENTION_DAYS, FamilySettings
from shared_config.contract import ContractScope

# CloudWatch's retention values and CDK's names for them, in the same (ascending) order.
_RETENTION_NAMES = (
    "ONE_DAY", "THREE_DAYS", "FIVE_DAYS", "ONE_WEEK", "TWO_WEEKS", "ONE_MONTH", "TWO_MONTHS", "THREE_MONTHS",
    "FOUR_MONTHS", "FIVE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "THIRTEEN_MONTHS", "EIGHTEEN_MONTHS", "TWO_YEARS",
    "THREE_YEARS", "FIVE_YEARS", "SIX_YEARS", "SEVEN_YEARS", "EIGHT_YEARS", "NINE_YEARS", "TEN_YEARS",
)  # fmt: skip


def log_retention_of(days: int) -> logs.RetentionDays:
    """`14` -> `RetentionDays.TWO_WEEKS` (settings validate `days` against LOG_RETENTION_DAYS)."""
    names = dict(zip(LOG_RETENTION_DAYS, _RETENTION_NAMES, strict=True))
    return logs.RetentionDays[names[days]]


@dataclass(frozen=True, kw_only=True)
class DataRetention:
    """What a stack deletion does to data. The default keeps everything."""

    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    # Empty the job family's own buckets on deletion (only meaningful with DESTROY).
    auto_delete_objects: bool = False

    def __post_init__(self) -> None:
        if self.auto_delete_objects and self.removal_policy != cdk.RemovalPolicy.DESTROY:
            raise ValueError(
                "auto_delete_objects needs removal_policy=DESTROY; a retained bucket keeps its objects"
            )


class NycTaxiEtl(cdk.Stack):
    """The nyc_taxi job family in one environment: S3 arrival -> audited, notified Glue runs -> tables.

    `smoke_test_account`, when given, may assume a role that uploads a fixture file and reads its audit
    item (the delivery pipeline's post-deploy check).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        contract: ContractScope,
        subnet_count: int,
        family: FamilySettings,
        notification_emails: Sequence[str] = (),
        retention: DataRetention = DataRetention(),
        smoke_test_account: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = retention.removal_policy
        log_retention = log_retention_of(family.log_retention_days)

        platform = PlatformImports(self, "Platform", contract=contract, subnet_count=subnet_count)
        key = FamilyKey(self, "Encryption", removal_policy=removal).key
        code = JobCode(
            self,
            "Code",
            key=key,
            access_log_bucket=platform.access_log_bucket,
            removal_policy=removal,
            auto_delete_objects=retention.auto_delete_objects,
            log_retention=log_retention,
        )
        audit = AuditTable(self, "Audit", key=key, removal_policy=removal)
        notifications = Notifications(self, "Notifications", key=key, emails=notification_emails)

        locations = Locations(
            conformed_bucket_name=platform.conformed_bucket.bucket_name,
            purpose_built_bucket_name=platform.purpose_built_bucket.bucket_name,
            code_bucket_name=code.bucket.bucket_name,
            database_name=naming.database_name(contract.prefix),
        )
        jobs = EtlJobs(
            self,
            "Jobs",
            code_bucket=code.bucket,
            raw_bucket=platform.raw_bucket,
            conformed_bucket=platform.conformed_bucket,
            purpose_built_bucket=platform.purpose_built_bucket,
            locations=locations,
            family_key=key,
            data_key=platform.data_key,
            subnets=platform.private_subnets,
            security_group=platform.security_group,
            raw_to_conformed=family.raw_to_conformed,
            conformed_to_purpose_built=family.conformed_to_purpose_built,
            removal_policy=removal,
        )
        jobs.node.add_dependency(code.deployment)
        catalog = Catalog(
            self,
            "Catalog",
            database_name=locations.database_name,
            workgroup_name=naming.workgroup_name(contract.prefix),
            conformed_bucket=platform.conformed_bucket,
            purpose_built_bucket=platform.purpose_built_bucket,
            key=key,
            access_log_bucket=platform.access_log_bucket,
            query_results_expiry_days=family.query_results_expiry_days,
            removal_policy=removal,
            auto_delete_objects=retention.auto_delete_objects,
        )

        orchestration = Orchestration(
            self,
            "Orchestration",
            raw_to_conformed=jobs.raw_to_conformed,
            conformed_to_purpose_built=jobs.conformed_to_purpose_built,
            audit_table=audit.table,
            topic=notifications.topic,
            report_bucket=platform.conformed_bucket,
            key=key,
            timeout=cdk.Duration.minutes(family.execution_timeout_min),
            log_retention=log_retention,
            removal_policy=removal,
        )
        platform.data_key.grant_decrypt(orchestration.state_machine)  # the run report (getObject)

        ingestion = Ingestion(
            self,
            "Ingestion",
            raw_bucket=platform.raw_bucket,
            audit_table=audit.table,
            state_machine=orchestration.state_machine,
            topic=notifications.topic,
            key=key,
            vpc=platform.vpc,
            subnets=platform.subnet_selection,
            security_group=platform.security_group,
            settings=family.trigger,
            log_retention=log_retention,
            removal_policy=removal,
        )
        # The claim and its read-back only: no index, no scan, no update.
        ingestion.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem", "dynamodb:GetItem"], resources=[audit.table.table_arn]
            )
        )
        key.grant(ingestion.function, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
        orchestration.state_machine.grant_start_execution(ingestion.function)
        notifications.topic.grant_publish(ingestion.function)

        notifications.watch_executions(orchestration.state_machine)
        notifications.watch_dead_letter_queue(ingestion.dead_letter_queue)
        notifications.watch_function(ingestion.function)

        self.platform = platform
        self.code = code
        self.audit = audit
        self.jobs = jobs
        self.catalog = catalog
        self.orchestration = orchestration
        self.ingestion = ingestion
        self.notifications = notifications
        self.smoke_test: SmokeTestAccess | None = None
        if smoke_test_account is not None:
            self.smoke_test = SmokeTestAccess(
                self,
                "SmokeTest",
                trusted_account=smoke_test_account,
                role_name=naming.smoke_test_role_name(contract.prefix),
                raw_bucket=platform.raw_bucket,
                data_key=platform.data_key,
                audit_table=audit.table,
                audit_key=key,
            )
        acknowledge_findings(self)

"""FamilyStack: the composition stack of a job family. It only builds the units (from the family spec)
and wires them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from job_family import naming
from job_family.acknowledgments import acknowledge_findings
from job_family.audit.infrastructure import AuditTable
from job_family.catalog.infrastructure import Catalog
from job_family.dashboard.infrastructure import Dashboard
from job_family.encryption.infrastructure import FamilyKey
from job_family.glue.code_bucket import JobCode
from job_family.glue.infrastructure import EtlJobs
from job_family.glue.locations import Locations
from job_family.ingest.infrastructure import Ingestion
from job_family.notifications.infrastructure import Notifications
from job_family.orchestration.infrastructure import Orchestration
from job_family.outputs import Output
from job_family.packaging.bundles import FamilyBundles
from job_family.platform.infrastructure import PlatformImports
from job_family.release.infrastructure import SmokeTestAccess, smoke_key_prefix
from job_family.settings import LOG_RETENTION_DAYS, FamilySettings
from job_family.spec import FamilySpec, Zone
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


def zone_buckets(platform: PlatformImports, code: JobCode) -> dict[Zone, Callable[[], s3.IBucket]]:
    """The bucket of each zone, built only when asked for (see `PlatformImports.purpose_built_bucket`)."""
    return {
        Zone.RAW: lambda: platform.raw_bucket,
        Zone.CONFORMED: lambda: platform.conformed_bucket,
        Zone.QUARANTINE: lambda: platform.conformed_bucket,
        Zone.REPORTS: lambda: platform.conformed_bucket,
        Zone.PURPOSE_BUILT: lambda: platform.purpose_built_bucket,
        Zone.RULES: lambda: code.bucket,
        Zone.REFERENCE: lambda: code.bucket,
    }


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


class FamilyStack(cdk.Stack):
    """One job family in one environment: S3 arrival -> audited, notified Glue runs -> tables.

    Every unit is built from `spec`; `bundles` ships its code. `smoke_test_account`, when given, may
    assume a role that uploads a fixture file and reads its audit item (the delivery pipeline's
    post-deploy check).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FamilySpec,
        bundles: FamilyBundles,
        contract: ContractScope,
        subnet_count: int,
        family: FamilySettings,
        notification_emails: Sequence[str] = (),
        retention: DataRetention = DataRetention(),
        smoke_test_account: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.spec = spec
        removal = retention.removal_policy
        log_retention = log_retention_of(family.log_retention_days)

        platform = PlatformImports(self, "Platform", contract=contract, subnet_count=subnet_count)
        key = FamilyKey(self, "Encryption", family=spec.name, removal_policy=removal).key
        code = JobCode(
            self,
            "Code",
            bundles=bundles,
            key=key,
            access_log_bucket=platform.access_log_bucket,
            removal_policy=removal,
            auto_delete_objects=retention.auto_delete_objects,
            log_retention=log_retention,
        )
        audit = AuditTable(self, "Audit", key=key, removal_policy=removal)
        notifications = Notifications(
            self, "Notifications", family=spec.name, key=key, emails=notification_emails
        )

        locations = Locations(
            family=spec.name,
            raw_bucket_name=platform.raw_bucket.bucket_name,
            conformed_bucket_name=platform.conformed_bucket.bucket_name,
            purpose_built_bucket_name=platform.purpose_built_bucket_name,
            code_bucket_name=code.bucket.bucket_name,
            database_name=naming.database_name(contract.prefix, spec.name),
        )
        jobs = EtlJobs(
            self,
            "Jobs",
            spec=spec,
            code_bucket=code.bucket,
            buckets={
                zone: bucket() for zone, bucket in zone_buckets(platform, code).items() if zone in spec.zones
            },
            locations=locations,
            family_key=key,
            data_key=platform.data_key,
            subnets=platform.private_subnets,
            security_group=platform.security_group,
            settings=family,
            removal_policy=removal,
        )
        jobs.node.add_dependency(code.deployment)
        catalog = Catalog(
            self,
            "Catalog",
            spec=spec,
            database_name=locations.database_name,
            workgroup_name=naming.workgroup_name(contract.prefix, spec.name),
            buckets={
                zone: bucket() for zone, bucket in zone_buckets(platform, code).items() if zone in spec.zones
            },
            key=key,
            access_log_bucket=platform.access_log_bucket,
            query_results_expiry_days=family.query_results_expiry_days,
            removal_policy=removal,
            auto_delete_objects=retention.auto_delete_objects,
        )

        orchestration = Orchestration(
            self,
            "Orchestration",
            spec=spec,
            jobs=dict(jobs.jobs),
            audit_table=audit.table,
            topic=notifications.topic,
            report_bucket=platform.conformed_bucket,
            key=key,
            timeout=cdk.Duration.minutes(family.execution_timeout_min),
            log_retention=log_retention,
            removal_policy=removal,
            execution_class=family.execution_class,
        )
        platform.data_key.grant_decrypt(orchestration.state_machine)  # the run report (getObject)

        ingestion = Ingestion(
            self,
            "Ingestion",
            spec=spec,
            bundles=bundles,
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
        dashboard = Dashboard(
            self,
            "Dashboard",
            spec=spec,
            settings=family,
            dashboard_name=self.stack_name,
            jobs=dict(jobs.jobs),
            state_machine=orchestration.state_machine,
            queue=ingestion.queue,
            dead_letter_queue=ingestion.dead_letter_queue,
            trigger=ingestion.function,
            alarms=notifications.alarms,
        )

        self.platform = platform
        self.code = code
        self.audit = audit
        self.jobs = jobs
        self.catalog = catalog
        self.orchestration = orchestration
        self.ingestion = ingestion
        self.notifications = notifications
        self.dashboard = dashboard
        self.smoke_test: SmokeTestAccess | None = None
        if smoke_test_account is not None:
            self.smoke_test = SmokeTestAccess(
                self,
                "SmokeTest",
                family=spec.name,
                key_prefix=smoke_key_prefix(spec),
                trusted_account=smoke_test_account,
                role_name=naming.smoke_test_role_name(contract.prefix, spec.name),
                raw_bucket=platform.raw_bucket,
                data_key=platform.data_key,
                audit_table=audit.table,
                audit_key=key,
            )
        self._publish_outputs(locations)
        acknowledge_findings(self)

    def _publish_outputs(self, locations: Locations) -> None:
        """What operators and the local AWS read to find this family's resources (`outputs.Output`)."""
        values = {
            Output.FAMILY: self.spec.name,
            Output.TRIGGER: self.spec.trigger.kind,
            Output.RAW_BUCKET: locations.raw_bucket_name,
            Output.RAW_KEY_PREFIX: self.spec.key_prefix,
            Output.CONFORMED_BUCKET: locations.conformed_bucket_name,
            Output.PURPOSE_BUILT_BUCKET: locations.purpose_built_bucket_name,
            Output.AUDIT_TABLE: self.audit.table.table_name,
            Output.STATE_MACHINE: self.orchestration.state_machine.state_machine_arn,
            Output.TOPIC: self.notifications.topic.topic_arn,
            Output.TRIGGER_FUNCTION: self.ingestion.function.function_name,
            Output.INGESTION_QUEUE: self.ingestion.queue.queue_url,
            Output.DEAD_LETTER_QUEUE: self.ingestion.dead_letter_queue.queue_url,
            Output.DATABASE: locations.database_name,
            Output.WORKGROUP: self.catalog.workgroup.ref,
        }
        for output, value in values.items():
            cdk.CfnOutput(self, output.value, value=value)

"""One environment of a job family as a deployable unit (a `cdk.Stage`).

The stage is independent of any pipeline: the delivery pipeline deploys it, and the family's app can
synthesize it alone (`-c stage=<env>`) for local mode and for inspection.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from delivery.compliance import StandardTags, apply_standard_tags
from job_family import naming
from job_family.packaging.bundles import FamilyBundles
from job_family.settings import FamilySettings
from job_family.stack import DataRetention, FamilyStack
from shared_config.contract import ContractScope
from shared_config.model import EnvironmentConfig, Settings

# Literal id: the stack of every family's stage is `Etl`; the stage's id is the family in PascalCase
# (`NycTaxi`), so its artifacts live in `assembly-...NycTaxi`.
STACK_ID = "Etl"


def data_retention(env_config: EnvironmentConfig) -> DataRetention:
    """RETAIN unless the environment both stops retaining data and allows deleting it."""
    if env_config.destroy_data_on_delete:
        return DataRetention(removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
    return DataRetention()


class FamilyStage(cdk.Stage):
    """A job family in one environment: one stack, `Etl`, named `<prefix>-<env>-<family>`.

    `smoke_test_account` (the deployment account, for the pipeline's post-deploy check) may assume the
    smoke-test role; none by default. `env` defaults to the environment's account and region.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        bundles: FamilyBundles,
        settings: Settings,
        env_config: EnvironmentConfig,
        family: FamilySettings,
        smoke_test_account: str | None = None,
        env: cdk.Environment | None = None,
    ) -> None:
        spec = bundles.spec
        super().__init__(
            scope,
            spec.pascal_name,
            env=env or cdk.Environment(account=env_config.account, region=env_config.region),
        )
        self.stack = FamilyStack(
            self,
            STACK_ID,
            spec=spec,
            bundles=bundles,
            contract=ContractScope(settings.prefix, env_config.name),
            subnet_count=env_config.subnet_count,
            family=family,
            notification_emails=settings.notifications.emails,
            retention=data_retention(env_config),
            smoke_test_account=smoke_test_account,
            stack_name=naming.stack_name(settings.prefix, env_config.name, spec.name),
            description=f"{spec.name} job family ({env_config.name}): ingestion, audit, Glue jobs, catalog",
        )
        apply_standard_tags(self, StandardTags.of(settings, app=spec.app_name, environment=env_config.name))

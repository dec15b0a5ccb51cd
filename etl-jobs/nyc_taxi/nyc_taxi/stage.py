"""One environment of the nyc_taxi job family as a deployable unit (a `cdk.Stage`).

The stage is independent of any pipeline: the delivery pipeline deploys it, and app.py can synthesize
it alone (`-c stage=<env>`) for local mode and for inspection.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from delivery.compliance import StandardTags, apply_standard_tags
from nyc_taxi.settings import FamilySettings
from nyc_taxi.stack import DataRetention, NycTaxiEtl
from shared_config.contract import ContractScope
from shared_config.model import EnvironmentConfig, Settings

APP_NAME = "nyc-taxi"
# Literal ids: the stage's artifacts live in `assembly-...NycTaxi`, its stack is `Etl`.
STAGE_ID = "NycTaxi"
STACK_ID = "Etl"


def stack_name(prefix: str, env_config: EnvironmentConfig) -> str:
    """CloudFormation stack name in the target account, e.g. `dlk-dev-nyc-taxi`."""
    return f"{prefix}-{env_config.name}-{APP_NAME}"


def data_retention(env_config: EnvironmentConfig) -> DataRetention:
    """RETAIN unless the environment both stops retaining data and allows deleting it."""
    if env_config.destroy_data_on_delete:
        return DataRetention(removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
    return DataRetention()


class NycTaxiStage(cdk.Stage):
    """The nyc_taxi job family in one environment: one stack, `Etl`.

    `smoke_test_account` (the deployment account, for the pipeline's post-deploy check) may assume the
    smoke-test role; none by default. `env` defaults to the environment's account and region.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        env_config: EnvironmentConfig,
        family: FamilySettings,
        smoke_test_account: str | None = None,
        env: cdk.Environment | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=env or cdk.Environment(account=env_config.account, region=env_config.region),
        )
        self.stack = NycTaxiEtl(
            self,
            STACK_ID,
            contract=ContractScope(settings.prefix, env_config.name),
            subnet_count=env_config.subnet_count,
            family=family,
            notification_emails=settings.notifications.emails,
            retention=data_retention(env_config),
            smoke_test_account=smoke_test_account,
            stack_name=stack_name(settings.prefix, env_config),
            description=f"nyc_taxi job family ({env_config.name}): ingestion, audit, Glue jobs, catalog",
        )
        apply_standard_tags(self, StandardTags.of(settings, app=APP_NAME, environment=env_config.name))

"""One environment of the infrastructure app as a deployable unit (a `cdk.Stage`).

The stage is independent of any pipeline: the delivery pipeline deploys it, and app.py can
synthesize it alone (`-c stage=<env>`) for local mode and for inspection.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from delivery.compliance import StandardTags, apply_standard_tags
from infrastructure.stack import DataLakeInfrastructure
from shared_config.model import EnvironmentConfig, Settings

APP_NAME = "infrastructure"
# Literal ids: the stage's artifacts live in `assembly-...Infrastructure`, its stack is `DataLake`.
STAGE_ID = "Infrastructure"
STACK_ID = "DataLake"


def stack_name(prefix: str, env_config: EnvironmentConfig) -> str:
    """CloudFormation stack name in the target account, e.g. `dlk-dev-infrastructure`.

    Explicit so that two environments (or two kits) sharing an account never collide.
    """
    return f"{prefix}-{env_config.name}-{APP_NAME}"


def placement(env_config: EnvironmentConfig) -> cdk.Environment:
    return cdk.Environment(account=env_config.account, region=env_config.region)


class InfrastructureStage(cdk.Stage):
    """The data lake landing zone of one environment: one stack, `DataLake`.

    `env` defaults to the environment's account and region.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        env_config: EnvironmentConfig,
        env: cdk.Environment | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env or placement(env_config))
        self.stack = DataLakeInfrastructure(
            self,
            STACK_ID,
            prefix=settings.prefix,
            env_config=env_config,
            stack_name=stack_name(settings.prefix, env_config),
            description=f"Data lake landing zone ({env_config.name}): network, data key, zones, SSM contract",
        )
        apply_standard_tags(self, StandardTags.of(settings, app=APP_NAME, environment=env_config.name))

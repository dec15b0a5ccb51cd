"""What app.py builds: one delivery pipeline per environment, or one stage alone."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from delivery.pipeline import DeliveryPipelineStack, add_delivery_pipelines
from infrastructure.stage import APP_NAME, STAGE_ID, InfrastructureStage
from shared_config.model import EnvironmentConfig, Settings

APP_FOLDER = "infrastructure"


def add_pipelines(app: cdk.App, settings: Settings) -> dict[str, DeliveryPipelineStack]:
    """One pipeline stack per pipeline target (not `local`), in the deployment account:
    `InfrastructurePipeline-<env>` (`delivery.pipeline_ids.pipeline_stack_id`)."""

    def create_stage(scope: Construct, env_config: EnvironmentConfig) -> cdk.Stage:
        return InfrastructureStage(scope, STAGE_ID, settings=settings, env_config=env_config)

    return add_delivery_pipelines(
        app, settings=settings, app_folder=APP_FOLDER, app_name=APP_NAME, create_stage=create_stage
    )


def add_stage(app: cdk.App, settings: Settings, env_name: str) -> InfrastructureStage:
    """The stage of `env_name` (a pipeline target or `local`) alone, without any pipeline."""
    return InfrastructureStage(app, STAGE_ID, settings=settings, env_config=settings.environment(env_name))

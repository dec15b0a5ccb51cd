"""What app.py builds: one delivery pipeline per environment, or one stage alone."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from delivery.compliance import StandardTags, apply_standard_tags
from delivery.pipeline import DeliveryPipelineStack
from infrastructure.stage import APP_NAME, STAGE_ID, InfrastructureStage
from shared_config.model import EnvironmentConfig, Settings

APP_FOLDER = "infrastructure"


def pipeline_stack_id(env_config: EnvironmentConfig) -> str:
    """`InfrastructurePipeline-dev`. The one id built from an environment name: the app holds one
    pipeline stack per environment, so their ids must differ; no resource id depends on it."""
    return f"InfrastructurePipeline-{env_config.name}"


def add_pipelines(app: cdk.App, settings: Settings) -> dict[str, DeliveryPipelineStack]:
    """One pipeline stack per pipeline target (not `local`), in the deployment account."""
    pipelines: dict[str, DeliveryPipelineStack] = {}
    for env_config in settings.environments.values():

        def create_stage(scope: Construct, env_config: EnvironmentConfig = env_config) -> cdk.Stage:
            return InfrastructureStage(scope, STAGE_ID, settings=settings, env_config=env_config)

        stack = DeliveryPipelineStack(
            app,
            pipeline_stack_id(env_config),
            settings=settings,
            target=env_config,
            app_folder=APP_FOLDER,
            app_name=APP_NAME,
            create_stage=create_stage,
        )
        apply_standard_tags(
            stack,
            StandardTags(
                project=settings.project,
                app=f"{APP_NAME}-pipeline",
                environment=env_config.name,
                cost_centre=settings.cost_centre,
            ),
        )
        pipelines[env_config.name] = stack
    return pipelines


def add_stage(app: cdk.App, settings: Settings, env_name: str) -> InfrastructureStage:
    """The stage of `env_name` (a pipeline target or `local`) alone, without any pipeline."""
    return InfrastructureStage(app, STAGE_ID, settings=settings, env_config=settings.environment(env_name))

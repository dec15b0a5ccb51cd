"""What app.py builds: one delivery pipeline per environment (with the post-deploy check where the
job family's settings ask for it), or one stage alone."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from delivery.pipeline import DeliveryPipelineStack, add_delivery_pipelines
from nyc_taxi import naming
from nyc_taxi.release.runtime.smoke_test import REQUIRED_VARIABLES
from nyc_taxi.settings import FamilySettings, JobFamilySettings
from nyc_taxi.stage import APP_NAME, STAGE_ID, NycTaxiStage
from shared_config.model import EnvironmentConfig, Settings

APP_FOLDER = "etl-jobs/nyc_taxi"
SMOKE_TEST_MODULE = "nyc_taxi.release.runtime.smoke_test"
BOTO3_REQUIREMENT = "boto3>=1.44,<2"


def smoke_test_commands(*, region: str, timeout_min: int) -> list[str]:
    return [
        f"python3 -m pip install --quiet '{BOTO3_REQUIREMENT}'",
        f"cd {APP_FOLDER}",
        (
            f"python3 -m {SMOKE_TEST_MODULE} --region {region} "
            f'--label "build-$CODEBUILD_BUILD_NUMBER" --timeout-min {timeout_min}'
        ),
    ]


def smoke_test_step(
    stage: NycTaxiStage, *, source: pipelines.IFileSetProducer, settings: Settings, family: FamilySettings
) -> pipelines.CodeBuildStep:
    """Upload the fixture file to the deployed stage's raw bucket and wait for its audit item."""
    access = stage.stack.smoke_test
    if access is None:
        raise ValueError(
            "the stage has no smoke-test role; create it with smoke_test_account=<deployment account>"
        )
    role_arn = (
        f"arn:{cdk.Aws.PARTITION}:iam::{stage.account}:role/{naming.smoke_test_role_name(settings.prefix)}"
    )
    outputs = access.outputs()
    assert set(outputs) == set(REQUIRED_VARIABLES), "the step must set every variable the script reads"
    return pipelines.CodeBuildStep(
        "SmokeTest",
        input=source,
        commands=smoke_test_commands(region=str(stage.region), timeout_min=family.post_deploy_timeout_min),
        env_from_cfn_outputs=outputs,
        role_policy_statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role_arn])],
        timeout=cdk.Duration.minutes(family.post_deploy_timeout_min + 10),
    )


def add_pipelines(
    app: cdk.App, settings: Settings, family_settings: JobFamilySettings
) -> dict[str, DeliveryPipelineStack]:
    """One pipeline stack per pipeline target (not `local`), in the deployment account:
    `NycTaxiPipeline-<env>` (`delivery.pipeline_ids.pipeline_stack_id`)."""

    def create_stage(scope: Construct, env_config: EnvironmentConfig) -> cdk.Stage:
        family = family_settings.environment(env_config.name)
        return NycTaxiStage(
            scope,
            STAGE_ID,
            settings=settings,
            env_config=env_config,
            family=family,
            smoke_test_account=settings.deployment.account if family.post_deploy_check else None,
        )

    def post_deploy(
        stage: cdk.Stage, source: pipelines.CodePipelineSource, env_config: EnvironmentConfig
    ) -> list[pipelines.Step]:
        family = family_settings.environment(env_config.name)
        if not family.post_deploy_check:
            return []
        if not isinstance(stage, NycTaxiStage):
            raise TypeError(f"expected the nyc_taxi stage, got {type(stage).__name__}")
        return [smoke_test_step(stage, source=source, settings=settings, family=family)]

    return add_delivery_pipelines(
        app,
        settings=settings,
        app_folder=APP_FOLDER,
        app_name=APP_NAME,
        create_stage=create_stage,
        post_deploy=post_deploy,
    )


def add_stage(
    app: cdk.App, settings: Settings, family_settings: JobFamilySettings, env_name: str
) -> NycTaxiStage:
    """The stage of `env_name` (a pipeline target or `local`) alone, without any pipeline."""
    return NycTaxiStage(
        app,
        STAGE_ID,
        settings=settings,
        env_config=settings.environment(env_name),
        family=family_settings.environment(env_name),
    )

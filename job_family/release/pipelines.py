"""What a family's app builds: one delivery pipeline per environment (with the post-deploy check where
the family's settings ask for it), or one stage alone."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from delivery.pipeline import DeliveryPipelineStack, add_delivery_pipelines
from job_family import naming
from job_family.packaging.bundles import FamilyBundles
from job_family.release.runtime.smoke_test import REQUIRED_VARIABLES
from job_family.settings import FamilySettings, JobFamilySettings
from job_family.stage import FamilyStage
from shared_config.model import EnvironmentConfig, Settings

SMOKE_TEST_MODULE = "job_family.release.runtime.smoke_test"
# Folders besides its own whose changes release a family: the framework and the local AWS its tests run on.
FAMILY_DEPENDENCIES: tuple[str, ...] = ("job_family", "local_aws")
BOTO3_REQUIREMENT = "boto3>=1.44,<2"


def smoke_test_commands(*, region: str, timeout_min: int, fixture: str, key_prefix: str) -> list[str]:
    """Run from the repository root of the pipeline's checkout (the framework needs only boto3)."""
    return [
        f"python3 -m pip install --quiet '{BOTO3_REQUIREMENT}'",
        (
            f"python3 -m {SMOKE_TEST_MODULE} --region {region} "
            f'--label "build-$CODEBUILD_BUILD_NUMBER" --timeout-min {timeout_min} '
            f"--fixture {fixture} --key-prefix {key_prefix}"
        ),
    ]


def smoke_test_step(
    stage: FamilyStage, *, source: pipelines.IFileSetProducer, settings: Settings, family: FamilySettings
) -> pipelines.CodeBuildStep:
    """Upload the fixture to the deployed stage's raw bucket and wait for its audit item."""
    access = stage.stack.smoke_test
    spec = stage.stack.spec
    if access is None or spec.smoke_test is None:
        raise ValueError(
            "the stage has no smoke-test role; declare SmokeTest(...) in the family spec and create the "
            "stage with smoke_test_account=<deployment account>"
        )
    role_arn = (
        f"arn:{cdk.Aws.PARTITION}:iam::{stage.account}:role/"
        f"{naming.smoke_test_role_name(settings.prefix, spec.name)}"
    )
    outputs = access.outputs()
    assert set(outputs) == set(REQUIRED_VARIABLES), "the step must set every variable the script reads"
    return pipelines.CodeBuildStep(
        "SmokeTest",
        input=source,
        commands=smoke_test_commands(
            region=str(stage.region),
            timeout_min=family.post_deploy_timeout_min,
            fixture=f"{spec.app_folder}/{spec.smoke_test.fixture}",
            key_prefix=access.key_prefix,
        ),
        env_from_cfn_outputs=outputs,
        role_policy_statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role_arn])],
        timeout=cdk.Duration.minutes(family.post_deploy_timeout_min + 10),
    )


def add_pipelines(
    app: cdk.App, bundles: FamilyBundles, settings: Settings, family_settings: JobFamilySettings
) -> dict[str, DeliveryPipelineStack]:
    """One pipeline stack per pipeline target (not `local`), in the deployment account:
    `<Family>Pipeline-<env>` (`delivery.pipeline_ids.pipeline_stack_id`)."""
    spec = bundles.spec

    def create_stage(scope: Construct, env_config: EnvironmentConfig) -> cdk.Stage:
        family = family_settings.environment(env_config.name)
        return FamilyStage(
            scope,
            bundles=bundles,
            settings=settings,
            env_config=env_config,
            family=family,
            smoke_test_account=(
                settings.deployment.account if family.post_deploy_check and spec.smoke_test else None
            ),
        )

    def post_deploy(
        stage: cdk.Stage, source: pipelines.CodePipelineSource, env_config: EnvironmentConfig
    ) -> list[pipelines.Step]:
        family = family_settings.environment(env_config.name)
        if not family.post_deploy_check or spec.smoke_test is None:
            return []
        if not isinstance(stage, FamilyStage):
            raise TypeError(f"expected the {spec.name} stage, got {type(stage).__name__}")
        return [smoke_test_step(stage, source=source, settings=settings, family=family)]

    return add_delivery_pipelines(
        app,
        settings=settings,
        app_folder=spec.app_folder,
        app_name=spec.app_name,
        create_stage=create_stage,
        post_deploy=post_deploy,
        also_watch=FAMILY_DEPENDENCIES,
    )


def add_stage(
    app: cdk.App,
    bundles: FamilyBundles,
    settings: Settings,
    family_settings: JobFamilySettings,
    env_name: str,
) -> FamilyStage:
    """The stage of `env_name` (a pipeline target or `local`) alone, without any pipeline."""
    return FamilyStage(
        app,
        bundles=bundles,
        settings=settings,
        env_config=settings.environment(env_name),
        family=family_settings.environment(env_name),
    )

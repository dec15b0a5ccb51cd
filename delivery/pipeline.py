"""The delivery pipeline every app uses: one self-mutating CDK pipeline per app per environment.

A `DeliveryPipelineStack` lives in the deployment account and releases ONE stage (one environment)
of ONE app into that environment's account:

    Source (CodeConnections, the environment's branch)
      -> Build/Synth: `make setup` (locked deps), `make test-app APP=<folder>` (lint, the app's tests,
         cdk-nag, cfn-lint), `make synth APPS=<folder>` (the pinned CDK CLI)
      -> UpdatePipeline/SelfMutate -> Assets (one publisher per asset type)
      -> [manual approval when the environment requires it] -> the stage -> [post-deploy steps]

The pipeline runs only when a push to the environment's branch touches the app's folder,
`shared_config/**` or `delivery/**` (a V2 trigger with a push filter), and failed executions are
published to a KMS-encrypted SNS topic with the configured e-mail subscriptions.

Usage from an app (one pipeline stack per environment, ids from `delivery.pipeline_ids`):

    add_delivery_pipelines(
        app, settings=settings, app_folder="infrastructure", app_name="infrastructure",
        create_stage=lambda scope, env_config: InfrastructureStage(
            scope, "Infrastructure", settings=settings, env_config=env_config),
    )

or one stack: `DeliveryPipelineStack(app, pipeline_stack_id("infrastructure", "dev"), settings=settings,
target=settings.environment("dev"), app_folder=..., app_name=..., create_stage=lambda scope: ...)`.

`create_stage` receives the pipeline stack as scope and must return a stage placed in the target
account and region (checked). `post_deploy`, when given, receives the deployed stage and the
pipeline's source (the repository checkout, `DeliveryPipelineStack.source`) and returns the steps
that run after the stage is deployed (e.g. a smoke test that runs a script from the checkout, drops
a fixture file and waits for the audit item). The stack tags itself with the standard tags
(`app=<app_name>-pipeline`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import pipelines
from constructs import Construct, IConstruct

from delivery.compliance import StandardTags, acknowledge, apply_standard_tags
from delivery.pipeline_ids import check_app_folder, pipeline_stack_id
from shared_config.model import EnvironmentConfig, Settings

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_JSON = REPOSITORY_ROOT / "package.json"
# Folders every app depends on: a change there releases every app.
SHARED_FOLDERS: tuple[str, ...] = ("shared_config", "delivery")
# Ubuntu 22.04 with Python 3.11/3.12 and Java 17: enough for `make setup` (uv installs the rest).
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
NOTIFICATIONS_PRINCIPAL = "codestar-notifications.amazonaws.com"

_APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

StageFactory = Callable[[Construct], cdk.Stage]
# (deployed stage, repository source) -> steps run after the stage is deployed
PostDeploySteps = Callable[[cdk.Stage, pipelines.CodePipelineSource], Sequence[pipelines.Step]]
# The same, for every environment: the environment is passed too.
EnvironmentStageFactory = Callable[[Construct, EnvironmentConfig], cdk.Stage]
EnvironmentPostDeploySteps = Callable[
    [cdk.Stage, pipelines.CodePipelineSource, EnvironmentConfig], Sequence[pipelines.Step]
]


def trigger_file_paths(app_folder: str, also_watch: Sequence[str] = ()) -> list[str]:
    """The push-filter globs that start an app's pipeline: its own folder, the other folders its tests
    depend on (`also_watch`, e.g. a job family's framework) and the shared folders."""
    return [f"{folder}/**" for folder in (app_folder, *also_watch, *SHARED_FOLDERS)]


def synth_commands(app_folder: str) -> list[str]:
    """What the synth step runs: the same make targets as a developer and CI."""
    return [
        "make setup",
        f"make test-app APP={app_folder}",
        f"make synth APPS={app_folder}",
    ]


@cache
def pinned_cdk_cli_version(package_json: Path = PACKAGE_JSON) -> str:
    """The CDK CLI version pinned in package.json (npm's `latest` cannot read aws-cdk-lib 2.275)."""
    try:
        version = json.loads(package_json.read_text(encoding="utf-8"))["devDependencies"]["aws-cdk"]
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"cannot read the pinned CDK CLI from {package_json} ({error}); "
            'keep `"devDependencies": {"aws-cdk": "<exact version>"}` in package.json'
        ) from None
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(version)):
        raise ValueError(f"{package_json} pins aws-cdk to {version!r}; pin an exact version such as 2.1148.1")
    return str(version)


def _check_names(app_folder: str, app_name: str) -> None:
    check_app_folder(app_folder)
    if not _APP_NAME.fullmatch(app_name):
        raise ValueError(
            f"app_name {app_name!r} is not usable in a pipeline name; use lower-case letters, digits "
            "and hyphens starting with a letter (at most 40), e.g. nyc-taxi"
        )


class DeliveryPipelineStack(cdk.Stack):
    """A self-mutating CDK pipeline (V2) in the deployment account releasing one app to one environment.

    Attributes: `source` (the CodeConnections source on the environment's branch: the repository
    checkout, input of the synth step and of any post-deploy step that runs repository code),
    `pipeline` (the `pipelines.CodePipeline`, already built), `stage` (the deployed stage),
    `failure_topic` (SNS topic receiving failed executions).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        target: EnvironmentConfig,
        app_folder: str,
        app_name: str,
        create_stage: StageFactory,
        post_deploy: PostDeploySteps | None = None,
        also_watch: Sequence[str] = (),
        env: cdk.Environment | None = None,
        description: str | None = None,
    ) -> None:
        """`env` defaults to the deployment account and region of `settings`; `also_watch` lists the
        folders besides its own whose changes release the app (see `trigger_file_paths`)."""
        _check_names(app_folder, app_name)
        super().__init__(
            scope,
            construct_id,
            env=env
            or cdk.Environment(account=settings.deployment.account, region=settings.deployment.region),
            description=description or f"Delivery pipeline of {app_name} to {target.name}",
        )
        self.source = pipelines.CodePipelineSource.connection(
            settings.repository.full_name,
            target.branch,
            connection_arn=settings.repository.connection_arn,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{settings.prefix}-{app_name}-{target.name}",
            pipeline_type=codepipeline.PipelineType.V2,
            cross_account_keys=True,
            enable_key_rotation=True,
            self_mutation=True,
            publish_assets_in_parallel=False,
            cli_version=pinned_cdk_cli_version(),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
            ),
            synth_code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM
                ),
                timeout=cdk.Duration.minutes(60),
            ),
            synth=pipelines.ShellStep(
                "Synth",
                input=self.source,
                commands=synth_commands(app_folder),
                primary_output_directory=f"{app_folder}/cdk.out",
            ),
        )

        self.stage = create_stage(self)
        if self.stage.account != target.account or self.stage.region != target.region:
            raise ValueError(
                f"create_stage returned a stage for {self.stage.account}/{self.stage.region}, but the "
                f"{target.name} environment is {target.account}/{target.region}; "
                "pass env=cdk.Environment(account=target.account, region=target.region) to the stage"
            )
        pre: list[pipelines.Step] = []
        if target.require_approval:
            pre.append(
                pipelines.ManualApprovalStep(
                    "ApproveRelease",
                    comment=f"Release {app_name} to {target.name} ({target.account}, {target.region})?",
                )
            )
        post = list(post_deploy(self.stage, self.source)) if post_deploy else []
        self.pipeline.add_stage(self.stage, pre=pre, post=post)
        self.pipeline.build_pipeline()

        built = self.pipeline.pipeline
        built.add_trigger(
            provider_type=codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
            git_configuration=codepipeline.GitConfiguration(
                source_action=built.stages[0].actions[0],
                push_filter=[
                    codepipeline.GitPushFilter(
                        branches_includes=[target.branch],
                        file_paths_includes=trigger_file_paths(app_folder, also_watch),
                    )
                ],
            ),
        )
        self.failure_topic = self._failure_notifications(settings)
        built.notify_on(
            "NotifyOnFailure",
            self.failure_topic,
            events=[codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED],
        )
        self._acknowledge_pipeline_findings()
        apply_standard_tags(
            self, StandardTags.of(settings, app=f"{app_name}-pipeline", environment=target.name)
        )

    def _failure_notifications(self, settings: Settings) -> sns.Topic:
        key = kms.Key(
            self,
            "NotificationKey",
            description="Encrypts the pipeline failure notifications",
            enable_key_rotation=True,
        )
        # CodeStar Notifications publishes to the topic, so it must be able to use the key.
        key.grant(iam.ServicePrincipal(NOTIFICATIONS_PRINCIPAL), "kms:GenerateDataKey*", "kms:Decrypt")
        topic = sns.Topic(self, "FailureTopic", master_key=key, enforce_ssl=True)
        for email in settings.notifications.emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic

    def _acknowledge_pipeline_findings(self) -> None:
        """Acknowledge, finding by finding, the wildcards CDK Pipelines generates; each has a reason."""
        artifacts = self.get_logical_id(_default_child(self.pipeline.pipeline.artifact_bucket))
        artifact_access = (
            "CDK Pipelines grants its roles read/write on the pipeline's own artifact bucket objects and "
            "use of the pipeline's own KMS key; the wildcard is scoped to that bucket and key"
        )
        acknowledge(
            self.pipeline,
            {
                **{
                    f"AwsSolutions-IAM5[Action::{action}]": artifact_access
                    for action in (
                        "s3:GetObject*",
                        "s3:GetBucket*",
                        "s3:List*",
                        "s3:DeleteObject*",
                        "s3:Abort*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                    )
                },
                f"AwsSolutions-IAM5[Resource::<{artifacts}.Arn>/*]": artifact_access,
            },
        )
        acknowledge(
            self.pipeline.pipeline.artifact_bucket,
            {
                "AwsSolutions-S1": (
                    "the artifact bucket holds only transient build artifacts, encrypted with the "
                    "pipeline's KMS key and TLS-only; CloudTrail records access to it"
                )
            },
        )
        # With the `target-partitions` feature flag the partition is a literal ("aws") in findings.
        partition = "<AWS::Partition>" if cdk.Token.is_unresolved(self.partition) else self.partition
        for support in self.pipeline.pipeline.cross_region_support.values():
            replication = support.replication_bucket
            acknowledge(
                replication,
                {
                    "AwsSolutions-S1": "the cross-region replication bucket holds only transient pipeline artifacts, KMS-encrypted"
                },
            )
            name = self.resolve(replication.bucket_name)
            acknowledge(
                self.pipeline,
                {
                    f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::{name}/*]": "the pipeline reads and writes its own cross-region replication bucket's objects",
                    "AwsSolutions-IAM5[Resource::*]": "cross-region: the pipeline role uses the replication key through its alias, which CDK grants on *",
                },
            )
        for project in (c for c in self.pipeline.node.find_all() if isinstance(c, codebuild.Project)):
            logical_id = self.get_logical_id(_default_child(project))
            acknowledge(
                project,
                {
                    (
                        f"AwsSolutions-IAM5[Resource::arn:{partition}:logs:{self.region}:{self.account}:"
                        f"log-group:/aws/codebuild/<{logical_id}>:*]"
                    ): "CodeBuild writes log streams with generated names under its own project's log group",
                    (
                        f"AwsSolutions-IAM5[Resource::arn:{partition}:codebuild:{self.region}:"
                        f"{self.account}:report-group/<{logical_id}>-*]"
                    ): "CodeBuild creates test report groups named after its own project",
                },
            )
        assets = self.pipeline.node.try_find_child("Assets")
        if assets is not None:
            # One shared role per asset type publishes every asset, whatever project runs it.
            acknowledge(
                assets,
                {
                    f"AwsSolutions-IAM5[Resource::arn:{partition}:logs:{self.region}:{self.account}:"
                    "log-group:/aws/codebuild/*]": (
                        "the shared asset-publishing role writes the logs of every asset project CDK "
                        "Pipelines generates, whose names are only known after synth"
                    ),
                    f"AwsSolutions-IAM5[Resource::arn:{partition}:codebuild:{self.region}:"
                    f"{self.account}:report-group/*]": (
                        "the shared asset-publishing role creates the report groups of every asset project"
                    ),
                    "AwsSolutions-IAM5[Resource::*]": (
                        "the asset-publishing role starts and watches its own CodeBuild builds "
                        "(codebuild:StartBuild/BatchGetBuilds), as CDK Pipelines generates it"
                    ),
                },
            )
        acknowledge(
            self.pipeline.self_mutation_project,
            {
                f"AwsSolutions-IAM5[Resource::arn:*:iam::{self.account}:role/*]": (
                    "self-mutation assumes the CDK bootstrap roles (cdk-hnb659fds-*) whose names are "
                    "only known to the bootstrap template; the policy conditions them on the bootstrap role tag"
                ),
                "AwsSolutions-IAM5[Resource::*]": (
                    "self-mutation reads any stack's status (cloudformation:DescribeStacks) and lists the "
                    "bootstrap buckets, as `cdk deploy` of the pipeline stack requires"
                ),
            },
        )


def add_delivery_pipelines(
    app: cdk.App,
    *,
    settings: Settings,
    app_folder: str,
    app_name: str,
    create_stage: EnvironmentStageFactory,
    post_deploy: EnvironmentPostDeploySteps | None = None,
    also_watch: Sequence[str] = (),
) -> dict[str, DeliveryPipelineStack]:
    """One `DeliveryPipelineStack` per pipeline environment of `settings` (not `local`), with the id
    `pipeline_stack_id(app_folder, env)` that `make deploy-*` deploys; environment name -> stack.

    `create_stage(scope, env_config)` builds that environment's stage; `post_deploy(stage, source,
    env_config)`, when given, returns its post-deploy steps (an empty list for none).
    """
    stacks: dict[str, DeliveryPipelineStack] = {}
    for env_config in settings.environments.values():

        def stage_of(scope: Construct, env_config: EnvironmentConfig = env_config) -> cdk.Stage:
            return create_stage(scope, env_config)

        def steps_of(
            stage: cdk.Stage, source: pipelines.CodePipelineSource, env_config: EnvironmentConfig = env_config
        ) -> Sequence[pipelines.Step]:
            return post_deploy(stage, source, env_config) if post_deploy else []

        stacks[env_config.name] = DeliveryPipelineStack(
            app,
            pipeline_stack_id(app_folder, env_config.name),
            settings=settings,
            target=env_config,
            app_folder=app_folder,
            app_name=app_name,
            create_stage=stage_of,
            post_deploy=steps_of,
            also_watch=also_watch,
        )
    return stacks


def _default_child(construct: IConstruct) -> cdk.CfnElement:
    child = construct.node.default_child
    if not isinstance(child, cdk.CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return child

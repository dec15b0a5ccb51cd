"""The shared delivery pipeline, synthesized once per module with a small two-asset stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions, pipelines
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from delivery.compliance import apply_compliance
from delivery.pipeline import (
    DeliveryPipelineStack,
    pinned_cdk_cli_version,
    synth_commands,
    trigger_file_paths,
)
from delivery.template_checks import lint_assembly
from shared_config import EnvironmentConfig, Settings, load_config

pytestmark = pytest.mark.synth

HERE = Path(__file__).resolve()


class SampleStage(cdk.Stage):
    """A stage with a queue and two file assets (to count asset publishers)."""

    def __init__(self, scope: Construct, construct_id: str, *, env: cdk.Environment) -> None:
        super().__init__(scope, construct_id, env=env)
        stack = cdk.Stack(self, "Sample")
        dead_letters = sqs.Queue(stack, "DeadLetters", enforce_ssl=True)
        sqs.Queue(
            stack,
            "Work",
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=3),
        )
        s3_assets.Asset(stack, "First", path=str(HERE))
        s3_assets.Asset(stack, "Second", path=str(HERE.parent.parent / "compliance.py"))


def _placed(env: EnvironmentConfig) -> cdk.Environment:
    return cdk.Environment(account=env.account, region=env.region)


def _pipeline(
    app: cdk.App, construct_id: str, settings: Settings, env: EnvironmentConfig
) -> DeliveryPipelineStack:
    return DeliveryPipelineStack(
        app,
        construct_id,
        settings=settings,
        target=env,
        app_folder="etl-jobs/sample",
        app_name="sample",
        create_stage=lambda scope: SampleStage(scope, "Release", env=_placed(env)),
        post_deploy=lambda stage, source: [
            pipelines.ShellStep("SmokeTest", input=source, commands=["python3 smoke_test.py"])
        ],
    )


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_config()


@pytest.fixture(scope="module")
def assembly(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dev (no approval) and prod (approval) pipelines in one app, checked by cdk-nag at synth."""
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    apply_compliance(app)
    dev = _pipeline(app, "SampleDev", settings, settings.environment("dev"))
    prod = _pipeline(app, "SampleProd", settings, settings.environment("prod"))
    cloud_assembly = app.synth()  # raises if cdk-nag reports an unacknowledged finding
    return {
        "dir": Path(cloud_assembly.directory),
        "dev": assertions.Template.from_stack(dev),
        "prod": assertions.Template.from_stack(prod),
        "dev_stack": dev,
    }


def _pipeline_properties(template: assertions.Template) -> dict[str, Any]:
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return dict(pipeline["Properties"])


def _actions(template: assertions.Template) -> dict[str, list[str]]:
    return {
        stage["Name"]: [action["Name"] for action in stage["Actions"]]
        for stage in _pipeline_properties(template)["Stages"]
    }


def test_trigger_filters_pushes_to_the_environment_branch_and_the_app_and_shared_folders(
    assembly: dict[str, Any],
) -> None:
    (trigger,) = _pipeline_properties(assembly["prod"])["Triggers"]
    assert trigger["ProviderType"] == "CodeStarSourceConnection"
    (push,) = trigger["GitConfiguration"]["Push"]
    assert push["Branches"] == {"Includes": ["prod"]}
    assert push["FilePaths"] == {"Includes": ["etl-jobs/sample/**", "shared_config/**", "delivery/**"]}


def test_dev_pipeline_follows_the_dev_branch(assembly: dict[str, Any]) -> None:
    (trigger,) = _pipeline_properties(assembly["dev"])["Triggers"]
    assert trigger["GitConfiguration"]["Push"][0]["Branches"] == {"Includes": ["main"]}


def test_pipeline_is_v2_with_a_codeconnections_source(assembly: dict[str, Any], settings: Settings) -> None:
    properties = _pipeline_properties(assembly["dev"])
    assert properties["PipelineType"] == "V2"
    assert properties["Name"] == "dlk-sample-dev"
    (source,) = properties["Stages"][0]["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == settings.repository.connection_arn
    assert source["Configuration"]["FullRepositoryId"] == "example-org/datalake-kit"
    assert source["Configuration"]["BranchName"] == "main"


def test_artifacts_use_a_rotated_customer_key_for_cross_account_deploys(assembly: dict[str, Any]) -> None:
    template = assembly["dev"]
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                ]
            }
        },
    )


def test_deploy_actions_assume_the_target_account_bootstrap_roles(assembly: dict[str, Any]) -> None:
    rendered = json.dumps(_pipeline_properties(assembly["prod"])["Stages"])
    assert "cdk-hnb659fds-deploy-role-333333333333-eu-west-1" in rendered
    assert "cdk-hnb659fds-cfn-exec-role-333333333333-eu-west-1" in rendered


def test_prod_waits_for_a_manual_approval_before_deploying(assembly: dict[str, Any]) -> None:
    stages = _pipeline_properties(assembly["prod"])["Stages"]
    (release,) = (stage for stage in stages if stage["Name"] == "Release")
    approval = next(a for a in release["Actions"] if a["ActionTypeId"]["Category"] == "Approval")
    first_deploy_order = min(a["RunOrder"] for a in release["Actions"] if a["Name"].endswith(".Prepare"))
    assert approval["Name"] == "ApproveRelease"
    assert approval["RunOrder"] < first_deploy_order


def test_dev_deploys_without_approval(assembly: dict[str, Any]) -> None:
    stages = _pipeline_properties(assembly["dev"])["Stages"]
    categories = {action["ActionTypeId"]["Category"] for stage in stages for action in stage["Actions"]}
    assert "Approval" not in categories


def test_post_deploy_steps_run_after_the_stage(assembly: dict[str, Any]) -> None:
    release = _actions(assembly["dev"])["Release"]
    assert release[-1] == "SmokeTest"


def test_post_deploy_steps_read_the_same_repository_checkout_as_synth(assembly: dict[str, Any]) -> None:
    stages = {stage["Name"]: stage["Actions"] for stage in _pipeline_properties(assembly["dev"])["Stages"]}
    (source,) = stages["Source"]
    (synth,) = stages["Build"]
    smoke = next(action for action in stages["Release"] if action["Name"] == "SmokeTest")
    checkout = source["OutputArtifacts"]
    assert synth["InputArtifacts"] == smoke["InputArtifacts"] == checkout
    assert isinstance(assembly["dev_stack"].source, pipelines.CodePipelineSource)


def test_pipeline_stack_carries_the_standard_tags_of_its_app(
    assembly: dict[str, Any], settings: Settings
) -> None:
    (topic,) = assembly["dev"].find_resources("AWS::SNS::Topic").values()
    assert {tag["Key"]: tag["Value"] for tag in topic["Properties"]["Tags"]} == {
        "project": settings.project,
        "app": "sample-pipeline",
        "environment": "dev",
        "cost-centre": settings.cost_centre,
    }


def test_stages_are_source_synth_self_mutation_assets_then_release(assembly: dict[str, Any]) -> None:
    assert list(_actions(assembly["dev"])) == ["Source", "Build", "UpdatePipeline", "Assets", "Release"]


def test_one_asset_publisher_per_asset_type(assembly: dict[str, Any]) -> None:
    assert _actions(assembly["dev"])["Assets"] == ["FileAssets"]  # not FileAsset1, FileAsset2, ...


def _buildspec(template: assertions.Template, name_part: str) -> dict[str, Any]:
    projects = template.find_resources("AWS::CodeBuild::Project")
    (project,) = (p for logical_id, p in projects.items() if name_part in logical_id)
    return dict(json.loads(project["Properties"]["Source"]["BuildSpec"]))


def test_synth_installs_from_lock_files_and_tests_the_app_before_synth(assembly: dict[str, Any]) -> None:
    spec = _buildspec(assembly["dev"], "Synth")
    assert spec["phases"]["build"]["commands"] == [
        "make setup",
        "make test-app APP=etl-jobs/sample",
        "make synth APPS=etl-jobs/sample",
    ]
    assert spec["artifacts"]["base-directory"] == "etl-jobs/sample/cdk.out"
    assert synth_commands("etl-jobs/sample") == spec["phases"]["build"]["commands"]


def test_self_mutation_uses_the_pinned_cdk_cli(assembly: dict[str, Any]) -> None:
    spec = _buildspec(assembly["dev"], "SelfMutation")
    assert f"npm install -g aws-cdk@{pinned_cdk_cli_version()}" in spec["phases"]["install"]["commands"]
    assert any("cdk -a . deploy SampleDev" in command for command in spec["phases"]["build"]["commands"])


def test_failures_reach_an_encrypted_topic_with_email_subscriptions(assembly: dict[str, Any]) -> None:
    template = assembly["dev"]
    topic_id = assembly["dev_stack"].get_logical_id(assembly["dev_stack"].failure_topic.node.default_child)
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": assertions.Match.any_value()})
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "data-engineering@example.com", "TopicArn": {"Ref": topic_id}},
    )
    template.has_resource_properties(
        "AWS::CodeStarNotifications::NotificationRule",
        {
            "EventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"],
            "Targets": [{"TargetType": "SNS", "TargetAddress": {"Ref": topic_id}}],
        },
    )


def test_notification_service_may_use_the_topic_key(assembly: dict[str, Any]) -> None:
    keys = assembly["dev"].find_resources("AWS::KMS::Key")
    statements = [s for key in keys.values() for s in key["Properties"]["KeyPolicy"]["Statement"]]
    granted = [
        s for s in statements if s.get("Principal") == {"Service": "codestar-notifications.amazonaws.com"}
    ]
    assert granted and set(granted[0]["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}


def test_every_template_is_cfn_lint_clean(assembly: dict[str, Any]) -> None:
    assert [str(finding) for finding in lint_assembly(assembly["dir"])] == []


def test_refuses_a_stage_placed_outside_the_target_account(settings: Settings) -> None:
    app = cdk.App()
    dev = settings.environment("dev")
    with pytest.raises(ValueError, match=r"pass env=cdk\.Environment"):
        DeliveryPipelineStack(
            app,
            "Misplaced",
            settings=settings,
            target=dev,
            app_folder="infrastructure",
            app_name="infrastructure",
            create_stage=lambda scope: SampleStage(
                scope, "Release", env=_placed(settings.environment("test"))
            ),
        )


@pytest.mark.parametrize("folder", ["/infrastructure", "../elsewhere", "infra/", ""])
def test_refuses_an_app_folder_outside_the_repository(settings: Settings, folder: str) -> None:
    with pytest.raises(ValueError, match="app_folder"):
        DeliveryPipelineStack(
            cdk.App(),
            "Bad",
            settings=settings,
            target=settings.environment("dev"),
            app_folder=folder,
            app_name="infrastructure",
            create_stage=lambda scope: SampleStage(
                scope, "Release", env=_placed(settings.environment("dev"))
            ),
        )


def test_trigger_paths_cover_the_app_and_the_shared_folders() -> None:
    assert trigger_file_paths("infrastructure") == ["infrastructure/**", "shared_config/**", "delivery/**"]


def test_reads_the_exact_cli_version_pinned_in_package_json(tmp_path: Path) -> None:
    package_json = tmp_path / "package.json"
    package_json.write_text(json.dumps({"devDependencies": {"aws-cdk": "^2.1148.1"}}))
    with pytest.raises(ValueError, match="pin an exact version"):
        pinned_cdk_cli_version(package_json)
    assert (
        pinned_cdk_cli_version() == json.loads(Path("package.json").read_text())["devDependencies"]["aws-cdk"]
    )

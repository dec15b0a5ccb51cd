"""One delivery pipeline per environment in the deployment account, each releasing its own stage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infrastructure.delivery_pipelines import APP_FOLDER
from infrastructure.stage import stack_name

from bootstrap.commands import pipeline_stacks
from shared_config import Settings

pytestmark = pytest.mark.synth


def _pipeline(synthesized: Any, env: str) -> dict[str, Any]:
    (pipeline,) = synthesized.pipeline_template(env).find_resources("AWS::CodePipeline::Pipeline").values()
    return dict(pipeline["Properties"])


def test_one_pipeline_stack_per_environment_in_the_deployment_account(
    synthesized: Any, settings: Settings
) -> None:
    assert sorted(synthesized.pipelines) == sorted(settings.environments)
    for stack in synthesized.pipelines.values():
        assert (stack.account, stack.region) == (settings.deployment.account, settings.deployment.region)


def test_pipeline_stack_ids_are_the_stacks_make_deploy_infra_deploys(
    synthesized: Any, settings: Settings
) -> None:
    ids = [stack.node.id for stack in synthesized.pipelines.values()]
    assert ids == pipeline_stacks(APP_FOLDER, list(settings.environments.values()))
    assert ids[0] == "InfrastructurePipeline-dev"


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_trigger_watches_the_environment_branch_and_the_app_folders(
    synthesized: Any, settings: Settings, env: str
) -> None:
    (trigger,) = _pipeline(synthesized, env)["Triggers"]
    (push,) = trigger["GitConfiguration"]["Push"]
    assert push["Branches"] == {"Includes": [settings.environments[env].branch]}
    assert push["FilePaths"] == {"Includes": ["infrastructure/**", "shared_config/**", "delivery/**"]}


@pytest.mark.parametrize(("env", "approval"), [("dev", False), ("test", False), ("prod", True)])
def test_only_environments_requiring_it_wait_for_approval(synthesized: Any, env: str, approval: bool) -> None:
    actions = [a for s in _pipeline(synthesized, env)["Stages"] for a in s["Actions"]]
    approvals = [a["Name"] for a in actions if a["ActionTypeId"]["Category"] == "Approval"]
    assert approvals == (["ApproveRelease"] if approval else [])


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_each_stage_deploys_its_named_stack_into_the_target_account(
    synthesized: Any, settings: Settings, env: str
) -> None:
    config = settings.environments[env]
    stage = synthesized.stage(env)
    assert (stage.account, stage.region) == (config.account, config.region)
    assert stage.stack.stack_name == stack_name(settings.prefix, config) == f"dlk-{env}-infrastructure"
    deploys = [
        a["Configuration"]
        for s in _pipeline(synthesized, env)["Stages"]
        for a in s["Actions"]
        if a["ActionTypeId"]["Category"] == "Deploy"
    ]
    assert {d["StackName"] for d in deploys} == {f"dlk-{env}-infrastructure"}
    prepares = [d for d in deploys if d["ActionMode"] == "CHANGE_SET_REPLACE"]
    exec_role = f"cdk-hnb659fds-cfn-exec-role-{config.account}-{config.region}"
    assert prepares and all(exec_role in json.dumps(d["RoleArn"]) for d in prepares)


def test_synth_step_runs_the_app_tests_before_cdk_synth(synthesized: Any) -> None:
    projects = synthesized.pipeline_template("dev").find_resources("AWS::CodeBuild::Project")
    (synth,) = (p for i, p in projects.items() if "Synth" in i)
    commands = json.loads(synth["Properties"]["Source"]["BuildSpec"])["phases"]["build"]["commands"]
    assert commands == ["make setup", "make test-app APP=infrastructure", "make synth APPS=infrastructure"]

"""Contract: one delivery pipeline per environment, released by the family's folders, with the post-deploy check."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from bootstrap.commands import pipeline_stacks
from delivery.pipeline import REPOSITORY_ROOT, trigger_file_paths
from job_family import naming
from job_family.release.pipelines import FAMILY_DEPENDENCIES
from job_family.testing.synth import Synthesized, resources


def pipeline(synthesized: Synthesized, env: str) -> dict[str, Any]:
    template = json.loads(
        (synthesized.outdir / f"{synthesized.pipelines[env].artifact_id}.template.json").read_text(
            encoding="utf-8"
        )
    )
    [resource] = resources(template, "AWS::CodePipeline::Pipeline").values()
    return dict(resource["Properties"])


def projects(synthesized: Synthesized, env: str) -> list[dict[str, Any]]:
    template = json.loads(
        (synthesized.outdir / f"{synthesized.pipelines[env].artifact_id}.template.json").read_text(
            encoding="utf-8"
        )
    )
    return [p["Properties"] for p in resources(template, "AWS::CodeBuild::Project").values()]


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_pipeline_runs_on_changes_to_the_app_shared_config_or_delivery(
    synthesized: Synthesized, env: str
) -> None:
    [trigger] = pipeline(synthesized, env)["Triggers"]
    [push] = trigger["GitConfiguration"]["Push"]

    assert push["Branches"]["Includes"] == [synthesized.settings.environment(env).branch]
    assert push["FilePaths"]["Includes"] == [
        f"{synthesized.spec.app_folder}/**",
        *(f"{folder}/**" for folder in FAMILY_DEPENDENCIES),
        "shared_config/**",
        "delivery/**",
    ]


@pytest.mark.parametrize(("env", "checked"), [("dev", True), ("test", True), ("prod", False)])
def test_post_deploy_check_runs_in_dev_and_test_only(
    synthesized: Synthesized, env: str, checked: bool
) -> None:
    stages = pipeline(synthesized, env)["Stages"]
    release = stages[-1]
    actions = [action["Name"] for action in release["Actions"]]
    smoke = [
        p for p in projects(synthesized, env) if "job_family.release.runtime.smoke_test" in json.dumps(p)
    ]

    assert ("SmokeTest" in actions) is checked
    assert bool(smoke) is checked
    if checked:
        deploy = next(a for a in release["Actions"] if a["Name"].endswith(".Deploy"))
        smoke_action = next(a for a in release["Actions"] if a["Name"] == "SmokeTest")
        assert smoke_action["RunOrder"] > deploy["RunOrder"]
        assert f"--region {synthesized.settings.environment(env).region}" in json.dumps(smoke)


def test_prod_release_waits_for_approval(synthesized: Synthesized) -> None:
    release = pipeline(synthesized, "prod")["Stages"][-1]
    assert release["Actions"][0]["ActionTypeId"]["Category"] == "Approval"


@pytest.mark.parametrize("env", ["dev", "test"])
def test_smoke_test_role_trusts_only_the_deployment_account(synthesized: Synthesized, env: str) -> None:
    template = synthesized.template_json(env)
    [role] = [r for r in resources(template, "AWS::IAM::Role").values() if r["Properties"].get("RoleName")]
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]

    assert role["Properties"]["RoleName"] == naming.smoke_test_role_name(
        synthesized.settings.prefix, synthesized.spec.name
    )
    assert f":iam::{synthesized.settings.deployment.account}:root" in json.dumps(statement["Principal"])
    assert len([key for key in template["Outputs"] if key.startswith("SmokeTest")]) == 4


def test_prod_has_no_smoke_test_role(synthesized: Synthesized) -> None:
    template = synthesized.template_json("prod")
    assert not [r for r in resources(template, "AWS::IAM::Role").values() if r["Properties"].get("RoleName")]


def test_ci_workflow_watches_the_same_paths_as_the_pipelines(synthesized: Synthesized) -> None:
    spec = synthesized.spec
    workflow_path = f".github/workflows/etl-{spec.name}.yml"
    workflow = yaml.safe_load((REPOSITORY_ROOT / workflow_path).read_text("utf-8"))
    expected = [*trigger_file_paths(spec.app_folder, FAMILY_DEPENDENCIES), workflow_path]

    on = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    assert on["push"]["paths"] == expected
    assert on["pull_request"]["paths"] == expected
    steps = [step.get("run", "") for step in workflow["jobs"]["test-and-synth"]["steps"]]
    assert f"make test-app APP={spec.app_folder}" in steps
    assert f"make synth APPS={spec.app_folder}" in steps


def test_pipeline_stack_ids_are_the_stacks_make_deploy_etl_deploys(synthesized: Synthesized) -> None:
    environments = list(synthesized.settings.environments.values())
    assert [stack.node.id for stack in synthesized.pipelines.values()] == pipeline_stacks(
        synthesized.spec.app_folder, environments
    )
    assert synthesized.pipelines["dev"].node.id == f"{synthesized.spec.pascal_name}Pipeline-dev"


@pytest.mark.parametrize("env", ["dev", "test"])
def test_smoke_test_runs_on_the_pipeline_source_checkout(synthesized: Synthesized, env: str) -> None:
    # The script and its fixture come from the repository: the step reads the Source action's output.
    stages = {stage["Name"]: stage["Actions"] for stage in pipeline(synthesized, env)["Stages"]}
    [source] = stages["Source"]
    smoke = next(action for action in stages[synthesized.spec.pascal_name] if action["Name"] == "SmokeTest")
    assert smoke["InputArtifacts"] == source["OutputArtifacts"]

"""The cfn-lint runner: finds nested stage templates, keeps real findings, drops only scoped waivers."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from delivery.app_context import checked_app, cli_context
from delivery.template_checks import WAIVERS, Waiver, lint_assembly, stack_templates

BROKEN: dict[str, object] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "not-a-number"}},
        "Topic": {"Type": "AWS::SNS::Topik"},
    }
}


def _assembly(root: Path, template: dict[str, object]) -> Path:
    """A top-level assembly holding one nested stage assembly with one stack."""
    nested = root / "assembly-Pipeline-Stage"
    nested.mkdir(parents=True)
    (nested / "Stack.template.json").write_text(json.dumps(template))
    (nested / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "PipelineStageStack": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://111111111111/eu-west-1",
                        "properties": {"templateFile": "Stack.template.json"},
                    }
                }
            }
        )
    )
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "assembly-Pipeline-Stage": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Pipeline-Stage"},
                    }
                }
            }
        )
    )
    return root


def test_finds_templates_in_nested_stage_assemblies(tmp_path: Path) -> None:
    (found,) = stack_templates(_assembly(tmp_path, BROKEN))
    assert found.path == tmp_path / "assembly-Pipeline-Stage" / "Stack.template.json"
    assert found.region == "eu-west-1"


def test_reports_real_errors_of_nested_templates(tmp_path: Path) -> None:
    rules = {finding.rule for finding in lint_assembly(_assembly(tmp_path, BROKEN))}
    assert rules and all(rule.startswith(("E", "W")) for rule in rules)
    assert any(rule.startswith("E") for rule in rules)


def test_a_waiver_only_drops_findings_on_its_path() -> None:
    waiver = Waiver("E3703", "a reason long enough to explain", path=r"/Configuration/RoleArn$")
    assert waiver.covers("E3703", "/Resources/P/Properties/Stages/3/Actions/1/Configuration/RoleArn")
    assert not waiver.covers("E3703", "/Resources/P/Properties/Name")
    assert not waiver.covers("E3012", "/Resources/P/Properties/Stages/3/Actions/1/Configuration/RoleArn")


def test_every_waiver_gives_a_reason() -> None:
    assert all(len(waiver.reason) >= 40 for waiver in WAIVERS)


def test_a_folder_without_manifest_says_to_synthesize_first(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="synthesize the app first"):
        lint_assembly(tmp_path)


def test_cli_context_merges_feature_flags_lookups_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "x", "context": {"flag": True, "stage": "dev"}}))
    (tmp_path / "cdk.context.json").write_text(json.dumps({"availability-zones:x": ["a"]}))
    assert cli_context(tmp_path, stage="prod") == {
        "flag": True,
        "stage": "prod",
        "availability-zones:x": ["a"],
    }
    with pytest.raises(FileNotFoundError, match=r"holding cdk\.json"):
        cli_context(tmp_path / "missing")


def test_checked_app_carries_the_cli_context_and_fails_synth_on_a_cdk_nag_finding(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "x", "context": {"flag": "on"}}))
    app = checked_app(tmp_path, outdir=tmp_path / "cdk.out", stage="dev")
    assert (app.node.try_get_context("flag"), app.node.try_get_context("stage")) == ("on", "dev")
    sqs.Queue(
        cdk.Stack(app, "Probe"), "Plain"
    )  # no dead-letter queue, no TLS-only policy: AwsSolutions-SQS3/4
    with pytest.raises(Exception, match="AwsSolutions-SQS"):
        app.synth()

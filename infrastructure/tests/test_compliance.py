"""cdk-nag (at synth), acknowledgments with reasons, cfn-lint on every template, pinned logical IDs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from constructs import IConstruct
from infrastructure.lookups import CONTEXT_FILE, render

from delivery.compliance import MIN_REASON_LENGTH
from delivery.template_checks import lint_assembly, stack_templates
from shared_config import Settings

pytestmark = pytest.mark.synth

# Changing one of these replaces a bucket or the key (data loss or a new key): a test must fail first.
PINNED_LOGICAL_IDS = {
    "AWS::KMS::Key": ["StorageDataKeyE15BA43B"],
    "AWS::S3::Bucket": [
        "StorageAccessLogs96FB524C",
        "StorageConformedBF7AAC9D",
        "StoragePurposeBuilt2AD15002",
        "StorageRaw7E344C76",
    ],
}


def _acknowledgments(root: IConstruct) -> list[tuple[str, str, str]]:
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                found += [(construct.node.path, rule, reason) for rule, reason in entry.data.items()]
    return found


def test_cdk_nag_passes_and_every_acknowledgment_has_a_reason(synthesized: Any, variant: Any) -> None:
    # Both fixtures synthesized with the AwsSolutions plugin: an unacknowledged finding raises there.
    acknowledgments = _acknowledgments(synthesized.app) + _acknowledgments(variant.stage)
    assert acknowledgments
    short = [
        (path, rule) for path, rule, reason in acknowledgments if len(reason.strip()) < MIN_REASON_LENGTH
    ]
    assert short == []


def test_every_template_is_cfn_lint_clean(synthesized: Any) -> None:
    templates = list(stack_templates(synthesized.directory))
    assert len(templates) == 6  # three pipeline stacks, three stage stacks (nested assemblies)
    assert [str(finding) for finding in lint_assembly(synthesized.directory)] == []


def test_redshift_and_nat_variant_is_cfn_lint_clean(variant: Any) -> None:
    assert [str(finding) for finding in lint_assembly(variant.directory)] == []


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_logical_ids_of_the_buckets_and_the_key_are_pinned(synthesized: Any, env: str) -> None:
    template = synthesized.template(env)
    for resource_type, logical_ids in PINNED_LOGICAL_IDS.items():
        assert sorted(template.find_resources(resource_type)) == logical_ids


def test_logical_ids_do_not_depend_on_the_prefix(variant: Any) -> None:
    assert variant.settings.prefix == "acme"
    for resource_type, logical_ids in PINNED_LOGICAL_IDS.items():
        assert sorted(variant.template.find_resources(resource_type)) == logical_ids


def test_stage_mode_writes_the_stage_assembly_documented_in_app_py(variant: Any) -> None:
    nested = variant.directory / "assembly-Infrastructure"
    manifest = json.loads((nested / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert [s["properties"]["stackName"] for s in stacks] == ["acme-dev-infrastructure"]
    template = json.loads((nested / stacks[0]["properties"]["templateFile"]).read_text())
    assert "AWS::RedshiftServerless::Workgroup" in {r["Type"] for r in template["Resources"].values()}


def test_committed_context_holds_the_az_lookups_of_every_stage(settings: Settings) -> None:
    assert Path(__file__).resolve().parent.parent / "cdk.context.json" == CONTEXT_FILE
    assert CONTEXT_FILE.read_text() == render(settings), (
        "infrastructure/cdk.context.json is stale; run: cd infrastructure && ../.venv/bin/python -m infrastructure.lookups"
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_stage_resources_carry_the_standard_tags(synthesized: Any, settings: Settings, env: str) -> None:
    (key,) = synthesized.template(env).find_resources("AWS::KMS::Key").values()
    assert {tag["Key"]: tag["Value"] for tag in key["Properties"]["Tags"]} == {
        "project": settings.project,
        "app": "infrastructure",
        "environment": env,
        "cost-centre": settings.cost_centre,
    }

"""Contract: the app as a whole: the SSM contract is its only input, cdk-nag and cfn-lint are clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from delivery.pipeline import REPOSITORY_ROOT
from delivery.template_checks import lint_assembly, stack_templates
from job_family import naming
from job_family.testing.synth import Synthesized
from shared_config.contract import ContractScope, contract_parameters

SSM_PARAMETER = "AWS::SSM::Parameter::Value<String>"


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_reads_only_names_the_contract_defines(synthesized: Synthesized, env: str) -> None:
    template = synthesized.template_json(env)
    env_config = synthesized.settings.environment(env)
    contract = set(
        contract_parameters(
            ContractScope(synthesized.settings.prefix, env), subnet_count=env_config.subnet_count
        )
    )

    read = {
        p["Default"]
        for key, p in template["Parameters"].items()
        if p["Type"] == SSM_PARAMETER and key != "BootstrapVersion"  # CDK's own deploy-time check
    }

    assert read, "the stack reads the platform through SSM parameters"
    assert read <= contract, f"names outside the contract: {sorted(read - contract)}"
    assert read == set(synthesized.stack(env).platform.parameter_names)


def test_no_template_imports_a_cloudformation_export(synthesized: Synthesized) -> None:
    templates = list(stack_templates(synthesized.outdir))

    assert len(templates) == 6  # three pipelines, three stages
    for template in templates:
        assert "Fn::ImportValue" not in template.path.read_text(encoding="utf-8"), template.path.name


def test_every_subnet_of_the_environment_is_used(synthesized: Synthesized) -> None:
    prod = synthesized.template_json("prod")
    subnet_params = [
        p for p in prod["Parameters"].values() if p["Default"].endswith("-id") and "subnet" in p["Default"]
    ]

    assert len(subnet_params) == synthesized.settings.environment("prod").subnet_count == 3


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    # An unacknowledged error already fails the synth of the fixture; warnings are reported here.
    report = json.loads((synthesized.outdir / "validation-report.json").read_text(encoding="utf-8"))

    assert [v for plugin in report["pluginReports"] for v in plugin["violations"]] == []


def test_cfn_lint_finds_nothing(synthesized: Synthesized) -> None:
    assert lint_assembly(synthesized.outdir) == []


def test_the_app_needs_no_context_lookups(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))

    assert "missing" not in manifest
    lookups = REPOSITORY_ROOT / synthesized.spec.app_folder / "cdk.context.json"
    assert json.loads(lookups.read_text(encoding="utf-8")) == {}


def test_one_environment_synthesizes_alone_without_a_pipeline(
    synthesized: Synthesized, local_stage_outdir: Path
) -> None:
    assembly = f"assembly-{synthesized.spec.pascal_name}"
    templates = list(stack_templates(local_stage_outdir))

    assert [t.path.parent.name for t in templates] == [assembly]
    manifest = json.loads((local_stage_outdir / assembly / "manifest.json").read_text(encoding="utf-8"))
    names = [a["properties"].get("stackName") for a in manifest["artifacts"].values() if "properties" in a]
    assert naming.stack_name(synthesized.settings.prefix, "local", synthesized.spec.name) in names


@pytest.mark.parametrize(
    ("logical_id", "kind"),
    [
        ("EncryptionKey3A692D6E", "AWS::KMS::Key"),
        ("CodeBucket34C7356F", "AWS::S3::Bucket"),
        ("AuditTable18A3095C", "AWS::DynamoDB::Table"),
        ("CatalogQueryResults04C7F853", "AWS::S3::Bucket"),
        ("CatalogDatabase44483CA3", "AWS::Glue::Database"),
    ],
)
def test_the_framework_stateful_resources_keep_their_logical_ids(
    synthesized: Synthesized, logical_id: str, kind: str
) -> None:
    for env in ("dev", "prod"):
        assert synthesized.template_json(env)["Resources"][logical_id]["Type"] == kind


def test_every_declared_table_keeps_a_logical_id_derived_from_its_name(synthesized: Synthesized) -> None:
    from job_family.catalog.infrastructure import construct_id

    resources = synthesized.template_json("dev")["Resources"]
    for table in synthesized.spec.tables:
        found = [key for key in resources if key.startswith(f"Catalog{construct_id(table.name)}Table")]
        assert len(found) == 1, (table.name, found)

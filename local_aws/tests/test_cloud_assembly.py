from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_aws.cloud_assembly import CloudAssemblyError, read_cloud_assembly


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _stack(name: str, dependencies: list[str]) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": "aws://111111111111/eu-west-1",
        "dependencies": dependencies,
        "properties": {"templateFile": f"{name}.template.json", "stackName": f"Local-{name}"},
        "displayName": f"Local/{name}",
    }


def test_reads_nested_stage_assemblies_in_dependency_order(tmp_path: Path) -> None:
    _write(
        tmp_path / "manifest.json",
        {
            "artifacts": {
                "assembly-Local": {
                    "type": "cdk:cloud-assembly",
                    "properties": {"directoryName": "assembly-Local"},
                }
            }
        },
    )
    stage = tmp_path / "assembly-Local"
    _write(
        stage / "manifest.json",
        {
            "artifacts": {
                "Etl": _stack("Etl", ["Infra", "Etl.assets"]),
                "Etl.assets": {"type": "cdk:asset-manifest", "properties": {"file": "Etl.assets.json"}},
                "Infra": _stack("Infra", []),
            }
        },
    )
    _write(stage / "Etl.template.json", {"Resources": {"A": {"Type": "AWS::SQS::Queue"}}})
    _write(stage / "Infra.template.json", {"Resources": {}})
    _write(
        stage / "Etl.assets.json",
        {
            "files": {
                "abc": {
                    "source": {"path": "../asset.abc", "packaging": "zip"},
                    "destinations": {
                        "d": {"bucketName": "cdk-assets-${AWS::AccountId}", "objectKey": "abc.zip"}
                    },
                }
            }
        },
    )

    stacks = read_cloud_assembly(tmp_path)

    assert [stack.stack_name for stack in stacks] == ["Local-Infra", "Local-Etl"]
    etl = stacks[1]
    assert (etl.account, etl.region, etl.resource_count) == ("111111111111", "eu-west-1", 1)
    assert etl.assets[0].source == (tmp_path / "asset.abc").resolve()
    assert etl.assets[0].bucket_name == "cdk-assets-${AWS::AccountId}"


def test_docker_image_assets_are_refused_with_the_fix(tmp_path: Path) -> None:
    _write(
        tmp_path / "manifest.json",
        {
            "artifacts": {
                "S": _stack("S", ["S.assets"]),
                "S.assets": {"type": "cdk:asset-manifest", "properties": {"file": "S.assets.json"}},
            }
        },
    )
    _write(tmp_path / "S.template.json", {"Resources": {}})
    _write(tmp_path / "S.assets.json", {"files": {}, "dockerImages": {"img": {}}})
    with pytest.raises(CloudAssemblyError, match=r"Docker image assets.*package that code as a file asset"):
        read_cloud_assembly(tmp_path)


def test_a_missing_assembly_says_to_synthesize_first(tmp_path: Path) -> None:
    with pytest.raises(CloudAssemblyError, match="synthesize the app first"):
        read_cloud_assembly(tmp_path / "cdk.out")

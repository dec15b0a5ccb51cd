"""Read a synthesized CDK cloud assembly (`cdk.out`): its stacks, templates and file assets.

Nested assemblies (one per `cdk.Stage`, `assembly-<Stage>/`) are read recursively, and stacks
come back in deployment order (their manifest dependencies first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

STACK = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
ASSET_MANIFEST = "cdk:asset-manifest"
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"


class CloudAssemblyError(ValueError):
    """A cloud assembly that local_aws cannot read, with what to do about it."""


@dataclass(frozen=True)
class FileAsset:
    """One `files` entry of a `*.assets.json`: a file or directory to publish to the asset bucket."""

    asset_id: str
    display_name: str
    source: Path
    packaging: Literal["file", "zip"]
    bucket_name: str  # may hold ${AWS::AccountId} / ${AWS::Region} / ${AWS::Partition}
    object_key: str


@dataclass(frozen=True)
class StackArtifact:
    """A stack as the CDK CLI would deploy it."""

    artifact_id: str
    stack_name: str
    display_name: str
    account: str | None
    region: str | None
    template: dict[str, Any]
    template_file: Path
    assets: tuple[FileAsset, ...]
    dependencies: tuple[str, ...]

    @property
    def resource_count(self) -> int:
        return len(self.template.get("Resources", {}))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise CloudAssemblyError(f"{path} is missing; synthesize the app first (make synth)") from error
    if not isinstance(data, dict):
        raise CloudAssemblyError(f"{path} is not a JSON object")
    return data


def _environment(value: str | None) -> tuple[str | None, str | None]:
    if not value or not value.startswith("aws://"):
        return None, None
    account, _, region = value.removeprefix("aws://").partition("/")
    return (None if account == UNKNOWN_ACCOUNT else account), (None if region == UNKNOWN_REGION else region)


def read_assets(manifest_file: Path) -> tuple[FileAsset, ...]:
    manifest = _read_json(manifest_file)
    if manifest.get("dockerImages"):
        names = ", ".join(sorted(manifest["dockerImages"]))
        raise CloudAssemblyError(
            f"{manifest_file.name} has Docker image assets ({names}); local_aws runs no Docker: "
            "package that code as a file asset (zip) instead"
        )
    assets: list[FileAsset] = []
    for asset_id, entry in manifest.get("files", {}).items():
        source = entry["source"]
        if "path" not in source:
            raise CloudAssemblyError(
                f"asset {asset_id} in {manifest_file.name} is built by an executable; local_aws publishes only "
                "files and directories"
            )
        for destination in entry["destinations"].values():
            assets.append(
                FileAsset(
                    asset_id=asset_id,
                    display_name=entry.get("displayName", asset_id),
                    source=(manifest_file.parent / source["path"]).resolve(),
                    packaging=source.get("packaging", "file"),
                    bucket_name=destination["bucketName"],
                    object_key=destination["objectKey"],
                )
            )
    return tuple(assets)


def _read_stacks(directory: Path) -> list[StackArtifact]:
    manifest = _read_json(directory / "manifest.json")
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    stacks: list[StackArtifact] = []
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        properties = artifact.get("properties", {})
        if kind == NESTED_ASSEMBLY:
            stacks += _read_stacks(directory / properties["directoryName"])
        elif kind == STACK:
            account, region = _environment(artifact.get("environment"))
            dependencies = tuple(artifact.get("dependencies", ()))
            assets: tuple[FileAsset, ...] = ()
            for dependency in dependencies:
                if artifacts.get(dependency, {}).get("type") == ASSET_MANIFEST:
                    assets += read_assets(directory / artifacts[dependency]["properties"]["file"])
            template_file = directory / properties["templateFile"]
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    stack_name=properties.get("stackName", artifact_id),
                    display_name=artifact.get("displayName", artifact_id),
                    account=account,
                    region=region,
                    template=_read_json(template_file),
                    template_file=template_file,
                    assets=assets,
                    dependencies=tuple(d for d in dependencies if artifacts.get(d, {}).get("type") == STACK),
                )
            )
    return stacks


def read_cloud_assembly(directory: Path | str) -> list[StackArtifact]:
    """Every stack of the assembly at `directory` (nested stages included), dependencies first."""
    stacks = _read_stacks(Path(directory))
    if not stacks:
        raise CloudAssemblyError(
            f"{directory} holds no stack; synthesize the app (with its local stage) first"
        )
    by_id = {stack.artifact_id: stack for stack in stacks}
    ordered: list[StackArtifact] = []
    visiting: set[str] = set()

    def visit(stack: StackArtifact) -> None:
        if stack in ordered:
            return
        if stack.artifact_id in visiting:
            raise CloudAssemblyError(f"stack dependency cycle through {stack.display_name}")
        visiting.add(stack.artifact_id)
        for dependency in stack.dependencies:
            if dependency in by_id:
                visit(by_id[dependency])
        ordered.append(stack)

    for stack in stacks:
        visit(stack)
    return ordered

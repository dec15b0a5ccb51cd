"""Create local resources from synthesized CloudFormation templates, the way CloudFormation would.

    deployment = Deployer(aws).deploy(Path("infrastructure/cdk.out"))

For each stack of the cloud assembly (dependencies first) the deployer:
1. bootstraps the environment like `cdk bootstrap` would, as far as assets need it: the asset
   bucket named in `*.assets.json` and the bootstrap version SSM parameter the template checks;
2. publishes the stack's file assets (directories zipped, files copied) to that bucket;
3. resolves the template's parameters (`AWS::SSM::Parameter::Value<...>` from the local SSM,
   others from their Default), conditions and intrinsic functions, in dependency order;
4. creates each resource through the service API (`local_aws.resources.HANDLERS`), skips the
   types listed in `local_aws.resources.SKIPPED` (each with its reason), and refuses any other
   type, naming it.
Names come from the template; where it gives none, a deterministic `<stack>-<logical id>-<hash>`.
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_aws.cloud_assembly import FileAsset, StackArtifact, read_cloud_assembly
from local_aws.intrinsics import Scope, TemplateError, evaluate_conditions, partition_of, references, resolve
from local_aws.resources import HANDLERS, SKIPPED
from local_aws.resources.base import (
    EventSourceMapping,
    HandlerContext,
    LocalFunction,
    Records,
    ResourceError,
)
from local_aws.server import LocalAws

BOOTSTRAP_VERSION = "28"  # what the bootstrap version parameter holds; templates require >= 6
_DROPPED_FUNCTION_PROPERTIES = ("Layers", "VpcConfig", "DeadLetterConfig", "LoggingConfig")


class DeployError(ValueError):
    """A stack local_aws cannot deploy, naming the stack, the resource and the fix."""


@dataclass(frozen=True)
class DeployedResource:
    logical_id: str
    resource_type: str
    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    skipped_reason: str | None = None


@dataclass
class DeployedStack:
    name: str
    display_name: str
    resources: dict[str, DeployedResource]
    outputs: dict[str, Any]
    assets_published: int
    elapsed_s: float

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id].physical_id

    def of_type(self, resource_type: str) -> list[DeployedResource]:
        return [resource for resource in self.resources.values() if resource.resource_type == resource_type]

    @property
    def created(self) -> list[DeployedResource]:
        return [resource for resource in self.resources.values() if resource.skipped_reason is None]

    @property
    def skipped(self) -> list[DeployedResource]:
        return [resource for resource in self.resources.values() if resource.skipped_reason is not None]


@dataclass
class Deployment:
    stacks: list[DeployedStack] = field(default_factory=list)
    records: Records = field(default_factory=Records)
    exports: dict[str, Any] = field(default_factory=dict)

    def stack(self, name: str) -> DeployedStack:
        for stack in self.stacks:
            if name in (stack.name, stack.display_name):
                return stack
        raise KeyError(f"no deployed stack {name!r}; deployed: {[stack.name for stack in self.stacks]}")

    @property
    def functions(self) -> dict[str, LocalFunction]:
        return self.records.functions

    @property
    def event_source_mappings(self) -> list[EventSourceMapping]:
        return self.records.event_source_mappings


def _zip_directory(directory: Path) -> bytes:
    """A deterministic zip of `directory` (sorted entries, fixed timestamps), like the CDK CLI's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(
                    path.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0)
                )
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _placeholders(text: str, account: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", partition_of(region))
    )


def _order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each after everything it refers to or depends on."""
    dependencies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        found = references(resource.get("Properties", {})) | set(depends_on)
        dependencies[logical_id] = {name for name in found if name in resources and name != logical_id}
    ordered: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise DeployError(f"resource dependency cycle: {' -> '.join((*path, logical_id))}")
        state[logical_id] = "visiting"
        for dependency in sorted(dependencies[logical_id]):
            visit(dependency, (*path, logical_id))
        state[logical_id] = "done"
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return ordered


class Deployer:
    """Deploys cloud assemblies into one embedded AWS; keeps exports and records across stacks."""

    def __init__(self, aws: LocalAws) -> None:
        self.aws = aws
        self.deployment = Deployment()

    # -- bootstrap and assets -------------------------------------------------------------

    def _ensure_bucket(self, name: str) -> None:
        s3 = self.aws.client("s3")
        if name in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
            return
        create: dict[str, Any] = {"Bucket": name}
        if self.aws.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.aws.region}
        s3.create_bucket(**create)

    def _bootstrap(self, stack: StackArtifact) -> None:
        parameter = stack.template.get("Parameters", {}).get("BootstrapVersion", {})
        name = parameter.get("Default")
        if name and str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            ssm = self.aws.client("ssm")
            try:
                ssm.get_parameter(Name=name)
            except ssm.exceptions.ParameterNotFound:
                ssm.put_parameter(Name=name, Value=BOOTSTRAP_VERSION, Type="String")
        for bucket in {
            _placeholders(asset.bucket_name, self.aws.account_id, self.aws.region) for asset in stack.assets
        }:
            self._ensure_bucket(bucket)

    def publish_assets(self, assets: Iterable[FileAsset]) -> int:
        """Upload file assets to their bootstrap bucket (once per object key). Returns how many were uploaded."""
        s3 = self.aws.client("s3")
        published = 0
        for asset in assets:
            bucket = _placeholders(asset.bucket_name, self.aws.account_id, self.aws.region)
            key = _placeholders(asset.object_key, self.aws.account_id, self.aws.region)
            if s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0):
                continue
            if not asset.source.exists():
                raise DeployError(
                    f"asset {asset.display_name}: {asset.source} is missing; synthesize the app again"
                )
            body = _zip_directory(asset.source) if asset.source.is_dir() else asset.source.read_bytes()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            published += 1
        return published

    # -- parameters -----------------------------------------------------------------------

    def _parameters(self, stack: StackArtifact) -> dict[str, Any]:
        values: dict[str, Any] = {}
        ssm = self.aws.client("ssm")
        for name, definition in stack.template.get("Parameters", {}).items():
            kind = str(definition.get("Type", "String"))
            if "Default" not in definition:
                raise DeployError(
                    f"{stack.display_name}: parameter {name} has no Default; local deployment passes no parameters, "
                    "so give it a default or use an SSM-backed value"
                )
            default = definition["Default"]
            if kind.startswith("AWS::SSM::Parameter::Value<"):
                try:
                    value = ssm.get_parameter(Name=default, WithDecryption=True)["Parameter"]["Value"]
                except ssm.exceptions.ParameterNotFound as error:
                    raise DeployError(
                        f"{stack.display_name}: parameter {name} reads SSM parameter {default}, which does not exist "
                        "locally; deploy the app that publishes it first"
                    ) from error
                values[name] = value.split(",") if "List<" in kind else value
            elif kind.startswith("List<") or kind == "CommaDelimitedList":
                values[name] = str(default).split(",")
            else:
                values[name] = default
        return values

    def _availability_zones(self, region: str) -> list[str]:
        zones = self.aws.client("ec2").describe_availability_zones()["AvailabilityZones"]
        return sorted(zone["ZoneName"] for zone in zones if zone.get("RegionName", region) == region)

    # -- stacks ---------------------------------------------------------------------------

    def _check_environment(self, stack: StackArtifact) -> None:
        if stack.account and stack.account != self.aws.account_id:
            raise DeployError(
                f"{stack.display_name} targets account {stack.account} but the embedded AWS runs as "
                f"{self.aws.account_id}; start it with account_id={stack.account!r}"
            )
        if stack.region and stack.region != self.aws.region:
            raise DeployError(
                f"{stack.display_name} targets region {stack.region} but the embedded AWS runs in "
                f"{self.aws.region}; start it with region={stack.region!r}"
            )

    def deploy_stack(self, stack: StackArtifact) -> DeployedStack:
        started = time.perf_counter()
        self._check_environment(stack)
        self._bootstrap(stack)
        published = self.publish_assets(stack.assets)
        template = stack.template
        resources: dict[str, Any] = template.get("Resources", {})
        deployed: dict[str, DeployedResource] = {}

        def ref(logical_id: str) -> Any:
            if logical_id in deployed:
                return deployed[logical_id].physical_id
            if logical_id in resources:
                raise TemplateError(
                    f"Ref {logical_id}: not created (its Condition is false, or an ordering bug)"
                )
            raise TemplateError(f"Ref {logical_id}: no such resource or parameter in {stack.display_name}")

        def get_att(logical_id: str, attribute: str) -> Any:
            if logical_id not in deployed:
                ref(logical_id)
            resource = deployed[logical_id]
            if resource.skipped_reason is not None:
                return f"arn:{partition_of(self.aws.region)}:local-skipped:::{logical_id}/{attribute}"
            if attribute not in resource.attributes:
                raise TemplateError(
                    f"Fn::GetAtt {logical_id}.{attribute}: {resource.resource_type} has locally only "
                    f"{sorted(resource.attributes)}; add it to its handler in local_aws/resources"
                )
            return resource.attributes[attribute]

        scope = Scope(
            stack_name=stack.stack_name,
            account=self.aws.account_id,
            region=self.aws.region,
            parameters=self._parameters(stack),
            mappings=template.get("Mappings", {}),
            exports=self.deployment.exports,
            ref=ref,
            get_att=get_att,
            availability_zones=self._availability_zones,
        )
        scope.conditions = evaluate_conditions(template.get("Conditions", {}), scope)

        for logical_id in _order(resources):
            resource = resources[logical_id]
            kind = resource["Type"]
            condition = resource.get("Condition")
            if condition and not scope.conditions.get(condition, False):
                continue
            if kind in SKIPPED:
                deployed[logical_id] = DeployedResource(
                    logical_id, kind, f"{logical_id}.local-skipped", skipped_reason=SKIPPED[kind]
                )
                continue
            handler = HANDLERS.get(kind)
            if handler is None:
                raise DeployError(
                    f"{stack.display_name}/{logical_id}: resource type {kind} is not supported by local_aws; add a "
                    "handler in local_aws/resources (or, if it has no local effect, an entry with its reason in "
                    "local_aws.resources.SKIPPED)"
                )
            properties = dict(resource.get("Properties", {}))
            if kind == "AWS::Lambda::Function":
                for dropped in _DROPPED_FUNCTION_PROPERTIES:
                    properties.pop(dropped, None)
            context = HandlerContext(
                aws=self.aws,
                stack_name=stack.stack_name,
                logical_id=logical_id,
                resource_type=kind,
                records=self.deployment.records,
            )
            try:
                created = handler(context, resolve(properties, scope))
            except (TemplateError, ResourceError) as error:
                raise DeployError(f"{stack.display_name}/{logical_id} ({kind}): {error}") from error
            except Exception as error:
                raise DeployError(
                    f"{stack.display_name}/{logical_id} ({kind}) failed locally: {error}"
                ) from error
            deployed[logical_id] = DeployedResource(
                logical_id, kind, created.physical_id, dict(created.attributes)
            )

        outputs: dict[str, Any] = {}
        for name, output in template.get("Outputs", {}).items():
            condition = output.get("Condition")
            if condition and not scope.conditions.get(condition, False):
                continue
            outputs[name] = resolve(output["Value"], scope)
            if "Export" in output:
                self.deployment.exports[str(resolve(output["Export"]["Name"], scope))] = outputs[name]

        result = DeployedStack(
            name=stack.stack_name,
            display_name=stack.display_name,
            resources=deployed,
            outputs=outputs,
            assets_published=published,
            elapsed_s=time.perf_counter() - started,
        )
        self.deployment.stacks.append(result)
        return result

    def deploy(self, assembly_directory: Path | str, *, stacks: Iterable[str] | None = None) -> Deployment:
        """Deploy every stack of a cloud assembly (or only those named, by stack or display name)."""
        wanted = set(stacks) if stacks is not None else None
        for stack in read_cloud_assembly(assembly_directory):
            if wanted is None or wanted & {stack.stack_name, stack.display_name, stack.artifact_id}:
                self.deploy_stack(stack)
        return self.deployment


def asset_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()

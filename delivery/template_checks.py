"""cfn-lint over every template of a cloud assembly, nested stage assemblies included.

Every app's tests call `lint_assembly(<cdk.out or CloudAssembly>)` and assert it returns no finding.
Errors and warnings both count; the only findings dropped are the waivers below, each scoped to
where it applies and with the reason it is acceptable. From a shell:

    python -m delivery.template_checks infrastructure/cdk.out
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cfnlint.api import ManualArgs, lint_file

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Waiver:
    """A cfn-lint rule ignored where `path` (a regex over the finding's `/`-joined path) matches."""

    rule: str
    reason: str
    path: str = ".*"

    def covers(self, rule: str, path: str) -> bool:
        return rule == self.rule and re.search(self.path, path) is not None


WAIVERS: tuple[Waiver, ...] = (
    Waiver(
        "W3005",
        "CDK adds an explicit DependsOn next to a Ref/GetAtt on purpose (e.g. a role's policy must "
        "exist before the resource using the role); the duplicate dependency is harmless",
    ),
    Waiver(
        "W3010",
        "availability zones are pinned in environments.yaml on purpose: subnets, their SSM contract "
        "entries and the committed cdk.context.json must name the same zones in every synth",
    ),
    Waiver(
        "E3703",
        "CDK Pipelines builds the cross-account CloudFormation action's RoleArn with Fn::Join over "
        "AWS::Partition; cfn-lint 1.58 reports it under E3703 with the message of a Fn::Sub style "
        "hint, which is not an error in the template",
        path=r"/Properties/Stages/\d+/Actions/\d+/Configuration/RoleArn$",
    ),
)


@dataclass(frozen=True)
class Finding:
    template: str
    rule: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.template}: {self.rule} {self.message} (at {self.path})"


@dataclass(frozen=True)
class StackTemplate:
    path: Path
    region: str


def stack_templates(assembly_dir: Path) -> Iterator[StackTemplate]:
    """Every stack template in the assembly at `assembly_dir`, following nested assemblies."""
    manifest_path = assembly_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{manifest_path} not found; synthesize the app first (make synth) or pass its cdk.out"
        ) from None
    for artifact in manifest.get("artifacts", {}).values():
        properties = artifact.get("properties", {})
        if artifact.get("type") == STACK_ARTIFACT:
            yield StackTemplate(
                path=assembly_dir / properties["templateFile"],
                region=_region(artifact.get("environment", "")),
            )
        elif artifact.get("type") == NESTED_ASSEMBLY:
            yield from stack_templates(assembly_dir / properties["directoryName"])


def _region(environment: str) -> str:
    # "aws://<account>/<region>"; environment-agnostic stacks say "unknown-region".
    region = environment.rsplit("/", 1)[-1]
    return region if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region) else DEFAULT_REGION


def lint_templates(
    templates: Sequence[StackTemplate], *, waivers: Sequence[Waiver] = WAIVERS
) -> list[Finding]:
    """cfn-lint findings (errors, warnings) of `templates` that no waiver covers."""
    findings: list[Finding] = []
    for template in templates:
        for match in lint_file(template.path, ManualArgs(regions=[template.region])):
            rule = str(match.rule.id)
            if rule.startswith("I"):
                continue
            path = "/" + "/".join(str(part) for part in match.path)
            if any(waiver.covers(rule, path) for waiver in waivers):
                continue
            findings.append(Finding(template=template.path.name, rule=rule, message=match.message, path=path))
    return findings


def lint_assembly(assembly_dir: Path | str, *, waivers: Sequence[Waiver] = WAIVERS) -> list[Finding]:
    """Lint every template of the cloud assembly in `assembly_dir` (nested stages included)."""
    templates = list(stack_templates(Path(assembly_dir)))
    if not templates:
        raise ValueError(f"{assembly_dir} holds no stack template; is it a cloud assembly (cdk.out)?")
    return lint_templates(templates, waivers=waivers)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m delivery.template_checks <cdk.out directory>", file=sys.stderr)
        return 2
    findings = lint_assembly(argv[0])
    for finding in findings:
        print(finding)
    count = len(list(stack_templates(Path(argv[0]))))
    print(f"cfn-lint: {count} template(s), {len(findings)} finding(s) not waived")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

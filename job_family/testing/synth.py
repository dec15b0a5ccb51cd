"""In-process synths of a family's app for CDK tests: the whole app as its app.py builds it (every
pipeline and stage, cdk-nag on), and the `local` stage alone (what local mode reads)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from delivery.app_context import checked_app
from delivery.pipeline import DeliveryPipelineStack
from job_family.app import SETTINGS_FILE, checked_settings
from job_family.packaging.bundles import FamilyBundles
from job_family.release.pipelines import add_pipelines, add_stage
from job_family.settings import JobFamilySettings
from job_family.spec import FamilySpec
from job_family.stack import FamilyStack
from job_family.stage import STACK_ID
from shared_config import load_config
from shared_config.model import Settings


@dataclass
class Synthesized:
    spec: FamilySpec
    outdir: Path
    settings: Settings
    family: JobFamilySettings
    pipelines: dict[str, DeliveryPipelineStack]

    def stack(self, env: str) -> FamilyStack:
        stack = self.pipelines[env].stage.node.find_child(STACK_ID)
        assert isinstance(stack, FamilyStack)
        return stack

    def template_json(self, env: str) -> dict[str, Any]:
        stage = self.pipelines[env].stage
        stack = self.stack(env)
        return dict(stage.synth().get_stack_by_name(stack.stack_name).template)

    def template(self, env: str) -> Template:
        return Template.from_json(self.template_json(env))

    def pipeline_template(self, env: str) -> Template:
        path = self.outdir / f"{self.pipelines[env].artifact_id}.template.json"
        return Template.from_json(json.loads(path.read_text(encoding="utf-8")))


def synthesize_family(spec: FamilySpec, app_root: Path, outdir: Path) -> Synthesized:
    """The whole app, synthesized (raises if cdk-nag reports an unacknowledged finding)."""
    app = checked_app(app_root, outdir=outdir)
    settings = load_config()
    family = checked_settings(spec, settings, app_root / SETTINGS_FILE)
    pipelines = add_pipelines(app, FamilyBundles(spec, app_root=app_root), settings, family)
    app.synth()
    return Synthesized(spec, outdir, settings, family, pipelines)


def synthesize_local_stage(spec: FamilySpec, app_root: Path, outdir: Path) -> Path:
    """`cdk synth -c stage=local`: the stage alone, no pipeline; returns the cloud assembly folder."""
    app = checked_app(app_root, outdir=outdir, stage="local")
    settings = load_config()
    family = checked_settings(spec, settings, app_root / SETTINGS_FILE)
    add_stage(app, FamilyBundles(spec, app_root=app_root), settings, family, "local")
    app.synth()
    return outdir


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def only(template: dict[str, Any], kind: str, logical_prefix: str = "") -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in resources(template, kind).items() if k.startswith(logical_prefix)]
    assert len(found) == 1, (
        f"expected one {kind} starting with {logical_prefix!r}, found {[k for k, _ in found]}"
    )
    return found[0]

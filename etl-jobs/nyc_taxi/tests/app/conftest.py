"""One in-process synth of the whole app (as `app.py` builds it) shared by every CDK test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from nyc_taxi.release.pipelines import add_pipelines, add_stage
from nyc_taxi.settings import JobFamilySettings, load_settings
from nyc_taxi.stack import NycTaxiEtl

from delivery.app_context import checked_app
from delivery.pipeline import DeliveryPipelineStack
from shared_config import load_config
from shared_config.model import Settings

APP_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Synthesized:
    outdir: Path
    settings: Settings
    family: JobFamilySettings
    pipelines: dict[str, DeliveryPipelineStack]

    def stack(self, env: str) -> NycTaxiEtl:
        stack = self.pipelines[env].stage.node.find_child("Etl")
        assert isinstance(stack, NycTaxiEtl)
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


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("nyc_taxi_cdk_out")
    app = checked_app(APP_DIR, outdir=outdir)
    settings = load_config()
    family = load_settings()
    family.check_covers(settings.stage_targets())
    pipelines = add_pipelines(app, settings, family)
    app.synth()  # raises if cdk-nag reports an unacknowledged finding
    return Synthesized(outdir, settings, family, pipelines)


@pytest.fixture(scope="session")
def dev(synthesized: Synthesized) -> Template:
    return synthesized.template("dev")


@pytest.fixture(scope="session")
def prod(synthesized: Synthesized) -> Template:
    return synthesized.template("prod")


@pytest.fixture(scope="session")
def local_stage_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth -c stage=local`: the stage alone, no pipeline (what local mode reads)."""
    outdir = tmp_path_factory.mktemp("nyc_taxi_local_out")
    app = checked_app(APP_DIR, outdir=outdir, stage="local")
    add_stage(app, load_config(), load_settings(), "local")
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

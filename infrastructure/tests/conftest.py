"""Session fixtures: the app is synthesized twice in all (each synth takes several seconds).

- `synthesized`: exactly what app.py builds by default (one pipeline per environment, each with its
  stage), with the CLI's context (cdk.json feature flags, cdk.context.json) and cdk-nag.
- `variant`: one stage alone (`-c stage=dev` mode) for a configuration with another prefix,
  Redshift enabled and a NAT gateway, to cover the optional paths and the logical-ID pins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from infrastructure.delivery_pipelines import add_pipelines, add_stage
from infrastructure.stage import InfrastructureStage

from delivery.app_context import checked_app
from delivery.pipeline import DeliveryPipelineStack
from shared_config import Settings, load_config

APP_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Synthesized:
    app: cdk.App
    directory: Path
    pipelines: dict[str, DeliveryPipelineStack]

    def stage(self, env: str) -> InfrastructureStage:
        stage = self.pipelines[env].stage
        assert isinstance(stage, InfrastructureStage)
        return stage

    def template(self, env: str) -> assertions.Template:
        return assertions.Template.from_stack(self.stage(env).stack)

    def pipeline_template(self, env: str) -> assertions.Template:
        return assertions.Template.from_stack(self.pipelines[env])


@dataclass
class Variant:
    settings: Settings
    stage: InfrastructureStage
    directory: Path

    @property
    def template(self) -> assertions.Template:
        return assertions.Template.from_stack(self.stage.stack)


def logical_id(template: assertions.Template, resource_type: str, prefix: str) -> str:
    """The one logical id of `resource_type` starting with `prefix` (a construct path, e.g. `StorageRaw`)."""
    found = [i for i in template.find_resources(resource_type) if i.startswith(prefix)]
    assert len(found) == 1, f"expected one {resource_type} starting with {prefix!r}, found {found}"
    return found[0]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_config()


@pytest.fixture(scope="session")
def synthesized(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    app = checked_app(APP_DIR, outdir=tmp_path_factory.mktemp("cdk.out"))
    pipelines = add_pipelines(app, settings)
    assembly = app.synth()  # raises on any unacknowledged cdk-nag finding
    return Synthesized(app=app, directory=Path(assembly.directory), pipelines=pipelines)


@pytest.fixture(scope="session")
def variant(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Variant:
    dev = settings.environments["dev"]
    changed_dev = dev.model_copy(
        update={
            "nat_gateways": 1,
            "redshift": dev.redshift.model_copy(update={"enabled": True, "base_capacity_rpu": 16}),
        }
    )
    changed = settings.model_copy(
        update={"prefix": "acme", "environments": {**settings.environments, "dev": changed_dev}}
    )
    app = checked_app(APP_DIR, outdir=tmp_path_factory.mktemp("variant"), stage="dev")
    stage = add_stage(app, changed, "dev")
    assembly = app.synth()
    return Variant(settings=changed, stage=stage, directory=Path(assembly.directory))

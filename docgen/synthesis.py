"""The dev stages of the infrastructure app and of every job family, synthesized in-process (no CLI,
offline). `infrastructure/` must be importable (pytest's pythonpath; `make docs` sets PYTHONPATH); the
families are found by `job_family.registry`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from delivery.app_context import cli_context
from delivery.compliance import apply_compliance
from docgen.stack_model import StackModel, model_of
from shared_config import load_config
from shared_config.model import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_ENV = "dev"


@dataclass(frozen=True)
class SynthesizedStack:
    model: StackModel
    template: dict[str, Any]


@dataclass(frozen=True)
class Synthesized:
    settings: Settings
    infrastructure: SynthesizedStack


def _synth(app: cdk.App, stage: cdk.Stage, stack: cdk.Stack) -> SynthesizedStack:
    apply_compliance(app)
    template = dict(stage.synth().get_stack_by_name(stack.stack_name).template)
    return SynthesizedStack(model=model_of(stack, template), template=template)


def synthesize(env_name: str = DOCUMENTED_ENV) -> Synthesized:
    """The infrastructure app's stage of `env_name`."""
    from infrastructure.delivery_pipelines import add_stage as add_infrastructure_stage

    settings = load_config()
    with tempfile.TemporaryDirectory(prefix="docgen-") as outdir:
        app = cdk.App(
            context=cli_context(ROOT / "infrastructure", stage=env_name), outdir=f"{outdir}/infrastructure"
        )
        infra = add_infrastructure_stage(app, settings, env_name)
        infrastructure = _synth(app, infra, infra.stack)
    return Synthesized(settings=settings, infrastructure=infrastructure)


def synthesize_family(family: str, env_name: str = DOCUMENTED_ENV) -> SynthesizedStack:
    """One job family's stage of `env_name`, as its app builds it."""
    from job_family import registry
    from job_family.app import SETTINGS_FILE, checked_settings
    from job_family.packaging.bundles import FamilyBundles
    from job_family.release.pipelines import add_stage

    spec = registry.load_spec(family)
    app_root = registry.app_root(family)
    settings = load_config()
    with tempfile.TemporaryDirectory(prefix="docgen-") as outdir:
        app = cdk.App(context=cli_context(app_root, stage=env_name), outdir=f"{outdir}/{family}")
        family_settings = checked_settings(spec, settings, app_root / SETTINGS_FILE)
        stage = add_stage(app, FamilyBundles(spec, app_root=app_root), settings, family_settings, env_name)
        return _synth(app, stage, stage.stack)

"""The dev stages of the infrastructure and nyc_taxi apps, synthesized in-process (no CLI, offline).

Both app folders must be importable (`infrastructure/`, `etl-jobs/nyc_taxi/` on sys.path): pytest's
root conftest puts them there, `make docs` sets PYTHONPATH.
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
    nyc_taxi: SynthesizedStack


def _synth(app: cdk.App, stage: cdk.Stage, stack: cdk.Stack) -> SynthesizedStack:
    apply_compliance(app)
    template = dict(stage.synth().get_stack_by_name(stack.stack_name).template)
    return SynthesizedStack(model=model_of(stack, template), template=template)


def synthesize(env_name: str = DOCUMENTED_ENV) -> Synthesized:
    from infrastructure.delivery_pipelines import add_stage as add_infrastructure_stage
    from nyc_taxi.release.pipelines import add_stage as add_nyc_taxi_stage
    from nyc_taxi.settings import load_settings

    settings = load_config()
    with tempfile.TemporaryDirectory(prefix="docgen-") as outdir:
        app = cdk.App(
            context=cli_context(ROOT / "infrastructure", stage=env_name), outdir=f"{outdir}/infrastructure"
        )
        infra = add_infrastructure_stage(app, settings, env_name)
        infrastructure = _synth(app, infra, infra.stack)

        app = cdk.App(
            context=cli_context(ROOT / "etl-jobs" / "nyc_taxi", stage=env_name), outdir=f"{outdir}/nyc_taxi"
        )
        etl = add_nyc_taxi_stage(app, settings, load_settings(), env_name)
        nyc_taxi = _synth(app, etl, etl.stack)
    return Synthesized(settings=settings, infrastructure=infrastructure, nyc_taxi=nyc_taxi)

"""The CDK app of a job family: what every family's `app.py` runs with its spec.

    synthesize(SPEC, app_root=Path(__file__).resolve().parent)

Default (what the pipelines and `make synth` run): one `DeliveryPipelineStack` per environment of
`environments:` in the deployment account, each deploying ONE stage (`<Family>`, holding the stack
`Etl`, CloudFormation name `<prefix>-<env>-<family>`) into that environment's account; in the
environments whose `settings.yaml` entry sets `post_deploy_check`, a step then drops the family's
fixture into the raw bucket and waits for its audit item to reach SUCCEEDED.

Context (this function is the only reader of context; the family's app.py reads nothing else):
- `-c config=<path>`: another environments.yaml (default: shared_config/environments.yaml);
- `-c settings=<path>`: another settings file (default: `<app_root>/settings.yaml`);
- `-c stage=<env>`: synthesize only that environment's stage, with no pipeline; `<env>` is a pipeline
  target or `local`. The stage is the nested assembly `cdk.out/assembly-<Family>/`, whose manifest
  lists one stack artifact named `naming.stack_name(prefix, env, family)`.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from delivery.compliance import apply_compliance
from job_family.packaging.bundles import FamilyBundles
from job_family.release.pipelines import add_pipelines, add_stage
from job_family.settings import JobFamilySettings, load_settings
from job_family.spec import FamilySpec
from shared_config import DEFAULT_CONFIG_PATH, load_config
from shared_config.model import Settings

SETTINGS_FILE = "settings.yaml"


def checked_settings(spec: FamilySpec, settings: Settings, path: Path) -> JobFamilySettings:
    """The family's settings file, checked against the environments and the family's steps."""
    family_settings = load_settings(path)
    family_settings.check_covers(settings.stage_targets(), source=str(path))
    family_settings.check_steps([step.name for step in spec.steps], source=str(path))
    return family_settings


def build(app: cdk.App, spec: FamilySpec, *, app_root: Path) -> cdk.App:
    settings = load_config(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
    family_settings = checked_settings(
        spec, settings, Path(app.node.try_get_context("settings") or app_root / SETTINGS_FILE)
    )
    apply_compliance(app)
    bundles = FamilyBundles(spec, app_root=app_root)
    stage = app.node.try_get_context("stage")
    if stage:
        add_stage(app, bundles, settings, family_settings, str(stage))
    else:
        add_pipelines(app, bundles, settings, family_settings)
    return app


def synthesize(spec: FamilySpec, *, app_root: Path) -> None:
    """Build the family's app from the CDK context and write its cloud assembly."""
    build(cdk.App(), spec, app_root=app_root).synth()

#!/usr/bin/env python3
"""The nyc_taxi job family app: S3 arrival -> audited Glue runs -> queryable tables, per environment.

Default (what the pipelines and `make synth` run): one `DeliveryPipelineStack` per environment of
`environments:` in the deployment account, each deploying ONE stage (`NycTaxi`, holding the stack
`Etl`, CloudFormation name `<prefix>-<env>-nyc-taxi`) into that environment's account; in the
environments whose `settings.yaml` entry sets `post_deploy_check`, a step then drops a fixture file
into the raw bucket and waits for its audit item to reach SUCCEEDED.

    cdk ls
    NycTaxiPipeline-dev
    NycTaxiPipeline-dev/NycTaxi/Etl (dlk-dev-nyc-taxi)
    ...

Context (this file is the only reader of context):
- `-c config=<path>`: another environments.yaml (default: shared_config/environments.yaml);
- `-c settings=<path>`: another job-family settings file (default: etl-jobs/nyc_taxi/settings.yaml);
- `-c stage=<env>`: synthesize only that environment's stage, with no pipeline; `<env>` is a pipeline
  target or `local`. The stage is the nested assembly `cdk.out/assembly-NycTaxi/`, whose manifest lists
  one stack artifact named `nyc_taxi.stage.stack_name(prefix, env)`.
"""

from __future__ import annotations

import aws_cdk as cdk
from nyc_taxi.release.pipelines import add_pipelines, add_stage
from nyc_taxi.settings import DEFAULT_SETTINGS_PATH, load_settings

from delivery.compliance import apply_compliance
from shared_config import DEFAULT_CONFIG_PATH, load_config

app = cdk.App()
settings = load_config(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
family_settings = load_settings(app.node.try_get_context("settings") or DEFAULT_SETTINGS_PATH)
family_settings.check_covers(settings.stage_targets())
apply_compliance(app)
stage = app.node.try_get_context("stage")
if stage:
    add_stage(app, settings, family_settings, str(stage))
else:
    add_pipelines(app, settings, family_settings)
app.synth()

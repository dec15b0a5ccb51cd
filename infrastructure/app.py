#!/usr/bin/env python3
"""The infrastructure app: the data lake's landing zone, released per environment by its own pipeline.

Default (what the pipelines and `make synth` run): one `DeliveryPipelineStack` per environment of
`environments:` in the deployment account, each deploying ONE stage (`Infrastructure`, holding the
stack `DataLake`, CloudFormation name `<prefix>-<env>-infrastructure`) into that environment's
account:

    cdk ls
    InfrastructurePipeline-dev
    InfrastructurePipeline-dev/Infrastructure/DataLake (dlk-dev-infrastructure)
    ...

Context (this file is the only reader of context):
- `-c config=<path>`: another environments.yaml (default: shared_config/environments.yaml).
- `-c stage=<env>`: synthesize only that environment's stage, with no pipeline; `<env>` is a
  pipeline target or `local` (the embedded local AWS).

Finding a stage's template (local mode, inspection): after `cdk synth -c stage=<env>` the stage
is the nested assembly `cdk.out/assembly-Infrastructure/`; its `manifest.json` lists one
`aws:cloudformation:stack` artifact whose `properties.stackName` is
`infrastructure.stage.stack_name(prefix, env)` and whose `properties.templateFile`
(`InfrastructureDataLake<hash>.template.json`) is the template. In-process, without the CLI:

    stage = InfrastructureStage(cdk.App(), STAGE_ID, settings=settings, env_config=env)
    template = stage.synth().get_stack_by_name(stack_name(settings.prefix, env)).template

In the default (pipeline) mode the same stage sits at `cdk.out/assembly-InfrastructurePipeline-<env>-Infrastructure/`.
"""

from __future__ import annotations

import aws_cdk as cdk
from infrastructure.delivery_pipelines import add_pipelines, add_stage

from delivery.compliance import apply_compliance
from shared_config import DEFAULT_CONFIG_PATH, load_config

app = cdk.App()
settings = load_config(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
apply_compliance(app)
stage = app.node.try_get_context("stage")
if stage:
    add_stage(app, settings, str(stage))
else:
    add_pipelines(app, settings)
app.synth()

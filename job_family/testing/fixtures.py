"""Session fixtures of a family's CDK tests, built from the `family_under_test` fixture the family's
conftest defines (see `job_family.testing.family`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from job_family.testing.family import FamilyUnderTest
from job_family.testing.synth import Synthesized, resources, synthesize_family, synthesize_local_stage


@pytest.fixture(scope="session")
def synthesized(family_under_test: FamilyUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """One in-process synth of the whole app (as its app.py builds it) shared by every CDK test."""
    spec = family_under_test.spec
    return synthesize_family(
        spec, family_under_test.app_root, tmp_path_factory.mktemp(f"{spec.name}_cdk_out")
    )


@pytest.fixture(scope="session")
def dev(synthesized: Synthesized) -> Template:
    return synthesized.template("dev")


@pytest.fixture(scope="session")
def prod(synthesized: Synthesized) -> Template:
    return synthesized.template("prod")


@pytest.fixture(scope="session")
def dev_template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json("dev")


def definition(template: dict[str, Any]) -> dict[str, Any]:
    """The state machine's definition, with every token rendered as text."""
    [machine] = resources(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else json.dumps(part).replace('"', "'") for part in parts)
    return dict(json.loads(text))


@pytest.fixture(scope="session")
def states(dev_template: dict[str, Any]) -> dict[str, Any]:
    return dict(definition(dev_template)["States"])


@pytest.fixture(scope="session")
def local_stage_outdir(family_under_test: FamilyUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth -c stage=local`: the stage alone, no pipeline (what local mode reads)."""
    spec = family_under_test.spec
    return synthesize_local_stage(
        spec, family_under_test.app_root, tmp_path_factory.mktemp(f"{spec.name}_local_out")
    )

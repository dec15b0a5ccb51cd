"""The generator on the real reference family: the copy is renamed everywhere and synthesizes."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest

from delivery.app_context import cli_context
from delivery.compliance import apply_compliance
from scaffold.generate import Generated, new_job_family
from shared_config import load_config

ROOT = Path(__file__).resolve().parents[2]
NAME = "scaffold_probe"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("repo")
    (root / "etl-jobs").mkdir()
    (root / "etl-jobs" / "nyc_taxi").symlink_to(ROOT / "etl-jobs" / "nyc_taxi")
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / ".github" / "workflows" / "etl-nyc_taxi.yml", root / ".github" / "workflows")
    result = new_job_family(root, NAME)
    sys.path.insert(0, str(result.folder))
    yield result
    sys.path.remove(str(result.folder))
    for module in [m for m in sys.modules if m == NAME or m.startswith(f"{NAME}.")]:
        del sys.modules[module]


def test_new_family_has_the_app_its_package_tests_and_workflow(generated: Generated) -> None:
    folder = generated.folder
    for relative in ["app.py", "cdk.json", "cdk.context.json", "settings.yaml", f"{NAME}/stack.py", "tests"]:
        assert (folder / relative).exists(), relative
    assert not (folder / "cdk.out").exists()
    workflow = generated.workflow.read_text(encoding="utf-8")
    assert generated.workflow.name == f"etl-{NAME}.yml"
    assert f'"etl-jobs/{NAME}/**"' in workflow and f"make test-app APP=etl-jobs/{NAME}" in workflow


def test_no_spelling_of_the_reference_family_is_left(generated: Generated) -> None:
    leftovers = [
        str(path.relative_to(generated.folder))
        for path in generated.folder.rglob("*")
        if path.is_file()
        and any(
            spelling in (str(path) + path.read_text(encoding="utf-8", errors="ignore"))
            for spelling in ("nyc_taxi", "nyc-taxi", "NycTaxi", "NYC_TAXI")
        )
    ]
    assert leftovers == []


@pytest.mark.synth
def test_new_family_stage_synthesizes_with_its_own_names_and_passes_cdk_nag(generated: Generated) -> None:
    pipelines = importlib.import_module(f"{NAME}.release.pipelines")
    settings_module = importlib.import_module(f"{NAME}.settings")
    app = cdk.App(
        context=cli_context(generated.folder, stage="dev"), outdir=str(generated.folder / "cdk.out")
    )
    apply_compliance(app)
    settings = load_config()
    stage = pipelines.add_stage(app, settings, settings_module.load_settings(), "dev")
    assembly = stage.synth()  # raises on an unacknowledged cdk-nag finding
    template = assembly.get_stack_by_name(f"{settings.prefix}-dev-scaffold-probe").template
    kinds = {body["Type"] for body in template["Resources"].values()}
    assert {"AWS::StepFunctions::StateMachine", "AWS::Glue::Job", "AWS::Lambda::Function"} <= kinds
    assert stage.node.id == "ScaffoldProbe"

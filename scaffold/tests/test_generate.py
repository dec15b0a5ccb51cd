"""The generator: a minimal family from the framework's template, small, named everywhere, synthesizing."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from job_family.testing.synth import synthesize_local_stage
from scaffold.generate import MAX_FILES, Generated, new_job_family
from scaffold.names import FamilyNameError

ROOT = Path(__file__).resolve().parents[2]
NAME = "scaffold_probe"


def _repository(root: Path) -> Path:
    """The files the generator reads: the feature flags and the environments."""
    (root / "etl-jobs").mkdir()
    (root / "infrastructure").mkdir()
    shutil.copy(ROOT / "infrastructure" / "cdk.json", root / "infrastructure")
    (root / "shared_config").mkdir()
    shutil.copy(ROOT / "shared_config" / "environments.yaml", root / "shared_config")
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    result = new_job_family(_repository(tmp_path_factory.mktemp("repo")), NAME)
    sys.path.insert(0, str(result.folder))
    yield result
    sys.path.remove(str(result.folder))
    for module in [m for m in sys.modules if m == NAME or m.startswith(f"{NAME}.")]:
        del sys.modules[module]


def test_a_new_family_is_a_spec_a_step_a_schema_its_tests_settings_and_workflow(generated: Generated) -> None:
    folder = generated.folder
    for relative in [
        "app.py",
        "cdk.json",
        "settings.yaml",
        f"{NAME}/spec.py",
        f"{NAME}/steps/conform.py",
        f"{NAME}/steps/schemas.py",
        "tests/test_contracts.py",
        "tests/test_conform.py",
        "tests/e2e/test_e2e_contract.py",
    ]:
        assert (folder / relative).is_file(), relative
    assert len(generated.files) + 1 <= MAX_FILES  # and its docs page
    workflow = generated.workflow.read_text(encoding="utf-8")
    assert generated.workflow.name == f"etl-{NAME}.yml"
    assert f'"etl-jobs/{NAME}/**"' in workflow and f"make test-app APP=etl-jobs/{NAME}" in workflow


def test_no_other_family_is_named_and_the_placeholder_is_gone(generated: Generated) -> None:
    leftovers = [
        str(path.relative_to(generated.folder))
        for path in generated.files
        if any(
            word in path.read_text(encoding="utf-8") for word in ("nyc_taxi", "us_legislators", "__family__")
        )
    ]
    assert leftovers == []


def test_settings_cover_every_environment_and_the_step(generated: Generated) -> None:
    settings = yaml.safe_load((generated.folder / "settings.yaml").read_text(encoding="utf-8"))
    environments = yaml.safe_load((ROOT / "shared_config" / "environments.yaml").read_text(encoding="utf-8"))

    assert set(settings["environments"]) == {*environments["environments"], "local"}
    assert all(set(env["jobs"]) == {"conform"} for env in settings["environments"].values())


def test_a_second_family_beside_the_first_and_a_name_taken_twice_is_refused(generated: Generated) -> None:
    root = generated.folder.parents[1]
    second = new_job_family(root, "scaffold_second")
    assert (root / "etl-jobs" / "scaffold_second" / "scaffold_second" / "spec.py").is_file()
    with pytest.raises(FamilyNameError, match="exists already"):
        new_job_family(root, "scaffold_second")
    shutil.rmtree(second.folder)


@pytest.mark.synth
def test_the_new_family_synthesizes_with_its_own_names_and_passes_cdk_nag(
    generated: Generated, tmp_path: Path
) -> None:
    spec = importlib.import_module(f"{NAME}.spec").SPEC
    outdir = synthesize_local_stage(spec, generated.folder, tmp_path)  # raises on an unacknowledged finding

    manifest = (outdir / "assembly-ScaffoldProbe" / "manifest.json").read_text(encoding="utf-8")
    assert "dlk-local-scaffold-probe" in manifest

"""A family's settings (validated against environments and steps), physical names and bundles."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from job_family import naming
from job_family.packaging.bundles import BundleError, FamilyBundles, package_files, runtime_zip_name
from job_family.settings import SettingsError, parse_settings
from job_family.spec import CSV, DatasetSpec, FamilySpec, PerObject, StepSpec, Zone

JOB = {"worker_type": "G.1X", "worker_count": 2, "timeout_min": 30, "max_concurrent_runs": 3}
VALID = {"environments": {"dev": {"jobs": {"first": JOB, "second": {**JOB, "timeout_min": 45}}}}}
PROBE = FamilySpec(
    name="probe_family",
    description="a probe",
    datasets=(DatasetSpec("things", formats=(CSV,)),),
    trigger=PerObject(),
    steps=(
        StepSpec(
            "first",
            module="probe_family.steps.first",
            description="reads the raw file",
            static=(Zone.CONFORMED.value, Zone.REPORTS.value, "database"),
            per_run=("source_path", "dataset", "run_id"),
            reads=(Zone.RAW,),
            writes=(Zone.CONFORMED, Zone.REPORTS),
        ),
    ),
    tables=(),
)


def _probe_app(root: Path) -> Path:
    """A family folder with the probe's package, one step script, rules and reference data."""
    app = root / "etl-jobs" / "probe_family"
    (app / "probe_family" / "steps").mkdir(parents=True)
    for init in ("probe_family/__init__.py", "probe_family/steps/__init__.py"):
        (app / init).write_text("")
    (app / "probe_family" / "spec.py").write_text("SPEC = None\n")
    (app / "probe_family" / "steps" / "first.py").write_text("def run(): ...\n")
    (app / "rules").mkdir()
    (app / "rules" / "summary.sql").write_text("SELECT 1\n")
    (app / "reference").mkdir()
    (app / "reference" / "codes.csv").write_text("a\n")
    return app


def test_every_problem_is_listed_with_its_fix() -> None:
    raw = {
        "environments": {
            "dev": {
                "jobs": {"first": {"worker_type": "G.3X", "worker_count": 1}},
                "log_retention_days": 10,
                "colour": "blue",
            }
        }
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, source="settings.yaml")

    message = str(caught.value)
    assert "4 problem(s)" in message
    assert "environments.dev.jobs.first.worker_type: 'G.3X' is not one of" in message
    assert "environments.dev.jobs.first.worker_count" in message
    assert "10 is not a CloudWatch Logs retention; use one of 1, 3, 5, 7, 14" in message
    assert "environments.dev.colour: not a known field; remove it" in message


def test_missing_and_unknown_environments_are_named() -> None:
    settings = parse_settings({"environments": {"dev": {}, "qa": {}}})

    with pytest.raises(SettingsError, match=r"environments.prod: missing; add an entry for prod") as caught:
        settings.check_covers(["dev", "prod"])
    assert "environments.qa: not an environment of shared_config/environments.yaml" in str(caught.value)
    with pytest.raises(KeyError, match=r"settings\.yaml has no environment 'prod'"):
        settings.environment("prod")


def test_every_declared_step_needs_its_capacity_and_no_other() -> None:
    settings = parse_settings({"environments": {"dev": {"jobs": {"first": JOB, "third": JOB}}}})

    with pytest.raises(SettingsError) as caught:
        settings.check_steps(["first", "second"])
    message = str(caught.value)
    assert "environments.dev.jobs.second: missing; add the Glue capacity of step second" in message
    assert (
        "environments.dev.jobs.third: not a step of this family; remove it or use one of first, second"
        in message
    )


def test_execution_timeout_covers_every_job() -> None:
    env = parse_settings(VALID).environment("dev")
    assert env.execution_timeout_min == 30 + 45 + 30


def test_physical_names_come_from_the_prefix_and_the_family_only() -> None:
    assert naming.database_name("dlk-x", "nyc_taxi") == "dlk_x_nyc_taxi"
    assert naming.workgroup_name("dlk", "us_legislators") == "dlk-us-legislators"
    assert naming.stack_name("dlk", "dev", "nyc_taxi") == "dlk-dev-nyc-taxi"
    with pytest.raises(ValueError, match="lower-case letters"):
        naming.database_name("DLK", "nyc_taxi")


def test_code_bundle_is_byte_for_byte_reproducible_and_holds_the_framework_runtime(tmp_path: Path) -> None:
    bundles = FamilyBundles(PROBE, app_root=_probe_app(tmp_path))
    bundles.build_code_bundle(tmp_path / "one")
    bundles.build_code_bundle(tmp_path / "two")
    zip_name = runtime_zip_name("probe_family")
    first = (tmp_path / "one" / "scripts" / zip_name).read_bytes()

    assert first == (tmp_path / "two" / "scripts" / zip_name).read_bytes()
    archive = zipfile.ZipFile(tmp_path / "one" / "scripts" / zip_name)
    assert archive.testzip() is None
    assert {
        "job_family/spec.py",
        "job_family/glue/runtime/job_runtime.py",
        "probe_family/steps/first.py",
    } <= set(archive.namelist())
    assert (tmp_path / "one" / "scripts" / "first.py").read_text() == "def run(): ...\n"
    assert (tmp_path / "one" / "rules" / "summary.sql").is_file()


def test_missing_rules_fail_the_bundle_only_when_a_step_reads_them(tmp_path: Path) -> None:
    app = _probe_app(tmp_path)
    (app / "rules" / "summary.sql").unlink()
    reads_rules = dataclasses.replace(
        PROBE, steps=(dataclasses.replace(PROBE.steps[0], reads=(Zone.RAW, Zone.RULES)),)
    )

    assert "rules/summary.sql" not in FamilyBundles(PROBE, app_root=app).code_bucket_files()
    with pytest.raises(BundleError, match=r"rules holds no \*.sql files"):
        FamilyBundles(reads_rules, app_root=app).code_bucket_files()


def test_a_missing_step_script_fails_the_bundle_naming_the_step(tmp_path: Path) -> None:
    app = _probe_app(tmp_path)
    (app / "probe_family" / "steps" / "first.py").unlink()

    with pytest.raises(BundleError, match=r"Glue script .*first.py of step first is missing"):
        FamilyBundles(PROBE, app_root=app).code_bucket_files()


def test_a_package_folder_without_init_fails_the_bundle(tmp_path: Path) -> None:
    runtime = tmp_path / "job_family" / "ingest" / "runtime"
    runtime.mkdir(parents=True)
    (runtime / "handler.py").write_text("")
    (runtime / "__init__.py").write_text("")
    (tmp_path / "job_family" / "__init__.py").write_text("")

    with pytest.raises(BundleError, match=r"ingest/__init__.py is missing"):
        package_files(["ingest/runtime"], root=tmp_path)

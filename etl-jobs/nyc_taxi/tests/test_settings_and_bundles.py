"""The job family's settings file and the deterministic bundles it ships."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from nyc_taxi import naming
from nyc_taxi.packaging.bundles import BundleError, build_code_bundle, code_bucket_files, package_files
from nyc_taxi.settings import SettingsError, WorkerType, load_settings, parse_settings

from shared_config import load_config

VALID = {"environments": {"dev": {}}}


def test_shipped_settings_cover_every_environment_and_local() -> None:
    settings = load_settings()
    settings.check_covers(load_config().stage_targets())

    assert settings.environment("prod").raw_to_conformed.worker_type is WorkerType.G_2X
    assert [name for name, env in settings.environments.items() if env.post_deploy_check] == ["dev", "test"]


def test_every_problem_is_listed_with_its_fix() -> None:
    raw = {
        "environments": {
            "dev": {
                "raw_to_conformed": {"worker_type": "G.3X", "worker_count": 1},
                "log_retention_days": 10,
                "colour": "blue",
            }
        }
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, source="settings.yaml")

    message = str(caught.value)
    assert "4 problem(s)" in message
    assert "environments.dev.raw_to_conformed.worker_type: 'G.3X' is not one of" in message
    assert "environments.dev.raw_to_conformed.worker_count" in message
    assert "10 is not a CloudWatch Logs retention; use one of 1, 3, 5, 7, 14" in message
    assert "environments.dev.colour: not a known field; remove it" in message


def test_missing_and_unknown_environments_are_named() -> None:
    settings = parse_settings({"environments": {"dev": {}, "qa": {}}})

    with pytest.raises(SettingsError, match=r"environments.prod: missing; add an entry for prod") as caught:
        settings.check_covers(["dev", "prod"])
    assert "environments.qa: not an environment of shared_config/environments.yaml" in str(caught.value)
    with pytest.raises(KeyError, match=r"settings\.yaml has no environment 'prod'"):
        settings.environment("prod")


def test_execution_timeout_covers_both_jobs() -> None:
    env = parse_settings(VALID).environment("dev")
    assert (
        env.execution_timeout_min
        == env.raw_to_conformed.timeout_min + env.conformed_to_purpose_built.timeout_min + 30
    )


def test_physical_names_come_from_the_prefix_only() -> None:
    assert naming.database_name("dlk-x") == "dlk_x_nyc_taxi"
    assert naming.workgroup_name("dlk") == "dlk-nyc-taxi"
    with pytest.raises(ValueError, match="lower-case letters"):
        naming.database_name("DLK")


def test_code_bundle_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    build_code_bundle(tmp_path / "one")
    build_code_bundle(tmp_path / "two")
    first = (tmp_path / "one" / "scripts" / "nyc_taxi_runtime.zip").read_bytes()

    assert first == (tmp_path / "two" / "scripts" / "nyc_taxi_runtime.zip").read_bytes()
    assert zipfile.ZipFile(tmp_path / "one" / "scripts" / "nyc_taxi_runtime.zip").testzip() is None


def test_missing_rules_fail_the_bundle_with_the_folder_named(tmp_path: Path) -> None:
    for script in ("raw_to_conformed.py", "conformed_to_purpose_built.py"):
        target = tmp_path / "nyc_taxi" / "jobs" / "runtime" / script
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "zones.csv").write_text("a\n")

    with pytest.raises(BundleError, match=r"rules holds no \*.sql files"):
        code_bucket_files(root=tmp_path)


def test_a_package_folder_without_init_fails_the_bundle(tmp_path: Path) -> None:
    runtime = tmp_path / "nyc_taxi" / "ingest" / "runtime"
    runtime.mkdir(parents=True)
    (runtime / "handler.py").write_text("")
    (runtime / "__init__.py").write_text("")
    (tmp_path / "nyc_taxi" / "__init__.py").write_text("")

    with pytest.raises(BundleError, match=r"ingest/__init__.py is missing"):
        package_files(["ingest/runtime"], root=tmp_path)

"""What users see from the make targets: one block for a dry run, one reason for a refusal, no make noise."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bootstrap.commands import REPOSITORY_ROOT
from bootstrap.tests.fixtures import REAL, real_data, write_config
from shared_config import DEFAULT_CONFIG_PATH

# Never remake the toolchain from a test (make setup is not ours to run here).
ASSUME_INSTALLED = ("-o", ".venv/.synced", "-o", "node_modules/.installed")


def make(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "DRY_RUN", "ENV", "CONFIG", "POLICY", "JOB")
    }
    return subprocess.run(
        ["make", "--no-print-directory", *ASSUME_INSTALLED, *args],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


def assert_refused_once(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith(f"stopped: {reason}"), result.stderr
    assert result.stderr.count("stopped:") == 1
    assert "make: ***" not in result.stderr and "Error " not in result.stderr


def test_a_refused_dry_run_prints_the_reason_once_and_no_make_noise() -> None:
    result = make("deploy-infra", "DRY_RUN=1", f"CONFIG={DEFAULT_CONFIG_PATH}")
    assert_refused_once(result, "placeholders in the configuration: deployment.account (999999999999)")


def test_a_missing_variable_is_refused_the_same_way() -> None:
    assert_refused_once(make("bootstrap-target"), "set ENV=<environment>, e.g. make bootstrap-target ENV=dev")
    assert_refused_once(make("deploy-etl", "JOB=nope"), "JOB=nope is not a job family")


def test_check_config_refuses_the_same_way(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_CONFIG_PATH.read_text().replace("prefix: dlk", "prefix: DLK"))
    assert_refused_once(make("check-config", f"CONFIG={bad}"), f"{bad} has 1 problem:")


def test_a_dry_run_prints_only_the_block_of_commands(tmp_path: Path) -> None:
    config = write_config(tmp_path / "envs.yaml", real_data(dev=REAL["deployment"]))
    result = make("bootstrap-target", "ENV=dev", "DRY_RUN=1", f"CONFIG={config}")
    assert (result.returncode, result.stderr) == (0, "")
    dep = REAL["deployment"]
    assert result.stdout.splitlines() == [
        f"# deployment account {dep}, eu-west-1: runs the pipelines and receives the stacks of dev",
        "# dev is in the deployment account: this is the same bootstrap make bootstrap-deployment runs there "
        "(one bootstrap, both policies); running it again changes nothing",
        f"node_modules/.bin/cdk bootstrap aws://{dep}/eu-west-1 --trust {dep} --trust-for-lookup {dep} "
        f"--cloudformation-execution-policies arn:aws:iam::{dep}:policy/dlk-cdk-pipeline-execution,"
        f"arn:aws:iam::{dep}:policy/dlk-cdk-target-execution --no-version-reporting --no-notices",
    ]


def test_refresh_azs_dry_run_writes_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path / "envs.yaml", real_data())
    context = REPOSITORY_ROOT / "infrastructure" / "cdk.context.json"
    before = context.read_text()
    result = make("refresh-azs", "DRY_RUN=1", f"CONFIG={config}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# would write infrastructure/cdk.context.json for {config}:\n")
    assert '+  "availability-zones:account=410987654321:region=eu-west-1": [' in result.stdout
    assert context.read_text() == before

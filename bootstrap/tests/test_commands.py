"""Command construction and the refusals of `make bootstrap-*` / `make deploy-infra` / `make deploy-etl`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.__main__ import main
from bootstrap.commands import (
    REPOSITORY_ROOT,
    RefusedError,
    app_folders,
    bootstrap_deployment,
    bootstrap_target,
    deploy_pipelines,
    pipeline_stacks,
)
from shared_config import DEFAULT_CONFIG_PATH, Settings, load_config

REAL = {"deployment": "210987654321", "dev": "410987654321", "test": "510987654321", "prod": "610987654321"}
CONNECTION = "arn:aws:codeconnections:eu-west-1:210987654321:connection/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"


@pytest.fixture
def real_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["deployment"]["account"] = REAL["deployment"]
    raw["repository"]["connection_arn"] = CONNECTION
    for name in ("dev", "test", "prod"):
        raw["environments"][name]["account"] = REAL[name]
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture
def settings(real_config: Path) -> Settings:
    return load_config(real_config)


def test_target_bootstrap_trusts_the_deployment_account_with_the_given_policy(settings: Settings) -> None:
    policy = "arn:aws:iam::410987654321:policy/lake-exec"
    command = bootstrap_target(settings, settings.environments["dev"], policies=[policy])
    assert command.shell() == (
        "node_modules/.bin/cdk bootstrap aws://410987654321/eu-west-1 --trust 210987654321 "
        "--trust-for-lookup 210987654321 --cloudformation-execution-policies "
        "arn:aws:iam::410987654321:policy/lake-exec --no-version-reporting --no-notices"
    )
    assert command.account == "410987654321"


def test_default_execution_policy_is_the_kit_policy_not_administrator_access(settings: Settings) -> None:
    target = bootstrap_target(settings, settings.environments["prod"])
    deployment = bootstrap_deployment(settings)
    assert "arn:aws:iam::610987654321:policy/dlk-cdk-target-execution" in target.argv
    assert "arn:aws:iam::210987654321:policy/dlk-cdk-pipeline-execution" in deployment.argv
    assert not any("AdministratorAccess" in part for part in target.argv + deployment.argv)


def test_deployment_bootstrap_trusts_no_other_account(settings: Settings) -> None:
    command = bootstrap_deployment(settings, policies=["arn:aws:iam::aws:policy/PowerUserAccess"])
    assert command.argv[:3] == ("node_modules/.bin/cdk", "bootstrap", "aws://210987654321/eu-west-1")
    assert "--trust" not in command.argv


def test_several_policies_are_passed_comma_separated(settings: Settings) -> None:
    policies = ["arn:aws:iam::410987654321:policy/a", "arn:aws:iam::410987654321:policy/b"]
    command = bootstrap_target(settings, settings.environments["dev"], policies=policies)
    index = command.argv.index("--cloudformation-execution-policies")
    assert command.argv[index + 1] == ",".join(policies)


def test_refuses_a_policy_that_is_not_an_arn(settings: Settings) -> None:
    with pytest.raises(RefusedError, match="is not an IAM policy ARN"):
        bootstrap_target(settings, settings.environments["dev"], policies=["AdministratorAccess"])


@pytest.mark.parametrize(
    ("app_folder", "cli", "stack"),
    [
        ("infrastructure", "../node_modules/.bin/cdk", "InfrastructurePipeline"),
        ("etl-jobs/nyc_taxi", "../../node_modules/.bin/cdk", "NycTaxiPipeline"),
    ],
)
def test_deploy_deploys_every_pipeline_stack_of_the_app_from_its_folder(
    settings: Settings, app_folder: str, cli: str, stack: str
) -> None:
    command = deploy_pipelines(
        settings, app_folder=app_folder, environments=list(settings.environments.values())
    )
    assert command.cwd == app_folder
    assert command.account == "210987654321"
    assert command.shell() == (
        f"(cd {app_folder} && {cli} deploy {stack}-dev {stack}-test {stack}-prod "
        "--require-approval broadening --no-version-reporting --no-notices)"
    )


def test_deploy_passes_a_custom_config_to_the_app(settings: Settings, real_config: Path) -> None:
    command = deploy_pipelines(
        settings, app_folder="infrastructure", environments=[settings.environments["dev"]], config=real_config
    )
    assert command.argv[-2:] == ("-c", f"config={real_config.resolve()}")


def test_every_app_folder_with_a_cdk_json_is_deployable() -> None:
    assert app_folders()[:1] == ["infrastructure"]
    assert "etl-jobs/nyc_taxi" in app_folders()
    assert all((REPOSITORY_ROOT / folder / "cdk.json").is_file() for folder in app_folders())


def test_pipeline_stacks_of_one_environment(settings: Settings) -> None:
    dev = [settings.environments["dev"]]
    assert pipeline_stacks("infrastructure", dev) == ["InfrastructurePipeline-dev"]
    assert pipeline_stacks("etl-jobs/nyc_taxi", dev) == ["NycTaxiPipeline-dev"]


def test_refuses_placeholder_accounts_naming_them() -> None:
    settings = load_config()
    with pytest.raises(
        RefusedError, match=r"environments\.dev \(111111111111\), deployment \(999999999999\)"
    ):
        bootstrap_target(settings, settings.environments["dev"])
    with pytest.raises(RefusedError, match="placeholder account"):
        bootstrap_deployment(settings)


def test_refuses_the_placeholder_connection(settings: Settings) -> None:
    placeholder = settings.repository.model_copy(
        update={
            "connection_arn": "arn:aws:codeconnections:eu-west-1:210987654321:connection/00000000-0000-0000-0000-000000000000"
        }
    )
    with pytest.raises(RefusedError, match="CodeConnections connection"):
        deploy_pipelines(
            settings.model_copy(update={"repository": placeholder}),
            app_folder="infrastructure",
            environments=[settings.environments["dev"]],
        )


def test_refuses_an_app_folder_without_cdk_json_naming_the_apps(settings: Settings) -> None:
    with pytest.raises(
        RefusedError, match=r"etl-jobs/other/cdk\.json not found.*one of: infrastructure, .*etl-jobs/nyc_taxi"
    ):
        deploy_pipelines(settings, app_folder="etl-jobs/other", environments=[settings.environments["dev"]])


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, argv: list[str], **kwargs: Any) -> Any:
        self.calls.append((argv, kwargs))
        return type("Done", (), {"returncode": 0})()


def _no_credentials() -> str:
    raise RefusedError("no usable AWS credentials (Unable to locate credentials); sign in first")


def test_dry_run_prints_the_command_without_calling_aws(
    real_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = Recorder()
    code = main(
        ["--config", str(real_config), "--dry-run", "target", "--env", "dev"],
        identity=_no_credentials,
        run=run,
    )
    assert code == 0 and run.calls == []
    assert capsys.readouterr().out.startswith(
        "node_modules/.bin/cdk bootstrap aws://410987654321/eu-west-1 --trust"
    )


def test_stops_without_credentials(real_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Recorder()
    code = main(["--config", str(real_config), "deployment"], identity=_no_credentials, run=run)
    assert code == 2 and run.calls == []
    assert "no usable AWS credentials" in capsys.readouterr().err


def test_stops_when_credentials_belong_to_another_account(
    real_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = Recorder()
    code = main(
        ["--config", str(real_config), "target", "--env", "prod"], identity=lambda: "410987654321", run=run
    )
    assert code == 2 and run.calls == []
    assert (
        "credentials are for account 410987654321, but this command acts on 610987654321"
        in capsys.readouterr().err
    )


def test_placeholder_accounts_stop_even_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    run = Recorder()
    code = main(["--dry-run", "deploy", "--app", "infrastructure"], identity=_no_credentials, run=run)
    assert code == 2 and run.calls == []
    assert "placeholder account ids" in capsys.readouterr().err


def test_runs_the_command_from_its_folder_with_matching_credentials(real_config: Path) -> None:
    run = Recorder()
    code = main(
        ["--config", str(real_config), "deploy", "--app", "infrastructure", "--env", "dev"],
        identity=lambda: "210987654321",
        run=run,
    )
    assert code == 0
    ((argv, kwargs),) = run.calls
    assert argv[:3] == ["../node_modules/.bin/cdk", "deploy", "InfrastructurePipeline-dev"]
    assert kwargs["cwd"].name == "infrastructure"


def test_unknown_environment_names_the_choices(real_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--config", str(real_config), "--dry-run", "target", "--env", "qa"], identity=_no_credentials
    )
    assert code == 2
    assert "use one of: dev, test, prod" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (
            "infrastructure",
            "(cd infrastructure && ../node_modules/.bin/cdk deploy InfrastructurePipeline-test "
            "--require-approval broadening --no-version-reporting --no-notices -c config={config})",
        ),
        (
            "etl-jobs/nyc_taxi",
            "(cd etl-jobs/nyc_taxi && ../../node_modules/.bin/cdk deploy NycTaxiPipeline-test "
            "--require-approval broadening --no-version-reporting --no-notices -c config={config})",
        ),
    ],
)
def test_dry_run_prints_the_deploy_command_of_each_app(
    real_config: Path, capsys: pytest.CaptureFixture[str], app: str, expected: str
) -> None:
    run = Recorder()
    code = main(
        ["--config", str(real_config), "--dry-run", "deploy", "--app", app, "--env", "test"],
        identity=_no_credentials,
        run=run,
    )
    assert code == 0 and run.calls == []
    assert capsys.readouterr().out.strip() == expected.format(config=real_config.resolve())


@pytest.mark.parametrize(
    ("target", "app"),
    [(["deploy-infra"], "infrastructure"), (["deploy-etl", "JOB=nyc_taxi"], '"etl-jobs/nyc_taxi"')],
)
def test_make_deploy_targets_name_only_the_app_folder(target: list[str], app: str) -> None:
    # `make -n` prints the recipes without running them; the stack ids come from bootstrap alone.
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", *target, "DRY_RUN=1", "ENV=dev"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (line,) = (line for line in printed.splitlines() if "-m bootstrap" in line)
    assert line.endswith(f'--dry-run deploy --app {app} --env "dev"')

"""Command construction and the refusals of `make bootstrap-*` / `make deploy-infra` / `make deploy-etl`."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bootstrap.__main__ import main
from bootstrap.commands import (
    REPOSITORY_ROOT,
    RefusedError,
    app_folders,
    bootstrap_deployment,
    bootstrap_plan,
    bootstrap_target,
    deploy_pipelines,
    pipeline_stacks,
)
from bootstrap.tests.fixtures import REAL, ReleaseRepo, real_data, write_config
from shared_config import Settings, load_config, parse_config

DEP = REAL["deployment"]
TAIL = "--no-version-reporting --no-notices"


def policy(account: str, kind: str, prefix: str = "dlk", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:policy/{prefix}-cdk-{kind}-execution"


@pytest.fixture
def settings(real_config: Path) -> Settings:
    return load_config(real_config)


def layout(**changes: dict[str, Any]) -> Settings:
    """The real-looking configuration with some environments changed (region given: zones follow)."""
    raw = real_data()
    for name, fields in changes.items():
        env = raw["environments"][name]
        env.update(fields)
        if "region" in fields:
            env["availability_zones"] = [f"{fields['region']}a", f"{fields['region']}b"]
    return parse_config(raw)


# --- four accounts, one region ----------------------------------------------------------------------


def test_four_accounts_bootstrap_the_deployment_account_once_and_each_environment_with_trust(
    settings: Settings,
) -> None:
    [deployment] = bootstrap_deployment(settings)
    assert deployment.shell() == (
        f"node_modules/.bin/cdk bootstrap aws://{DEP}/eu-west-1 --cloudformation-execution-policies "
        f"{policy(DEP, 'pipeline')} {TAIL}"
    )
    assert deployment.comment == f"deployment account {DEP}, eu-west-1: runs the pipelines"
    for name in ("dev", "test", "prod"):
        [target] = bootstrap_target(settings, settings.environments[name])
        assert target.shell() == (
            f"node_modules/.bin/cdk bootstrap aws://{REAL[name]}/eu-west-1 --trust {DEP} --trust-for-lookup "
            f"{DEP} --cloudformation-execution-policies {policy(REAL[name], 'target')} {TAIL}"
        )
        assert (target.account, target.region) == (REAL[name], "eu-west-1")
        assert target.comment == f"account {REAL[name]}, eu-west-1: receives the stacks of {name}"


def test_a_given_policy_replaces_the_default_one(settings: Settings) -> None:
    given = ["arn:aws:iam::410987654321:policy/a", "arn:aws:iam::410987654321:policy/b"]
    [command] = bootstrap_target(settings, settings.environments["dev"], policies=given)
    index = command.argv.index("--cloudformation-execution-policies")
    assert command.argv[index + 1] == ",".join(given)


def test_default_execution_policies_are_the_kit_policies_not_administrator_access(settings: Settings) -> None:
    commands = [*bootstrap_deployment(settings), *bootstrap_target(settings, settings.environments["prod"])]
    assert not any("AdministratorAccess" in part for command in commands for part in command.argv)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("AdministratorAccess", "AdministratorAccess is not an IAM policy ARN"),
        ("arn:aws-cn:iam::410987654321:policy/x", "is not an ARN of the aws partition"),
    ],
)
def test_refuses_a_policy_that_cannot_be_used(settings: Settings, given: str, message: str) -> None:
    with pytest.raises(RefusedError, match=message):
        bootstrap_target(settings, settings.environments["dev"], policies=[given])


# --- dev in the deployment account ------------------------------------------------------------------


def test_an_environment_in_the_deployment_account_is_bootstrapped_once_with_both_policies() -> None:
    settings = layout(dev={"account": DEP})
    combined = (
        f"node_modules/.bin/cdk bootstrap aws://{DEP}/eu-west-1 --trust {DEP} --trust-for-lookup {DEP} "
        f"--cloudformation-execution-policies {policy(DEP, 'pipeline')},{policy(DEP, 'target')} {TAIL}"
    )
    [deployment] = bootstrap_deployment(settings)
    [dev] = bootstrap_target(settings, settings.environments["dev"])
    assert deployment.shell() == dev.shell() == combined
    assert (
        deployment.comment
        == f"deployment account {DEP}, eu-west-1: runs the pipelines and receives the stacks of dev"
    )
    assert "same bootstrap make bootstrap-deployment runs there" in dev.comment
    places = [(b.account, b.region) for b in bootstrap_plan(settings)]
    assert len(places) == len(set(places)) == 3


# --- other regions ----------------------------------------------------------------------------------


def test_the_deployment_account_is_bootstrapped_in_every_region_an_environment_uses() -> None:
    settings = layout(prod={"region": "us-east-1", "vpc_cidr": "10.30.0.0/21"})
    deployment = bootstrap_deployment(settings)
    assert [(c.account, c.region) for c in deployment] == [(DEP, "eu-west-1"), (DEP, "us-east-1")]
    support = deployment[1]
    assert support.shell() == (
        f"node_modules/.bin/cdk bootstrap aws://{DEP}/us-east-1 --cloudformation-execution-policies "
        f"{policy(DEP, 'pipeline')} {TAIL}"
    )
    assert support.comment.endswith("holds the pipelines' cross-region support stacks for prod")
    [prod] = bootstrap_target(settings, settings.environments["prod"])
    assert prod.argv[2] == f"aws://{REAL['prod']}/us-east-1"


def test_an_environment_of_the_deployment_account_in_another_region_gets_one_combined_bootstrap() -> None:
    settings = layout(dev={"account": DEP, "region": "eu-central-1"})
    deployment = bootstrap_deployment(settings)
    assert [c.region for c in deployment] == ["eu-west-1", "eu-central-1"]
    [dev] = bootstrap_target(settings, settings.environments["dev"])
    assert dev.shell() == deployment[1].shell()
    assert f"--trust {DEP}" in dev.shell()
    assert f"{policy(DEP, 'pipeline')},{policy(DEP, 'target')}" in dev.shell()


def test_policy_arns_follow_the_partition_of_the_configuration() -> None:
    raw = real_data()
    raw["deployment"]["region"] = "us-gov-west-1"
    raw["repository"]["connection_arn"] = raw["repository"]["connection_arn"].replace(
        "arn:aws:", "arn:aws-us-gov:"
    )
    for env in raw["environments"].values():
        env["region"] = "us-gov-west-1"
        env["availability_zones"] = ["us-gov-west-1a", "us-gov-west-1b"]
    settings = parse_config(raw)
    [deployment] = bootstrap_deployment(settings)
    [dev] = bootstrap_target(settings, settings.environments["dev"])
    assert policy(DEP, "pipeline", partition="aws-us-gov") in deployment.argv
    assert policy(REAL["dev"], "target", partition="aws-us-gov") in dev.argv


def test_the_prefix_names_the_policies() -> None:
    raw = real_data()
    raw["prefix"] = "acme"
    settings = parse_config(raw)
    [deployment] = bootstrap_deployment(settings)
    assert policy(DEP, "pipeline", prefix="acme") in deployment.argv


# --- deploys ----------------------------------------------------------------------------------------


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
    assert (command.cwd, command.account, command.region) == (app_folder, DEP, "eu-west-1")
    assert command.shell() == (
        f"(cd {app_folder} && {cli} deploy {stack}-dev {stack}-test {stack}-prod "
        f"--require-approval broadening {TAIL})"
    )


def test_every_app_folder_with_a_cdk_json_is_deployable() -> None:
    assert app_folders()[:1] == ["infrastructure"]
    assert "etl-jobs/nyc_taxi" in app_folders()
    assert all((REPOSITORY_ROOT / folder / "cdk.json").is_file() for folder in app_folders())


def test_pipeline_stacks_of_one_environment(settings: Settings) -> None:
    dev = [settings.environments["dev"]]
    assert pipeline_stacks("infrastructure", dev) == ["InfrastructurePipeline-dev"]
    assert pipeline_stacks("etl-jobs/nyc_taxi", dev) == ["NycTaxiPipeline-dev"]


def test_bootstrap_refuses_placeholder_accounts_naming_them() -> None:
    settings = load_config()
    with pytest.raises(
        RefusedError,
        match=r"environments\.dev\.account \(111111111111\), deployment\.account \(999999999999\)",
    ):
        bootstrap_target(settings, settings.environments["dev"])
    with pytest.raises(RefusedError, match=r"placeholders in the configuration: deployment\.account"):
        bootstrap_deployment(settings)


def test_deploy_refuses_every_placeholder_check_config_lists(settings: Settings) -> None:
    raw = real_data()
    raw["notifications"]["emails"] = ["ops@example.com"]
    raw["repository"]["connection_arn"] = (
        f"arn:aws:codeconnections:eu-west-1:{DEP}:connection/00000000-0000-0000-0000-000000000000"
    )
    placeholders = parse_config(raw)
    with pytest.raises(RefusedError) as caught:
        deploy_pipelines(
            placeholders, app_folder="infrastructure", environments=[settings.environments["dev"]]
        )
    assert "repository.connection_arn (arn:aws:codeconnections" in str(caught.value)
    assert "notifications.emails[0] (ops@example.com)" in str(caught.value)


def test_refuses_an_app_folder_without_cdk_json_naming_the_apps(settings: Settings) -> None:
    with pytest.raises(
        RefusedError, match=r"etl-jobs/other/cdk\.json not found.*one of: infrastructure, .*etl-jobs/nyc_taxi"
    ):
        deploy_pipelines(settings, app_folder="etl-jobs/other", environments=[settings.environments["dev"]])


# --- python -m bootstrap ----------------------------------------------------------------------------


class Recorder:
    def __init__(self, returncodes: tuple[int, ...] = ()) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.returncodes = list(returncodes)

    def __call__(self, argv: list[str], **kwargs: Any) -> Any:
        self.calls.append((argv, kwargs))
        code = self.returncodes.pop(0) if self.returncodes else 0
        return type("Done", (), {"returncode": code})()


def _no_credentials(region: str) -> str:
    raise RefusedError("no usable AWS credentials (Unable to locate credentials); sign in first")


def test_dry_run_prints_one_shell_block_without_calling_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = real_data()
    raw["environments"]["prod"].update(region="us-east-1", availability_zones=["us-east-1a", "us-east-1b"])
    config = write_config(tmp_path / "envs.yaml", raw)
    run = Recorder()
    code = main(["--config", str(config), "--dry-run", "deployment"], identity=_no_credentials, run=run)
    assert code == 0 and run.calls == []
    assert capsys.readouterr().out == (
        f"# deployment account {DEP}, eu-west-1: runs the pipelines\n"
        f"node_modules/.bin/cdk bootstrap aws://{DEP}/eu-west-1 --cloudformation-execution-policies "
        f"{policy(DEP, 'pipeline')} {TAIL}\n"
        f"# deployment account {DEP}, us-east-1: holds the pipelines' cross-region support stacks for prod\n"
        f"node_modules/.bin/cdk bootstrap aws://{DEP}/us-east-1 --cloudformation-execution-policies "
        f"{policy(DEP, 'pipeline')} {TAIL}\n"
    )


def test_stops_without_credentials(real_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = Recorder()
    code = main(["--config", str(real_config), "deployment"], identity=_no_credentials, run=run)
    assert code == 2 and run.calls == []
    assert capsys.readouterr().err.count("stopped: no usable AWS credentials") == 1


def test_stops_when_credentials_belong_to_another_account(
    real_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = Recorder()
    code = main(
        ["--config", str(real_config), "target", "--env", "prod"],
        identity=lambda region: "410987654321",
        run=run,
    )
    assert code == 2 and run.calls == []
    assert (
        "credentials are for account 410987654321, but this command acts on 610987654321"
        in capsys.readouterr().err
    )


def test_asks_sts_in_the_region_of_the_command(tmp_path: Path) -> None:
    raw = real_data()
    raw["environments"]["prod"].update(region="us-east-1", availability_zones=["us-east-1a", "us-east-1b"])
    config = write_config(tmp_path / "envs.yaml", raw)
    regions: list[str] = []

    def identity(region: str) -> str:
        regions.append(region)
        return REAL["prod"]

    assert main(["--config", str(config), "target", "--env", "prod"], identity=identity, run=Recorder()) == 0
    assert regions == ["us-east-1"]


def test_runs_every_bootstrap_in_order_and_stops_at_the_first_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = real_data()
    raw["environments"]["prod"].update(region="us-east-1", availability_zones=["us-east-1a", "us-east-1b"])
    config = write_config(tmp_path / "envs.yaml", raw)
    run = Recorder(returncodes=(0, 3))
    code = main(["--config", str(config), "deployment"], identity=lambda region: DEP, run=run)
    assert code == 3
    assert [argv[2] for argv, _ in run.calls] == [f"aws://{DEP}/eu-west-1", f"aws://{DEP}/us-east-1"]
    assert capsys.readouterr().err.startswith("stopped: node_modules/.bin/cdk bootstrap aws://")


def test_placeholder_accounts_stop_even_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    run = Recorder()
    code = main(["--dry-run", "deploy", "--app", "infrastructure"], identity=_no_credentials, run=run)
    assert code == 2 and run.calls == []
    assert capsys.readouterr().err.startswith("stopped: placeholders in the configuration")


def test_deploys_from_the_app_folder_of_a_committed_and_pushed_configuration(
    release_repo: Callable[..., ReleaseRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_repo()
    run = Recorder()
    code = main(
        ["--config", str(repo.config), "deploy", "--app", "infrastructure", "--env", "dev"],
        identity=lambda region: DEP,
        run=run,
        root=repo.root,
    )
    assert code == 0, capsys.readouterr().err
    ((argv, kwargs),) = run.calls
    assert argv[:3] == ["../node_modules/.bin/cdk", "deploy", "InfrastructurePipeline-dev"]
    assert "-c" not in argv  # the app reads the committed file, as its pipelines do
    assert kwargs["cwd"] == repo.root / "infrastructure"


def test_a_dry_run_deploy_refuses_what_the_real_run_refuses(
    release_repo: Callable[..., ReleaseRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = release_repo()
    repo.config.write_text(repo.config.read_text().replace("nat_gateways: 0", "nat_gateways: 1", 1))
    outcomes = []
    for dry_run in (["--dry-run"], []):
        code = main(
            ["--config", str(repo.config), *dry_run, "deploy", "--app", "infrastructure"],
            identity=lambda region: DEP,
            run=Recorder(),
            root=repo.root,
        )
        outcomes.append((code, capsys.readouterr().err))
    assert outcomes[0] == outcomes[1]
    code, err = outcomes[0]
    assert code == 2
    assert err.startswith("stopped: the pipelines would not build what this deploy deploys:\n")
    assert "shared_config/environments.yaml differs from the committed shared_config/environments.yaml" in err


def test_unknown_environment_names_the_choices(real_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--config", str(real_config), "--dry-run", "target", "--env", "qa"], identity=_no_credentials
    )
    assert code == 2
    assert "use one of: dev, test, prod" in capsys.readouterr().err


def test_warns_about_administrator_access_in_the_block(
    real_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert main(["--config", str(real_config), "--dry-run", "deployment", "--policy", admin]) == 0
    first, *_ = capsys.readouterr().out.splitlines()
    assert first.startswith("# warning: AdministratorAccess as execution policy")


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
    assert f'--dry-run deploy --app {app} --env "dev" ||' in line

"""`python -m bootstrap {deployment,target,deploy} ...`: check, then run (or print) the CDK commands.

    python -m bootstrap deployment [--policy ARN[,ARN]] [--dry-run]
    python -m bootstrap target --env dev [--policy ARN[,ARN]] [--dry-run]
    python -m bootstrap deploy --app infrastructure [--env dev] [--dry-run]
    python -m bootstrap deploy --app etl-jobs/nyc_taxi [--env dev] [--dry-run]

Order of checks: the configuration (placeholder accounts, policy ARNs, connection) first, then,
unless `--dry-run`, AWS credentials through STS: they must belong to the account the command
acts on. Any failure stops at once with exit code 2 and a message naming what is missing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bootstrap.commands import (
    ADMINISTRATOR_ACCESS,
    REPOSITORY_ROOT,
    Command,
    RefusedError,
    bootstrap_deployment,
    bootstrap_target,
    deploy_pipelines,
)
from shared_config import DEFAULT_CONFIG_PATH, ConfigError, EnvironmentConfig, Settings, load_config

Identity = Callable[[], str]


def caller_account() -> str:
    """The account of the current AWS credentials (STS GetCallerIdentity); RefusedError without any."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise RefusedError(
            f"no usable AWS credentials ({error}); sign in first, e.g. `aws sso login --profile <p>` "
            "and `export AWS_PROFILE=<p>`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ) from None


def check_credentials(command: Command, identity: Identity = caller_account) -> None:
    account = identity()
    if command.account and account != command.account:
        raise RefusedError(
            f"the current AWS credentials are for account {account}, but this command acts on "
            f"{command.account}; switch to a profile of that account (export AWS_PROFILE=...)"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="environments.yaml to use")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    commands = parser.add_subparsers(dest="action", required=True)
    deployment = commands.add_parser("deployment", help="bootstrap the deployment account")
    deployment.add_argument("--policy", default="", help="execution policy ARN(s), comma-separated")
    target = commands.add_parser("target", help="bootstrap one environment's account with --trust")
    target.add_argument("--env", required=True, help="environment name, e.g. dev")
    target.add_argument("--policy", default="", help="execution policy ARN(s), comma-separated")
    deploy = commands.add_parser("deploy", help="one-time deploy of an app's pipeline stack(s)")
    deploy.add_argument(
        "--app", default="infrastructure", help="the app folder: infrastructure or etl-jobs/<job>"
    )
    deploy.add_argument("--env", default="", help="one environment (default: every environment)")
    return parser


def build(args: argparse.Namespace) -> Command:
    settings = load_config(args.config)
    policies = [p for p in getattr(args, "policy", "").split(",") if p]
    if args.action == "deployment":
        return bootstrap_deployment(settings, policies=policies)
    if args.action == "target":
        return bootstrap_target(settings, _environment(settings, args.env), policies=policies)
    environments = [_environment(settings, args.env)] if args.env else list(settings.environments.values())
    custom_config = (
        None if Path(args.config).resolve() == DEFAULT_CONFIG_PATH.resolve() else Path(args.config)
    )
    return deploy_pipelines(
        settings,
        app_folder=args.app,
        environments=environments,
        config=custom_config,
    )


def _environment(settings: Settings, name: str) -> EnvironmentConfig:
    if name not in settings.environments:
        raise RefusedError(
            f"ENV={name!r} is not a pipeline environment; use one of: {', '.join(settings.environments)}"
        )
    return settings.environments[name]


def main(
    argv: list[str], *, identity: Identity = caller_account, run: Callable[..., object] = subprocess.run
) -> int:
    args = _parser().parse_args(argv)
    try:
        command = build(args)
        if any(ADMINISTRATOR_ACCESS in part for part in command.argv):
            print(
                "warning: AdministratorAccess as execution policy; prefer the least-privilege sample in bootstrap/"
            )
        if args.dry_run:
            print(command.shell())
            return 0
        check_credentials(command, identity)
    except (RefusedError, ConfigError) as error:
        print(f"stopped: {error}", file=sys.stderr)
        return 2
    print(f"running: {command.shell()}", flush=True)
    env = {**os.environ, "CDK_DISABLE_VERSION_CHECK": "1"}
    result = run(list(command.argv), cwd=REPOSITORY_ROOT / command.cwd, env=env, check=False)
    return int(getattr(result, "returncode", 1))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

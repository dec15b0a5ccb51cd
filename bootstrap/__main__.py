"""`python -m bootstrap ACTION`: check, then run (or print) the one-time AWS commands.

    python -m bootstrap deployment [--policy ARN[,ARN]] [--dry-run]     # make bootstrap-deployment
    python -m bootstrap target --env dev [--policy ARN[,ARN]] [--dry-run]   # make bootstrap-target ENV=dev
    python -m bootstrap deploy --app infrastructure [--env dev] [--dry-run]  # make deploy-infra
    python -m bootstrap deploy --app etl-jobs/nyc_taxi [--env dev] [--dry-run]  # make deploy-etl JOB=nyc_taxi
    python -m bootstrap policies                                          # make render-policies
    python -m bootstrap idle-cost                                         # make idle-cost

Order of checks: the configuration (valid, no placeholders, policy ARNs), then for `deploy` git (the
configuration and context as committed and pushed to each environment's branch,
`bootstrap.release_state`), then, unless `--dry-run`, AWS credentials through STS: they must belong to
the account each command acts on. A dry run prints one block of shell (comments and commands) and
refuses exactly what the real run refuses. Any refusal prints `stopped: <reason>` once and exits 2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bootstrap import idle_cost
from bootstrap.commands import (
    ADMINISTRATOR_ACCESS,
    REPOSITORY_ROOT,
    Command,
    RefusedError,
    bootstrap_deployment,
    bootstrap_target,
    deploy_pipelines,
)
from bootstrap.policies import write_policies
from bootstrap.release_state import release_problems
from shared_config import DEFAULT_CONFIG_PATH, ConfigError, EnvironmentConfig, Settings, load_config

Identity = Callable[[str], str]  # region -> account of the current credentials


def caller_account(region: str) -> str:
    """The account of the current AWS credentials (STS GetCallerIdentity in `region`, so credentials
    of any partition work); RefusedError without any."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("sts", region_name=region or None).get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise RefusedError(
            f"no usable AWS credentials ({error}); sign in first, e.g. `aws sso login --profile <p>` "
            "and `export AWS_PROFILE=<p>`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ) from None


def check_credentials(commands: Sequence[Command], identity: Identity = caller_account) -> None:
    checked: dict[str, str] = {}
    for command in commands:
        if not command.account or command.account in checked:
            continue
        account = identity(command.region)
        checked[command.account] = account
        if account != command.account:
            raise RefusedError(
                f"the current AWS credentials are for account {account}, but this command acts on "
                f"{command.account}; switch to a profile of that account (export AWS_PROFILE=...)"
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="environments.yaml to use")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    commands = parser.add_subparsers(dest="action", required=True)
    deployment = commands.add_parser(
        "deployment", help="bootstrap the deployment account (every region it needs)"
    )
    deployment.add_argument("--policy", default="", help="execution policy ARN(s), comma-separated")
    target = commands.add_parser("target", help="bootstrap one environment's account with --trust")
    target.add_argument("--env", required=True, help="environment name, e.g. dev")
    target.add_argument("--policy", default="", help="execution policy ARN(s), comma-separated")
    deploy = commands.add_parser("deploy", help="one-time deploy of an app's pipeline stack(s)")
    deploy.add_argument(
        "--app", default="infrastructure", help="the app folder: infrastructure or etl-jobs/<job>"
    )
    deploy.add_argument("--env", default="", help="one environment (default: every environment)")
    commands.add_parser("policies", help="write the execution policies for this configuration")
    commands.add_parser("idle-cost", help="print the idle running cost per month")
    return parser


def build(args: argparse.Namespace, *, root: Path = REPOSITORY_ROOT) -> tuple[list[Command], list[str]]:
    """The commands of `args.action` and the notes to print with them; RefusedError/ConfigError."""
    settings = load_config(args.config)
    policies = [p for p in getattr(args, "policy", "").split(",") if p]
    if args.action == "deployment":
        return bootstrap_deployment(settings, policies=policies), []
    if args.action == "target":
        return bootstrap_target(settings, _environment(settings, args.env), policies=policies), []
    environments = [_environment(settings, args.env)] if args.env else list(settings.environments.values())
    command = deploy_pipelines(settings, app_folder=args.app, environments=environments)
    problems, notes = release_problems(
        settings, config=Path(args.config), app_folder=args.app, environments=environments, root=root
    )
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise RefusedError(f"the pipelines would not build what this deploy deploys:\n{listing}")
    return [command], notes


def _environment(settings: Settings, name: str) -> EnvironmentConfig:
    if name not in settings.environments:
        raise RefusedError(
            f"ENV={name!r} is not a pipeline environment; use one of: {', '.join(settings.environments)}"
        )
    return settings.environments[name]


def main(
    argv: list[str],
    *,
    identity: Identity = caller_account,
    run: Callable[..., object] = subprocess.run,
    root: Path = REPOSITORY_ROOT,
) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.action == "policies":
            commands = write_policies(load_config(args.config))
            print(
                "# the execution policies make bootstrap-* names, written to .local/policies/ (git-ignored):"
            )
            print("\n".join(command.block() for command in commands))
            return 0
        if args.action == "idle-cost":
            return idle_cost.main(load_config(args.config))
        commands, notes = build(args, root=root)
        warnings = [f"note: {note}" for note in notes]
        if any(ADMINISTRATOR_ACCESS in part for command in commands for part in command.argv):
            warnings.append(
                "warning: AdministratorAccess as execution policy; prefer the least-privilege sample in bootstrap/"
            )
        if args.dry_run:
            print(
                "\n".join([*(f"# {line}" for line in warnings), *(command.block() for command in commands)])
            )
            return 0
        check_credentials(commands, identity)
    except (RefusedError, ConfigError) as error:
        print(f"stopped: {error}", file=sys.stderr)
        return 2
    for line in warnings:
        print(line)
    env = {**os.environ, "CDK_DISABLE_VERSION_CHECK": "1"}
    for command in commands:
        print(f"running: {command.shell()}", flush=True)
        result = run(list(command.argv), cwd=root / command.cwd, env=env, check=False)
        code = int(getattr(result, "returncode", 1))
        if code:
            print(
                f"stopped: {command.shell()} failed (exit {code}); fix what it printed and run again",
                file=sys.stderr,
            )
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

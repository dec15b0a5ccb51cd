"""Build the exact `cdk bootstrap` / `cdk deploy` command lines, refusing what cannot work.

Nothing here touches AWS: the functions are pure and unit-tested. `bootstrap.__main__` checks
credentials and runs the commands.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from delivery.pipeline_ids import pipeline_stack_id
from shared_config.model import Account, EnvironmentConfig, Settings, is_placeholder_account

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CDK_CLI = "node_modules/.bin/cdk"  # relative to the repository root; pinned in package.json
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
PLACEHOLDER_CONNECTION = re.compile(r"connection/0{8}-0{4}-0{4}-0{4}-0{12}$")
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


class RefusedError(ValueError):
    """The command cannot work as configured; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class Command:
    """One command line, run from `cwd` (relative to the repository root)."""

    argv: tuple[str, ...]
    cwd: str = "."
    account: str = ""  # the account whose credentials the command needs

    def shell(self) -> str:
        line = shlex.join(self.argv)
        return line if self.cwd == "." else f"(cd {shlex.quote(self.cwd)} && {line})"


def execution_policy_name(prefix: str, *, deployment: bool) -> str:
    """Name of the customer-managed policy created from bootstrap/*-execution-policy.json."""
    return f"{prefix}-cdk-{'pipeline' if deployment else 'target'}-execution"


def default_policy_arn(prefix: str, account: str, *, deployment: bool) -> str:
    return f"arn:aws:iam::{account}:policy/{execution_policy_name(prefix, deployment=deployment)}"


def _check_policies(policies: Sequence[str]) -> None:
    bad = [policy for policy in policies if not POLICY_ARN.fullmatch(policy)]
    if bad:
        raise RefusedError(
            f"{', '.join(bad)} is not an IAM policy ARN; pass POLICY=arn:aws:iam::<account>:policy/<name> "
            "(several: comma-separated)"
        )


def _refuse_placeholders(accounts: dict[str, str]) -> None:
    placeholders = {where: account for where, account in accounts.items() if is_placeholder_account(account)}
    if placeholders:
        listing = ", ".join(f"{where} ({account})" for where, account in placeholders.items())
        raise RefusedError(
            f"placeholder account ids in the configuration: {listing}; put your real 12-digit account ids "
            "in shared_config/environments.yaml (or pass CONFIG=<file>) before bootstrapping or deploying"
        )


def _bootstrap(account: Account, *, trust: str | None, policies: Sequence[str]) -> Command:
    _check_policies(policies)
    argv = [CDK_CLI, "bootstrap", f"aws://{account.account}/{account.region}"]
    if trust:
        argv += ["--trust", trust, "--trust-for-lookup", trust]
    argv += ["--cloudformation-execution-policies", ",".join(policies)]
    argv += ["--no-version-reporting", "--no-notices"]
    return Command(argv=tuple(argv), account=account.account)


def bootstrap_deployment(settings: Settings, *, policies: Sequence[str] = ()) -> Command:
    """Bootstrap the deployment account (it runs the pipelines and trusts only itself).

    Default policy: `<prefix>-cdk-pipeline-execution` in that account (bootstrap/deployment-execution-policy.json).
    """
    _refuse_placeholders({"deployment": settings.deployment.account})
    chosen = list(policies) or [
        default_policy_arn(settings.prefix, settings.deployment.account, deployment=True)
    ]
    return _bootstrap(settings.deployment, trust=None, policies=chosen)


def bootstrap_target(settings: Settings, env: EnvironmentConfig, *, policies: Sequence[str] = ()) -> Command:
    """Bootstrap an environment's account, trusting the deployment account to deploy (and look up).

    Default policy: `<prefix>-cdk-target-execution` in that account (bootstrap/target-execution-policy.json).
    """
    _refuse_placeholders({f"environments.{env.name}": env.account, "deployment": settings.deployment.account})
    chosen = list(policies) or [default_policy_arn(settings.prefix, env.account, deployment=False)]
    return _bootstrap(env, trust=settings.deployment.account, policies=chosen)


def app_folders() -> list[str]:
    """Every CDK app of the repository: `infrastructure` and each `etl-jobs/<job>` with a cdk.json."""
    found = [
        REPOSITORY_ROOT / "infrastructure" / "cdk.json",
        *sorted(REPOSITORY_ROOT.glob("etl-jobs/*/cdk.json")),
    ]
    return [path.parent.relative_to(REPOSITORY_ROOT).as_posix() for path in found if path.is_file()]


def pipeline_stacks(app_folder: str, environments: Sequence[EnvironmentConfig]) -> list[str]:
    """The pipeline stack ids of `app_folder` (`infrastructure`, `etl-jobs/<job>`) for `environments`,
    by the rule the apps name them with (`delivery.pipeline_ids`)."""
    if not environments:
        raise RefusedError("no environment to deploy; configure environments in environments.yaml")
    if app_folder not in app_folders():
        raise RefusedError(
            f"{app_folder}/cdk.json not found; the app must be a CDK app folder, one of: "
            f"{', '.join(app_folders())}"
        )
    try:
        return [pipeline_stack_id(app_folder, env.name) for env in environments]
    except ValueError as error:
        raise RefusedError(str(error)) from None


def deploy_pipelines(
    settings: Settings,
    *,
    app_folder: str,
    environments: Sequence[EnvironmentConfig],
    config: Path | None = None,
) -> Command:
    """The one-time deploy of an app's pipeline stack(s) into the deployment account, from the app's
    folder (`make deploy-infra` and `make deploy-etl JOB=<job>` both end here).

    Later releases come from commits: each pipeline updates itself (self-mutation).
    """
    stacks = pipeline_stacks(app_folder, environments)
    _refuse_placeholders(
        {"deployment": settings.deployment.account}
        | {f"environments.{env.name}": env.account for env in environments}
    )
    if PLACEHOLDER_CONNECTION.search(settings.repository.connection_arn):
        raise RefusedError(
            f"repository.connection_arn is the placeholder {settings.repository.connection_arn}; create a "
            "CodeConnections connection in the deployment account (console: Developer Tools > Connections), "
            "then paste its ARN in environments.yaml"
        )
    depth = len(Path(app_folder).parts)
    cli = "/".join([".."] * depth + [CDK_CLI])
    argv = [cli, "deploy", *stacks]
    argv += ["--require-approval", "broadening", "--no-version-reporting", "--no-notices"]
    if config is not None:
        argv += ["-c", f"config={config.resolve()}"]
    return Command(argv=tuple(argv), cwd=app_folder, account=settings.deployment.account)

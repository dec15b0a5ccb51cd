"""Build the exact `cdk bootstrap` / `cdk deploy` command lines, refusing what cannot work.

Nothing here touches AWS or git: the functions are pure and unit-tested. `bootstrap.__main__` checks
git and credentials and runs the commands.

Which account/region pairs need a CDK bootstrap (`bootstrap_plan`) follows from the layout:

- the deployment account in its region: it runs the pipelines (execution policy
  `<prefix>-cdk-pipeline-execution`);
- the deployment account in every other region an environment uses: CDK Pipelines deploys a
  cross-region support stack there (the pipeline's replication bucket and key) with the same policy;
- each environment's account in its region, trusting the deployment account to deploy and look up
  (`<prefix>-cdk-target-execution`).

An environment in the deployment account shares that account's bootstrap in its region: one
`cdk bootstrap` with the trust and both policies, which `make bootstrap-deployment` and
`make bootstrap-target ENV=<env>` print identically, so the second can never replace the first's
policies. Policy ARNs carry the configuration's partition (`arn:aws-cn:...` in China).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from delivery.pipeline_ids import pipeline_stack_id
from shared_config.loader import field_name
from shared_config.model import EnvironmentConfig, Settings, is_placeholder_account

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CDK_CLI = "node_modules/.bin/cdk"  # relative to the repository root; pinned in package.json
POLICY_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}|aws):policy/[\w+=,.@/-]+$")
ADMINISTRATOR_ACCESS = ":policy/AdministratorAccess"


class RefusedError(ValueError):
    """The command cannot work as configured; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class Command:
    """One command line, run from `cwd` (relative to the repository root), with the credentials of
    `account` (checked with STS in `region`); `comment` says why, above the line in a dry run."""

    argv: tuple[str, ...]
    cwd: str = "."
    account: str = ""
    region: str = ""
    comment: str = ""

    def shell(self) -> str:
        line = shlex.join(self.argv)
        return line if self.cwd == "." else f"(cd {shlex.quote(self.cwd)} && {line})"

    def block(self) -> str:
        """The command as a dry run prints it: its comment lines, then the command."""
        comments = [f"# {line}" for line in self.comment.splitlines()]
        return "\n".join([*comments, self.shell()])


def execution_policy_name(prefix: str, *, deployment: bool) -> str:
    """Name of the customer-managed policy created from bootstrap/*-execution-policy.json."""
    return f"{prefix}-cdk-{'pipeline' if deployment else 'target'}-execution"


def default_policy_arn(prefix: str, account: str, *, deployment: bool, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:policy/{execution_policy_name(prefix, deployment=deployment)}"


@dataclass
class Bootstrap:
    """One CDK bootstrap (one `CDKToolkit` stack): what it serves decides its trust and policies."""

    account: str
    region: str
    partition: str
    runs_pipelines: bool = False  # the deployment account in its own region
    support_for: list[str] = field(
        default_factory=list
    )  # environments whose cross-region support stacks land here
    stages: list[str] = field(default_factory=list)  # environments whose stages are deployed here

    @property
    def in_deployment_account(self) -> bool:
        return self.runs_pipelines or bool(self.support_for)

    def policies(self, prefix: str) -> list[str]:
        wanted = []
        if self.in_deployment_account:
            wanted.append(default_policy_arn(prefix, self.account, deployment=True, partition=self.partition))
        if self.stages:
            wanted.append(
                default_policy_arn(prefix, self.account, deployment=False, partition=self.partition)
            )
        return wanted

    def purpose(self) -> str:
        parts = []
        if self.runs_pipelines:
            parts.append("runs the pipelines")
        if self.support_for:
            parts.append(
                f"holds the pipelines' cross-region support stacks for {', '.join(self.support_for)}"
            )
        if self.stages:
            parts.append(f"receives the stacks of {', '.join(self.stages)}")
        return " and ".join(parts)


def bootstrap_plan(settings: Settings) -> list[Bootstrap]:
    """Every account/region the configuration needs bootstrapped, the deployment account's first."""
    deployment = settings.deployment
    plan: dict[tuple[str, str], Bootstrap] = {}

    def at(account: str, region: str) -> Bootstrap:
        key = (account, region)
        if key not in plan:
            plan[key] = Bootstrap(account=account, region=region, partition=settings.partition)
        return plan[key]

    at(deployment.account, deployment.region).runs_pipelines = True
    for env in settings.environments.values():
        if env.region != deployment.region:
            at(deployment.account, env.region).support_for.append(env.name)
    for env in settings.environments.values():
        at(env.account, env.region).stages.append(env.name)
    return sorted(
        plan.values(),
        key=lambda b: (b.account != deployment.account, b.account, b.region != deployment.region, b.region),
    )


def _check_policies(policies: Sequence[str], partition: str) -> None:
    bad = [policy for policy in policies if not POLICY_ARN.fullmatch(policy)]
    if bad:
        raise RefusedError(
            f"POLICY={','.join(policies)}: {', '.join(bad)} is not an IAM policy ARN; pass "
            f"POLICY=arn:{partition}:iam::<account>:policy/<name> (several: comma-separated)"
        )
    foreign = [policy for policy in policies if POLICY_ARN.fullmatch(policy)[1] != partition]  # type: ignore[index]
    if foreign:
        raise RefusedError(
            f"POLICY={','.join(policies)}: {', '.join(foreign)} is not an ARN of the {partition} partition "
            f"the configuration is in; use arn:{partition}:iam::..."
        )


def refuse_placeholders(settings: Settings, accounts: dict[str, str] | None = None) -> None:
    """Refuse the placeholder accounts among `accounts` (where -> account), or, without `accounts`,
    every placeholder of the configuration (what check-config lists)."""
    if accounts is None:
        found = {field_name(path): value for path, value in settings.placeholders()}
    else:
        found = {where: account for where, account in accounts.items() if is_placeholder_account(account)}
    if found:
        listing = ", ".join(f"{where} ({value})" for where, value in found.items())
        raise RefusedError(
            f"placeholders in the configuration: {listing}; put your own values in "
            "shared_config/environments.yaml (make check-config lists every placeholder with its line)"
        )


def _bootstrap_command(
    settings: Settings, bootstrap: Bootstrap, policies: Sequence[str], note: str = ""
) -> Command:
    chosen = list(policies) or bootstrap.policies(settings.prefix)
    _check_policies(chosen, settings.partition)
    argv = [CDK_CLI, "bootstrap", f"aws://{bootstrap.account}/{bootstrap.region}"]
    if bootstrap.stages:
        trusted = settings.deployment.account
        argv += ["--trust", trusted, "--trust-for-lookup", trusted]
    argv += ["--cloudformation-execution-policies", ",".join(chosen)]
    argv += ["--no-version-reporting", "--no-notices"]
    owner = "deployment account" if bootstrap.account == settings.deployment.account else "account"
    comment = f"{owner} {bootstrap.account}, {bootstrap.region}: {bootstrap.purpose()}"
    return Command(
        argv=tuple(argv),
        account=bootstrap.account,
        region=bootstrap.region,
        comment="\n".join(part for part in (comment, note) if part),
    )


def bootstrap_deployment(settings: Settings, *, policies: Sequence[str] = ()) -> list[Command]:
    """Bootstrap the deployment account in every region it needs (deployment-account credentials):
    its own region, each other region an environment uses, and, for an environment in the deployment
    account, that environment's region with the trust and both policies.

    Default policies: `<prefix>-cdk-pipeline-execution` (+ `<prefix>-cdk-target-execution` where a
    stage lands); `policies` replaces them in every bootstrap.
    """
    refuse_placeholders(settings, {"deployment.account": settings.deployment.account})
    return [
        _bootstrap_command(settings, bootstrap, policies)
        for bootstrap in bootstrap_plan(settings)
        if bootstrap.account == settings.deployment.account
    ]


def bootstrap_target(
    settings: Settings, env: EnvironmentConfig, *, policies: Sequence[str] = ()
) -> list[Command]:
    """Bootstrap an environment's account in its region, trusting the deployment account to deploy
    (and look up); the environment's account's credentials.

    An environment in the deployment account gets exactly the bootstrap `bootstrap_deployment` runs
    for that region, so running both never leaves different policies behind.
    """
    refuse_placeholders(
        settings,
        {f"environments.{env.name}.account": env.account, "deployment.account": settings.deployment.account},
    )
    [bootstrap] = [b for b in bootstrap_plan(settings) if (b.account, b.region) == (env.account, env.region)]
    note = ""
    if env.account == settings.deployment.account:
        note = (
            f"{env.name} is in the deployment account: this is the same bootstrap make bootstrap-deployment "
            "runs there (one bootstrap, both policies); running it again changes nothing"
        )
    return [_bootstrap_command(settings, bootstrap, policies, note)]


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
) -> Command:
    """The one-time deploy of an app's pipeline stack(s) into the deployment account, from the app's
    folder (`make deploy-infra` and `make deploy-etl JOB=<job>` both end here). The app reads the
    committed shared_config/environments.yaml, as its pipelines do (`bootstrap.release_state` refuses
    any other). `cdk deploy` also deploys the cross-region support stacks the pipelines depend on.

    Later releases come from commits: each pipeline updates itself (self-mutation).
    """
    stacks = pipeline_stacks(app_folder, environments)
    refuse_placeholders(settings)
    depth = len(Path(app_folder).parts)
    cli = "/".join([".."] * depth + [CDK_CLI])
    argv = [cli, "deploy", *stacks]
    argv += ["--require-approval", "broadening", "--no-version-reporting", "--no-notices"]
    names = ", ".join(env.name for env in environments)
    return Command(
        argv=tuple(argv),
        cwd=app_folder,
        account=settings.deployment.account,
        region=settings.deployment.region,
        comment=f"deployment account {settings.deployment.account}: the {app_folder} pipelines of {names}",
    )

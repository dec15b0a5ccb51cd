"""`make render-policies`: the execution policies bootstrap names, rendered for this configuration.

The samples in bootstrap/ (`deployment-execution-policy.json`, `target-execution-policy.json`) are
written for the prefix `dlk` in the `aws` partition with any account. `render_policies` writes, per
account, the policies its bootstraps name (`bootstrap.commands.bootstrap_plan`), with the configured
prefix, that account and the partition, into `.local/policies/<account>/<policy name>.json`
(git-ignored), and returns the `aws iam create-policy` commands that create them: exactly the names
`make bootstrap-*` passes to `--cloudformation-execution-policies`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bootstrap.commands import REPOSITORY_ROOT, Command, bootstrap_plan, execution_policy_name
from shared_config.model import Settings

SAMPLES = {
    True: REPOSITORY_ROOT / "bootstrap" / "deployment-execution-policy.json",
    False: REPOSITORY_ROOT / "bootstrap" / "target-execution-policy.json",
}
OUTPUT = REPOSITORY_ROOT / ".local" / "policies"
SAMPLE_PREFIX = "dlk"


@dataclass(frozen=True)
class PolicyFile:
    account: str
    name: str
    path: Path
    document: dict[str, object]


def render_policy(sample: str, *, prefix: str, account: str, partition: str) -> dict[str, object]:
    """The sample policy for one account: its partition in every ARN, its account and the prefix in
    the role patterns (`arn:aws:iam::*:role/dlk-*` -> `arn:<partition>:iam::<account>:role/<prefix>-*`)."""
    text = sample.replace("arn:aws:", f"arn:{partition}:").replace(":iam::*:", f":iam::{account}:")
    text = text.replace(f":role/{SAMPLE_PREFIX}-", f":role/{prefix}-")
    document: dict[str, object] = json.loads(text)
    return document


def policy_files(settings: Settings, output: Path = OUTPUT) -> list[PolicyFile]:
    """One file per (account, policy) the bootstrap plan names, the deployment account's first."""
    wanted: dict[tuple[str, bool], None] = {}
    for bootstrap in bootstrap_plan(settings):
        if bootstrap.in_deployment_account:
            wanted[(bootstrap.account, True)] = None
        if bootstrap.stages:
            wanted[(bootstrap.account, False)] = None
    files = []
    for account, deployment in wanted:
        name = execution_policy_name(settings.prefix, deployment=deployment)
        sample = SAMPLES[deployment].read_text(encoding="utf-8")
        document = render_policy(
            sample, prefix=settings.prefix, account=account, partition=settings.partition
        )
        files.append(
            PolicyFile(account=account, name=name, path=output / account / f"{name}.json", document=document)
        )
    return files


def write_policies(settings: Settings, output: Path = OUTPUT) -> list[Command]:
    """Write the rendered policies; the `aws iam create-policy` command for each, with whose
    credentials it needs."""
    commands = []
    environments_of: dict[str, list[str]] = {}
    for env in settings.environments.values():
        environments_of.setdefault(env.account, []).append(env.name)
    for policy in policy_files(settings, output):
        policy.path.parent.mkdir(parents=True, exist_ok=True)
        policy.path.write_text(json.dumps(policy.document, indent=2) + "\n", encoding="utf-8")
        roles = (
            ["deployment"] if policy.account == settings.deployment.account else []
        ) + environments_of.get(policy.account, [])
        try:
            shown = policy.path.relative_to(REPOSITORY_ROOT).as_posix()
        except ValueError:
            shown = str(policy.path)
        argv = [
            "aws",
            "iam",
            "create-policy",
            "--policy-name",
            policy.name,
            "--policy-document",
            f"file://{shown}",
        ]
        if settings.partition != "aws":
            argv += [
                "--region",
                settings.deployment.region
                if policy.account == settings.deployment.account
                else _region_of(settings, policy.account),
            ]
        commands.append(
            Command(
                argv=tuple(argv),
                account=policy.account,
                comment=f"account {policy.account} ({', '.join(roles)}), its credentials: {policy.name}",
            )
        )
    return commands


def _region_of(settings: Settings, account: str) -> str:
    return next(env.region for env in settings.environments.values() if env.account == account)

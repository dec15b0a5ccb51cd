"""`make render-policies` writes exactly the policies `make bootstrap-*` names, for this configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.commands import bootstrap_deployment, bootstrap_target
from bootstrap.policies import policy_files, render_policy, write_policies
from bootstrap.tests.fixtures import REAL, real_data
from shared_config import Settings, parse_config

DEP = REAL["deployment"]
BOOTSTRAP_README = Path(__file__).resolve().parents[1] / "README.md"


def named_by_bootstrap(settings: Settings) -> set[tuple[str, str]]:
    """(account, policy name) of every --cloudformation-execution-policies ARN the commands pass."""
    commands = [*bootstrap_deployment(settings)]
    for env in settings.environments.values():
        commands += bootstrap_target(settings, env)
    named = set()
    for command in commands:
        arns = command.argv[command.argv.index("--cloudformation-execution-policies") + 1].split(",")
        for arn in arns:
            account, name = arn.split(":")[4], arn.rsplit("/", 1)[1]
            named.add((account, name))
    return named


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dev": {"account": DEP}},
        {"prod": {"region": "us-east-1", "availability_zones": ["us-east-1a", "us-east-1b"]}},
        {"prefix": "acme"},
    ],
    ids=["four-accounts", "dev-in-deployment-account", "prod-in-us-east-1", "prefix-acme"],
)
def test_renders_exactly_the_policies_bootstrap_names(changes: dict[str, object]) -> None:
    raw = real_data()
    for name, fields in changes.items():
        if name == "prefix":
            raw["prefix"] = fields
        else:
            raw["environments"][name].update(fields)
    settings = parse_config(raw)
    rendered = {(policy.account, policy.name) for policy in policy_files(settings)}
    assert rendered == named_by_bootstrap(settings)


def test_the_deployment_account_holding_dev_gets_both_policies() -> None:
    raw = real_data()
    raw["environments"]["dev"]["account"] = DEP
    names = [(p.account, p.name) for p in policy_files(parse_config(raw))]
    assert names[:2] == [(DEP, "dlk-cdk-pipeline-execution"), (DEP, "dlk-cdk-target-execution")]


def test_renders_the_prefix_account_and_partition_into_every_arn() -> None:
    sample = (Path(__file__).resolve().parents[1] / "target-execution-policy.json").read_text()
    document = render_policy(sample, prefix="acme", account="410987654321", partition="aws-cn")
    text = json.dumps(document)
    assert "arn:aws-cn:iam::410987654321:role/acme-*" in text
    assert "arn:aws:" not in text and "iam::*:" not in text and "role/dlk-" not in text


def test_writes_the_files_and_prints_who_creates_them(tmp_path: Path) -> None:
    raw = real_data()
    raw["environments"]["dev"]["account"] = DEP
    commands = write_policies(parse_config(raw), tmp_path)
    first = commands[0]
    assert first.comment == f"account {DEP} (deployment, dev), its credentials: dlk-cdk-pipeline-execution"
    assert first.argv[:5] == ("aws", "iam", "create-policy", "--policy-name", "dlk-cdk-pipeline-execution")
    written = tmp_path / DEP / "dlk-cdk-target-execution.json"
    assert json.loads(written.read_text())["Version"] == "2012-10-17"
    assert [c.account for c in commands] == [DEP, DEP, REAL["test"], REAL["prod"]]


def test_the_bootstrap_readme_names_the_policies_by_the_rule_bootstrap_uses() -> None:
    readme = BOOTSTRAP_README.read_text()
    assert "make render-policies" in readme
    assert "<prefix>-cdk-pipeline-execution" in readme and "<prefix>-cdk-target-execution" in readme
    assert "dlk-cdk-target-execution\n" not in readme  # no fixed name to copy that ignores the prefix

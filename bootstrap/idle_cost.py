"""`make idle-cost [CONFIG=<file>]`: what the configured environments cost per month doing nothing.

Counted from the configuration and the code, with no AWS call: per environment the interface VPC
endpoints (one ENI per service per AZ, services read from infrastructure/infrastructure/network.py),
the NAT gateways (each with its public IPv4 address), the KMS customer keys (the data key and one per
job family) and the Redshift admin secret; in the deployment account the KMS keys of the pipelines
(each pipeline stack: an artifact key and a notification key; each app with environments outside the
deployment region: one cross-region support key per such region). CodePipeline V2, CodeBuild,
Lambda, Step Functions, Glue, DynamoDB on demand, S3 and Redshift Serverless cost nothing while idle.

Prices are public list prices (per `PRICES`), to re-check on the pricing pages before relying on them;
data processing, requests, storage and free tiers are left out.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from bootstrap.commands import REPOSITORY_ROOT, app_folders
from shared_config.model import Settings

HOURS_PER_MONTH = 730
PRICES_DATE = "2026-11"
PRICES_SOURCE = (
    "AWS public list prices (aws.amazon.com/privatelink/pricing, /vpc/pricing, /kms/pricing, "
    f"/secrets-manager/pricing, /codepipeline/pricing), noted {PRICES_DATE}; re-check before relying on them"
)
# USD. interface endpoint: per endpoint per AZ per hour; NAT gateway and public IPv4: per hour;
# KMS key: per customer managed key per month (rotated keys add $1 at each of the first two yearly
# rotations); secret: per secret per month.
PRICES: dict[str, dict[str, float]] = {
    "us-east-1": {
        "interface_endpoint_az_hour": 0.01,
        "nat_gateway_hour": 0.045,
        "public_ipv4_hour": 0.005,
        "kms_key_month": 1.0,
        "secret_month": 0.40,
    },
    "eu-west-1": {
        "interface_endpoint_az_hour": 0.011,
        "nat_gateway_hour": 0.048,
        "public_ipv4_hour": 0.005,
        "kms_key_month": 1.0,
        "secret_month": 0.40,
    },
}
FALLBACK_REGION = "us-east-1"
NETWORK_MODULE = REPOSITORY_ROOT / "infrastructure" / "infrastructure" / "network.py"
KEYS_PER_PIPELINE = 2  # the cross-account artifact key and the failure-notification key


def interface_endpoint_services(network_module: Path = NETWORK_MODULE) -> list[str]:
    """The keys of `INTERFACE_ENDPOINTS` in network.py, read without importing aws-cdk-lib."""
    tree = ast.parse(network_module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if (
            isinstance(target, ast.Name)
            and target.id == "INTERFACE_ENDPOINTS"
            and isinstance(value, ast.Dict)
        ):
            return [
                key.value
                for key in value.keys
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
            ]
    raise ValueError(
        f"{network_module} defines no INTERFACE_ENDPOINTS dict; idle-cost cannot count the endpoints"
    )


def prices_for(region: str) -> tuple[dict[str, float], str]:
    """The price list of `region`, or us-east-1's with a note when the table has none for it."""
    if region in PRICES:
        return PRICES[region], ""
    return PRICES[FALLBACK_REGION], f" ({FALLBACK_REGION} prices: none noted for {region})"


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    monthly: float


@dataclass(frozen=True)
class Account:
    title: str
    lines: tuple[Line, ...]

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)


def estimate(
    settings: Settings, *, families: list[str] | None = None, endpoint_services: list[str] | None = None
) -> list[Account]:
    """One block per environment, then the deployment account."""
    families = families if families is not None else job_families()
    services = endpoint_services if endpoint_services is not None else interface_endpoint_services()
    blocks = []
    for env in settings.environments.values():
        price, note = prices_for(env.region)
        azs = len(env.availability_zones)
        endpoints = len(services) * azs
        keys = 1 + len(families)
        secrets = 1 if env.redshift.enabled else 0
        nat_hour = price["nat_gateway_hour"] + price["public_ipv4_hour"]
        lines = (
            Line(
                "interface VPC endpoints",
                f"{len(services)} services x {azs} AZs = {endpoints} x {HOURS_PER_MONTH} h x "
                f"${price['interface_endpoint_az_hour']:.3f}",
                endpoints * HOURS_PER_MONTH * price["interface_endpoint_az_hour"],
            ),
            Line(
                "NAT gateways",
                f"{env.nat_gateways} x {HOURS_PER_MONTH} h x (${price['nat_gateway_hour']:.3f} + "
                f"${price['public_ipv4_hour']:.3f} IPv4)",
                env.nat_gateways * HOURS_PER_MONTH * nat_hour,
            ),
            Line(
                "KMS keys",
                f"{keys} (data key{''.join(', ' + f for f in families)}) x ${price['kms_key_month']:.2f}",
                keys * price["kms_key_month"],
            ),
            Line(
                "Secrets Manager",
                f"{secrets} (Redshift admin password{'' if secrets else ': Redshift off'}) x "
                f"${price['secret_month']:.2f}",
                secrets * price["secret_month"],
            ),
        )
        blocks.append(Account(f"{env.name} ({env.account}, {env.region}){note}", lines))
    price, note = prices_for(settings.deployment.region)
    apps = 1 + len(families)
    pipelines = apps * len(settings.environments)
    other_regions = sorted(
        {env.region for env in settings.environments.values()} - {settings.deployment.region}
    )
    support_keys = apps * len(other_regions)
    keys = pipelines * KEYS_PER_PIPELINE + support_keys
    support = f" + {apps} apps x {len(other_regions)} other regions" if other_regions else ""
    blocks.append(
        Account(
            f"deployment ({settings.deployment.account}, {settings.deployment.region}){note}",
            (
                Line(
                    "KMS keys",
                    f"{pipelines} pipelines x {KEYS_PER_PIPELINE}{support} = {keys} x ${price['kms_key_month']:.2f}",
                    keys * price["kms_key_month"],
                ),
                Line("CodePipeline V2", f"{pipelines} pipelines, billed per action minute: none idle", 0.0),
            ),
        )
    )
    return blocks


def render(settings: Settings, blocks: list[Account], *, families: list[str]) -> str:
    total = sum(block.monthly for block in blocks)
    apps = ", ".join(["infrastructure", *families])
    lines = [
        f"Idle cost per month ({HOURS_PER_MONTH} h) of {', '.join(settings.environments)} and the deployment "
        f"account, apps {apps}, before data, requests, storage and free tiers.",
        f"Prices: {PRICES_SOURCE}.",
        "",
    ]
    for block in blocks:
        lines.append(block.title)
        for line in block.lines:
            lines.append(f"  {line.item:<24} {line.quantity:<62} ${line.monthly:>8.2f}")
        lines.append(f"  {'total':<24} {'':<62} ${block.monthly:>8.2f}")
    lines.append(f"all accounts: ${total:.2f} per month")
    return "\n".join(lines)


def job_families() -> list[str]:
    """The job families of the repository: `etl-jobs/<family>` folders with a cdk.json."""
    return [folder.split("/", 1)[1] for folder in app_folders() if "/" in folder]


def main(settings: Settings) -> int:
    families = job_families()
    print(render(settings, estimate(settings, families=families), families=families))
    return 0


if __name__ == "__main__":
    from shared_config import load_config

    raise SystemExit(main(load_config(sys.argv[1]) if len(sys.argv) > 1 else load_config()))

"""`make idle-cost`: the arithmetic, the counts it reads from the code, and the README's copy of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bootstrap.idle_cost import PRICES, estimate, interface_endpoint_services, prices_for, render
from bootstrap.tests.fixtures import real_data
from shared_config import load_config, parse_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_counts_the_interface_endpoints_the_network_creates() -> None:
    from infrastructure.network import INTERFACE_ENDPOINTS

    assert interface_endpoint_services() == list(INTERFACE_ENDPOINTS)
    assert len(INTERFACE_ENDPOINTS) == 10


def test_the_arithmetic_of_one_environment_per_item() -> None:
    raw = real_data()
    raw["environments"]["prod"].update(
        region="us-east-1",
        availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
        nat_gateways=2,
        redshift={"enabled": True},
    )
    blocks = estimate(parse_config(raw), families=["nyc_taxi", "us_legislators"], endpoint_services=["A"] * 9)
    dev, _, prod, deployment = blocks
    assert [round(line.monthly, 2) for line in dev.lines] == [round(9 * 2 * 730 * 0.011, 2), 0.0, 3.0, 0.0]
    assert [round(line.monthly, 2) for line in prod.lines] == [
        round(9 * 3 * 730 * 0.01, 2),  # 197.10
        round(2 * 730 * (0.045 + 0.005), 2),  # 73.00
        3.0,
        0.40,
    ]
    assert prod.monthly == pytest.approx(197.10 + 73.00 + 3.0 + 0.40)
    # 3 apps x 3 environments x 2 keys, + 3 apps x 1 other region (us-east-1) support keys
    [keys, pipelines] = deployment.lines
    assert keys.monthly == 3 * 3 * 2 + 3 * 1
    assert pipelines.monthly == 0.0


def test_a_region_without_noted_prices_uses_us_east_1_and_says_so() -> None:
    prices, note = prices_for("ap-southeast-2")
    assert prices == PRICES["us-east-1"]
    assert note == " (us-east-1 prices: none noted for ap-southeast-2)"
    assert prices_for("eu-west-1") == (PRICES["eu-west-1"], "")


def test_the_readme_shows_the_output_for_the_sample_configuration_and_nyc_taxi() -> None:
    # The README shows the sample file with the first family alone, and says what each family adds.
    settings = load_config()
    expected = render(settings, estimate(settings, families=["nyc_taxi"]), families=["nyc_taxi"])
    readme = README.read_text(encoding="utf-8")
    block = re.search(r"```text\n(Idle cost per month.*?)```", readme, flags=re.DOTALL)
    assert block is not None, "README.md has no ```text block with the output of make idle-cost"
    assert block.group(1).rstrip() == expected, (
        "README.md's idle cost is stale; paste the output of make idle-cost"
    )

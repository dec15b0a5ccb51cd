"""The committed `cdk.context.json`: the AZ lookups the VPCs trigger, so synth needs no AWS call.

Every `ec2.Vpc` asks for its account/region's availability zones even when the zones are given
explicitly; the CLI fails offline unless the answer is cached. The answer is derived from
environments.yaml (the zones listed there), so after changing accounts, regions or zones run:

    cd infrastructure && ../.venv/bin/python -m infrastructure.lookups

A test fails until the committed file matches the configuration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shared_config import DEFAULT_CONFIG_PATH, Settings, load_config

CONTEXT_FILE = Path(__file__).resolve().parent.parent / "cdk.context.json"


def availability_zone_key(account: str, region: str) -> str:
    return f"availability-zones:account={account}:region={region}"


def availability_zone_context(settings: Settings) -> dict[str, list[str]]:
    """One entry per account/region that holds a stage: the union of its configured zones."""
    zones: dict[str, set[str]] = {}
    for env in settings.stage_targets().values():
        zones.setdefault(availability_zone_key(env.account, env.region), set()).update(env.availability_zones)
    return {key: sorted(names) for key, names in sorted(zones.items())}


def render(settings: Settings) -> str:
    return json.dumps(availability_zone_context(settings), indent=2) + "\n"


def main(argv: list[str]) -> int:
    settings = load_config(argv[0] if argv else DEFAULT_CONFIG_PATH)
    CONTEXT_FILE.write_text(render(settings), encoding="utf-8")
    print(f"wrote {CONTEXT_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The availability-zone lookups a configuration makes the infrastructure app ask for.

Every `ec2.Vpc` asks for its account/region's availability zones even when the zones are given
explicitly, and the CDK CLI fails offline unless the answer is cached in the app's
`cdk.context.json`. The answer is derived from the configuration (the zones it lists), so it never
needs AWS: `make refresh-azs [CONFIG=<file>]` writes it (`infrastructure/infrastructure/lookups.py`).
"""

from __future__ import annotations

import json

from shared_config.model import Settings


def availability_zone_key(account: str, region: str) -> str:
    return f"availability-zones:account={account}:region={region}"


def availability_zone_context(settings: Settings) -> dict[str, list[str]]:
    """One entry per account/region that holds a stage: the union of its configured zones."""
    zones: dict[str, set[str]] = {}
    for env in settings.stage_targets().values():
        zones.setdefault(availability_zone_key(env.account, env.region), set()).update(env.availability_zones)
    return {key: sorted(names) for key, names in sorted(zones.items())}


def render(settings: Settings) -> str:
    """The text of `infrastructure/cdk.context.json` for `settings`."""
    return json.dumps(availability_zone_context(settings), indent=2) + "\n"

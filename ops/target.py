"""Which deployed family an operator command acts on: family, environment, account, region, stack.

Pure: from the configuration (`shared_config`) and the families of this repository. Refuses what must
not run: an unknown family or environment, a placeholder account in a real environment (the sample
file's, which no command may act on), the `local` environment without the embedded AWS's endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from job_family import naming
from ops.errors import RefusedError
from shared_config.model import Settings, is_placeholder_account

LOCAL = "local"


@dataclass(frozen=True, kw_only=True)
class Target:
    family: str
    environment: str
    prefix: str
    account: str
    region: str
    endpoint_url: str | None = None

    @property
    def stack_name(self) -> str:
        """`<prefix>-<env>-<family>`, as `job_family.naming` names every family stack."""
        return naming.stack_name(self.prefix, self.environment, self.family)

    @property
    def is_local(self) -> bool:
        return self.environment == LOCAL

    def describe(self) -> str:
        """`nyc_taxi in dev (account 111111111111, eu-west-1)`."""
        where = f"account {self.account}, {self.region}"
        if self.endpoint_url:
            where += f", endpoint {self.endpoint_url}"
        return f"{self.family} in {self.environment} ({where})"


def resolve_target(
    settings: Settings,
    *,
    family: str,
    environment: str,
    families: Sequence[str],
    endpoint_url: str | None = None,
) -> Target:
    """The target of `family` in `environment`, or RefusedError saying what to change."""
    if family not in families:
        raise RefusedError(
            f"FAMILY={family!r} is not a job family of this repository; use one of: "
            f"{', '.join(families) or 'none'}"
        )
    targets = settings.stage_targets()
    if environment not in targets:
        raise RefusedError(
            f"ENV={environment!r} is not an environment of the configuration; use one of: {', '.join(targets)}"
        )
    env = targets[environment]
    if environment == LOCAL:
        if not endpoint_url:
            raise RefusedError(
                "ENV=local is the embedded local AWS, which runs inside the process that started it "
                "(make demo, the e2e tests): pass its endpoint, ENDPOINT_URL=http://127.0.0.1:<port>"
            )
    elif is_placeholder_account(env.account):
        raise RefusedError(
            f"placeholders in the configuration: environments.{environment}.account ({env.account}); put "
            "your own account in shared_config/environments.yaml (make check-config lists every placeholder "
            "with its line), or pass CONFIG=<file>"
        )
    return Target(
        family=family,
        environment=environment,
        prefix=settings.prefix,
        account=env.account,
        region=env.region,
        endpoint_url=endpoint_url or None,
    )

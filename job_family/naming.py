"""The few physical names people or other systems use to find a job family's resources.

Everything else is named by CDK. Analysts query the Glue database through the Athena workgroup, the
delivery pipeline (in another account) assumes the smoke-test role, and operators find the stack, so
those names are stable and derived from the configured prefix and the family's name only.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^[a-z][a-z0-9-]*$")


def _check(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix {prefix!r} must be lower-case letters, digits and hyphens, e.g. dlk")
    return prefix


def _hyphenated(family: str) -> str:
    return family.replace("_", "-")


def database_name(prefix: str, family: str) -> str:
    """Glue database (letters, digits and underscores only): `dlk`, `nyc_taxi` -> `dlk_nyc_taxi`."""
    return f"{_check(prefix).replace('-', '_')}_{family}"


def workgroup_name(prefix: str, family: str) -> str:
    return f"{_check(prefix)}-{_hyphenated(family)}"


def smoke_test_role_name(prefix: str, family: str) -> str:
    return f"{_check(prefix)}-{_hyphenated(family)}-smoke-test"


def stack_name(prefix: str, environment: str, family: str) -> str:
    """CloudFormation stack name in the target account, e.g. `dlk-dev-nyc-taxi`."""
    return f"{_check(prefix)}-{environment}-{_hyphenated(family)}"

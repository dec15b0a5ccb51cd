"""The few physical names people or other systems use to find this job family's resources.

Everything else is named by CDK. Analysts query the Glue database through the Athena workgroup, and the
delivery pipeline (in another account) assumes the smoke-test role, so those three names are stable and
derived from the configured prefix only.
"""

from __future__ import annotations

import re

FAMILY = "nyc_taxi"
_PREFIX = re.compile(r"^[a-z][a-z0-9-]*$")


def _check(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix {prefix!r} must be lower-case letters, digits and hyphens, e.g. dlk")
    return prefix


def database_name(prefix: str) -> str:
    """Glue database (letters, digits and underscores only): `dlk` -> `dlk_nyc_taxi`."""
    return f"{_check(prefix).replace('-', '_')}_{FAMILY}"


def workgroup_name(prefix: str) -> str:
    return f"{_check(prefix)}-{FAMILY.replace('_', '-')}"


def smoke_test_role_name(prefix: str) -> str:
    return f"{_check(prefix)}-{FAMILY.replace('_', '-')}-smoke-test"

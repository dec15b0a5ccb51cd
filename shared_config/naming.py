"""Deterministic names for the few resources people outside CDK must find by name.

Everything else is named by CDK. Producers upload to the raw bucket and analysts read the
purpose-built zone, so the zone buckets get stable, globally unique names:
`<prefix>-<env>-<zone>-<account>-<region>`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Zone(StrEnum):
    RAW = "raw"
    CONFORMED = "conformed"
    PURPOSE_BUILT = "purpose-built"
    ACCESS_LOGS = "access-logs"


ZONES: tuple[Zone, ...] = tuple(Zone)


class _Placed(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...


def bucket_name(prefix: str, env: _Placed, zone: Zone) -> str:
    return f"{prefix}-{env.name}-{zone.value}-{env.account}-{env.region}"


def longest_bucket_name(prefix: str, env: _Placed) -> str:
    return max((bucket_name(prefix, env, zone) for zone in ZONES), key=len)

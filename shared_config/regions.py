"""Real AWS region names and their partitions, read from botocore's bundled endpoint data (no network call)."""

from __future__ import annotations

from functools import cache

import botocore.loaders

# The partition of the embedded local AWS (moto) and of every commercial region.
DEFAULT_PARTITION = "aws"


@cache
def region_partitions() -> dict[str, str]:
    """Region name -> partition id (`aws`, `aws-cn`, `aws-us-gov`, ...)."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition["regions"]
    }


def known_regions() -> frozenset[str]:
    return frozenset(region_partitions())


def is_known_region(name: str) -> bool:
    return name in region_partitions()


def partition_of(region: str) -> str:
    """The partition `region` belongs to (ARNs start `arn:<partition>:`); `aws` for an unknown name."""
    return region_partitions().get(region, DEFAULT_PARTITION)

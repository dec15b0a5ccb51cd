"""Real AWS region names, read from botocore's bundled endpoint data (no network call)."""

from __future__ import annotations

from functools import cache

import botocore.loaders


@cache
def known_regions() -> frozenset[str]:
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def is_known_region(name: str) -> bool:
    return name in known_regions()

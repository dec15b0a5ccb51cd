"""Pure trigger logic: execution names and classification, no AWS."""

from __future__ import annotations

import re

import pytest

from job_family.audit.runtime.item import ObjectRef
from job_family.ingest.runtime.arrivals import Accepted, Rejected, classify, execution_name
from job_family.tests.probe import LAYOUT, SUFFIXES

VALID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def ref(key: str, *, version: str | None = "v1", size: int | None = 10) -> ObjectRef:
    return ObjectRef(bucket="raw", key=key, version_id=version, size_bytes=size)


@pytest.mark.parametrize(
    "key",
    [
        "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv",
        "nyc_taxi/green_tripdata/" + "a very long file name with spaces and ünïcödé " * 5 + ".parquet",
        "nyc_taxi/green_tripdata/[weird]{chars}?*#%&,;:$`~^|.csv.gz",
        "nyc_taxi/green_tripdata/---.csv",
    ],
)
def test_execution_name_is_valid_and_at_most_80_characters(key: str) -> None:
    name = execution_name(ref(key), "green_tripdata", SUFFIXES)

    assert VALID_NAME.fullmatch(name), name


def test_execution_name_differs_per_object_version_and_is_stable() -> None:
    key = "nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.csv"

    assert execution_name(ref(key, version="a"), "yellow_tripdata", SUFFIXES) == execution_name(
        ref(key, version="a"), "yellow_tripdata", SUFFIXES
    )
    assert execution_name(ref(key, version="a"), "yellow_tripdata", SUFFIXES) != execution_name(
        ref(key, version="b"), "yellow_tripdata", SUFFIXES
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("other/yellow_tripdata/a.csv", "unexpected key"),
        ("nyc_taxi/a.csv", "unexpected key"),
        ("nyc_taxi/yellow_tripdata/2021/a.csv", "unexpected key"),
        ("nyc_taxi/Yellow_Tripdata/a.csv", "unknown dataset"),
        ("nyc_taxi/yellow_tripdata/a.json", "unsupported file"),
    ],
)
def test_classify_rejects_keys_outside_the_layout(key: str, reason: str) -> None:
    verdict = classify(ref(key), LAYOUT)

    assert isinstance(verdict, Rejected)
    assert reason in verdict.reason


def test_classify_accepts_upper_case_extensions() -> None:
    assert classify(ref("nyc_taxi/yellow_tripdata/A.CSV.GZ"), LAYOUT) == Accepted("yellow_tripdata", "csv.gz")

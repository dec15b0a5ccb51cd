"""Schemas as code: the table API the catalog unit declares Glue tables from."""

from __future__ import annotations

import csv
import re

import pytest
from nyc_taxi.steps import quality, schemas

from .conftest import REFERENCE

HIVE_TYPE = re.compile(r"^(int|bigint|double|string|timestamp|date|decimal\(\d+,\d+\)|array<string>)$")


def test_every_table_has_unique_name_and_valid_hive_types() -> None:
    names = [t.name for t in schemas.TABLES]
    assert len(names) == len(set(names)) == 6
    for spec in schemas.TABLES:
        for name, hive_type in (*spec.glue_columns(), *spec.glue_partition_keys()):
            assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
            assert HIVE_TYPE.match(hive_type), (spec.name, name, hive_type)
        assert not set(spec.column_names) & set(spec.partition_names)


def test_conformed_table_is_typed_and_partitioned_by_pickup_month_and_source() -> None:
    spec = schemas.table("yellow_tripdata")
    columns = dict(spec.glue_columns())
    assert columns["pickup_datetime"] == "timestamp"
    assert columns["pickup_location_id"] == "int"
    assert columns["fare_amount"] == "decimal(10,2)"
    assert columns["trip_distance"] == "double"
    assert spec.glue_partition_keys() == [
        ("pickup_year", "int"),
        ("pickup_month", "int"),
        ("source_key", "string"),
    ]
    assert (
        spec.location("s3://conformed/nyc_taxi/conformed")
        == "s3://conformed/nyc_taxi/conformed/yellow_tripdata/"
    )


def test_green_has_its_own_columns_and_yellow_has_airport_fee() -> None:
    green = dict(schemas.table("green_tripdata").glue_columns())
    yellow = dict(schemas.table("yellow_tripdata").glue_columns())
    assert green["ehail_fee"] == "decimal(10,2)" and green["trip_type"] == "int"
    assert "airport_fee" in yellow and "airport_fee" not in green
    assert "ehail_fee" not in yellow


def test_quarantine_keeps_every_value_as_text_with_the_broken_rules() -> None:
    spec = schemas.table("green_tripdata_quarantine")
    columns = dict(spec.glue_columns())
    assert columns["broken_rules"] == "array<string>"
    assert columns["pickup_datetime"] == "string"
    assert spec.glue_partition_keys() == [("source_key", "string")]
    assert spec.zone is schemas.Zone.QUARANTINE


def test_purpose_built_table_per_dataset_and_rule() -> None:
    spec = schemas.table("yellow_tripdata_daily_zone_metrics")
    assert spec.zone is schemas.Zone.PURPOSE_BUILT
    assert spec.location("s3://pb/nyc_taxi/") == "s3://pb/nyc_taxi/yellow_tripdata_daily_zone_metrics/"
    assert spec.glue_partition_keys() == [("pickup_year", "int"), ("pickup_month", "int")]


def test_unknown_dataset_error_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'fhv_tripdata'.*yellow_tripdata, green_tripdata"):
        schemas.raw_columns("fhv_tripdata")


def test_unknown_rule_error_says_where_to_declare_it() -> None:
    with pytest.raises(ValueError, match="declare its columns in PURPOSE_BUILT_RULES"):
        schemas.purpose_built_table("yellow_tripdata", "hourly")


def test_zone_range_rule_matches_the_reference_zone_lookup() -> None:
    with (REFERENCE / "taxi_zone_lookup.csv").open(newline="") as handle:
        ids = sorted(int(row["LocationID"]) for row in csv.DictReader(handle))
    assert ids == list(range(quality.ZONE_ID_MIN, quality.ZONE_ID_MAX + 1))

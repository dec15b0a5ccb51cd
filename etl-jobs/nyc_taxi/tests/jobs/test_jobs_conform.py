"""raw -> conformed transforms on tiny in-memory frames: each rule, each cast, columns, both datasets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from nyc_taxi.steps import conform, quality
from pyspark.sql import Row, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.testing import assertDataFrameEqual

from .conftest import raw_rows

pytestmark = pytest.mark.spark

JANUARY = quality.FileMonth(2021, 1)
PU, DO = "tpep_pickup_datetime", "tpep_dropoff_datetime"

# (rule expected, override of one valid yellow trip); each row breaks exactly that rule.
BROKEN: list[tuple[str, dict[str, str | None]]] = [
    ("pickup_missing", {PU: None}),
    ("pickup_missing", {PU: "  "}),
    ("dropoff_missing", {DO: None}),
    ("unparseable_pickup_datetime", {PU: "yesterday"}),
    ("unparseable_dropoff_datetime", {DO: "2021-01-32 10:00:00"}),
    ("dropoff_before_pickup", {DO: "2021-01-05 09:59:59"}),
    ("negative_distance", {"trip_distance": "-0.1"}),
    ("negative_fare", {"fare_amount": "-5.00"}),
    ("passenger_count_out_of_range", {"passenger_count": "10"}),
    ("passenger_count_out_of_range", {"passenger_count": "-1"}),
    ("pickup_zone_out_of_range", {"PULocationID": "0"}),
    ("pickup_zone_out_of_range", {"PULocationID": "266"}),
    ("pickup_zone_out_of_range", {"PULocationID": None}),
    ("dropoff_zone_out_of_range", {"DOLocationID": "999"}),
    ("pickup_outside_file_month", {PU: "2009-01-05 10:00:00", DO: "2009-01-05 10:15:00"}),
    ("pickup_outside_file_month", {PU: "2021-02-02 00:00:00", DO: "2021-02-02 00:10:00"}),
    ("unparseable_vendor_id", {"VendorID": "x"}),
    ("unparseable_passenger_count", {"passenger_count": "1.5"}),
    ("unparseable_trip_distance", {"trip_distance": "NaN"}),
    ("unparseable_ratecode_id", {"RatecodeID": "99999999999"}),
    ("unparseable_pickup_location_id", {"PULocationID": "abc"}),
    ("unparseable_payment_type", {"payment_type": "card"}),
    ("unparseable_fare_amount", {"fare_amount": "12,50"}),
    ("unparseable_total_amount", {"total_amount": "123456789012.00"}),
    ("unparseable_congestion_surcharge", {"congestion_surcharge": "2.5$"}),
    ("unparseable_airport_fee", {"airport_fee": "n/a"}),
]
# Edge values that are valid.
ACCEPTED: list[tuple[str, dict[str, str | None]]] = [
    ("zero passengers", {"passenger_count": "0"}),
    ("nine passengers", {"passenger_count": "9"}),
    ("unknown passengers", {"passenger_count": None}),
    ("integral text for an int", {"passenger_count": "2.0"}),
    ("first and last zone", {"PULocationID": "1", "DOLocationID": "265"}),
    ("zero distance and fare", {"trip_distance": "0", "fare_amount": "0"}),
    ("pickup at the end of the previous month", {PU: "2020-12-31 23:30:00", DO: "2020-12-31 23:50:00"}),
    ("ISO T separator", {PU: "2021-01-05T10:00:00", DO: "2021-01-05T10:15:00"}),
    ("US format", {PU: "01/05/2021 10:00:00 AM", DO: "01/05/2021 10:15:00 AM"}),
    ("same pickup and dropoff", {DO: "2021-01-05 10:00:00"}),
    ("empty optional money", {"congestion_surcharge": None, "airport_fee": None}),
]


@pytest.fixture(scope="module")
def classified(spark: SparkSession) -> list[Row]:
    frame = raw_rows(spark, "yellow_tripdata", *[o for _, o in BROKEN], *[o for _, o in ACCEPTED])
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="s3://raw/nyc_taxi/yellow_tripdata/f.csv", run_id="r",
        file_month=JANUARY,
    )  # fmt: skip
    return result.classified.collect()


@pytest.mark.parametrize(("index", "rule"), [(i, rule) for i, (rule, _) in enumerate(BROKEN)])
def test_quarantines_a_row_with_the_one_rule_it_breaks(classified: list[Row], index: int, rule: str) -> None:
    assert classified[index]["broken_rules"] == [rule]


@pytest.mark.parametrize(
    ("index", "case"),
    [(len(BROKEN) + i, case) for i, (case, _) in enumerate(ACCEPTED)],
    ids=[c for c, _ in ACCEPTED],
)
def test_keeps_valid_edge_values(classified: list[Row], index: int, case: str) -> None:
    assert classified[index]["broken_rules"] == [], case


def test_unparseable_value_keeps_its_text_and_is_never_a_silent_null(classified: list[Row]) -> None:
    row = classified[[r for r, _ in BROKEN].index("unparseable_fare_amount")]
    assert row["fare_amount"] is None
    assert row[quality.raw_name("fare_amount")] == "12,50"


def test_rows_inside_tolerance_are_partitioned_by_their_own_pickup_month(classified: list[Row]) -> None:
    row = classified[len(BROKEN) + [c for c, _ in ACCEPTED].index("pickup at the end of the previous month")]
    assert (row["pickup_year"], row["pickup_month"]) == (2020, 12)


def test_casts_every_yellow_column_to_its_conformed_type(spark: SparkSession) -> None:
    result = conform.to_conformed(
        raw_rows(spark, "yellow_tripdata", {"trip_distance": " 2.5 ", "store_and_fwd_flag": " N "}),
        dataset="yellow_tripdata", source_file="/data/yellow_tripdata/yellow_tripdata_2021-01.csv", run_id="r1",
        file_month=JANUARY,
    )  # fmt: skip
    money = {k: Decimal(v) for k, v in [("fare_amount", "10.50"), ("extra", "0.50"), ("mta_tax", "0.50")]}
    expected: dict[str, Any] = {
        "vendor_id": 1,
        "pickup_datetime": datetime(2021, 1, 5, 10, 0),
        "dropoff_datetime": datetime(2021, 1, 5, 10, 15),
        "passenger_count": 1,
        "trip_distance": 2.5,
        "ratecode_id": 1,
        "store_and_fwd_flag": "N",
        "pickup_location_id": 142,
        "dropoff_location_id": 43,
        "payment_type": 1,
        **money,
        "tip_amount": Decimal("2.00"),
        "tolls_amount": Decimal("0.00"),
        "improvement_surcharge": Decimal("0.30"),
        "total_amount": Decimal("16.30"),
        "congestion_surcharge": Decimal("2.50"),
        "airport_fee": Decimal("0.00"),
        "cbd_congestion_fee": None,
        "source_file": "/data/yellow_tripdata/yellow_tripdata_2021-01.csv",
        "run_id": "r1",
        "pickup_year": 2021,
        "pickup_month": 1,
        "source_key": "yellow_tripdata_2021-01.csv",
    }
    assertDataFrameEqual(result.conformed, [Row(**expected)])
    assert result.conformed.schema.simpleString().startswith(
        "struct<vendor_id:int,pickup_datetime:timestamp,dropoff_datetime:timestamp,passenger_count:int,"
        "trip_distance:double,ratecode_id:int,store_and_fwd_flag:string"
    )
    assert "fare_amount:decimal(10,2)" in result.conformed.schema.simpleString()
    assert result.missing_optional_columns == ("cbd_congestion_fee",)
    assert result.quarantine.count() == 0


def test_casts_green_columns_including_ehail_fee_and_trip_type(spark: SparkSession) -> None:
    frame = raw_rows(
        spark, "green_tripdata", {"ehail_fee": "1.25", "trip_type": "2"}, {"lpep_pickup_datetime": "bad"}
    )
    result = conform.to_conformed(
        frame, dataset="green_tripdata", source_file="g.csv", run_id="r", file_month=JANUARY
    )
    row = result.conformed.collect()[0]
    assert (row["ehail_fee"], row["trip_type"]) == (Decimal("1.25"), 2)
    assert row["pickup_datetime"] == datetime(2021, 1, 5, 10, 0)
    assert [r["broken_rules"] for r in result.quarantine.collect()] == [["unparseable_pickup_datetime"]]


def test_missing_optional_columns_become_null_and_are_reported(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {}, drop=("congestion_surcharge", "airport_fee"))
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=JANUARY
    )
    assert result.missing_optional_columns == ("congestion_surcharge", "airport_fee", "cbd_congestion_fee")
    row = result.conformed.collect()[0]
    assert (row["congestion_surcharge"], row["airport_fee"]) == (None, None)


def test_extra_columns_are_reported_not_fatal(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {}).withColumn("driver_mood", F.lit("happy"))
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=JANUARY
    )
    assert result.extra_columns == ("driver_mood",)
    assert result.conformed.count() == 1


def test_column_names_match_case_insensitively(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {"airport_fee": "1.25"}).withColumnRenamed(
        "airport_fee", "Airport_fee"
    )
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=JANUARY
    )
    assert result.conformed.collect()[0]["airport_fee"] == Decimal("1.25")
    assert result.extra_columns == ()


def test_missing_required_column_stops_with_a_clear_error(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {}, drop=("PULocationID",))
    with pytest.raises(conform.MissingColumnsError, match=r"lacks required column\(s\) PULocationID"):
        conform.to_conformed(
            frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=JANUARY
        )


def test_rows_read_equal_rows_conformed_plus_quarantined(spark: SparkSession) -> None:
    overrides = [{}, {"trip_distance": "-1"}, {}, {PU: "x", "fare_amount": "-1"}, {"PULocationID": "0"}, {}]
    frame = raw_rows(spark, "yellow_tripdata", *overrides)
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=JANUARY
    )
    counts = conform.count(result.classified, result.rules)
    assert (counts.rows_conformed, counts.rows_quarantined) == (3, 3)
    assert result.conformed.count() + result.quarantine.count() == frame.count() == 6
    assert counts.quarantined_by_rule == {
        "negative_distance": 1,
        "negative_fare": 1,
        "pickup_zone_out_of_range": 1,
        "unparseable_pickup_datetime": 1,
    }
    assert counts.partitions == [{"pickup_year": 2021, "pickup_month": 1}]


def test_quarantine_rows_carry_source_file_run_id_and_rule_names(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {"PULocationID": "300", "passenger_count": "12"})
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="s3://raw/nyc_taxi/yellow_tripdata/a b.csv", run_id="exec-1",
        file_month=JANUARY,
    )  # fmt: skip
    row = result.quarantine.collect()[0]
    assert row["broken_rules"] == ["passenger_count_out_of_range", "pickup_zone_out_of_range"]
    assert (row["source_file"], row["run_id"], row["source_key"]) == (
        "s3://raw/nyc_taxi/yellow_tripdata/a b.csv", "exec-1", "a_b.csv",
    )  # fmt: skip
    assert (row["pickup_location_id"], row["passenger_count"]) == ("300", "12")


def test_without_a_file_month_the_month_rule_is_not_applied(spark: SparkSession) -> None:
    frame = raw_rows(spark, "yellow_tripdata", {PU: "2009-01-05 10:00:00", DO: "2009-01-05 10:15:00"})
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="f", run_id="r", file_month=None
    )
    assert result.conformed.count() == 1


@pytest.mark.parametrize(
    ("path", "month"),
    [
        ("s3://raw/nyc_taxi/yellow_tripdata/yellow_tripdata_2021-01.parquet", quality.FileMonth(2021, 1)),
        ("/tmp/green_tripdata_2019-12.csv.gz", quality.FileMonth(2019, 12)),
        ("/tmp/trips.csv", None),
        ("/tmp/trips_2021-13.csv", None),
    ],
)
def test_file_month_comes_from_the_file_name(path: str, month: quality.FileMonth | None) -> None:
    assert conform.file_month_from_name(path) == month


def test_source_key_is_the_path_below_the_dataset_folder() -> None:
    key = conform.source_key(
        "s3://raw/nyc_taxi/yellow_tripdata/2021/yellow_tripdata_2021-01.csv", dataset="yellow_tripdata"
    )
    assert key == "2021_yellow_tripdata_2021-01.csv"


def test_the_conform_plan_stays_small_enough_to_plan_and_compile_quickly(spark: SparkSession) -> None:
    """Spark analyses, optimizes and generates code for every copy of a sub-expression, so an expression
    that uses its parts in many places costs every run (docs/benchmarks/throughput.md, "The conform
    plan's size"). The optimized plan's text measures it: 35,361 characters for these rows today,
    247,611 when each timestamp column's parts were checked before the cast."""
    frame = raw_rows(spark, "yellow_tripdata", {})
    result = conform.to_conformed(
        frame, dataset="yellow_tripdata", source_file="/data/yellow_tripdata/yellow_tripdata_2021-01.csv",
        run_id="r", file_month=JANUARY,
    )  # fmt: skip
    observed, _ = conform.observe_counts(result.classified, result.rules)
    plan = observed._jdf.queryExecution().optimizedPlan().toString()
    assert len(plan) < 60_000, f"the conform plan grew to {len(plan):,} characters"

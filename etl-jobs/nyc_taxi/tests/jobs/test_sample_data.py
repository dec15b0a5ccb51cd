"""The sample-data generator: published columns, plausible values, deterministic bytes, and dirty rows
that each break exactly the rule they were made to break."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import sample_data
from pyspark.sql import SparkSession

from .test_jobs_raw_to_conformed import run as run_raw

MONEY = re.compile(r"^-?\d+\.\d\d$")
TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("file_format", ["csv", "csv.gz", "parquet"])
def test_sample_data_is_deterministic_per_seed(tmp_path: Path, file_format: str) -> None:
    def write(folder: str, seed: int) -> Path:
        return sample_data.write(
            tmp_path / folder, rows=300, dataset="green_tripdata", file_format=file_format, month="2021-02",
            dirty=0.1, seed=seed,
        )  # fmt: skip

    first, again, other = write("a", 7), write("b", 7), write("c", 8)
    assert first.name == f"green_tripdata_2021-02.{file_format}"
    assert _digest(first) == _digest(again) != _digest(other)


def test_sample_data_uses_real_zone_ids_and_the_published_header(tmp_path: Path) -> None:
    path = sample_data.write(
        tmp_path, rows=500, dataset="yellow_tripdata", file_format="csv", month="2021-01", dirty=0, seed=1
    )
    header, rows = _rows(path)
    assert header == sample_data.published_columns("yellow_tripdata")
    assert path.read_text().splitlines()[0] == ",".join(header)
    assert {int(r["PULocationID"]) for r in rows} <= set(sample_data.zone_ids())
    assert len({r["PULocationID"] for r in rows}) > 100


@pytest.mark.parametrize("dataset", ["yellow_tripdata", "green_tripdata"])
def test_valid_trips_are_plausible_and_inside_the_month(tmp_path: Path, dataset: str) -> None:
    path = sample_data.write(
        tmp_path, rows=3000, dataset=dataset, file_format="csv", month="2024-02", dirty=0, seed=5
    )
    _, rows = _rows(path)
    prefix = "tpep" if dataset == "yellow_tripdata" else "lpep"
    zones = {str(zone) for zone in sample_data.zone_ids()}
    for row in rows:
        pickup = datetime.strptime(row[f"{prefix}_pickup_datetime"], TIMESTAMP)
        dropoff = datetime.strptime(row[f"{prefix}_dropoff_datetime"], TIMESTAMP)
        assert datetime(2024, 2, 1) <= pickup < datetime(2024, 3, 1)
        assert 120 <= (dropoff - pickup).total_seconds() <= 3600
        assert {row["PULocationID"], row["DOLocationID"]} <= zones
        money = ["trip_distance", "fare_amount", "tip_amount", "tolls_amount", "total_amount", "extra"]
        assert all(MONEY.match(row[name]) for name in money), row
        assert float(row["trip_distance"]) >= 0.1
        assert row["passenger_count"] in {"", *map(str, range(7))}
        parts = ("fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge")
        expected = sum(float(row[name]) for name in (*parts, "congestion_surcharge"))
        assert float(row["total_amount"]) == pytest.approx(expected, abs=0.001)
        if row["payment_type"] != "1":
            assert row["tip_amount"] == "0.00"
        if dataset == "green_tripdata":
            assert row["ehail_fee"] == ""
            assert row["trip_type"] in {"1", "2"}
        else:
            assert row["airport_fee"] == "0.00"
    empty_passengers = sum(row["passenger_count"] == "" for row in rows) / len(rows)
    assert 0.015 < empty_passengers < 0.045


def test_empty_values_are_empty_fields_and_only_a_comma_is_quoted(tmp_path: Path) -> None:
    import duckdb

    path = sample_data.write(
        tmp_path, rows=2000, dataset="green_tripdata", file_format="csv", month="2021-01", dirty=0.5, seed=2
    )
    text = path.read_text()
    assert '""' not in text
    assert set(re.findall(r'"[^"]*"', text)) == {'"12,50"'}
    expected = Counter(
        (row["passenger_count"] == "", row["ehail_fee"] == "")
        for row, _ in sample_data.generate(
            rows=2000, dataset="green_tripdata", month="2021-01", dirty=0.5, seed=2
        )
    )
    trips = f"read_csv('{path}', all_varchar=true, header=true)"
    seen = (
        duckdb.connect()
        .execute(f"SELECT passenger_count IS NULL, ehail_fee IS NULL, count(*) FROM {trips} GROUP BY ALL")
        .fetchall()
    )
    assert {(passengers, ehail): n for passengers, ehail, n in seen} == expected
    fares = duckdb.connect().execute(f"SELECT count(*) FROM {trips} WHERE fare_amount = '12,50'").fetchall()
    assert fares[0][0] > 0


def test_parquet_holds_the_csv_values_with_the_tlc_types(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    arguments: dict[str, Any] = {
        "rows": 500,
        "dataset": "yellow_tripdata",
        "month": "2021-01",
        "dirty": 0.0,
        "seed": 4,
    }
    path = sample_data.write(tmp_path, file_format="parquet", **arguments)
    table = pq.read_table(path)
    types = {field.name: str(field.type) for field in table.schema}
    assert list(types) == sample_data.published_columns("yellow_tripdata")
    assert types["VendorID"] == types["PULocationID"] == types["payment_type"] == "int64"
    assert types["tpep_pickup_datetime"] == "timestamp[us]"
    assert types["passenger_count"] == types["RatecodeID"] == types["fare_amount"] == "double"
    assert types["store_and_fwd_flag"] == "string"

    def text(name: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime(TIMESTAMP)
        if isinstance(value, float):
            return str(int(value)) if name in {"passenger_count", "RatecodeID"} else f"{value:.2f}"
        return str(value)

    from_parquet = [{name: text(name, value) for name, value in row.items()} for row in table.to_pylist()]
    from_csv = [row for row, _ in sample_data.generate(text_defects=False, **arguments)]
    assert from_parquet == from_csv


def test_chunks_have_their_own_seeds_and_generate_agrees_with_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sample_data, "CHUNK_ROWS", 100)
    arguments: dict[str, Any] = {
        "rows": 250,
        "dataset": "yellow_tripdata",
        "month": "2021-01",
        "dirty": 0.2,
        "seed": 9,
    }
    path = sample_data.write(tmp_path, file_format="csv", **arguments)
    _, rows = _rows(path)
    generated = list(sample_data.generate(**arguments))
    assert [row for row, _ in generated] == rows
    assert len(rows) == 250
    assert rows[:100] != rows[100:200]
    sizes = [chunk.rows for chunk in sample_data.chunks(**arguments)]
    assert sizes == [100, 100, 50]


def test_dirty_rows_are_the_asked_share_spread_evenly_over_the_rules() -> None:
    rows = 22_000
    made = Counter(
        rule
        for _, rule in sample_data.generate(
            rows=rows, dataset="yellow_tripdata", month="2021-01", dirty=0.5, seed=11
        )
    )
    dirty = rows - made.pop(None)
    assert dirty == pytest.approx(rows * 0.5, rel=0.03)
    assert set(made) == set(sample_data.defect_rules("yellow_tripdata"))
    share = dirty / len(made)
    assert all(count == pytest.approx(share, rel=0.12) for count in made.values()), made


@pytest.mark.parametrize("month", ["2020-12", "2024-02", "2009-06"])
def test_a_pickup_outside_the_month_is_still_a_valid_time_before_its_dropoff(month: str) -> None:
    trips = sample_data.generate(
        rows=3000, dataset="yellow_tripdata", month=month, dirty=1, seed=6, text_defects=False
    )
    start = datetime.strptime(month, "%Y-%m")
    moved = [row for row, rule in trips if rule == "pickup_outside_file_month"]
    assert moved
    for row in moved:
        pickup = datetime.strptime(row["tpep_pickup_datetime"], TIMESTAMP)
        dropoff = datetime.strptime(row["tpep_dropoff_datetime"], TIMESTAMP)
        assert abs(pickup.year - start.year) >= 10
        assert pickup < dropoff


def test_sample_data_refuses_a_dirty_share_outside_0_1() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        list(sample_data.generate(rows=1, dataset="yellow_tripdata", month="2021-01", dirty=5, seed=1))


@pytest.mark.spark
@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_each_generated_defect_is_quarantined_by_its_rule(
    spark: SparkSession, tmp_path: Path, file_format: str
) -> None:
    trips = sample_data.generate(
        rows=400,
        dataset="yellow_tripdata",
        month="2021-01",
        dirty=0.25,
        seed=3,
        text_defects=file_format == "csv",
    )
    made = Counter(rule for _, rule in trips if rule)
    path = sample_data.write(
        tmp_path / "in", rows=400, dataset="yellow_tripdata", file_format=file_format, month="2021-01",
        dirty=0.25, seed=3,
    )  # fmt: skip
    report = run_raw(spark, tmp_path / "out", str(path))
    assert set(made) == set(sample_data.defect_rules("yellow_tripdata", text_defects=file_format == "csv"))
    assert report["quarantined_by_rule"] == dict(sorted(made.items()))
    assert report["rows_quarantined"] == sum(made.values())
    assert report["rows_conformed"] == 400 - sum(made.values())

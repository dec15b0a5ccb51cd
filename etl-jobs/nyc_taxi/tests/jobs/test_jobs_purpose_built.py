"""conformed -> purpose-built: SQL rules read at run time, only the touched months, checked totals."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import conformed_to_purpose_built
from pyspark.sql import SparkSession

from job_family.glue.runtime import local_run

from .conftest import FIXTURES, REFERENCE, RULES
from .test_jobs_raw_to_conformed import run as run_raw
from .test_jobs_raw_to_conformed import write_csv

pytestmark = pytest.mark.spark

SAMPLE = FIXTURES / "yellow_tripdata_2021-01_head50.csv"
METRICS = "yellow_tripdata_daily_zone_metrics"


def run_purpose_built(spark: SparkSession, out: Path, run_id: str, rules: Path = RULES) -> dict[str, Any]:
    return conformed_to_purpose_built.run(
        spark,
        dataset="yellow_tripdata",
        run_id=run_id,
        conformed_path=str(out / "conformed"),
        purpose_built_path=str(out / "purpose_built"),
        rules_path=str(rules),
        reference_path=str(REFERENCE),
        report_path=str(out / "_reports"),
        database="",
    )


def expected_metrics(sample: Path, zones_csv: Path) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The same metrics computed independently, in plain Python, from the raw CSV and the zone lookup."""
    with zones_csv.open(newline="") as handle:
        zones = {int(z["LocationID"]): (z["Borough"], z["Zone"]) for z in csv.DictReader(handle)}
    groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"trips": 0, "passengers": 0, "trip_distance": 0.0, "fare_amount": Decimal(0),
                 "tip_amount": Decimal(0), "tolls_amount": Decimal(0), "total_amount": Decimal(0), "seconds": 0.0}
    )  # fmt: skip
    with sample.open(newline="") as handle:
        for trip in csv.DictReader(handle):
            pickup = datetime.fromisoformat(trip["tpep_pickup_datetime"])
            dropoff = datetime.fromisoformat(trip["tpep_dropoff_datetime"])
            zone = int(trip["PULocationID"])
            key = (pickup.date(), zone, *zones[zone], int(trip["payment_type"]))
            group = groups[key]
            group["trips"] += 1
            group["passengers"] += int(trip["passenger_count"])
            group["trip_distance"] += float(trip["trip_distance"])
            for money in ("fare_amount", "tip_amount", "tolls_amount", "total_amount"):
                group[money] += Decimal(trip[money])
            group["seconds"] += (dropoff - pickup).total_seconds()
    return groups


def test_real_tlc_sample_totals_match_an_independent_computation(spark: SparkSession, tmp_path: Path) -> None:
    """Both jobs through `make run-job`'s runner on the real 50-line TLC file (49 trips)."""
    conformed_report = local_run.main(
        [
            "--family",
            "nyc_taxi",
            "raw_to_conformed",
            "--input",
            str(SAMPLE),
            "--output",
            str(tmp_path / "c"),
            "--run-id",
            "sample",
        ]
    )
    assert (conformed_report["rows_read"], conformed_report["rows_quarantined"]) == (49, 0)
    report = local_run.main(
        [
            "--family",
            "nyc_taxi",
            "conformed_to_purpose_built",
            "--input",
            str(tmp_path / "c"),
            "--output",
            str(tmp_path / "pb"),
        ]
    )
    assert (tmp_path / "pb" / "run_report.json").is_file()
    expected = expected_metrics(SAMPLE, REFERENCE / "taxi_zone_lookup.csv")
    rows = spark.read.parquet(str(tmp_path / "pb" / "purpose_built" / METRICS)).collect()
    assert report["rows_read"] == 49
    assert report["rows_written"] == len(rows) == len(expected)
    for row in rows:
        key = (row["pickup_date"], row["pickup_location_id"], row["pickup_borough"], row["pickup_zone"],
               row["payment_type"])  # fmt: skip
        want = expected[key]
        assert (row["trips"], row["passengers"]) == (want["trips"], want["passengers"]), key
        assert row["trip_distance"] == pytest.approx(want["trip_distance"]), key
        for money in ("fare_amount", "tip_amount", "tolls_amount", "total_amount"):
            assert row[money] == want[money], (key, money)
        assert row["avg_trip_minutes"] == pytest.approx(want["seconds"] / 60 / want["trips"], abs=0.005), key
        assert (row["pickup_year"], row["pickup_month"]) == (2021, 1)
    assert sum(r["total_amount"] for r in rows) == sum(w["total_amount"] for w in expected.values())


def test_recomputes_only_the_months_the_file_touched(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    january = write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {}, {})
    february = write_csv(
        tmp_path / "yellow_tripdata_2021-02.csv",
        {"tpep_pickup_datetime": "2021-02-03 08:00:00", "tpep_dropoff_datetime": "2021-02-03 08:20:00"},
    )
    run_raw(spark, out, january, run_id="jan")
    run_purpose_built(spark, out, "jan")
    run_raw(spark, out, february, run_id="feb")
    january_folder = out / "purpose_built" / METRICS / "pickup_year=2021" / "pickup_month=1"
    before = sorted(p.name for p in january_folder.iterdir())
    report = run_purpose_built(spark, out, "feb")
    assert report["partitions"] == [{"pickup_year": 2021, "pickup_month": 2}]
    assert report["rows_read"] == 1
    assert sorted(p.name for p in january_folder.iterdir()) == before  # January left as it was
    trips = {
        (r["pickup_month"], r["trips"])
        for r in spark.read.parquet(str(out / "purpose_built" / METRICS)).collect()
    }
    assert trips == {(1, 2), (2, 1)}


def test_a_month_emptied_by_reprocessing_loses_its_purpose_built_partition(
    spark: SparkSession, tmp_path: Path
) -> None:
    out, path = tmp_path / "out", tmp_path / "yellow_tripdata_2021-01.csv"
    write_csv(
        path,
        {},
        {"tpep_pickup_datetime": "2020-12-31 23:30:00", "tpep_dropoff_datetime": "2020-12-31 23:40:00"},
    )
    run_raw(spark, out, str(path), run_id="v1")
    run_purpose_built(spark, out, "v1")
    assert (out / "purpose_built" / METRICS / "pickup_year=2020").exists()
    write_csv(path, {})
    run_raw(spark, out, str(path), run_id="v2")
    run_purpose_built(spark, out, "v2")
    assert not (out / "purpose_built" / METRICS / "pickup_year=2020" / "pickup_month=12").exists()


def test_rule_whose_output_differs_from_its_declared_table_is_refused(
    spark: SparkSession, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "daily_zone_metrics.sql").write_text(
        "SELECT pickup_location_id, COUNT(*) AS trips FROM conformed_trips GROUP BY 1"
    )
    run_raw(spark, tmp_path / "out", write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {}), run_id="r")
    with pytest.raises(conformed_to_purpose_built.RuleSchemaError, match="change the SELECT list"):
        run_purpose_built(spark, tmp_path / "out", "r", rules=rules)


def test_rule_without_a_declared_table_is_refused(spark: SparkSession, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "hourly.sql").write_text("SELECT 1 AS x")
    run_raw(spark, tmp_path / "out", write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {}), run_id="r")
    with pytest.raises(ValueError, match="no purpose-built schema for rule 'hourly'"):
        run_purpose_built(spark, tmp_path / "out", "r", rules=rules)


def test_a_zone_lookup_with_other_columns_is_refused_by_its_header(
    spark: SparkSession, tmp_path: Path
) -> None:

    (tmp_path / "taxi_zone_lookup.csv").write_text(
        "LocationID,Zone,Borough,service_zone\n1,Newark Airport,EWR,EWR\n"
    )
    with pytest.raises(Exception, match="CSV header does not conform to the schema"):
        conformed_to_purpose_built.read_reference_zones(spark, str(tmp_path)).collect()
    assert conformed_to_purpose_built.read_reference_zones(spark, str(REFERENCE)).count() == 265

"""Tiny raw-row builders for the Spark tests of the nyc_taxi jobs (the `spark` fixture is the root conftest's)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # pyspark.testing imports pyspark.pandas

from nyc_taxi.steps import schemas
from pyspark.sql import DataFrame, SparkSession

APP_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = APP_ROOT / "tests" / "fixtures"
RULES = APP_ROOT / "rules"
REFERENCE = APP_ROOT / "reference"

# One valid trip per dataset, as text, by published column name (January 2021).
VALID_YELLOW: dict[str, str | None] = {
    "VendorID": "1",
    "tpep_pickup_datetime": "2021-01-05 10:00:00",
    "tpep_dropoff_datetime": "2021-01-05 10:15:00",
    "passenger_count": "1",
    "trip_distance": "2.5",
    "RatecodeID": "1",
    "store_and_fwd_flag": "N",
    "PULocationID": "142",
    "DOLocationID": "43",
    "payment_type": "1",
    "fare_amount": "10.50",
    "extra": "0.5",
    "mta_tax": "0.5",
    "tip_amount": "2.00",
    "tolls_amount": "0",
    "improvement_surcharge": "0.3",
    "total_amount": "16.30",
    "congestion_surcharge": "2.5",
    "airport_fee": "0",
}
VALID_GREEN: dict[str, str | None] = {
    **{k: v for k, v in VALID_YELLOW.items() if not k.startswith("tpep_") and k != "airport_fee"},
    "lpep_pickup_datetime": "2021-01-05 10:00:00",
    "lpep_dropoff_datetime": "2021-01-05 10:15:00",
    "ehail_fee": None,
    "trip_type": "1",
}
VALID = {"yellow_tripdata": VALID_YELLOW, "green_tripdata": VALID_GREEN}


def raw_rows(
    spark: SparkSession, dataset: str, *overrides: dict[str, str | None], drop: tuple[str, ...] = ()
) -> DataFrame:
    """A raw text DataFrame with the dataset's published columns: one valid trip per override dict,
    with the override's values replacing the valid ones (`drop` removes columns, as an older file)."""
    columns = [c.published for c in schemas.raw_columns(dataset) if c.published in VALID[dataset]]
    columns = [c for c in columns if c not in drop]
    rows = [tuple({**VALID[dataset], **override}.get(c) for c in columns) for override in overrides or ({},)]
    return spark.createDataFrame(rows, ", ".join(f"`{c}` string" for c in columns))

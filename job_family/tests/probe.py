"""A probe layout for the framework's trigger tests: a family `nyc_taxi`-shaped per-object layout
(two datasets, CSV / gzip CSV / Parquet), so the tests read like real keys without importing a family."""

from __future__ import annotations

from job_family.ingest.runtime.layout import ArrivalLayout

FORMATS = ((".csv.gz", "csv.gz"), (".parquet", "parquet"), (".csv", "csv"))
LAYOUT = ArrivalLayout(
    family="nyc_taxi", datasets=(("yellow_tripdata", FORMATS), ("green_tripdata", FORMATS))
)
SUFFIXES = LAYOUT.all_suffixes()

JSON = ((".json.gz", "jsonl.gz"), (".jsonl", "jsonl"), (".json", "jsonl"))
DELIVERY_LAYOUT = ArrivalLayout(
    family="us_legislators",
    datasets=(("persons", JSON), ("memberships", JSON), ("organizations", JSON)),
    trigger="per_delivery",
)

"""`make sample-data`: deterministic synthetic TLC trip files for local runs and benchmarks.

    python -m nyc_taxi.jobs.runtime.sample_data --rows 1000 --dataset yellow_tripdata \
        --format csv --dirty 0.02 --seed 42 --month 2021-01 --output sample-data

Writes `<output>/<dataset>_<month>.<csv|csv.gz|parquet>` with the dataset's published columns (the
2021+ set), pickups inside the month, real zone ids (the LocationIDs of reference/taxi_zone_lookup.csv),
plausible durations, distances and amounts. A share `--dirty` of the rows breaks exactly one data-quality
rule each (text that does not parse only in CSV; Parquet is typed), so a run's quarantine can be
predicted. The same arguments always give the same bytes (one `random.Random(seed)`). Parquet is
converted from the CSV by DuckDB (the `local` dependency group).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from nyc_taxi.jobs.runtime import schemas

APP_ROOT = Path(__file__).resolve().parents[3]
ZONE_LOOKUP = APP_ROOT / "reference" / "taxi_zone_lookup.csv"
FORMATS = ("csv", "csv.gz", "parquet")
_TS = "%Y-%m-%d %H:%M:%S"

Row = dict[str, str]


def zone_ids(path: Path = ZONE_LOOKUP) -> list[int]:
    with path.open(newline="") as handle:
        return sorted(int(row["LocationID"]) for row in csv.DictReader(handle))


def published_columns(dataset: str) -> list[str]:
    return [c.published for c in schemas.raw_columns(dataset) if c.published != "cbd_congestion_fee"]


def _money(value: float) -> str:
    return f"{value:.2f}"


def valid_trip(
    rng: random.Random, dataset: str, month_start: datetime, month_days: int, zones: list[int]
) -> Row:
    pickup = month_start + timedelta(seconds=rng.randrange(month_days * 86_400))
    minutes = rng.uniform(2, 60)
    distance = round(max(0.1, minutes * rng.uniform(0.1, 0.4)), 2)
    fare = round(2.5 + 2.5 * distance + 0.5 * minutes, 1)
    payment = rng.choices([1, 2, 3, 4], weights=[70, 27, 2, 1])[0]
    tip = round(fare * rng.uniform(0.1, 0.25), 2) if payment == 1 else 0.0
    tolls = 6.55 if rng.random() < 0.05 else 0.0
    congestion = 2.5 if rng.random() < 0.8 else 0.0
    total = fare + 0.5 + 0.5 + tip + tolls + 0.3 + congestion
    prefix = "tpep" if dataset == "yellow_tripdata" else "lpep"
    row = {
        "VendorID": str(rng.choice([1, 2])),
        f"{prefix}_pickup_datetime": pickup.strftime(_TS),
        f"{prefix}_dropoff_datetime": (pickup + timedelta(minutes=minutes)).strftime(_TS),
        "passenger_count": ""
        if rng.random() < 0.03
        else str(rng.choices(range(7), [3, 70, 15, 5, 3, 2, 2])[0]),
        "trip_distance": f"{distance:.2f}",
        "RatecodeID": str(rng.choices([1, 2, 5], [95, 4, 1])[0]),
        "store_and_fwd_flag": rng.choices(["N", "Y"], [99, 1])[0],
        "PULocationID": str(rng.choice(zones)),
        "DOLocationID": str(rng.choice(zones)),
        "payment_type": str(payment),
        "fare_amount": _money(fare),
        "extra": "0.50",
        "mta_tax": "0.50",
        "tip_amount": _money(tip),
        "tolls_amount": _money(tolls),
        "improvement_surcharge": "0.30",
        "total_amount": _money(total),
        "congestion_surcharge": _money(congestion),
    }
    if dataset == "yellow_tripdata":
        row["airport_fee"] = "0.00"
    else:
        row["ehail_fee"] = ""
        row["trip_type"] = str(rng.choice([1, 2]))
    return row


def _defects(dataset: str, *, text: bool) -> list[tuple[str, Callable[[Row, random.Random], None]]]:
    """(rule it breaks, how to break a valid row)."""
    prefix = "tpep" if dataset == "yellow_tripdata" else "lpep"
    pickup, dropoff = f"{prefix}_pickup_datetime", f"{prefix}_dropoff_datetime"

    def swap_times(row: Row, _: random.Random) -> None:
        row[pickup], row[dropoff] = row[dropoff], row[pickup]

    def negative(column: str) -> Callable[[Row, random.Random], None]:
        return lambda row, _: row.__setitem__(
            column, "-" + row[column].lstrip("-") if row[column] != "0.00" else "-1.00"
        )

    def set_to(column: str, value: str) -> Callable[[Row, random.Random], None]:
        return lambda row, _: row.__setitem__(column, value)

    def year_2009(row: Row, _: random.Random) -> None:
        row[pickup] = "2009" + row[pickup][4:]
        row[dropoff] = "2009" + row[dropoff][4:]

    typed = [
        ("dropoff_before_pickup", swap_times),
        ("negative_distance", negative("trip_distance")),
        ("negative_fare", negative("fare_amount")),
        ("passenger_count_out_of_range", set_to("passenger_count", "12")),
        ("pickup_zone_out_of_range", set_to("PULocationID", "0")),
        ("dropoff_zone_out_of_range", set_to("DOLocationID", "300")),
        ("pickup_outside_file_month", year_2009),
        ("pickup_missing", set_to(pickup, "")),
    ]
    textual = [
        ("unparseable_pickup_datetime", set_to(pickup, "2021-13-45 25:61:00")),
        ("unparseable_fare_amount", set_to("fare_amount", "12,50")),
        ("unparseable_passenger_count", set_to("passenger_count", "one")),
    ]
    return typed + textual if text else typed


def generate(
    *, rows: int, dataset: str, month: str, dirty: float, seed: int, text_defects: bool = True
) -> Iterator[tuple[Row, str | None]]:
    """Rows, each with the name of the rule it was made to break (None for a valid trip)."""
    if not 0 <= dirty <= 1:
        raise ValueError(f"dirty share {dirty} must be between 0 and 1 (e.g. 0.02 for 2%)")
    month_start = datetime.strptime(month, "%Y-%m")
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    days = (next_month - month_start).days
    rng = random.Random(seed)
    zones = zone_ids()
    defects = _defects(dataset, text=text_defects)
    for _ in range(rows):
        row = valid_trip(rng, dataset, month_start, days, zones)
        broken: str | None = None
        if rng.random() < dirty:
            broken, spoil = rng.choice(defects)
            spoil(row, rng)
        yield row, broken


def _write_csv(handle: IO[str], dataset: str, trips: Iterator[Row]) -> None:
    writer = csv.DictWriter(handle, fieldnames=published_columns(dataset), lineterminator="\n")
    writer.writeheader()
    writer.writerows(trips)


def _parquet_select(dataset: str) -> str:
    """TLC's Parquet types: integer ids, double counts and money, timestamps."""
    types = {
        schemas.INT: "BIGINT",
        schemas.TIMESTAMP: "TIMESTAMP",
        schemas.DOUBLE: "DOUBLE",
        schemas.STRING: "VARCHAR",
    }
    published = set(published_columns(dataset))
    parts = []
    for column in schemas.raw_columns(dataset):
        if column.published in published:
            target = (
                "DOUBLE"
                if column.name in {"passenger_count", "ratecode_id"}
                else types.get(column.hive_type, "DOUBLE")
            )
            parts.append(f'CAST(NULLIF("{column.published}", \'\') AS {target}) AS "{column.published}"')
    return ", ".join(parts)


def write(
    output: Path, *, rows: int, dataset: str, file_format: str, month: str, dirty: float, seed: int
) -> Path:
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")
    schemas.raw_columns(dataset)
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{dataset}_{month}.{file_format}"
    trips = (
        row
        for row, _ in generate(
            rows=rows,
            dataset=dataset,
            month=month,
            dirty=dirty,
            seed=seed,
            text_defects=file_format != "parquet",
        )
    )
    if file_format == "csv":
        with target.open("w", newline="") as handle:
            _write_csv(handle, dataset, trips)
    elif file_format == "csv.gz":
        # mtime=0: the same arguments give the same bytes
        with (
            target.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed,
            io.TextIOWrapper(packed, encoding="utf-8", newline="") as handle,
        ):
            _write_csv(handle, dataset, trips)
    else:
        import duckdb

        with tempfile.TemporaryDirectory() as scratch:
            staged = Path(scratch) / "trips.csv"
            with staged.open("w", newline="") as handle:
                _write_csv(handle, dataset, trips)
            query = (
                f"COPY (SELECT {_parquet_select(dataset)} FROM read_csv('{staged}', all_varchar=true, header=true)) "
                f"TO '{target}' (FORMAT parquet)"
            )
            duckdb.connect().execute(query)
    return target


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="sample-data", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--dataset", choices=schemas.DATASETS, default="yellow_tripdata")
    parser.add_argument("--format", dest="file_format", choices=FORMATS, default="csv")
    parser.add_argument("--dirty", type=float, default=0.02, help="share of rows breaking a rule (0..1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--month", default="2021-01", help="YYYY-MM the file covers")
    parser.add_argument("--output", type=Path, default=Path("sample-data"))
    args = parser.parse_args(argv)
    target = write(
        args.output,
        rows=args.rows,
        dataset=args.dataset,
        file_format=args.file_format,
        month=args.month,
        dirty=args.dirty,
        seed=args.seed,
    )
    print(
        f"sample-data: {args.rows} {args.dataset} rows ({args.dirty:.1%} dirty, seed {args.seed}) -> {target}"
    )
    return target


if __name__ == "__main__":
    main(sys.argv[1:])

"""`make sample-data`: deterministic synthetic TLC trip files for local runs and benchmarks.

    python -m nyc_taxi.steps.sample_data --rows 1000 --dataset yellow_tripdata \
        --format csv --dirty 0.02 --seed 42 --month 2021-01 --output sample-data

Writes `<output>/<dataset>_<month>.<csv|csv.gz|parquet>` with the dataset's published columns (the
2021+ set), pickups inside the month, real zone ids (the LocationIDs of reference/taxi_zone_lookup.csv),
plausible durations, distances and amounts. A share `--dirty` of the rows breaks exactly one data-quality
rule each, chosen uniformly from `defect_rules(...)` (text that does not parse only in CSV; Parquet is
typed), so a run's quarantine can be predicted (`generate(...)` or `chunks(...)` tell which rule each row
was made to break). The same arguments always give the same bytes.

Column-wise with numpy: the rows are made in chunks of `CHUNK_ROWS` (each chunk from its own
`numpy.random.default_rng` seeded with (seed, chunk index)), amounts as integer cents. CSV text is built
with pyarrow compute kernels and written as it is (unquoted, empty fields for missing values, gzip with
mtime=0); Parquet is written by pyarrow from the typed arrays with TLC's Parquet types (integer ids,
double counts and money, timestamps). numpy and pyarrow are imported inside the functions: this module
ships to Glue with the job code, which never calls it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nyc_taxi.steps import schemas

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Mask = npt.NDArray[np.bool_]

APP_ROOT = Path(__file__).resolve().parents[2]
ZONE_LOOKUP = APP_ROOT / "reference" / "taxi_zone_lookup.csv"
FORMATS = ("csv", "csv.gz", "parquet")
CHUNK_ROWS = 1_000_000  # rows made (and written) at a time: ~0.3 GB of arrays and text per chunk
GZIP_LEVEL = 6

Row = dict[str, str]

# How a published column is held while generating (all as int64) and rendered:
# "int" as is, "ts" epoch seconds, "money" cents (trip_distance too: hundredths of a mile), "flag" 0=N 1=Y.
_TIMESTAMP_COLUMNS = ("pickup_datetime", "dropoff_datetime")
_MONEY_TYPES = {schemas.MONEY, schemas.DOUBLE}
# TLC publishes these two as doubles in its Parquet files; every other id is an integer.
_DOUBLE_IN_PARQUET = {"passenger_count", "ratecode_id"}


def zone_ids(path: Path = ZONE_LOOKUP) -> list[int]:
    with path.open(newline="") as handle:
        return sorted(int(row["LocationID"]) for row in csv.DictReader(handle))


def published_columns(dataset: str) -> list[str]:
    return [c.published for c in schemas.raw_columns(dataset) if c.published != "cbd_congestion_fee"]


def _columns(dataset: str) -> list[schemas.RawColumn]:
    published = set(published_columns(dataset))
    return [c for c in schemas.raw_columns(dataset) if c.published in published]


def _kind(column: schemas.RawColumn) -> str:
    if column.hive_type == schemas.TIMESTAMP:
        return "ts"
    if column.hive_type in _MONEY_TYPES:
        return "money"
    if column.hive_type == schemas.STRING:
        return "flag"
    return "int"


def _csv_field(value: str) -> str:
    """`value` as one CSV field (quoted only when it has to be, as the csv module does)."""
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _Sink(Protocol):
    def write(self, data: Any, /) -> int: ...


@dataclass
class Chunk:
    """Up to `CHUNK_ROWS` trips, column-wise: int64 values and null masks by published column name,
    and per row the index in `defects` of the rule it was made to break (-1: a valid trip)."""

    rows: int
    values: dict[str, Ints]
    nulls: dict[str, Mask]
    defect: Ints
    defects: tuple[str, ...]
    text: dict[str, dict[str, str]]  # textual defects: column -> {rule: text that does not parse}

    def broken(self) -> list[str | None]:
        """The rule each row was made to break (None for a valid trip)."""
        return [self.defects[i] if i >= 0 else None for i in self.defect.tolist()]


_Spoil = Callable[[Chunk, "Mask"], None]


def _defects(
    dataset: str, *, month_start: datetime
) -> tuple[list[tuple[str, _Spoil]], list[tuple[str, str, str]]]:
    """(rule, how to break a valid row's typed values) and (rule, column, text) for text that does not parse."""
    prefix = "tpep" if dataset == "yellow_tripdata" else "lpep"
    pickup, dropoff = f"{prefix}_pickup_datetime", f"{prefix}_dropoff_datetime"
    # A whole-seconds shift that moves a pickup from the file's month to the same month of 2009 (2019 for
    # a 2009 file): far outside the month, still a valid time, and the drop-off keeps its distance.
    year = 2009 if month_start.year != 2009 else 2019
    shift = int((month_start - month_start.replace(year=year)).total_seconds())

    def swap_times(chunk: Chunk, rows: Mask) -> None:
        chunk.values[pickup][rows], chunk.values[dropoff][rows] = (
            chunk.values[dropoff][rows],
            chunk.values[pickup][rows],
        )

    def negative(column: str) -> _Spoil:
        def spoil(chunk: Chunk, rows: Mask) -> None:
            import numpy as np

            values = chunk.values[column][rows]
            chunk.values[column][rows] = np.where(values != 0, -np.abs(values), -100)

        return spoil

    def set_to(column: str, value: int) -> _Spoil:
        def spoil(chunk: Chunk, rows: Mask) -> None:
            chunk.values[column][rows] = value
            if column in chunk.nulls:
                chunk.nulls[column][rows] = False

        return spoil

    def year_2009(chunk: Chunk, rows: Mask) -> None:
        chunk.values[pickup][rows] -= shift
        chunk.values[dropoff][rows] -= shift

    def pickup_missing(chunk: Chunk, rows: Mask) -> None:
        chunk.nulls[pickup][rows] = True

    typed: list[tuple[str, _Spoil]] = [
        ("dropoff_before_pickup", swap_times),
        ("negative_distance", negative("trip_distance")),
        ("negative_fare", negative("fare_amount")),
        ("passenger_count_out_of_range", set_to("passenger_count", 12)),
        ("pickup_zone_out_of_range", set_to("PULocationID", 0)),
        ("dropoff_zone_out_of_range", set_to("DOLocationID", 300)),
        ("pickup_outside_file_month", year_2009),
        ("pickup_missing", pickup_missing),
    ]
    textual = [
        ("unparseable_pickup_datetime", pickup, "2021-13-45 25:61:00"),
        ("unparseable_fare_amount", "fare_amount", "12,50"),
        ("unparseable_passenger_count", "passenger_count", "one"),
    ]
    return typed, textual


def defect_rules(dataset: str, *, text_defects: bool = True) -> tuple[str, ...]:
    """The rules a dirty row may break, in the order they are chosen from."""
    typed, textual = _defects(dataset, month_start=datetime(2021, 1, 1))
    return tuple(rule for rule, _ in typed) + (tuple(rule for rule, _, _ in textual) if text_defects else ())


def _month(month: str) -> tuple[datetime, int]:
    month_start = datetime.strptime(month, "%Y-%m")
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    return month_start, (next_month - month_start).days


def chunks(
    *, rows: int, dataset: str, month: str, dirty: float, seed: int, text_defects: bool = True
) -> Iterator[Chunk]:
    """The trips, `CHUNK_ROWS` at a time, typed defects applied (textual ones are applied as text)."""
    import numpy as np

    if not 0 <= dirty <= 1:
        raise ValueError(f"dirty share {dirty} must be between 0 and 1 (e.g. 0.02 for 2%)")
    if rows < 0:
        raise ValueError(f"rows {rows} must be 0 or more")
    columns = _columns(dataset)
    month_start, days = _month(month)
    epoch_start = int((month_start - datetime(1970, 1, 1)).total_seconds())
    zones = np.asarray(zone_ids(), dtype=np.int64)
    typed, textual = _defects(dataset, month_start=month_start)
    spoils = typed + ([(rule, _text_only) for rule, _, _ in textual] if text_defects else [])
    text: dict[str, dict[str, str]] = {}
    if text_defects:
        for rule, column, value in textual:
            text.setdefault(column, {})[rule] = value
    by_name = {c.name: c.published for c in columns}
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, rows - start)
        rng = np.random.default_rng([abs(seed), int(seed < 0), index])
        values = _valid_trips(rng, size, dataset=dataset, epoch_start=epoch_start, days=days, zones=zones)
        named = {by_name[name]: array for name, array in values.items()}
        nulls = {
            by_name["pickup_datetime"]: np.zeros(size, dtype=np.bool_),
            by_name["passenger_count"]: rng.random(size) < 0.03,
        }
        if dataset == "green_tripdata":
            nulls["ehail_fee"] = np.ones(size, dtype=np.bool_)
        defect = np.where(rng.random(size) < dirty, rng.integers(0, len(spoils), size), -1).astype(np.int64)
        chunk = Chunk(size, named, nulls, defect, tuple(rule for rule, _ in spoils), text)
        for number, (_, spoil) in enumerate(spoils):
            chosen = defect == number
            if chosen.any():
                spoil(chunk, chosen)
        yield chunk


def _text_only(chunk: Chunk, rows: Mask) -> None:
    """A textual defect leaves the typed values alone (the CSV text is replaced when rendered)."""


def _valid_trips(
    rng: np.random.Generator, size: int, *, dataset: str, epoch_start: int, days: int, zones: Ints
) -> dict[str, Ints]:
    """Valid trips by conformed column name (the formulas and shares of the row-by-row generator)."""
    import numpy as np

    def pick(choices: list[int], weights: list[int]) -> Ints:
        p = np.asarray(weights, dtype=np.float64)
        chosen: Ints = np.asarray(choices, dtype=np.int64)[rng.choice(len(choices), size=size, p=p / p.sum())]
        return chosen

    pickup = epoch_start + rng.integers(0, days * 86_400, size, dtype=np.int64)
    minutes = rng.uniform(2, 60, size)
    distance = np.maximum(10, np.rint(minutes * rng.uniform(0.1, 0.4, size) * 100)).astype(np.int64)
    fare = (np.rint((2.5 + 2.5 * distance / 100 + 0.5 * minutes) * 10) * 10).astype(np.int64)
    payment = pick([1, 2, 3, 4], [70, 27, 2, 1])
    tip = np.where(payment == 1, np.rint(fare * rng.uniform(0.1, 0.25, size)), 0).astype(np.int64)
    tolls = np.where(rng.random(size) < 0.05, 655, 0).astype(np.int64)
    congestion = np.where(rng.random(size) < 0.8, 250, 0).astype(np.int64)
    extra, mta, improvement = (np.full(size, cents, dtype=np.int64) for cents in (50, 50, 30))
    values = {
        "vendor_id": pick([1, 2], [1, 1]),
        "pickup_datetime": pickup,
        "dropoff_datetime": pickup + (minutes * 60).astype(np.int64),
        "passenger_count": pick(list(range(7)), [3, 70, 15, 5, 3, 2, 2]),
        "trip_distance": distance,
        "ratecode_id": pick([1, 2, 5], [95, 4, 1]),
        "store_and_fwd_flag": pick([0, 1], [99, 1]),
        "pickup_location_id": zones[rng.integers(0, len(zones), size)],
        "dropoff_location_id": zones[rng.integers(0, len(zones), size)],
        "payment_type": payment,
        "fare_amount": fare,
        "extra": extra,
        "mta_tax": mta,
        "tip_amount": tip,
        "tolls_amount": tolls,
        "improvement_surcharge": improvement,
        "total_amount": fare + extra + mta + tip + tolls + improvement + congestion,
        "congestion_surcharge": congestion,
    }
    if dataset == "yellow_tripdata":
        values["airport_fee"] = np.zeros(size, dtype=np.int64)
    else:
        values["ehail_fee"] = np.zeros(size, dtype=np.int64)
        values["trip_type"] = pick([1, 2], [1, 1])
    return values


def _text_columns(chunk: Chunk, dataset: str, *, quoted: bool) -> list[Any]:
    """The chunk's text, one pyarrow string array per published column (null: an empty field); `quoted`:
    as CSV fields."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fractions = pa.array([f".{cents:02d}" for cents in range(100)])
    rendered = []
    for column in _columns(dataset):
        name = column.published
        values, nulls = chunk.values[name], chunk.nulls.get(name)
        kind = _kind(column)
        if kind == "ts":
            text = pa.array(values.astype("datetime64[s]"), mask=nulls).cast(pa.string())
        elif kind == "flag":
            text = pa.array(["N", "Y"]).take(pa.array(values))
        elif kind == "money":
            amount = np.abs(values)
            text = pc.binary_join_element_wise(
                pa.array(amount // 100, mask=nulls).cast(pa.string()),
                fractions.take(pa.array(amount % 100)),
                "",
            )
            negative = values < 0
            if negative.any():
                text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
        else:
            text = pa.array(values, mask=nulls).cast(pa.string())
        for rule, value in chunk.text.get(name, {}).items():
            rows = chunk.defect == chunk.defects.index(rule)
            if rows.any():
                text = pc.if_else(pa.array(rows), pa.scalar(_csv_field(value) if quoted else value), text)
        rendered.append(text)
    return rendered


def _csv_lines(chunk: Chunk, dataset: str) -> Any:
    """The chunk as CSV bytes (one line per row, `\\n`-terminated), a pyarrow Buffer."""
    import pyarrow.compute as pc

    lines = pc.binary_join_element_wise(
        *_text_columns(chunk, dataset, quoted=True), ",", null_handling="replace", null_replacement=""
    )
    return pc.binary_join_element_wise(lines, "\n", "")


def _write_csv(handle: _Sink, dataset: str, trips: Iterator[Chunk]) -> None:
    import numpy as np

    handle.write((",".join(published_columns(dataset)) + "\n").encode())
    for chunk in trips:
        lines = _csv_lines(chunk, dataset)
        _, offsets, data = lines.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
        handle.write(memoryview(data)[int(bounds[0]) : int(bounds[-1])])


def _parquet_schema(dataset: str) -> Any:
    """TLC's Parquet types: integer ids, double counts and money, timestamps."""
    import pyarrow as pa

    fields = []
    for column in _columns(dataset):
        kind = _kind(column)
        if kind == "ts":
            kind_type = pa.timestamp("us")
        elif kind == "flag":
            kind_type = pa.string()
        elif kind == "money" or column.name in _DOUBLE_IN_PARQUET:
            kind_type = pa.float64()
        else:
            kind_type = pa.int64()
        fields.append(pa.field(column.published, kind_type))
    return pa.schema(fields)


def _typed_table(chunk: Chunk, dataset: str, schema: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    arrays = []
    for column, field in zip(_columns(dataset), schema, strict=True):
        values, nulls = chunk.values[field.name], chunk.nulls.get(field.name)
        kind = _kind(column)
        if kind == "ts":
            typed: Any = values.astype("datetime64[s]").astype("datetime64[us]")
        elif kind == "flag":
            typed = np.array(["N", "Y"], dtype=object)[values]
        elif kind == "money":
            typed = values / 100  # the double nearest to the 2-decimal text, as a CSV reader parses it
        else:
            typed = values
        arrays.append(pa.array(typed, type=field.type, mask=nulls))
    return pa.Table.from_arrays(arrays, schema=schema)


def generate(
    *, rows: int, dataset: str, month: str, dirty: float, seed: int, text_defects: bool = True
) -> Iterator[tuple[Row, str | None]]:
    """Rows as their CSV text, each with the name of the rule it was made to break (None for a valid
    trip). Row by row, for tests and small files; `chunks` is the column-wise form `write` uses."""
    names = published_columns(dataset)
    for chunk in chunks(
        rows=rows, dataset=dataset, month=month, dirty=dirty, seed=seed, text_defects=text_defects
    ):
        columns = [column.to_pylist() for column in _text_columns(chunk, dataset, quoted=False)]
        for values, broken in zip(zip(*columns, strict=True), chunk.broken(), strict=True):
            row = {name: "" if value is None else value for name, value in zip(names, values, strict=True)}
            yield row, broken


def write(
    output: Path, *, rows: int, dataset: str, file_format: str, month: str, dirty: float, seed: int
) -> Path:
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}: use one of {', '.join(FORMATS)}")
    schemas.raw_columns(dataset)
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{dataset}_{month}.{file_format}"
    trips = chunks(
        rows=rows,
        dataset=dataset,
        month=month,
        dirty=dirty,
        seed=seed,
        text_defects=file_format != "parquet",
    )
    if file_format == "csv":
        with target.open("wb") as handle:
            _write_csv(handle, dataset, trips)
    elif file_format == "csv.gz":
        # mtime=0: the same arguments give the same bytes
        with (
            target.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as packed,
        ):
            _write_csv(packed, dataset, trips)
    else:
        import pyarrow.parquet as pq

        schema = _parquet_schema(dataset)
        with pq.ParquetWriter(target, schema) as writer:
            for chunk in trips:
                writer.write_table(_typed_table(chunk, dataset, schema))
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

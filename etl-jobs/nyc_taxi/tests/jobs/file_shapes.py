"""File shapes: the real TLC rows (tests/fixtures/yellow_tripdata_2021-01_head50.csv, the first 49 trips
of January 2021) saved the ways producers save them, for either dataset.

A `Table` is the rows as text by published column name, in file order; green rows are derived from the
yellow ones (`tpep_` -> `lpep_`, TLC's green column order, its own `ehail_fee` and `trip_type`). A
`Shape` writes a table to a file (`write(table, path)`) and says how the conformed rows differ from those
of the clean CSV, if they do (`expect`). Adding a shape is one line in `SHAPES`.

Writers: the csv module and gzip for text, pyarrow for Parquet with chosen physical types (int32, int64,
double, decimal, unsigned, timestamps in s/ms/us/ns, INT96, UTC-adjusted, Arrow's null type, dictionary,
unannotated binary), pandas for what pandas writes.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from nyc_taxi.steps import schemas

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "yellow_tripdata_2021-01_head50.csv"
NEW_YORK = ZoneInfo("America/New_York")
DATASETS = ("yellow_tripdata", "green_tripdata")

Row = dict[str, str | None]


@dataclass(frozen=True)
class Table:
    """Rows as text (None: an empty field) by published column name, `columns` in file order."""

    dataset: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def prefix(self) -> str:
        return "tpep" if self.dataset == "yellow_tripdata" else "lpep"

    @property
    def times(self) -> tuple[str, str]:
        return f"{self.prefix}_pickup_datetime", f"{self.prefix}_dropoff_datetime"

    def spec(self, published: str) -> schemas.RawColumn | None:
        """The dataset's column of that published name (case-insensitive); None for an extra one."""
        for column in schemas.raw_columns(self.dataset):
            if column.published.lower() == published.lower():
                return column
        return None

    def with_columns(self, columns: Sequence[str]) -> Table:
        return replace(self, columns=tuple(columns))

    def map_column(self, column: str, change: Callable[[str | None], str | None]) -> Table:
        return replace(self, rows=tuple({**row, column: change(row.get(column))} for row in self.rows))

    def rename(self, old: str, new: str) -> Table:
        return Table(
            self.dataset,
            tuple(new if c == old else c for c in self.columns),
            tuple({(new if k == old else k): v for k, v in row.items()} for row in self.rows),
        )

    def add(self, column: str, value: Callable[[int, Row], str | None]) -> Table:
        return Table(
            self.dataset,
            (*self.columns, column),
            tuple({**row, column: value(i, row)} for i, row in enumerate(self.rows)),
        )

    def drop(self, *columns: str) -> Table:
        return self.with_columns([c for c in self.columns if c not in columns])


def real_table() -> Table:
    """The real yellow rows as TLC published them."""
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = tuple(reader.fieldnames or ())
        rows = tuple({k: (v if v != "" else None) for k, v in row.items()} for row in reader)
    return Table("yellow_tripdata", columns, rows)


def table(dataset: str) -> Table:
    """The real rows for `dataset`: yellow as published; green derived (lpep_ names, green's column
    order and its own columns: `ehail_fee` empty as in TLC's files, `trip_type` 1 = street-hail)."""
    yellow = real_table()
    if dataset == "yellow_tripdata":
        return yellow
    renamed = [
        {k.replace("tpep_", "lpep_"): v for k, v in row.items()} | {"ehail_fee": None, "trip_type": "1"}
        for row in yellow.rows
    ]
    order = [c.published for c in schemas.GREEN_RAW if c.published in renamed[0]]
    return Table(dataset, tuple(order), tuple(renamed))


# --- conformed values -------------------------------------------------------------------------------
def wall_clock(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def typed(table: Table, column: str, text: str | None) -> Any:
    """A published column's text as the Python value of its conformed type (what pyarrow writes)."""
    spec = table.spec(column)
    if text is None or spec is None:
        return text
    kind = spec.hive_type
    if kind == schemas.TIMESTAMP:
        return wall_clock(text)
    if kind == schemas.INT:
        return int(text)
    if kind == schemas.DOUBLE:
        return float(text)
    if kind == schemas.STRING:
        return text
    return Decimal(text)


# --- writers ----------------------------------------------------------------------------------------
Writer = Callable[[Table, Path], None]


def _csv_text(
    table: Table, *, delimiter: str = ",", line_end: str = "\n", quoting: int = csv.QUOTE_MINIMAL
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in table.columns])
    return out.getvalue()


def csv_writer(
    *,
    delimiter: str = ",",
    line_end: str = "\n",
    quoting: int = csv.QUOTE_MINIMAL,
    bom: bool = False,
    gz: bool = False,
    encoding: str = "utf-8",
    edit: Callable[[str], str] = lambda text: text,
) -> Writer:
    def write(table: Table, path: Path) -> None:
        text = edit(_csv_text(table, delimiter=delimiter, line_end=line_end, quoting=quoting))
        data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)

    return write


def _pyarrow() -> tuple[Any, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa, pq


def arrow_type(table: Table, column: str, types: dict[str, Any]) -> Any:
    """The Arrow type a column is written with: by published name (case-insensitive), by conformed
    kind (`int`, `double`, `money`, `timestamp`, `string`), else TLC's own choice."""
    pa, _ = _pyarrow()
    spec = table.spec(column)
    if column.lower() in types:
        return types[column.lower()]
    if spec is None:
        return pa.string()
    kind = "money" if spec.hive_type.startswith("decimal") else spec.hive_type
    if kind in types:
        return types[kind]
    return {
        schemas.INT: pa.int64(),
        schemas.DOUBLE: pa.float64(),
        "money": pa.float64(),
        schemas.TIMESTAMP: pa.timestamp("us"),
        schemas.STRING: pa.string(),
    }[kind]


def arrow_values(table: Table, column: str, arrow: Any) -> Any:
    """A column's values for an Arrow type chosen by the shape."""
    pa, _ = _pyarrow()
    values = [typed(table, column, row.get(column)) for row in table.rows]
    if pa.types.is_null(arrow):
        return pa.nulls(len(values))
    if pa.types.is_timestamp(arrow) and arrow.tz is not None:
        # the UTC instant of each New York time, as the epoch count Parquet stores (built without
        # Python tzinfo, which pyarrow ignores under PYARROW_IGNORE_TIMEZONE, set for pyspark)
        utc = [v.replace(tzinfo=NEW_YORK).astimezone(UTC).replace(tzinfo=None) if v else None for v in values]
        return pa.array(utc, type=pa.timestamp(arrow.unit)).cast(arrow)
    elif pa.types.is_string(arrow) or pa.types.is_large_string(arrow) or pa.types.is_binary(arrow):
        values = [row.get(column) for row in table.rows]
        if pa.types.is_binary(arrow):
            values = [v.encode() if v is not None else None for v in values]
    elif pa.types.is_floating(arrow):
        values = [float(v) if v is not None else None for v in values]
    elif pa.types.is_integer(arrow):
        values = [int(v) if v is not None else None for v in values]
    elif pa.types.is_decimal(arrow):
        values = [Decimal(str(v)) if v is not None else None for v in values]
    return pa.array(values, type=arrow)


def parquet_writer(types: dict[str, Any] | None = None, **options: Any) -> Writer:
    """pyarrow with chosen Arrow types (see `arrow_type`) and `pq.write_table` options."""

    def write(table: Table, path: Path) -> None:
        pa, pq = _pyarrow()
        chosen = types or {}
        arrays = [arrow_values(table, c, arrow_type(table, c, chosen)) for c in table.columns]
        pq.write_table(pa.table(arrays, names=list(table.columns)), path, **options)

    return write


def with_table(change: Callable[[Table], Table], writer: Writer) -> Writer:
    def write(table: Table, path: Path) -> None:
        writer(change(table), path)

    return write


def pandas_parquet(table: Table, path: Path) -> None:
    """pandas' own typing of the CSV (read_csv: int64, float64, datetime64[ns], object), written with a
    text index (kept as a column)."""
    import pandas as pd

    frame = pd.read_csv(io.StringIO(_csv_text(table)), parse_dates=list(table.times))
    frame.index = [f"trip-{i}" for i in range(len(frame))]  # kept by pandas as __index_level_0__
    frame.to_parquet(path)


def pandas_csv(table: Table, path: Path) -> None:
    """pandas' to_csv of its own typing: an unnamed index column first, integers with a null as floats."""
    import pandas as pd

    frame = pd.read_csv(io.StringIO(_csv_text(table)), parse_dates=list(table.times))
    frame.to_csv(path)


# --- changes of the text before writing -------------------------------------------------------------
def times_as(render: Callable[[datetime], str]) -> Callable[[Table], Table]:
    def change(table: Table) -> Table:
        for column in table.times:
            table = table.map_column(column, lambda v: render(wall_clock(v)) if v else v)
        return table

    return change


def us_12h(moment: datetime) -> str:
    return f"{moment.month}/{moment.day}/{moment.year} {(moment.hour % 12) or 12}:{moment:%M:%S} {moment:%p}"


def as_utc_z(moment: datetime) -> str:
    return moment.replace(tzinfo=NEW_YORK).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_offset(moment: datetime) -> str:
    return moment.replace(tzinfo=NEW_YORK).isoformat()


def duplicated_fee(table: Table) -> str:
    """The optional money column a dataset's files have spelled two ways."""
    return "airport_fee" if table.dataset == "yellow_tripdata" else "ehail_fee"


def case_duplicates(table: Table) -> Table:
    """The fee twice, as pandas writes months concatenated across a rename: `airport_fee` holds the
    vendor 1 trips' values, `Airport_fee` vendor 2's (each null where the other is set)."""
    fee = duplicated_fee(table)
    table = table.drop(fee)
    table = table.add(fee, lambda _i, row: "1.25" if row["VendorID"] == "1" else None)
    return table.add(fee.capitalize(), lambda _i, row: "0" if row["VendorID"] != "1" else None)


def trailing_delimiters(text: str) -> str:
    """Every line, the header too, ends with two more delimiters (spreadsheets' empty columns)."""
    return "".join(line + ",,\n" for line in text.splitlines())


def row_trailing_delimiters(text: str) -> str:
    lines = text.splitlines()
    return "\n".join([lines[0], *[line + ",," for line in lines[1:]]]) + "\n"


def blank_lines(text: str) -> str:
    return text.replace("\n", "\n\n")


def quoted_note(table: Table) -> Table:
    return table.add("note", lambda i, _: f'stop {i}, then "next"\nline two')


# --- the shapes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """A way to save a table. `expect(table, row)`: the conformed values of one row, by conformed name,
    changed from the clean CSV's (e.g. a column written all null); `rows` is how many rows the file
    holds (None: all of them)."""

    name: str
    suffix: str
    write: Writer
    expect: Callable[[Table, dict[str, Any]], dict[str, Any]] = field(default=lambda _t, row: row)
    rows: int | None = None


def _null(*names: str) -> Callable[[Table, dict[str, Any]], dict[str, Any]]:
    return lambda _t, row: {**row, **dict.fromkeys(names)}


def _fee_merged(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    fee = duplicated_fee(table)
    return {**row, fee: Decimal("1.25") if row["vendor_id"] == 1 else Decimal("0.00")}


def _arrow(**types: Any) -> dict[str, Any]:
    return types


def _shapes() -> list[Shape]:
    pa, _ = _pyarrow()
    ts_ns = pa.timestamp("ns")
    return [
        # CSV as TLC published it, and as producers and spreadsheets save it
        Shape("csv_tlc_crlf", ".csv", csv_writer(line_end="\r\n")),
        Shape("csv_lf", ".csv", csv_writer()),
        Shape("csv_excel_utf8_bom_crlf", ".csv", csv_writer(bom=True, line_end="\r\n")),
        Shape("csv_gzip", ".csv.gz", csv_writer(gz=True)),
        Shape("csv_gzip_bom_crlf", ".csv.gz", csv_writer(gz=True, bom=True, line_end="\r\n")),
        Shape("csv_all_quoted", ".csv", csv_writer(quoting=csv.QUOTE_ALL)),
        Shape(
            "csv_quoted_commas_and_line_breaks", ".csv", with_table(quoted_note, csv_writer(line_end="\r\n"))
        ),
        Shape("csv_header_and_rows_with_trailing_delimiters", ".csv", csv_writer(edit=trailing_delimiters)),
        Shape("csv_rows_with_trailing_empty_fields", ".csv", csv_writer(edit=row_trailing_delimiters)),
        Shape("csv_blank_lines", ".csv", csv_writer(edit=blank_lines)),
        Shape("csv_semicolons", ".csv", csv_writer(delimiter=";")),
        Shape("csv_tabs", ".csv", csv_writer(delimiter="\t")),
        Shape(
            "csv_columns_reversed",
            ".csv",
            with_table(lambda t: t.with_columns(t.columns[::-1]), csv_writer()),
        ),
        Shape("csv_names_upper_case", ".csv", with_table(_upper_names, csv_writer())),
        Shape("csv_extra_columns", ".csv", with_table(_extra_columns, csv_writer())),
        Shape("csv_windows_1252", ".csv", with_table(_accented_extra, csv_writer(encoding="cp1252"))),
        Shape("csv_pandas_to_csv", ".csv", pandas_csv),
        Shape(
            "csv_optional_column_missing",
            ".csv",
            with_table(lambda t: t.drop("congestion_surcharge"), csv_writer()),
            _null("congestion_surcharge"),
        ),
        Shape("csv_header_only", ".csv", with_table(lambda t: replace(t, rows=()), csv_writer()), rows=0),
        Shape(
            "csv_header_only_gzip",
            ".csv.gz",
            with_table(lambda t: replace(t, rows=()), csv_writer(gz=True)),
            rows=0,
        ),
        Shape(
            "csv_iso_t", ".csv", with_table(times_as(lambda m: m.strftime("%Y-%m-%dT%H:%M:%S")), csv_writer())
        ),
        Shape(
            "csv_iso_fraction",
            ".csv",
            with_table(times_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S}.000000"), csv_writer()),
        ),
        Shape("csv_iso_offset", ".csv", with_table(times_as(with_offset), csv_writer())),
        Shape("csv_iso_utc_z", ".csv", with_table(times_as(as_utc_z), csv_writer())),
        Shape(
            "csv_spreadsheet_24h",
            ".csv",
            with_table(times_as(lambda m: f"{m.month}/{m.day}/{m.year} {m.hour}:{m:%M:%S}"), csv_writer()),
        ),
        Shape("csv_spreadsheet_12h", ".csv", with_table(times_as(us_12h), csv_writer(line_end="\r\n"))),
        # Parquet as TLC wrote it over the years, and as other engines write it
        Shape(
            "parquet_tlc_2021",
            ".parquet",
            parquet_writer(_arrow(passenger_count=pa.float64(), ratecodeid=pa.float64())),
        ),
        Shape(
            "parquet_tlc_2023_int32_ids_airport_fee_renamed",
            ".parquet",
            with_table(
                lambda t: t.add("Airport_fee", lambda _i, _r: None),
                parquet_writer(
                    _arrow(
                        vendorid=pa.int32(),
                        pulocationid=pa.int32(),
                        dolocationid=pa.int32(),
                        airport_fee=pa.float64(),
                    )
                ),
            ),
        ),
        Shape("parquet_ints_int32", ".parquet", parquet_writer(_arrow(int=pa.int32()))),
        Shape(
            "parquet_ints_int8_int16",
            ".parquet",
            parquet_writer(_arrow(int=pa.int16(), passenger_count=pa.int8(), vendorid=pa.int8())),
        ),
        Shape(
            "parquet_ints_unsigned",
            ".parquet",
            parquet_writer(_arrow(int=pa.uint32(), pulocationid=pa.uint64(), passenger_count=pa.uint8())),
        ),
        Shape("parquet_ints_double", ".parquet", parquet_writer(_arrow(int=pa.float64()))),
        Shape("parquet_ints_decimal", ".parquet", parquet_writer(_arrow(int=pa.decimal128(10, 0)))),
        Shape("parquet_money_decimal", ".parquet", parquet_writer(_arrow(money=pa.decimal128(10, 2)))),
        Shape("parquet_money_wide_decimal", ".parquet", parquet_writer(_arrow(money=pa.decimal128(38, 18)))),
        Shape(
            "parquet_money_float32",
            ".parquet",
            parquet_writer(_arrow(money=pa.float32(), double=pa.float32())),
        ),
        Shape("parquet_timestamps_seconds", ".parquet", parquet_writer(_arrow(timestamp=pa.timestamp("s")))),
        Shape("parquet_timestamps_millis", ".parquet", parquet_writer(_arrow(timestamp=pa.timestamp("ms")))),
        Shape(
            "parquet_timestamps_nanos",
            ".parquet",
            parquet_writer(_arrow(timestamp=ts_ns), version="2.6", coerce_timestamps=None),
        ),
        Shape("parquet_timestamps_int96", ".parquet", parquet_writer(use_deprecated_int96_timestamps=True)),
        Shape(
            "parquet_timestamps_utc_adjusted",
            ".parquet",
            parquet_writer(_arrow(timestamp=pa.timestamp("us", tz="America/New_York"))),
        ),
        Shape("parquet_timestamps_as_text", ".parquet", parquet_writer(_arrow(timestamp=pa.string()))),
        Shape(
            "parquet_all_null_columns_null_type",
            ".parquet",
            with_table(
                lambda t: t.add("airport_fee", lambda _i, _r: None).add(
                    "cbd_congestion_fee", lambda _i, _r: None
                ),
                parquet_writer(
                    _arrow(
                        congestion_surcharge=pa.null(),
                        airport_fee=pa.null(),
                        cbd_congestion_fee=pa.int32(),
                        ehail_fee=pa.null(),
                    )
                ),
            ),
            _null("congestion_surcharge"),
        ),
        Shape(
            "parquet_strings_dictionary_and_binary",
            ".parquet",
            parquet_writer(
                _arrow(store_and_fwd_flag=pa.binary(), string=pa.large_string()), use_dictionary=True
            ),
        ),
        Shape(
            "parquet_every_column_text",
            ".parquet",
            parquet_writer(
                _arrow(int=pa.string(), double=pa.string(), money=pa.string(), timestamp=pa.string())
            ),
        ),
        Shape(
            "parquet_columns_reversed_lower_case", ".parquet", with_table(_reversed_lower, parquet_writer())
        ),
        Shape("parquet_extra_columns_nested_and_time", ".parquet", _parquet_with_odd_extras),
        Shape("parquet_row_groups_of_ten", ".parquet", parquet_writer(row_group_size=10)),
        Shape("parquet_pandas", ".parquet", pandas_parquet),
        Shape(
            "parquet_case_duplicates", ".parquet", with_table(case_duplicates, parquet_writer()), _fee_merged
        ),
        Shape("csv_case_duplicates", ".csv", with_table(case_duplicates, csv_writer()), _fee_merged),
        Shape(
            "parquet_zero_rows",
            ".parquet",
            with_table(lambda t: replace(t, rows=()), parquet_writer()),
            rows=0,
        ),
    ]


def _upper_names(table: Table) -> Table:
    for column in table.columns:
        table = table.rename(column, column.upper())
    return table


def _reversed_lower(table: Table) -> Table:
    for column in table.columns:
        table = table.rename(column, column.lower())
    return table.with_columns(table.columns[::-1])


def _extra_columns(table: Table) -> Table:
    return table.add("driver_mood", lambda i, _: "happy" if i % 2 else None).add(
        "Unnamed: 0", lambda i, _: str(i)
    )


def _accented_extra(table: Table) -> Table:
    return table.add("pickup_place", lambda i, _: "Café Métropole" if i % 3 == 0 else "Bronx")


def _parquet_with_odd_extras(table: Table, path: Path) -> None:
    """TLC columns with TLC types, plus extra columns Spark cannot take as one value (a struct, a list)
    or at all (TIME)."""
    import datetime as dt

    pa, pq = _pyarrow()
    arrays = [arrow_values(table, c, arrow_type(table, c, {})) for c in table.columns]
    count = len(table.rows)
    arrays += [
        pa.array([{"lat": 40.7, "lon": -74.0}] * count),
        pa.array([[1, 2]] * count),
        pa.array([dt.time(1, 2, 3)] * count, pa.time64("us")),
    ]
    names = [*table.columns, "pickup_point", "stops", "meter_time"]
    pq.write_table(pa.table(arrays, names=names), path)


SHAPES: tuple[Shape, ...] = tuple(_shapes())


def shape(name: str) -> Shape:
    return next(s for s in SHAPES if s.name == name)


# --- bad values -------------------------------------------------------------------------------------
def mutate(row: Row, column: str, value: str | None) -> Row:
    """The row with one field replaced (by published name, case-insensitive)."""
    key = next((k for k in row if k.lower() == column.lower()), column)
    return {**row, key: value}


def shift(row: Row, table: Table, hours: float) -> Row:
    """Both times moved by `hours` (keeps the trip valid)."""
    pickup, dropoff = table.times
    moved = {
        c: (wall_clock(row[c]) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")
        if row.get(c)
        else row.get(c)
        for c in (pickup, dropoff)
    }
    return {**row, **moved}

"""A bad value never fails a file: whatever text or type a field holds, the row is conformed or
quarantined with the rule that caught it, in ANSI mode and without it.

Each variant is one real TLC row (file_shapes.table) with one field changed (`mutate`); a file holds
them all and is read and classified as the job does (`storage.reading` + `conform.to_conformed`), once
per dataset and ANSI mode. Text goes through CSV; typed values (NaN, 1.5 in an integer column, epoch
counts out of range, ancient INT96 dates, unsigned 64-bit ids...) through Parquet written by pyarrow.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import conform
from pyspark.sql import Row, SparkSession

from job_family.glue.runtime import job_runtime, storage

from . import file_shapes
from .file_shapes import DATASETS, Table, mutate, wall_clock

pytestmark = pytest.mark.spark

KEEP = object()  # the row's own value, as the clean CSV conforms it


@dataclass(frozen=True)
class Bad:
    """One variant: `column` (a published name, or `pickup`/`dropoff`) set to `value` (text, or a
    function of the row's text); the rule the row must break (None: conformed), and the conformed
    value it must then have (`parsed`: a value, a function of the row's text, or KEEP)."""

    name: str
    column: str
    value: str | Callable[[file_shapes.Row, Table], str] | None
    rule: str | None
    parsed: Any = KEEP


def pickup_as(fmt: Callable[[datetime], str]) -> Callable[[file_shapes.Row, Table], str]:
    return lambda row, table: fmt(wall_clock(str(row[table.times[0]])))


def pickup_plus(**delta: int) -> Callable[[file_shapes.Row, Table], datetime]:
    from datetime import timedelta

    return lambda row, table: wall_clock(str(row[table.times[0]])) + timedelta(**delta)


def pickup_minutes(row: file_shapes.Row, table: Table) -> datetime:
    return wall_clock(str(row[table.times[0]])).replace(second=0)


UNPARSEABLE_PICKUP = "unparseable_pickup_datetime"
TEXT: tuple[Bad, ...] = (
    # timestamps: every accepted form gives the row's own time (New York wall clock)
    Bad("tlc", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S}"), None),
    Bad("iso_t", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%dT%H:%M:%S}"), None),
    Bad("iso_t_lower", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%dt%H:%M:%S}"), None),
    Bad("iso_millis", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S}.000"), None),
    Bad("iso_nanos", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%dT%H:%M:%S}.000000999"), None),
    Bad(
        "iso_comma_fraction",
        "pickup",
        pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S},5"),
        None,
        pickup_plus(microseconds=500000),
    ),
    Bad("iso_minutes", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M}"), None, pickup_minutes),
    Bad("iso_t_minutes", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%dT%H:%M}"), None, pickup_minutes),
    Bad(
        "iso_single_digits",
        "pickup",
        pickup_as(lambda m: f"{m.year}-{m.month}-{m.day} {m.hour}:{m:%M:%S}"),
        None,
    ),
    Bad("iso_offset_new_york", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%dT%H:%M:%S}-05:00"), None),
    Bad("iso_offset_no_colon", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S}-0500"), None),
    Bad("iso_offset_hours", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S}-05"), None),
    Bad("iso_offset_after_space", "pickup", pickup_as(lambda m: f"{m:%Y-%m-%d %H:%M:%S} -05:00"), None),
    Bad("iso_utc_z", "pickup", pickup_as(file_shapes.as_utc_z), None),
    Bad("iso_utc_lower_z", "pickup", pickup_as(lambda m: file_shapes.as_utc_z(m).lower()), None),
    Bad(
        "utc_suffix",
        "pickup",
        pickup_as(lambda m: file_shapes.as_utc_z(m).replace("T", " ").replace("Z", " UTC")),
        None,
    ),
    Bad(
        "offset_plus_zero",
        "pickup",
        pickup_as(lambda m: file_shapes.as_utc_z(m).replace("Z", "+00:00")),
        None,
    ),
    Bad("year_first_slashes", "pickup", pickup_as(lambda m: f"{m:%Y/%m/%d %H:%M:%S}"), None),
    Bad("us_24h", "pickup", pickup_as(lambda m: f"{m.month}/{m.day}/{m.year} {m.hour}:{m:%M:%S}"), None),
    Bad("us_24h_padded", "pickup", pickup_as(lambda m: f"{m:%m/%d/%Y %H:%M:%S}"), None),
    Bad(
        "us_24h_minutes",
        "pickup",
        pickup_as(lambda m: f"{m.month}/{m.day}/{m.year} {m.hour}:{m:%M}"),
        None,
        pickup_minutes,
    ),
    Bad("us_12h", "pickup", pickup_as(file_shapes.us_12h), None),
    Bad("us_12h_lower", "pickup", pickup_as(lambda m: file_shapes.us_12h(m).lower()), None),
    Bad(
        "us_12h_dots",
        "pickup",
        pickup_as(lambda m: file_shapes.us_12h(m).replace("AM", "a.m.").replace("PM", "p.m.")),
        None,
    ),
    Bad(
        "us_12h_minutes",
        "pickup",
        pickup_as(lambda m: f"{m.month}/{m.day}/{m.year} {(m.hour % 12) or 12}:{m:%M %p}"),
        None,
        pickup_minutes,
    ),
    Bad("spaces_around", "pickup", pickup_as(lambda m: f"  {m:%Y-%m-%d %H:%M:%S}  "), None),
    # timestamps that are not: quarantined, never guessed
    Bad("date_only", "pickup", "2021-01-01", UNPARSEABLE_PICKUP),
    Bad("time_only", "pickup", "00:30:10", UNPARSEABLE_PICKUP),
    Bad("two_digit_year", "pickup", "1/1/21 0:30", UNPARSEABLE_PICKUP),
    Bad("day_first_dots", "pickup", "01.01.2021 00:30:10", UNPARSEABLE_PICKUP),
    Bad("no_such_day", "pickup", "2021-02-29 10:00:00", UNPARSEABLE_PICKUP),
    Bad("hour_24", "pickup", "2021-01-01 24:00:00", UNPARSEABLE_PICKUP),
    Bad("minute_60", "pickup", "2021-01-01 10:60:00", UNPARSEABLE_PICKUP),
    Bad("second_60", "pickup", "2021-01-01 10:00:60", UNPARSEABLE_PICKUP),
    Bad("month_13", "pickup", "2021-13-01 10:00:00", UNPARSEABLE_PICKUP),
    Bad("us_month_13", "pickup", "13/01/2021 10:00", UNPARSEABLE_PICKUP),
    Bad("pm_hour_13", "pickup", "1/1/2021 13:00 PM", UNPARSEABLE_PICKUP),
    Bad("am_hour_0", "pickup", "1/1/2021 0:30 AM", UNPARSEABLE_PICKUP),
    Bad("offset_25h", "pickup", "2021-01-01T00:30:10+25:00", UNPARSEABLE_PICKUP),
    Bad("zone_abbreviation", "pickup", "2021-01-01 00:30:10 EST", UNPARSEABLE_PICKUP),
    Bad("zone_name", "pickup", "2021-01-01 00:30:10 America/New_York", UNPARSEABLE_PICKUP),
    Bad("ten_fraction_digits", "pickup", "2021-01-01 00:30:10.1234567890", UNPARSEABLE_PICKUP),
    Bad("epoch_seconds", "pickup", "1609461010", UNPARSEABLE_PICKUP),
    Bad("epoch_millis", "pickup", "1609461010000", UNPARSEABLE_PICKUP),
    Bad("month_name", "pickup", "Jan 1 2021 00:30", UNPARSEABLE_PICKUP),
    Bad("year_zero", "pickup", "0000-01-01 00:00:00", UNPARSEABLE_PICKUP),
    Bad("fullwidth_digits", "pickup", "\uff12\uff10\uff12\uff11-01-01 00:30:10", UNPARSEABLE_PICKUP),
    Bad("words", "pickup", "yesterday", UNPARSEABLE_PICKUP),
    Bad("null_text", "pickup", "NULL", UNPARSEABLE_PICKUP),
    Bad("empty_pickup", "pickup", None, "pickup_missing"),
    Bad("blank_pickup", "pickup", "   ", "pickup_missing"),
    Bad("far_past", "pickup", "1999-01-01 00:30:10", "pickup_outside_file_month"),
    Bad("dropoff_first", "dropoff", "2020-12-31 23:00:00", "dropoff_before_pickup"),
    # integers
    Bad("int_padded", "passenger_count", " 2 ", None, 2),
    Bad("int_as_float_text", "passenger_count", "2.0", None, 2),
    Bad("int_plus", "passenger_count", "+2", None, 2),
    Bad("int_exponent", "passenger_count", "2e0", None, 2),
    Bad("int_leading_zero", "passenger_count", "02", None, 2),
    Bad("int_fraction", "passenger_count", "1.5", "unparseable_passenger_count"),
    Bad("int_word", "passenger_count", "two", "unparseable_passenger_count"),
    Bad("int_decimal_comma", "passenger_count", "2,0", "unparseable_passenger_count"),
    Bad("int_nan", "passenger_count", "NaN", "unparseable_passenger_count"),
    Bad("int_infinity", "passenger_count", "Infinity", "unparseable_passenger_count"),
    Bad("int_huge", "passenger_count", "99999999999999999999", "unparseable_passenger_count"),
    Bad("int_hex", "passenger_count", "0x2", "unparseable_passenger_count"),
    Bad("int_with_unit", "passenger_count", "2 people", "unparseable_passenger_count"),
    Bad("int_negative", "passenger_count", "-1", "passenger_count_out_of_range"),
    Bad("int_too_many", "passenger_count", "10", "passenger_count_out_of_range"),
    Bad("zone_zero", "PULocationID", "0", "pickup_zone_out_of_range"),
    Bad("zone_266", "DOLocationID", "266", "dropoff_zone_out_of_range"),
    Bad("zone_empty", "PULocationID", None, "pickup_zone_out_of_range"),
    Bad("zone_exponent", "PULocationID", "1e2", None, 100),
    Bad("vendor_word", "VendorID", "CMT", "unparseable_vendor_id"),
    Bad("payment_word", "payment_type", "card", "unparseable_payment_type"),
    Bad("ratecode_beyond_int", "RatecodeID", "2147483648", "unparseable_ratecode_id"),
    # doubles
    Bad("double_leading_dot", "trip_distance", ".5", None, 0.5),
    Bad("double_trailing_dot", "trip_distance", "5.", None, 5.0),
    Bad("double_exponent", "trip_distance", "1e1", None, 10.0),
    Bad("double_nan", "trip_distance", "NaN", "unparseable_trip_distance"),
    Bad("double_inf", "trip_distance", "inf", "unparseable_trip_distance"),
    Bad("double_overflow", "trip_distance", "1e400", "unparseable_trip_distance"),
    Bad("double_decimal_comma", "trip_distance", "2,5", "unparseable_trip_distance"),
    Bad("double_negative", "trip_distance", "-0.1", "negative_distance"),
    # money
    Bad("money_integer", "fare_amount", "8", None, Decimal("8.00")),
    Bad("money_exponent", "fare_amount", "1e1", None, Decimal("10.00")),
    Bad("money_rounded", "fare_amount", "8.005", None, Decimal("8.01")),
    Bad("money_decimal_comma", "fare_amount", "12,50", "unparseable_fare_amount"),
    Bad("money_currency", "fare_amount", "$8", "unparseable_fare_amount"),
    Bad("money_with_unit", "fare_amount", "8 USD", "unparseable_fare_amount"),
    Bad("money_nan", "tip_amount", "NaN", "unparseable_tip_amount"),
    Bad("money_overflow", "total_amount", "1e20", "unparseable_total_amount"),
    Bad("money_accounting_negative", "tolls_amount", "(5.00)", "unparseable_tolls_amount"),
    Bad("money_negative", "fare_amount", "-5", "negative_fare"),
    Bad("optional_money_word", "congestion_surcharge", "n/a", "unparseable_congestion_surcharge"),
    # text
    Bad("flag_padded", "store_and_fwd_flag", " Y ", None, "Y"),
    Bad("flag_empty", "store_and_fwd_flag", None, None, None),
    Bad("flag_unicode", "store_and_fwd_flag", "ñ", None, "ñ"),
)


def _fields(table: Table, row: file_shapes.Row) -> list[str]:
    return ["" if row.get(c) is None else str(row.get(c)) for c in table.columns]


def _fare_with_unquoted_comma(table: Table, row: file_shapes.Row) -> list[str]:
    fields = _fields(table, row)
    at = table.columns.index("fare_amount")
    return [*fields[:at], "8", "50", *fields[at + 1 :]]


# Whole CSV rows after the variants (fields of a real row, changed), with the rules they break by
# dataset: an unquoted comma in a value shifts every column after it (yellow's shifted values all
# parse, green's total_amount lands in payment_type); fewer values than the header: the rest is null;
# empty values beyond the header are nothing; a quoted value holds the delimiter, quotes, a line break.
RAW_ROWS: tuple[tuple[str, Callable[[Table, file_shapes.Row], list[str]], dict[str, list[str]]], ...] = (
    (
        "unquoted_comma_in_fare",
        _fare_with_unquoted_comma,
        {
            "yellow_tripdata": ["malformed_row"],
            "green_tripdata": ["unparseable_payment_type", "malformed_row"],
        },
    ),
    ("last_value_missing", lambda t, r: _fields(t, r)[:-1], {}),
    ("trailing_empty_values", lambda t, r: [*_fields(t, r), "", "", ""], {}),
    (
        "quoted_delimiter_quote_line_break",
        lambda t, r: [
            f if c != "store_and_fwd_flag" else 'N, "really"\nN'
            for c, f in zip(t.columns, _fields(t, r), strict=True)
        ],
        {},
    ),
)


def _column(bad: Bad, table: Table) -> str:
    return {"pickup": table.times[0], "dropoff": table.times[1]}.get(bad.column, bad.column)


def _value(bad: Bad, row: file_shapes.Row, table: Table) -> str | None:
    return bad.value(row, table) if callable(bad.value) else bad.value


def text_file(table: Table, path: Path) -> list[tuple[Bad | str, file_shapes.Row]]:
    """The CSV of the variants, then RAW_ROWS, each from a real row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    rows: list[tuple[Bad | str, file_shapes.Row]] = []
    for i, bad in enumerate(TEXT):
        base = table.rows[i % len(table.rows)]
        row = mutate(base, _column(bad, table), _value(bad, base, table))
        writer.writerow(_fields(table, row))
        rows.append((bad, base))
    for name, fields, _ in RAW_ROWS:
        base = table.rows[0]
        line = fields(table, base)
        if name == "unquoted_comma_in_fare":
            out.write(",".join(line) + "\n")  # unquoted on purpose
        else:
            writer.writerow(line)
        rows.append((name, base))
    path.write_text(out.getvalue(), encoding="utf-8")
    return rows


@contextmanager
def ansi(spark: SparkSession, enabled: bool) -> Iterator[None]:
    before = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", str(enabled).lower())
    try:
        yield
    finally:
        spark.conf.set("spark.sql.ansi.enabled", str(before))


def classify_file(spark: SparkSession, path: Path, dataset: str) -> list[Row]:
    """The classified rows of a file, read and classified as the job does, in file order."""
    expected = [c.published for c in conform.schemas.raw_columns(dataset)]
    with storage.reading(spark, str(path), expected_columns=expected) as source:
        result = conform.to_conformed(
            source,
            dataset=dataset,
            source_file=str(path),
            run_id="bad-values",
            file_month=conform.file_month_from_name(str(path)),
        )
        with job_runtime.session_conf(spark, conform.CLASSIFY_CONF):  # as the job evaluates it
            return result.classified.collect()


def expected_value(bad: Bad, base: file_shapes.Row, table: Table) -> Any:
    column = _column(bad, table)
    if bad.parsed is KEEP:
        return file_shapes.typed(table, column, base.get(column))
    return bad.parsed(base, table) if callable(bad.parsed) else bad.parsed


def conformed_name(table: Table, column: str) -> str:
    spec = table.spec(column)
    assert spec is not None
    return spec.name


@pytest.mark.parametrize("ansi_enabled", [False, True], ids=["ansi_off", "ansi_on"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_text_value_is_conformed_or_quarantined_by_its_rule(
    spark: SparkSession, tmp_path: Path, dataset: str, ansi_enabled: bool
) -> None:
    table = file_shapes.table(dataset)
    path = tmp_path / dataset / f"{dataset}_2021-01.csv"
    path.parent.mkdir(parents=True)
    written = text_file(table, path)
    with ansi(spark, ansi_enabled):
        rows = classify_file(spark, path, dataset)
    assert len(rows) == len(written)
    failures = []
    for (variant, base), row in zip(written, rows, strict=True):
        if isinstance(variant, Bad):
            expected_rules = [variant.rule] if variant.rule else []
            if row[conform.BROKEN_RULES] != expected_rules:
                failures.append((variant.name, row[conform.BROKEN_RULES], expected_rules))
            elif variant.rule is None:
                name = conformed_name(table, _column(variant, table))
                value = expected_value(variant, base, table)
                if row[name] != value:
                    failures.append((variant.name, row[name], value))
            else:
                name = conformed_name(table, _column(variant, table))
                text = _value(variant, base, table)
                kept = row[conform.quality.raw_name(name)]
                if text is not None and text.strip() and kept != text.strip():
                    failures.append((variant.name, "quarantine keeps", kept, text))
        else:
            expected_rules = next(rules for name, _, rules in RAW_ROWS if name == variant).get(dataset, [])
            if row[conform.BROKEN_RULES] != expected_rules:
                failures.append((variant, row[conform.BROKEN_RULES], expected_rules))
    assert failures == []


# --- typed values (Parquet) -------------------------------------------------------------------------
MILLIS_BEYOND_RANGE = 9_300_000_000_000_000_000 // 1000  # ~year 296,000: no Spark timestamp holds it
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Typed:
    name: str
    column: str  # published name or pickup/dropoff
    value: Any
    rule: str | None
    parsed: Any = KEEP


# The Arrow type each column is written with in the typed file (file_shapes.arrow_type keys).
def typed_types() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "passenger_count": pa.float64(),
        "pulocationid": pa.int64(),
        "ratecodeid": pa.decimal128(20, 2),
        "vendorid": pa.uint64(),
        "fare_amount": pa.float64(),
        "total_amount": pa.decimal128(38, 18),
        "congestion_surcharge": pa.float32(),
        "store_and_fwd_flag": pa.binary(),
        "pickup": pa.timestamp("ms"),
        "dropoff": pa.timestamp("ns"),
    }


TYPED: tuple[Typed, ...] = (
    Typed("double_fraction_for_int", "passenger_count", 1.5, "unparseable_passenger_count"),
    Typed("double_nan_for_int", "passenger_count", float("nan"), "unparseable_passenger_count"),
    Typed("double_inf_for_int", "passenger_count", float("inf"), "unparseable_passenger_count"),
    Typed("double_huge_for_int", "passenger_count", 1e20, "unparseable_passenger_count"),
    Typed("double_negative_zero_for_int", "passenger_count", -0.0, None, 0),
    Typed("int64_beyond_int", "PULocationID", 2**40, "unparseable_pickup_location_id"),
    Typed("int64_negative_zone", "PULocationID", -5, "pickup_zone_out_of_range"),
    Typed("decimal_fraction_for_int", "RatecodeID", Decimal("1.50"), "unparseable_ratecode_id"),
    Typed("decimal_huge_for_int", "RatecodeID", Decimal("99999999999.00"), "unparseable_ratecode_id"),
    Typed("decimal_whole_for_int", "RatecodeID", Decimal("5.00"), None, 5),
    Typed("uint64_beyond_long", "VendorID", 2**63 + 5, "unparseable_vendor_id"),
    Typed("double_nan_money", "fare_amount", float("nan"), "unparseable_fare_amount"),
    Typed("double_inf_money", "fare_amount", float("-inf"), "unparseable_fare_amount"),
    Typed("double_huge_money", "fare_amount", 1e300, "unparseable_fare_amount"),
    Typed("double_negative_money", "fare_amount", -2.5, "negative_fare"),
    Typed(
        "wide_decimal_overflow_money",
        "total_amount",
        Decimal("10000000000000000000.000000000000000000"),
        "unparseable_total_amount",
    ),
    Typed("float_nan_money", "congestion_surcharge", float("nan"), "unparseable_congestion_surcharge"),
    Typed("invalid_utf8_bytes", "store_and_fwd_flag", b"\xff\xfe", None, "\ufffd\ufffd"),
    Typed("millis_beyond_range", "pickup", MILLIS_BEYOND_RANGE, UNPARSEABLE_PICKUP),
    Typed("millis_year_1500", "pickup", datetime(1500, 1, 1, 10, 0), "pickup_outside_file_month"),
    Typed("millis_before_1970", "pickup", datetime(1960, 1, 1, 10, 0), "pickup_outside_file_month"),
    Typed("nanos_min", "dropoff", INT64_MIN, "dropoff_before_pickup"),
    Typed("nanos_max", "dropoff", INT64_MAX, None, datetime(2262, 4, 11, 23, 47, 16, 854775)),
)


def typed_file(table: Table, path: Path) -> list[tuple[Typed, file_shapes.Row]]:
    """A Parquet file of the variants, each one real row with one typed value replaced."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = typed_types()
    chosen = {**types, table.times[0].lower(): types["pickup"], table.times[1].lower(): types["dropoff"]}
    bases = [table.rows[i % len(table.rows)] for i in range(len(TYPED))]
    rows = tuple(bases)
    arrays = []
    for column in table.columns:
        arrow = file_shapes.arrow_type(table, column, chosen)
        values = list(
            file_shapes.arrow_values(Table(table.dataset, table.columns, rows), column, arrow).to_pylist()
        )
        for i, variant in enumerate(TYPED):
            if _typed_column(variant, table) == column:
                values[i] = variant.value
        if pa.types.is_timestamp(arrow) and any(isinstance(v, int) for v in values):
            counts = [_epoch(v, arrow.unit) for v in values]
            arrays.append(pa.array(counts, pa.int64()).cast(arrow))
        else:
            arrays.append(pa.array(values, arrow))
    pq.write_table(pa.table(arrays, names=list(table.columns)), path, version="2.6", coerce_timestamps=None)
    return list(zip(TYPED, bases, strict=True))


def _epoch(value: Any, unit: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    per_second = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    delta = value - datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * per_second + delta.microseconds * per_second // 1_000_000


def _typed_column(variant: Typed, table: Table) -> str:
    return {"pickup": table.times[0], "dropoff": table.times[1]}.get(variant.column, variant.column)


@pytest.mark.parametrize("ansi_enabled", [False, True], ids=["ansi_off", "ansi_on"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_typed_value_is_conformed_or_quarantined_by_its_rule(
    spark: SparkSession, tmp_path: Path, dataset: str, ansi_enabled: bool
) -> None:
    table = file_shapes.table(dataset)
    path = tmp_path / dataset / f"{dataset}_2021-01.parquet"
    path.parent.mkdir(parents=True)
    written = typed_file(table, path)
    with ansi(spark, ansi_enabled):
        rows = classify_file(spark, path, dataset)
    assert len(rows) == len(written)
    failures = []
    for (variant, _), row in zip(written, rows, strict=True):
        expected_rules = [variant.rule] if variant.rule else []
        name = conformed_name(table, _typed_column(variant, table))
        if row[conform.BROKEN_RULES] != expected_rules:
            failures.append((variant.name, row[conform.BROKEN_RULES], expected_rules))
        elif variant.rule is None and variant.parsed is not KEEP and row[name] != variant.parsed:
            failures.append((variant.name, row[name], variant.parsed))
        elif variant.rule is not None and variant.rule.startswith("unparseable_"):
            assert row[conform.quality.raw_name(name)] is not None, variant.name  # the value is kept as text
    assert failures == []


def test_columns_of_a_type_that_means_no_timestamp_or_number_quarantine_every_row(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A date, a bare epoch number (unit unknown) or a boolean where a time or a zone id belongs:
    each row quarantined with the column's rule, never guessed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = file_shapes.table("yellow_tripdata")
    pickup, dropoff = table.times
    arrays, names = [], []
    for column in table.columns:
        if column == pickup:
            arrays.append(pa.array([1609461010 + i for i in range(len(table.rows))], pa.int64()))
        elif column == dropoff:
            arrays.append(pa.array([wall_clock(str(r[dropoff])).date() for r in table.rows], pa.date32()))
        elif column == "PULocationID":
            arrays.append(pa.array([True] * len(table.rows)))
        else:
            arrays.append(file_shapes.arrow_values(table, column, file_shapes.arrow_type(table, column, {})))
        names.append(column)
    path = tmp_path / "yellow_tripdata_2021-01.parquet"
    pq.write_table(pa.table(arrays, names=names), path)
    rows = classify_file(spark, path, "yellow_tripdata")
    assert {tuple(r[conform.BROKEN_RULES]) for r in rows} == {
        (
            "unparseable_pickup_datetime",
            "unparseable_dropoff_datetime",
            "unparseable_pickup_location_id",
        )
    }
    assert rows[0][conform.quality.raw_name("pickup_datetime")] == "1609461010"

"""Values read by meaning, never raising: Column expressions that turn what a producer stored into a typed
value, or null when it is not one. Nothing here can fail a Spark job on data, with ANSI mode on or off:
every cast is either a `try_` form or done only after its input was checked to be valid, so a caller
compares the result with the input (null result, non-null input: the value did not parse) and quarantines the row.

Timestamps given as text (`timestamp_from_text`) are accepted in these forms, and no other:

| form | examples |
|---|---|
| ISO 8601 / TLC's own: `Y-M-D` then `T` or spaces, `h:mm`, optional `:ss`, optional fraction (`.` or `,`, 1-9 digits) | `2021-01-01 00:30:10` (TLC), `2021-01-01T00:30:10.123456789`, `2021-01-01 00:30`, `2021-1-5 0:30:10` |
| the same with an offset or zone suffix: `Z`, `UTC`, `GMT`, `+hh:mm`, `+hhmm`, `+hh` (optionally after a space) | `2021-01-01T05:30:10Z`, `2021-01-01 00:30:10-05:00`, `2021-01-01 05:30:10 UTC`, `2021-01-01 00:30:10-0500` |
| `Y/M/D` with the same time part (spreadsheets in year-first locales) | `2021/01/01 00:30:10` |
| spreadsheet month/day/year with a 24-hour clock | `1/1/2021 0:30`, `01/01/2021 00:30:10` |
| spreadsheet month/day/year with a 12-hour clock (`AM`/`PM`, any case, `a.m.` too) | `1/1/2021 12:30:10 AM`, `01/01/2021 1:05 PM` |

A year has 4 digits; month, day and hour 1-2; minutes and seconds 2. The date must exist (`2021-02-29`
does not) and the time must be on the clock (`24:00`, `:60`, `13:00 PM` are not). A value without an
offset is a wall-clock time and is kept as written; a value with one is an instant and becomes the
wall-clock time of `local_zone` at that instant. Anything else (a date alone, a time alone, two-digit
years, day-first dates `31.01.2021`, epoch numbers, month names) is not a timestamp: null, never a guess.
Fractions beyond microseconds are truncated (Spark timestamps hold microseconds).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

# Every offset a zone has ever used fits in +-18:00 (java.time.ZoneOffset's range).
_MAX_OFFSET_HOURS = 18
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
# TLC's own text (`2021-01-01 00:30:10`): Spark's cast reads it; most files hold nothing else.
_FAST = r"^[1-9]\d{3}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$"
# (the date and time, the separator, the zone) of ISO 8601 and year-first text
_ISO = r"(?i)^(\d{4}([-/])\d{1,2}\2\d{1,2}(?:T|\s+)" + _CLOCK + r")\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
# (the date and time, A or P) of spreadsheet month/day/year text
_US = r"(?i)^(\d{1,2}/\d{1,2}/\d{4}\s+" + _CLOCK + r")(?:\s*([AP])\.?M\.?)?$"
# (month, day, year) of the date that starts the spreadsheet text `_US` takes
_US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})"

# Spark's range of timestamps is wider than any date a file means; these bounds keep arithmetic on
# epoch values inside a long (micros = millis * 1000 never overflows inside them).
_MAX_EPOCH_MILLIS = 9_223_372_036_854_775


def _number(digits: Column) -> Column:
    """A run of digits (from a split on non-digits, so nothing else) as a number, 0 when empty, null
    when null. At most 9 digits are read, so the cast cannot fail whatever row it is evaluated on. (A
    leading `0` instead of a test for an empty run: `digits` is used once, see `timestamp_from_text`.)"""
    return F.substring(F.concat(F.lit("0"), digits), 1, 10).cast("long")


def _parts(text: Column) -> Column:
    """The runs of digits of a date and time, in order."""
    return F.split(text, "[^0-9]+")


def _micros(fraction: Column) -> Column:
    """`5` (of `.5`) -> 500000 µs; digits beyond the sixth are dropped; null -> 0."""
    digits = F.substring(F.coalesce(fraction, F.lit("")), 1, 6)
    return F.when(digits != "", F.rpad(digits, 6, "0").cast("int")).otherwise(F.lit(0))


def timestamp_from_text(column: str, *, local_zone: str) -> Column:
    """A timestamp from the text in column `column` in one of the accepted forms (module docstring), else
    null.

    The result is a wall-clock time in the job's session time zone (UTC on Glue and locally): text with
    an offset is converted to the wall clock of `local_zone` (e.g. `America/New_York`).

    Each part is used in as few places as it can be. A Column is a tree, so a part used twice is copied
    twice: Spark evaluates the copies once per row, but analyses, optimizes and generates code for each,
    and copies inside copies multiply. Written with a check of every part before the cast, the two
    timestamp columns of a trip file were 216 of the 220 KB of the conform plan's expressions (as text),
    and a warm 50-row raw_to_conformed spent about 1 s more building, planning and compiling it
    (`docs/benchmarks/throughput.md`). Here the cast checks the calendar and the clock itself.
    """
    quoted = "`" + column.replace("`", "``") + "`"
    value = F.trim(F.col(quoted))
    # TLC's own shape: Spark's cast reads it (try_cast: null for a date that does not exist, never an error)
    fast = F.expr(f"try_cast(trim({quoted}) AS timestamp)")

    # the other forms share one computation: the date and time part, spreadsheet month/day/year put in
    # year-first order, split into its digit runs (year, month, day, hour, minute, second, fraction)
    iso = value.rlike(_ISO)
    year_first = F.regexp_replace(F.regexp_extract(value, _US, 1), _US_DATE, "$3/$1/$2")
    parts = _parts(F.when(iso, F.regexp_extract(value, _ISO, 1)).otherwise(year_first))
    year, month, day, hour, minute, second = (_number(F.get(parts, i)) for i in range(6))
    half = F.when(iso, F.lit("")).otherwise(F.upper(F.regexp_extract(value, _US, 2)))
    hour24 = (
        F.when(half == "", hour)
        .when(hour.between(1, 12), hour % 12 + F.when(half == "P", 12).otherwise(0))
        .otherwise(F.lit(99))  # 0:30 PM, 13:00 AM: off the clock
    )
    # Canonical text, cast without raising: null unless the date exists and the time is on the clock
    # (month 1-12, the month's days, hour 0-23, minute and second 0-59); year 0 is not a year.
    canonical = F.format_string(
        "%04d-%02d-%02d %02d:%02d:%02d.%06d",
        year,
        month,
        day,
        hour24,
        minute,
        F.coalesce(second, F.lit(0)),
        _micros(F.get(parts, 6)),
    )
    wall = F.when(year >= 1, F.try_to_timestamp(canonical))
    zone = F.when(iso, F.upper(F.regexp_extract(value, _ISO, 3))).otherwise(F.lit(""))
    named_utc = zone.isin("Z", "UTC", "GMT")
    offset_hours = F.when(named_utc, F.lit(0)).otherwise(_number(F.substring(zone, 2, 2)))
    offset_minutes = F.coalesce(_number(F.regexp_replace(F.substring(zone, 4, 3), ":", "")), F.lit(0))
    offset_seconds = F.when(F.substring(zone, 1, 1) == "-", -1).otherwise(1) * (
        offset_hours * 3600 + offset_minutes * 60
    )
    offset_ok = (offset_hours <= _MAX_OFFSET_HOURS) & (offset_minutes <= 59)
    # without an offset: the wall clock as written (shifted by 0 from UTC to UTC); with one: the instant
    # it names, on the wall clock of `local_zone`
    shift = F.when(zone == "", F.lit(0)).otherwise(offset_seconds) * 1_000_000
    shown_in = F.when(zone == "", F.lit("UTC")).when(offset_ok, F.lit(local_zone))
    parsed = F.from_utc_timestamp(F.timestamp_micros(F.unix_micros(wall) - shift), shown_in)
    return F.when(value.rlike(_FAST), fast).when(iso | value.rlike(_US), parsed)


def timestamp_from_epoch(value: Column, unit: str, *, utc: bool) -> Column:
    """A timestamp from an epoch count (a Parquet INT64 timestamp: `unit` MILLIS, MICROS or NANOS since
    1970-01-01), null when it is outside the range Spark holds. `utc`: the count is an instant (Parquet's
    isAdjustedToUTC=true), kept as Spark's `timestamp`; otherwise a wall-clock time, as `timestamp_ntz`.
    Nanoseconds are truncated to microseconds (towards the past)."""
    if unit == "MICROS":
        micros = value
    elif unit == "MILLIS":
        micros = F.when(value.between(-_MAX_EPOCH_MILLIS, _MAX_EPOCH_MILLIS), value * 1000)
    elif unit == "NANOS":
        # exact floor division: a decimal holds any long divided by 1000 without rounding or overflow
        micros = F.floor(value.cast("decimal(20,0)") / F.lit(1000)).cast("long")
    else:
        raise ValueError(f"unknown epoch unit {unit!r}: use MILLIS, MICROS or NANOS")
    instant = F.timestamp_micros(micros)
    return instant if utc else instant.cast("timestamp_ntz")

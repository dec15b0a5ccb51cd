"""Data-quality rules as named data.

A rule is a name, a sentence saying what it catches, and a predicate over one parsed row that is true
when the row breaks it. A row breaking any rule goes to quarantine with the names of every rule it broke;
all the others go to the conformed table. Predicates are null-safe: a rule that cannot be evaluated
(its input is null) is not broken, so a value that does not parse is reported once, by its
`unparseable_<column>` rule, and not again by the range rules that read it.

The rules see two columns per conformed column: the parsed value under the conformed name, and the text
the file held under `raw_name(name)`; and two about the whole row: `storage.ROW_PROBLEM` (a CSV row with
more values than its header names) and `CONFLICTS` (conformed columns that two columns of the file name
with different values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

from job_family.glue.runtime import storage
from nyc_taxi.steps import schemas

# TLC taxi zones are numbered 1..265 (reference/taxi_zone_lookup.csv; 264 and 265 are "Unknown").
ZONE_ID_MIN = 1
ZONE_ID_MAX = 265
# Driver-entered passenger counts; 0 is common in real files and kept (unknown, not invalid).
PASSENGERS_MIN = 0
PASSENGERS_MAX = 9
# Trips may start a little before or after the month a file covers (midnight at month ends).
FILE_MONTH_TOLERANCE = timedelta(days=1)

RAW_PREFIX = "_raw_"
CONFLICTS = "_conflicting_columns"


def raw_name(name: str) -> str:
    """The column holding the text a file had for conformed column `name`."""
    return f"{RAW_PREFIX}{name}"


@dataclass(frozen=True)
class FileMonth:
    """The calendar month a trip file covers (TLC publishes one file per dataset and month)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"invalid file month {self.year}-{self.month:02d}: month must be 1..12")

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1)

    @property
    def end(self) -> datetime:
        """The first instant of the next month."""
        return datetime(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the row: the month the file covers, when known."""

    file_month: FileMonth | None


@dataclass(frozen=True)
class QualityRule:
    name: str
    description: str
    broken: Callable[[RuleContext], Column]

    def check(self, context: RuleContext) -> Column:
        """True when the row breaks the rule; never null."""
        return F.coalesce(self.broken(context), F.lit(False))


def _missing(name: str) -> Callable[[RuleContext], Column]:
    return lambda _: F.col(raw_name(name)).isNull() | (F.trim(F.col(raw_name(name))) == "")


def _unparseable(name: str) -> Callable[[RuleContext], Column]:
    def broken(_: RuleContext) -> Column:
        raw = F.col(raw_name(name))
        return raw.isNotNull() & (F.trim(raw) != "") & F.col(name).isNull()

    return broken


def _zone_out_of_range(name: str) -> Callable[[RuleContext], Column]:
    def broken(_: RuleContext) -> Column:
        zone = F.col(name)
        return F.col(raw_name(name)).isNull() | ~zone.between(ZONE_ID_MIN, ZONE_ID_MAX)

    return broken


def _outside_file_month(context: RuleContext) -> Column:
    if context.file_month is None:
        return F.lit(False)
    earliest = context.file_month.start - FILE_MONTH_TOLERANCE
    latest = context.file_month.end + FILE_MONTH_TOLERANCE
    pickup = F.col("pickup_datetime")
    return (pickup < F.lit(earliest)) | (pickup >= F.lit(latest))


_ROW_RULES: tuple[QualityRule, ...] = (
    QualityRule(
        "malformed_row",
        "the CSV row holds more values than the header names (a value with an unquoted delimiter shifts "
        "the columns after it)",
        lambda _: F.col(storage.ROW_PROBLEM).isNotNull(),
    ),
    QualityRule(
        "conflicting_values",
        "two columns of the file name the same column (e.g. airport_fee and Airport_fee) and hold "
        "different values",
        lambda _: F.col(CONFLICTS).isNotNull(),
    ),
    QualityRule("pickup_missing", "the pickup time is empty", _missing("pickup_datetime")),
    QualityRule("dropoff_missing", "the drop-off time is empty", _missing("dropoff_datetime")),
    QualityRule(
        "dropoff_before_pickup",
        "the drop-off time is earlier than the pickup time",
        lambda _: F.col("dropoff_datetime") < F.col("pickup_datetime"),
    ),
    QualityRule("negative_distance", "trip_distance is below 0", lambda _: F.col("trip_distance") < 0),
    QualityRule("negative_fare", "fare_amount is below 0", lambda _: F.col("fare_amount") < 0),
    QualityRule(
        "passenger_count_out_of_range",
        f"passenger_count is outside {PASSENGERS_MIN}..{PASSENGERS_MAX} (empty is allowed)",
        lambda _: ~F.col("passenger_count").between(PASSENGERS_MIN, PASSENGERS_MAX),
    ),
    QualityRule(
        "pickup_zone_out_of_range",
        f"PULocationID is empty or outside {ZONE_ID_MIN}..{ZONE_ID_MAX}",
        _zone_out_of_range("pickup_location_id"),
    ),
    QualityRule(
        "dropoff_zone_out_of_range",
        f"DOLocationID is empty or outside {ZONE_ID_MIN}..{ZONE_ID_MAX}",
        _zone_out_of_range("dropoff_location_id"),
    ),
    QualityRule(
        "pickup_outside_file_month",
        f"the pickup is more than {FILE_MONTH_TOLERANCE.days} day(s) outside the month the file covers",
        _outside_file_month,
    ),
)


def rules_for(dataset: str) -> tuple[QualityRule, ...]:
    """Every rule a row of `dataset` is checked against: one `unparseable_<column>` per typed column,
    then the row rules."""
    unparseable = tuple(
        QualityRule(
            f"unparseable_{column.name}",
            f"{column.published} is not a valid {column.hive_type}",
            _unparseable(column.name),
        )
        for column in schemas.raw_columns(dataset)
        if column.hive_type != schemas.STRING
    )
    return unparseable + _ROW_RULES

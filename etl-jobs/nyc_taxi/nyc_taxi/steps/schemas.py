"""Schemas as code for the nyc_taxi job family: raw columns as TLC publishes them, the conformed,
quarantine and purpose-built tables with their types, and the partition keys.

Pure Python (no pyspark import), so the CDK app declares the Glue tables from the same definitions the
jobs write with. Types are Hive DDL strings, which Spark also accepts (`Column.cast("decimal(10,2)")`).

What the family spec declares from here:
- `TABLES`: every table the jobs write, as the framework's `TableSpec`s (`name`, `zone`, `columns`,
  `partition_keys`, `folder`, `description`); `table(name)` finds one;
- `DATASETS`, `PURPOSE_BUILT_RULES`: the names the tables are built from.

Layout and why (idempotency, see `raw_to_conformed.py`):
- conformed `<dataset>` at `<conformed_path>/<dataset>/pickup_year=/pickup_month=/source_key=/`;
- quarantine `<dataset>_quarantine` at `<quarantine_path>/<dataset>/source_key=/` (a quarantined row may
  have no usable pickup time, so it is keyed by its file only; all its values are kept as text);
- purpose-built `<dataset>_<rule>` at `<purpose_built_path>/<dataset>_<rule>/pickup_year=/pickup_month=/`.
"""

from __future__ import annotations

from dataclasses import dataclass

from job_family.spec import TableSpec, Zone

# --- types -------------------------------------------------------------------------------------
INT = "int"
BIGINT = "bigint"
DOUBLE = "double"
STRING = "string"
TIMESTAMP = "timestamp"
DATE = "date"
MONEY = "decimal(10,2)"
MONEY_SUM = "decimal(14,2)"
STRING_ARRAY = "array<string>"


@dataclass(frozen=True)
class RawColumn:
    """One column as published (`published`), the conformed column it becomes (`name`, `hive_type`).

    `required=False` marks columns absent from older files (they become null); a required column
    missing from a file stops the job with an error naming it.
    """

    published: str
    name: str
    hive_type: str
    required: bool = True
    description: str = ""


def _money(published: str, description: str, *, required: bool = True) -> RawColumn:
    return RawColumn(published, published.lower(), MONEY, required, description)


# Shared by both datasets (TLC data dictionaries, yellow 2019+ / green 2019+ column sets).
_VENDOR = RawColumn("VendorID", "vendor_id", INT, description="TPEP/LPEP provider code")
_RATECODE = RawColumn("RatecodeID", "ratecode_id", INT, description="final rate code")
_STORE_FWD = RawColumn(
    "store_and_fwd_flag", "store_and_fwd_flag", STRING, description="Y/N store and forward"
)
_PU = RawColumn("PULocationID", "pickup_location_id", INT, description="TLC taxi zone of the pickup")
_DO = RawColumn("DOLocationID", "dropoff_location_id", INT, description="TLC taxi zone of the drop-off")
_PASSENGERS = RawColumn("passenger_count", "passenger_count", INT, description="driver-entered passengers")
_DISTANCE = RawColumn("trip_distance", "trip_distance", DOUBLE, description="trip miles (taximeter)")
_PAYMENT = RawColumn("payment_type", "payment_type", INT, description="1 card, 2 cash, 3 no charge, ...")
_FARE = _money("fare_amount", "time-and-distance fare")
_EXTRA = _money("extra", "misc extras and surcharges")
_MTA = _money("mta_tax", "MTA tax")
_TIP = _money("tip_amount", "tip (card tips only)")
_TOLLS = _money("tolls_amount", "tolls")
_IMPROVEMENT = _money("improvement_surcharge", "improvement surcharge")
_TOTAL = _money("total_amount", "total charged (excluding cash tips)")
_CONGESTION = _money("congestion_surcharge", "NYS congestion surcharge (2019+)", required=False)
_CBD = _money("cbd_congestion_fee", "MTA congestion relief zone fee (2025+)", required=False)

YELLOW_RAW: tuple[RawColumn, ...] = (
    _VENDOR,
    RawColumn("tpep_pickup_datetime", "pickup_datetime", TIMESTAMP, description="meter engaged"),
    RawColumn("tpep_dropoff_datetime", "dropoff_datetime", TIMESTAMP, description="meter disengaged"),
    _PASSENGERS,
    _DISTANCE,
    _RATECODE,
    _STORE_FWD,
    _PU,
    _DO,
    _PAYMENT,
    _FARE,
    _EXTRA,
    _MTA,
    _TIP,
    _TOLLS,
    _IMPROVEMENT,
    _TOTAL,
    _CONGESTION,
    _money("airport_fee", "LaGuardia/JFK pickup fee (2021+)", required=False),
    _CBD,
)

GREEN_RAW: tuple[RawColumn, ...] = (
    _VENDOR,
    RawColumn("lpep_pickup_datetime", "pickup_datetime", TIMESTAMP, description="meter engaged"),
    RawColumn("lpep_dropoff_datetime", "dropoff_datetime", TIMESTAMP, description="meter disengaged"),
    _STORE_FWD,
    _RATECODE,
    _PU,
    _DO,
    _PASSENGERS,
    _DISTANCE,
    _FARE,
    _EXTRA,
    _MTA,
    _TIP,
    _TOLLS,
    _money("ehail_fee", "e-hail fee (mostly empty)", required=False),
    _IMPROVEMENT,
    _TOTAL,
    _PAYMENT,
    RawColumn("trip_type", "trip_type", INT, required=False, description="1 street-hail, 2 dispatch"),
    _CONGESTION,
    _CBD,
)

RAW_COLUMNS: dict[str, tuple[RawColumn, ...]] = {
    "yellow_tripdata": YELLOW_RAW,
    "green_tripdata": GREEN_RAW,
}
DATASETS: tuple[str, ...] = tuple(RAW_COLUMNS)

# Lineage columns every conformed row carries, and the partition keys.
LINEAGE: tuple[tuple[str, str], ...] = (("source_file", STRING), ("run_id", STRING))
PICKUP_PARTITIONS: tuple[tuple[str, str], ...] = (("pickup_year", INT), ("pickup_month", INT))
SOURCE_PARTITION: tuple[str, str] = ("source_key", STRING)

# The purpose-built rules (SQL files in rules/, one table per dataset and rule).
PURPOSE_BUILT_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "daily_zone_metrics": (
        ("pickup_date", DATE),
        ("pickup_location_id", INT),
        ("pickup_borough", STRING),
        ("pickup_zone", STRING),
        ("payment_type", INT),
        ("trips", BIGINT),
        ("passengers", BIGINT),
        ("trip_distance", DOUBLE),
        ("fare_amount", MONEY_SUM),
        ("tip_amount", MONEY_SUM),
        ("tolls_amount", MONEY_SUM),
        ("total_amount", MONEY_SUM),
        ("avg_trip_minutes", DOUBLE),
    ),
}


def conformed_columns(dataset: str) -> tuple[tuple[str, str], ...]:
    """Typed conformed columns of a dataset, then the lineage columns."""
    return tuple((c.name, c.hive_type) for c in raw_columns(dataset)) + LINEAGE


def quarantine_columns(dataset: str) -> tuple[tuple[str, str], ...]:
    """Every conformed column as the text it had in the file, the rules broken, then lineage."""
    return (*tuple((c.name, STRING) for c in raw_columns(dataset)), ("broken_rules", STRING_ARRAY), *LINEAGE)


def raw_columns(dataset: str) -> tuple[RawColumn, ...]:
    try:
        return RAW_COLUMNS[dataset]
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset!r}: use one of {', '.join(DATASETS)} "
            "(the folder below nyc_taxi/ in the raw bucket)"
        ) from None


def conformed_table(dataset: str) -> TableSpec:
    return TableSpec(
        name=dataset,
        dataset=dataset,
        zone=Zone.CONFORMED,
        folder=dataset,
        columns=conformed_columns(dataset),
        partition_keys=(*PICKUP_PARTITIONS, SOURCE_PARTITION),
        description=f"{dataset}: valid trips, typed, partitioned by pickup month and source file",
    )


def quarantine_table(dataset: str) -> TableSpec:
    return TableSpec(
        name=f"{dataset}_quarantine",
        dataset=dataset,
        zone=Zone.QUARANTINE,
        folder=dataset,
        columns=quarantine_columns(dataset),
        partition_keys=(SOURCE_PARTITION,),
        description=f"{dataset}: rows that broke a data-quality rule, as text, with the rules' names",
    )


def purpose_built_table(dataset: str, rule: str) -> TableSpec:
    try:
        columns = PURPOSE_BUILT_RULES[rule]
    except KeyError:
        raise ValueError(
            f"no purpose-built schema for rule {rule!r}: declare its columns in "
            "PURPOSE_BUILT_RULES (nyc_taxi/jobs/runtime/schemas.py) beside rules/<rule>.sql"
        ) from None
    return TableSpec(
        name=f"{dataset}_{rule}",
        dataset=dataset,
        zone=Zone.PURPOSE_BUILT,
        folder=f"{dataset}_{rule}",
        columns=columns,
        partition_keys=PICKUP_PARTITIONS,
        description=f"{dataset}: {rule.replace('_', ' ')} (rules/{rule}.sql)",
    )


TABLES: tuple[TableSpec, ...] = tuple(
    table
    for dataset in DATASETS
    for table in (
        conformed_table(dataset),
        quarantine_table(dataset),
        *(purpose_built_table(dataset, rule) for rule in PURPOSE_BUILT_RULES),
    )
)


def table(name: str) -> TableSpec:
    for spec in TABLES:
        if spec.name == name:
            return spec
    raise ValueError(f"unknown table {name!r}: declared tables are {', '.join(t.name for t in TABLES)}")

"""Glue job conformed -> purpose-built: run the transformation rules (SQL) over the months a file touched.

- The months come from the raw_to_conformed report of the same run (`<report_path>/<run_id>/
  raw_to_conformed.json`), so only those partitions of the conformed table are read (by folder, never
  the whole table) and only those partitions of each purpose-built table are rewritten.
- The rules are the `*.sql` files under `rules_path` (the code bucket on AWS, `rules/` locally), read at
  run time through Spark. Each sees two views, `conformed_trips` and `taxi_zones` (the reference zone
  lookup), and must return the columns declared for it in `schemas.PURPOSE_BUILT_RULES`, then
  `pickup_year`, `pickup_month`; its output goes to the table `<dataset>_<rule>`.
- A touched month whose conformed rows are all gone has its purpose-built partition removed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

from job_family.glue.runtime import catalog, job_runtime, report, storage
from job_family.glue.runtime.arguments import report_key
from job_family.spec import TableSpec
from nyc_taxi.spec import SPEC
from nyc_taxi.steps import schemas
from nyc_taxi.steps.raw_to_conformed import default_glue_client

log = logging.getLogger(__name__)

STEP = SPEC.step("conformed_to_purpose_built")
UPSTREAM = SPEC.step("raw_to_conformed")

TRIPS_VIEW = "conformed_trips"
ZONES_VIEW = "taxi_zones"


ZONE_LOOKUP_COLUMNS = "LocationID STRING, Borough STRING, Zone STRING, service_zone STRING"


class RuleSchemaError(ValueError):
    """A rule's SQL returns other columns or types than its declared table."""


def _ddl(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"`{name}` {hive_type}" for name, hive_type in columns)


def read_conformed_months(
    spark: SparkSession, *, conformed_path: str, dataset: str, months: Sequence[dict[str, int]]
) -> DataFrame:
    """The conformed rows of the given pickup months, read by partition folder with the declared schema."""
    spec = schemas.conformed_table(dataset)
    location = spec.location(conformed_path)
    folders = [
        storage.partition_folder(location, month, ("pickup_year", "pickup_month"))
        for month in months
        if storage.list_partitions(
            spark,
            location,
            spec.partition_names,
            {"pickup_year": str(month["pickup_year"]), "pickup_month": str(month["pickup_month"])},
        )
    ]
    schema = _ddl((*spec.columns, *spec.partition_keys))
    if not folders:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).option("basePath", location).parquet(*folders)


def read_reference_zones(spark: SparkSession, reference_path: str) -> DataFrame:
    """The TLC zone lookup (`taxi_zone_lookup.csv` below `reference_path`), typed and snake_case. Its
    published columns are declared, not inferred (no extra Spark job); the header is checked against them."""
    zones = (
        spark.read.schema(ZONE_LOOKUP_COLUMNS)
        .option("header", True)
        .option("enforceSchema", False)
        .csv(f"{reference_path.rstrip('/')}/taxi_zone_lookup.csv")
    )
    return zones.select(
        F.col("LocationID").cast("int").alias("location_id"),
        F.col("Borough").alias("borough"),
        F.col("Zone").alias("zone"),
        F.col("service_zone"),
    )


def check_rule_output(frame: DataFrame, spec: TableSpec) -> DataFrame:
    expected = [*spec.columns, *spec.partition_keys]
    actual = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
    if actual != expected:
        raise RuleSchemaError(
            f"rules/{spec.name.removeprefix(spec.dataset + '_')}.sql returns {actual}, but table "
            f"{spec.name} declares {expected}: change the SELECT list (names, order, CASTs) or the "
            "declaration in schemas.PURPOSE_BUILT_RULES"
        )
    return frame


def run(
    spark: SparkSession,
    *,
    dataset: str,
    run_id: str,
    conformed_path: str,
    purpose_built_path: str,
    rules_path: str,
    reference_path: str,
    report_path: str,
    database: str,
    glue_factory: Callable[[], Any] = default_glue_client,
) -> dict[str, Any]:
    durations = report.Durations()
    upstream_path = report_key(report_path, run_id, UPSTREAM.name)
    upstream = json.loads(storage.read_text(spark, upstream_path))
    if upstream.get("dataset") != dataset:
        raise ValueError(
            f"{upstream_path} is for dataset {upstream.get('dataset')!r}, not {dataset!r}: "
            "pass the run_id and dataset of the same state machine execution"
        )
    months: list[dict[str, int]] = upstream["partitions"]

    with durations.phase("read_rules"):
        rules = {
            name.removesuffix(".sql"): sql
            for name, sql in sorted(storage.read_texts(spark, f"{rules_path.rstrip('/')}/*.sql").items())
        }
    if not rules:
        raise FileNotFoundError(f"no transformation rules (*.sql) under {rules_path}")
    specs = {rule: schemas.purpose_built_table(dataset, rule) for rule in rules}

    with durations.phase("read_conformed"):
        trips = read_conformed_months(spark, conformed_path=conformed_path, dataset=dataset, months=months)
        trips.createOrReplaceTempView(TRIPS_VIEW)
        read_reference_zones(spark, reference_path).createOrReplaceTempView(ZONES_VIEW)
        rows_read = trips.count() if months else 0

    rows_by_rule: dict[str, int] = {}
    updates: list[catalog.CatalogUpdate] = []
    for rule, sql in rules.items():
        spec = specs[rule]
        location = spec.location(purpose_built_path)
        with durations.phase(f"rule_{rule}"):
            output = check_rule_output(spark.sql(sql), spec)
            # one file per partition; rows and months counted while they are written
            written_rows = Observation(f"rule_{rule}")
            output = output.repartition(*spec.partition_names).observe(
                written_rows,
                F.count(F.lit(1)).alias("rows"),
                # as JSON text: PySpark hands an observed array over as an unconverted Java object
                F.to_json(F.collect_set(F.struct(*spec.partition_names))).alias("months"),
            )
            storage.overwrite_partitions(output, location, spec.partition_names)
            rows_by_rule[rule] = int(written_rows.get["rows"])
            written = sorted(
                (m["pickup_year"], m["pickup_month"]) for m in json.loads(written_rows.get["months"])
            )
            emptied = [m for m in months if (m["pickup_year"], m["pickup_month"]) not in set(written)]
            storage.delete_partitions(spark, location, emptied, spec.partition_names)
        updates.append(
            catalog.CatalogUpdate(
                spec,
                location,
                [{"pickup_year": year, "pickup_month": month} for year, month in written],
                emptied,
            )
        )

    with durations.phase("catalog"):
        catalog_result = catalog.apply(glue_factory, database=database, updates=updates)

    return report.finish(
        spark,
        step=STEP.name,
        run_id=run_id,
        report_path=report_path,
        durations=durations,
        catalog=catalog_result,
        fields={
            "dataset": dataset,
            "source_path": upstream.get("source_path"),
            "rows_read": rows_read,
            "rows_written": sum(rows_by_rule.values()),
            "rows_by_rule": rows_by_rule,
            "partitions": months,
            "outputs": {rule: specs[rule].location(purpose_built_path) for rule in rules},
        },
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(STEP, run, argv)


if __name__ == "__main__":
    main()

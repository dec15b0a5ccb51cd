"""The baseline: the two jobs written the way the seed ETL (aws-samples/aws-cdk-pipelines-datalake-etl,
lib/glue_scripts/) works, on local PySpark with the same session settings as ours.

raw -> conformed (etl_raw_to_conformed.py):
- read the file as CSV with `header=true, inferSchema=true, mode=DROPMALFORMED` (a full extra pass to
  infer types); Parquet files are read as they are;
- no renames, casts, quality rules or quarantine; `NullType` columns become strings;
- the partition columns `year`, `month`, `day` (the ingestion date, not the trip date) are added row by
  row in Python (`Map.apply(f=add_partition)` on a DynamicFrame; here `rdd.map` + `createDataFrame`);
- written as Parquet partitioned by year/month/day with dynamic overwrite.

conformed -> purpose-built (etl_conformed_to_purposebuilt.py):
- the *whole* conformed table is read and re-aggregated on every run with the seed's SQL
  (transformation-sql/yellow_taxi_trip_record.sql, GROUP BY repeats as published), and written
  partitioned by year/month/day with dynamic overwrite.

Left out, as they need AWS: the Glue catalog upserts and `ALTER TABLE ... RECOVER PARTITIONS`.

    python -m bench.seed_baseline raw_to_conformed --input <file> --output <dir>
    python -m bench.seed_baseline conformed_to_purpose_built --input <dir> --output <dir2>
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql.types import NullType, StringType, StructField, StructType

from bench.cases import step_arguments
from job_family.glue.runtime import class_archive

TABLE = "yellow_taxi_trip_record"
# transformation-sql/yellow_taxi_trip_record.sql of the seed, with its FROM pointed at the local view.
SEED_SQL = f"""
SELECT count(*) count, coalesce(vendorid, -1) vendorid, day, month, year, pulocationid, dolocationid,
  payment_type, sum(passenger_count) passenger_count, sum(trip_distance) total_trip_distance,
  sum(fare_amount) total_fare_amount, sum(extra) total_extra, sum(tip_amount) total_tip_amount,
  sum(tolls_amount) total_tolls_amount, sum(total_amount) total_amount
FROM {TABLE}
GROUP BY vendorid, day, month, year, day, month, year, pulocationid, dolocationid, payment_type
"""


def session() -> SparkSession:
    spark = (
        SparkSession.builder.master("local[*]")
        .appName("seed-baseline")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", class_archive.java_options())  # as ours: see class_archive
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def read_raw(spark: SparkSession, path: Path) -> DataFrame:
    if path.suffix == ".parquet":
        return spark.read.parquet(str(path))
    return (
        spark.read.option("header", "true")
        .option("delimiter", ",")
        .option("inferSchema", "true")
        .option("mode", "DROPMALFORMED")
        .csv(str(path))
    )


def raw_to_conformed(spark: SparkSession, source: Path, output: Path) -> dict[str, Any]:
    frame = read_raw(spark, source)
    for field in frame.schema.fields:  # "fixed glue job for parquet nulltype issue"
        if isinstance(field.dataType, NullType):
            frame = frame.withColumn(field.name, frame[field.name].cast(StringType()))
    now = datetime.now()
    year, month, day = now.strftime("%Y"), now.strftime("%m"), now.strftime("%d")

    def add_partition(record: Row) -> tuple[Any, ...]:  # the seed's Map.apply(f=add_partition)
        values = record.asDict()
        values["year"], values["month"], values["day"] = year, month, day
        return tuple(values.values())

    schema = StructType(
        [*frame.schema.fields, *(StructField(name, StringType()) for name in ("year", "month", "day"))]
    )
    partitioned = spark.createDataFrame(frame.rdd.map(add_partition), schema)
    location = output / "conformed" / TABLE
    partitioned.write.partitionBy("year", "month", "day").format("parquet").save(
        str(location), mode="overwrite"
    )
    return {"step": "raw_to_conformed", "location": str(location)}


def conformed_to_purpose_built(spark: SparkSession, upstream: Path, output: Path) -> dict[str, Any]:
    conformed = upstream / "conformed" / TABLE
    spark.read.parquet(str(conformed)).createOrReplaceTempView(TABLE)  # the whole table, every run
    result = spark.sql(SEED_SQL)
    location = output / "purpose_built" / TABLE
    result.write.partitionBy("year", "month", "day").format("parquet").save(str(location), mode="overwrite")
    return {"step": "conformed_to_purpose_built", "location": str(location)}


def main(argv: list[str] | None = None) -> None:
    args = step_arguments("seed_baseline", __doc__, argv)
    started = time.monotonic()
    spark = session()
    if args.step == "raw_to_conformed":
        report = raw_to_conformed(spark, args.input.resolve(), args.output.resolve())
    else:
        report = conformed_to_purpose_built(spark, args.input.resolve(), args.output.resolve())
    report["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(report))
    spark.stop()


if __name__ == "__main__":
    main()

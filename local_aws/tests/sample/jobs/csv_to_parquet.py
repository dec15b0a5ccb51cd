"""Sample Glue script: CSV at --source_path to Parquet at --output_path, with a helper from --extra-py-files."""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import SparkSession
from sample_helpers.columns import with_total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    for name in ("JOB_NAME", "source_path", "output_path", "run_id"):
        parser.add_argument(f"--{name}", required=True)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    spark = SparkSession.builder.appName(args.JOB_NAME).getOrCreate()
    trips = spark.read.option("header", True).option("inferSchema", True).csv(args.source_path)
    with_total(trips).write.mode("overwrite").parquet(f"{args.output_path.rstrip('/')}/{args.run_id}/")
    print(f"wrote {trips.count()} rows")


if __name__ == "__main__":
    main()

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as f


def with_total(trips: DataFrame) -> DataFrame:
    return trips.withColumn("total", f.col("fare") + f.col("tip"))

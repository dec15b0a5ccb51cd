"""File I/O for the jobs, all through Spark and the Hadoop FileSystem API.

One code path reads and writes local folders (`make run-job`), `s3://` on Glue (EMRFS) and `s3://`
through s3a against moto (local mode): the trip files, the rules SQL, the reference CSV, run reports,
and the listing and removal of partition folders.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StringType, StructField, StructType

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)


def input_format(path: str) -> str:
    """`csv` (plain or gzip) or `parquet`, from the file name."""
    name = path.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise ValueError(
        f"unsupported input file {path!r}: name it *.csv, *.csv.gz or *.parquet (TLC trip files)"
    )


def read_input(spark: SparkSession, path: str) -> DataFrame:
    """An arriving file as its producer wrote it: CSV with every column as text (the transforms parse them), or
    Parquet with its own types. gzip is decompressed by Hadoop from the `.gz` suffix."""
    if input_format(path) == "parquet":
        return spark.read.parquet(path)
    reader = (
        spark.read.option("header", True)
        .option("mode", "PERMISSIVE")
        .option("ignoreLeadingWhiteSpace", True)
        .option("ignoreTrailingWhiteSpace", True)
    )
    names = csv_header(spark, path)
    if names is None:  # an empty file, or names that repeat: Spark's own reading, the transforms report it
        return reader.option("inferSchema", False).csv(path)
    return reader.schema(StructType([StructField(name, StringType()) for name in names])).csv(path)


def csv_header(spark: SparkSession, path: str) -> list[str] | None:
    """The column names on a CSV file's first line, read through the file system (gzip decompressed by
    its codec) rather than by a Spark job; None for an empty file or for names that repeat."""
    hadoop_path, fs = _hadoop(spark, path)
    jvm: Any = spark.sparkContext._jvm
    stream = fs.open(hadoop_path)
    codecs = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(
        spark.sparkContext._jsc.hadoopConfiguration()
    )
    codec = codecs.getCodec(hadoop_path)
    if codec is not None:
        stream = codec.createInputStream(stream)
    lines = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
    try:
        line = lines.readLine()
    finally:
        lines.close()
    if not line or not line.strip():
        return None
    names = next(csv.reader([str(line).removeprefix("\ufeff")]))
    if len({name.strip().lower() for name in names}) != len(names):
        return None
    return names


def _hadoop(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def read_text(spark: SparkSession, path: str) -> str:
    """One small UTF-8 file (a run report, a rule), read through the file system, not a Spark job."""
    hadoop_path, fs = _hadoop(spark, path)
    if not fs.exists(hadoop_path):
        raise FileNotFoundError(f"{path} does not exist")
    return _read(spark, fs, hadoop_path)


def read_texts(spark: SparkSession, pattern: str) -> dict[str, str]:
    """Every file matching a glob (e.g. `<rules_path>/*.sql`), by file name."""
    hadoop_path, fs = _hadoop(spark, pattern)
    statuses = [status for status in fs.globStatus(hadoop_path) or [] if status.isFile()]
    return {str(status.getPath().getName()): _read(spark, fs, status.getPath()) for status in statuses}


def _read(spark: SparkSession, fs: Any, hadoop_path: Any) -> str:
    jvm: Any = spark.sparkContext._jvm
    buffer = jvm.java.io.ByteArrayOutputStream()
    jvm.org.apache.hadoop.io.IOUtils.copyBytes(fs.open(hadoop_path), buffer, 65536, True)
    return str(buffer.toString("UTF-8"))


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Create or replace one small file (a run report)."""
    hadoop_path, fs = _hadoop(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def partition_folder(location: str, partition: Mapping[str, object], names: Sequence[str]) -> str:
    """`<location>k1=v1/k2=v2/` for a partition, keys in table order."""
    return location.rstrip("/") + "/" + "".join(f"{name}={partition[name]}/" for name in names)


def list_partitions(
    spark: SparkSession, location: str, names: Sequence[str], fixed: Mapping[str, str]
) -> list[dict[str, str]]:
    """Partition folders under `location`, any value for keys not in `fixed`."""
    pattern = partition_folder(location, {n: fixed.get(n, "*") for n in names}, names).rstrip("/")
    hadoop_path, fs = _hadoop(spark, pattern)
    statuses = fs.globStatus(hadoop_path) or []
    found = []
    for status in statuses:
        if not status.isDirectory():
            continue
        parts = str(status.getPath().toString()).rstrip("/").split("/")[-len(names) :]
        found.append(dict(part.split("=", 1) for part in parts))
    return sorted(found, key=lambda p: [p[n] for n in names])


def delete_folder(spark: SparkSession, path: str) -> None:
    """Remove a folder and everything below it (nothing happens when it does not exist)."""
    hadoop_path, fs = _hadoop(spark, path)
    fs.delete(hadoop_path, True)


def delete_partitions(
    spark: SparkSession, location: str, partitions: Iterable[Mapping[str, object]], names: Sequence[str]
) -> None:
    for partition in partitions:
        delete_folder(spark, partition_folder(location, partition, names))


def replace_parquet(frame: DataFrame, location: str) -> None:
    """Write Parquet to a folder, replacing whatever it held."""
    frame.write.mode("overwrite").parquet(location)


def overwrite_partitions(frame: DataFrame, location: str, names: Sequence[str]) -> None:
    """Write Parquet, replacing exactly the partitions present in `frame` (dynamic overwrite)."""
    (
        frame.write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*names)
        .parquet(location)
    )

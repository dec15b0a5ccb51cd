"""The family's I/O: which file of a delivery is which input, and one delivery's partition of a table
read or (re)written.

Each input file is read by the framework (`storage.reading(..., formats=("json",))`, JSON Lines, plain or
gzip): every value as text (nested values as their JSON text), keys by position so spellings that differ
only by case stay apart, a line that is not a JSON object kept whole, the type Spark infers for each key
recorded as its stored type; a file that cannot be read at all (empty, truncated gzip, binary, not UTF-8,
no JSON object on any line) raises `storage.UnreadableInputError` with one line naming the file, the
problem and what to do. The transforms parse each value against the declared type: a value of another
shape quarantines its row, never the file.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

from job_family.glue.runtime import catalog, job_runtime, storage
from job_family.spec import TableSpec
from us_legislators.steps import schemas, transforms

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def delivery_id(source_path: str) -> str:
    """The delivery's folder name (`.../deliveries/<delivery_id>/`), which partitions every table."""
    name = source_path.rstrip("/").rsplit("/", 1)[-1]
    if not _SAFE_ID.fullmatch(name):
        raise ValueError(
            f"cannot take a delivery id from {source_path!r}: the delivery folder's name must be letters, "
            "digits, '.', '_' or '-' (e.g. us_legislators/deliveries/2024-06-01/)"
        )
    return name


@dataclass(frozen=True)
class DeliveryFiles:
    paths: dict[str, str]  # input -> file
    ignored: tuple[str, ...]  # other files in the folder


def _hadoop(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def find_delivery_files(spark: SparkSession, source_path: str) -> DeliveryFiles:
    """Each input's file in the delivery folder: `<input>.json`, `.jsonl` or `.json.gz` (any case). A
    missing input, or two files for one, stops the run (`storage.UnreadableInputError`)."""
    folder, fs = _hadoop(spark, source_path.rstrip("/") + "/")
    if not fs.exists(folder):
        raise storage.UnreadableInputError(
            source_path, "does not exist", "upload the delivery's files into that folder again"
        )
    names = sorted(str(s.getPath().getName()) for s in fs.listStatus(folder) if s.isFile())
    paths: dict[str, str] = {}
    matched: set[str] = set()
    for dataset in schemas.DATASETS:
        found = [
            n
            for n in names
            if (fmt := dataset.format_of(n)) and n.lower()[: -len(fmt.suffix)] == dataset.name
        ]
        expected = " or ".join(f"{dataset.name}{f.suffix}" for f in dataset.formats)
        if not found:
            raise storage.UnreadableInputError(
                source_path, f"has no {dataset.name} file", f"upload {expected} into the delivery"
            )
        if len(found) > 1:
            raise storage.UnreadableInputError(
                source_path,
                f"has {len(found)} {dataset.name} files ({', '.join(found)})",
                "keep one of them and upload the delivery again",
            )
        paths[dataset.name] = source_path.rstrip("/") + "/" + found[0]
        matched.add(found[0])
    return DeliveryFiles(paths, tuple(n for n in names if n not in matched))


def reading(spark: SparkSession, path: str) -> AbstractContextManager[storage.InputFile]:
    """An input file read by the framework as JSON Lines; run its first action inside the block (the
    staged copy), so an error the file causes there comes out as `storage.UnreadableInputError`."""
    return storage.reading(spark, path, formats=("json",))


PARTITION_NAMES = tuple(name for name, _ in schemas.DELIVERY_PARTITION)


def read_partition(spark: SparkSession, spec: TableSpec, zone_path: str, delivery_id: str) -> DataFrame:
    """One delivery's partition of a table, with the declared schema (empty when it has none)."""
    location, partition = spec.location(zone_path), {"delivery_id": delivery_id}
    schema = ", ".join(f"`{name}` {hive_type}" for name, hive_type in (*spec.columns, *spec.partition_keys))
    if not storage.list_partitions(spark, location, PARTITION_NAMES, partition):
        return spark.createDataFrame([], schema)
    folder = storage.partition_folder(location, partition, PARTITION_NAMES)
    return spark.read.schema(schema).option("basePath", location).parquet(folder)


def stage_partition(frame: DataFrame, spec: TableSpec, staged_root: str) -> int:
    """Write one delivery's rows of a table into the run's staging folder (`<staged_root><table>/`), one
    file per partition, counting them as they are written; `publish` moves them into the table."""
    written = Observation(f"staged_{spec.name}")
    counted = frame.repartition(*PARTITION_NAMES).observe(written, F.count(F.lit(1)).alias("rows"))
    with job_runtime.session_conf(frame.sparkSession, transforms.COUNT_CONF):
        storage.write_partitions(counted, f"{staged_root}{spec.name}/", PARTITION_NAMES)
    return int(written.get["rows"])


def publish(
    spark: SparkSession,
    *,
    staged: list[tuple[TableSpec, str, int]],
    staged_root: str,
    delivery_id: str,
    glue_factory: Any,
    database: str,
) -> list[catalog.CatalogUpdate]:
    """Replace the delivery's partition of each staged table (`(spec, zone_path, rows)`): withdrawn from
    the catalog first (readers see none of the delivery meanwhile, never a half), its folder replaced by
    the staged one (or removed when the run has no rows for it); returns the catalog updates that
    register the new partitions (`catalog.apply`)."""
    partition = {"delivery_id": delivery_id}
    had = {
        spec.name: storage.list_partitions(spark, spec.location(zone_path), PARTITION_NAMES, partition)
        for spec, zone_path, _ in staged
    }
    catalog.withdraw(
        glue_factory,
        database=database,
        updates=[catalog.CatalogUpdate(spec, spec.location(z), [], had[spec.name]) for spec, z, _ in staged],
    )
    updates = []
    for spec, zone_path, rows in staged:
        location = spec.location(zone_path)
        storage.replace_partitions(
            spark,
            staged=f"{staged_root}{spec.name}/" if rows else None,
            location=location,
            names=PARTITION_NAMES,
            remove=had[spec.name],
        )
        updates.append(
            catalog.CatalogUpdate(spec, location, [partition] if rows else [], [] if rows else had[spec.name])
        )
    return updates


def write_partition(
    spark: SparkSession, frame: DataFrame, spec: TableSpec, zone_path: str, delivery_id: str
) -> tuple[int, catalog.CatalogUpdate]:
    """Replace one delivery's partition of a table (dynamic overwrite: other deliveries are never
    touched), one file per partition, rows counted as they are written; remove it when it has no rows."""
    location, partition = spec.location(zone_path), {"delivery_id": delivery_id}
    written = Observation(f"written_{spec.name}")
    counted = frame.repartition(*PARTITION_NAMES).observe(written, F.count(F.lit(1)).alias("rows"))
    with job_runtime.session_conf(spark, transforms.COUNT_CONF):
        storage.overwrite_partitions(counted, location, PARTITION_NAMES)
    rows = int(written.get["rows"])
    if rows:
        return rows, catalog.CatalogUpdate(spec, location, [partition], [])
    stale = storage.list_partitions(spark, location, PARTITION_NAMES, partition)
    storage.delete_partitions(spark, location, stale, PARTITION_NAMES)
    return rows, catalog.CatalogUpdate(spec, location, [], stale)

"""The family's I/O: which file of a delivery is which input, each JSON Lines file as text columns, and
one delivery's partition of a table read or (re)written.

`read_json_lines` reads every value as a string, so a number given as text or text given as a number
never fails the file, and nested arrays keep their JSON text (the transforms parse them against the
declared type: a value of another shape quarantines its row, never the file). A line that is not a
JSON object is kept whole in `corrupt_record` (PERMISSIVE mode) and quarantined as `malformed_json`.
Blank lines are skipped; one line is one record.

How: a first pass lists the top-level keys the file uses (`json_object_keys`), then the lines are
parsed once with that explicit all-string schema by `from_json` (Spark's JSON parser, PERMISSIVE,
`columnNameOfCorruptRecord`), and its fields are taken by position. Not `spark.read.json`: the file
source resolves its columns by name when the query is planned, so a key spelled two ways in one file
(`id` on some lines, `ID` on others) could not be read with case-insensitive names, and a line holding a
top-level array would become several rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)
from pyspark.sql.types import StringType, StructField, StructType

from job_family.glue.runtime import catalog, storage
from job_family.spec import TableSpec
from us_legislators.steps import schemas

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
    """Each input's file in the delivery folder: `<input>.json`, `.jsonl` or `.json.gz` (any case)."""
    folder, fs = _hadoop(spark, source_path.rstrip("/") + "/")
    if not fs.exists(folder):
        raise FileNotFoundError(f"delivery folder {source_path} does not exist")
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
            raise FileNotFoundError(f"delivery {source_path} has no {dataset.name} file: expected {expected}")
        if len(found) > 1:
            raise ValueError(
                f"delivery {source_path} has {len(found)} {dataset.name} files ({', '.join(found)}): keep one"
            )
        paths[dataset.name] = source_path.rstrip("/") + "/" + found[0]
        matched.add(found[0])
    return DeliveryFiles(paths, tuple(n for n in names if n not in matched))


def read_json_lines(spark: SparkSession, path: str, fields: tuple[schemas.Field, ...]) -> DataFrame:
    """One column of text per top-level key the file uses (spellings of a declared key that differ by
    case merged under the declared key), then `corrupt_record`. gzip is decompressed from `.gz`."""
    lines = spark.read.text(path).where(F.col("value").rlike(r"\S"))
    keys = sorted(
        str(row[0])
        for row in lines.select(F.explode(F.json_object_keys("value"))).distinct().collect()
        if row[0].strip() and row[0] != schemas.CORRUPT_RECORD
    )
    schema = StructType(
        [StructField(key, StringType()) for key in keys] + [StructField(schemas.CORRUPT_RECORD, StringType())]
    )
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": schemas.CORRUPT_RECORD}
    # positional names: spellings that differ only by case never meet a case-insensitive resolver
    by_position = "struct<" + ",".join(f"k{i}:string" for i in range(len(schema.fields))) + ">"
    record = F.from_json("value", schema, options).cast(by_position)
    parsed = lines.select(record.alias("r"), "value")
    declared = {f.key.lower(): f.key for f in fields}
    groups: dict[str, tuple[str, list[str]]] = {}
    for i, key in enumerate(keys):
        normal = key.strip().lower()
        groups.setdefault(normal, (declared.get(normal, key), []))[1].append(f"r.k{i}")
    columns = [
        (F.col(cols[0]) if len(cols) == 1 else F.coalesce(*[F.col(c) for c in cols])).alias(name)
        for name, cols in groups.values()
    ]
    # a line the parser gives nothing for at all is malformed too
    corrupt = F.coalesce(F.col(f"r.k{len(keys)}"), F.when(F.col("r").isNull(), F.col("value")))
    return parsed.select(*columns, corrupt.alias(schemas.CORRUPT_RECORD))


PARTITION_NAMES = tuple(name for name, _ in schemas.DELIVERY_PARTITION)


def read_partition(spark: SparkSession, spec: TableSpec, zone_path: str, delivery_id: str) -> DataFrame:
    """One delivery's partition of a table, with the declared schema (empty when it has none)."""
    location, partition = spec.location(zone_path), {"delivery_id": delivery_id}
    schema = ", ".join(f"`{name}` {hive_type}" for name, hive_type in (*spec.columns, *spec.partition_keys))
    if not storage.list_partitions(spark, location, PARTITION_NAMES, partition):
        return spark.createDataFrame([], schema)
    folder = storage.partition_folder(location, partition, PARTITION_NAMES)
    return spark.read.schema(schema).option("basePath", location).parquet(folder)


def write_partition(
    spark: SparkSession, frame: DataFrame, spec: TableSpec, zone_path: str, delivery_id: str
) -> tuple[int, catalog.CatalogUpdate]:
    """Replace one delivery's partition of a table (dynamic overwrite: other deliveries are never
    touched), one file per partition, rows counted as they are written; remove it when it has no rows."""
    location, partition = spec.location(zone_path), {"delivery_id": delivery_id}
    written = Observation(f"written_{spec.name}")
    counted = frame.repartition(*PARTITION_NAMES).observe(written, F.count(F.lit(1)).alias("rows"))
    storage.overwrite_partitions(counted, location, PARTITION_NAMES)
    rows = int(written.get["rows"])
    if rows:
        return rows, catalog.CatalogUpdate(spec, location, [partition], [])
    stale = storage.list_partitions(spark, location, PARTITION_NAMES, partition)
    storage.delete_partitions(spark, location, stale, PARTITION_NAMES)
    return rows, catalog.CatalogUpdate(spec, location, [], stale)

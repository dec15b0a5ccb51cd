"""Every producer's file shape (file_shapes.SHAPES) of the real TLC rows, for both datasets, is read by
column name and meaning: rows in == conformed + quarantined, the conformed values are those of the clean
CSV, the physical schema is the file's, and every column's fate is recorded.

The shapes of one dataset are read and classified the way the job does it (`storage.reading` +
`conform.to_conformed`) and evaluated a few at a time (a union per Spark job), to keep the tier fast; each
shape is still its own parametrized test. `test_the_run_report_records_the_file_as_stored` runs the whole job
on a few shapes and checks what its run report says.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import conform, raw_to_conformed, schemas
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812

from job_family.glue.runtime import job_runtime, storage
from job_family.testing import shapes

from . import file_shapes
from .file_shapes import DATASETS, SHAPES, Shape

pytestmark = pytest.mark.spark

LINEAGE = {"source_file", "run_id", "source_key"}
BASELINE = "csv_tlc_crlf"
SHAPES_PER_JOB = 6


def write_shape(shape: Shape, dataset: str, folder: Path) -> Path:
    path = folder / dataset / shape.name / f"{dataset}_2021-01{shape.suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    shape.write(file_shapes.table(dataset), path)
    return path


def read_shapes(spark: SparkSession, dataset: str, folder: Path) -> dict[str, shapes.Outcome]:
    """Every shape of `dataset`, read and classified as the job does, evaluated in one Spark job."""
    conformed_names = [name for name, _ in schemas.conformed_columns(dataset) if name not in LINEAGE]
    frames, facts = [], {}
    with ExitStack() as stack:
        for shape in SHAPES:
            path = write_shape(shape, dataset, folder)
            expected = [c.published for c in schemas.raw_columns(dataset)]
            source = stack.enter_context(storage.reading(spark, str(path), expected_columns=expected))
            result = conform.to_conformed(
                source,
                dataset=dataset,
                source_file=str(path),
                run_id=shape.name,
                file_month=conform.file_month_from_name(str(path)),
            )
            facts[shape.name] = (path, source, result)
            frames.append(
                result.classified.select(
                    F.lit(shape.name).alias("shape"),
                    *conformed_names,
                    conform.BROKEN_RULES,
                    "pickup_year",
                    "pickup_month",
                )
            )
        rows = []
        with job_runtime.session_conf(spark, conform.CLASSIFY_CONF):  # as the job evaluates it
            # a few shapes per Spark job: one plan of every shape's parsing would hold the driver's memory
            for start in range(0, len(frames), SHAPES_PER_JOB):
                union = frames[start]
                for frame in frames[start + 1 : start + SHAPES_PER_JOB]:
                    union = union.unionByName(frame)
                rows += [row.asDict() for row in union.collect()]
    return shapes.outcomes(facts, rows, conform.BROKEN_RULES)


@pytest.fixture(scope="module")
def outcomes(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, shapes.Outcome]]:
    folder = tmp_path_factory.mktemp("shapes")
    return {dataset: read_shapes(spark, dataset, folder) for dataset in DATASETS}


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in sorted(row))


def physical_schema_of(path: Path, shape: Shape) -> list[tuple[str, str]]:
    """(name, physical type) as the file stores them, read independently of the job: pyarrow's
    Parquet metadata, or the csv module on the header line."""
    if shape.suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_metadata(path).schema
        leaves = {schema.column(i).path: schema.column(i).physical_type for i in range(len(schema))}
        physical = {"BYTE_ARRAY": "BINARY"}
        return [
            (name, physical.get(leaves[name], leaves[name]) if name in leaves else "GROUP")
            for name in schema.to_arrow_schema().names
        ]
    import gzip

    data = path.read_bytes()
    text = (gzip.decompress(data) if shape.suffix.endswith(".gz") else data).decode("utf-8", errors="replace")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|")
    header = next(row for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")), dialect) if row)
    return [(name if name.strip() else f"_c{i}", "text") for i, name in enumerate(header)]


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_a_file_shape_is_read_by_name_and_meaning(
    outcomes: dict[str, dict[str, shapes.Outcome]], shape: Shape, dataset: str
) -> None:
    outcome = outcomes[dataset][shape.name]
    baseline = outcomes[dataset][BASELINE]
    table = file_shapes.table(dataset)
    rows = len(table.rows) if shape.rows is None else shape.rows

    assert outcome.rows_read == rows == outcome.rows_conformed + outcome.rows_quarantined
    expected = [shape.expect(table, dict(row)) for row in baseline.conformed] if rows else []
    assert sorted(outcome.conformed, key=_key) == sorted(expected, key=_key)
    assert outcome.quarantined_by_rule == ({} if rows == 0 else baseline.quarantined_by_rule)

    stored = [(c["name"], c["type"]) for c in outcome.physical_schema]
    independent = physical_schema_of(outcome.path, shape)
    assert [name for name, _ in stored] == [name for name, _ in independent]
    assert all(ours.startswith(theirs) for (_, ours), (_, theirs) in zip(stored, independent, strict=True))

    # every stored column is accounted for once, in file order, then the missing ones
    used = [c for c in outcome.columns if c["action"] != conform.MISSING]
    assert [(c["name"], c["type"]) for c in used] == stored
    published = {c.published.lower(): c for c in schemas.raw_columns(dataset)}
    for column in outcome.columns:
        spec = published.get((column["name"] or "").strip().lower())
        if column["action"] == conform.EXTRA:
            assert spec is None and column["conformed"] is None
        else:
            assert spec is not None and column["conformed"] == spec.name
            assert column["conformed_type"] == spec.hive_type
    missing = [c["name"] for c in outcome.columns if c["action"] == conform.MISSING]
    assert tuple(missing) == outcome.missing_optional_columns
    assert sorted(c["name"] for c in outcome.columns if c["action"] == conform.EXTRA) == list(
        outcome.extra_columns
    )
    actions: dict[str, int] = {}
    for column in outcome.columns:
        actions[column["action"]] = actions.get(column["action"], 0) + 1
    print(
        f"\n{shape.name} {dataset}: rows_read={outcome.rows_read} rows_conformed={outcome.rows_conformed} "
        f"rows_quarantined={outcome.rows_quarantined} columns={dict(sorted(actions.items()))} "
        f"extra={list(outcome.extra_columns)} missing={list(outcome.missing_optional_columns)} "
        f"file={json.dumps(outcome.details)}"
    )


REPORTED_SHAPES = (
    "csv_excel_utf8_bom_crlf",
    "csv_gzip",
    "parquet_timestamps_nanos",
    "parquet_tlc_2023_int32_ids_airport_fee_renamed",
)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", REPORTED_SHAPES)
def test_the_run_report_records_the_file_as_stored(
    spark: SparkSession,
    tmp_path: Path,
    outcomes: dict[str, dict[str, shapes.Outcome]],
    name: str,
    dataset: str,
) -> None:
    shape = file_shapes.shape(name)
    source = write_shape(shape, dataset, tmp_path / "raw")
    out = tmp_path / "out"
    report = raw_to_conformed.run(
        spark,
        source_path=str(source),
        dataset=dataset,
        run_id="run-1",
        conformed_path=str(out / "conformed"),
        quarantine_path=str(out / "quarantine"),
        report_path=str(out / "_reports"),
        database="",
    )
    outcome = outcomes[dataset][name]
    assert report["rows_read"] == report["rows_conformed"] + report["rows_quarantined"] == outcome.rows_read
    assert report["physical_schema"] == outcome.physical_schema
    assert report["columns"] == outcome.columns
    assert report["file"]["format"] == ("parquet" if shape.suffix == ".parquet" else "csv")
    written = json.loads((out / "_reports" / "run-1" / "raw_to_conformed.json").read_text())
    assert written["physical_schema"] == report["physical_schema"]
    assert written["columns"] == report["columns"]
    conformed = spark.read.parquet(str(out / "conformed" / dataset))
    assert conformed.count() == report["rows_conformed"]
    assert set(conformed.columns) == {n for n, _ in schemas.conformed_columns(dataset)} | {
        "pickup_year",
        "pickup_month",
        "source_key",
    }
    print(
        f"\n{name} {dataset} run report: "
        + json.dumps({k: report[k] for k in ("rows_read", "rows_conformed", "rows_quarantined", "file")})
    )

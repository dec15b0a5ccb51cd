"""Every producer's JSON Lines shape (json_shapes.SHAPES) of the delivery's real rows, for each input, is
read by key name and meaning: rows in == conformed + quarantined, the conformed rows are those of the
file as delivered, the physical schema is the file's keys with the types Spark infers for them, and
every key's fate is recorded.

The shapes of one input are read and classified the way conform_delivery does it (`lake.reading` +
`transforms.to_conformed`, memberships checked against the delivered persons and organizations) and
evaluated a few at a time (a union per Spark job), to keep the tier fast; each shape is still its own test.
`test_the_run_report_records_each_input_as_stored` runs the whole step on a delivery of odd shapes.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from us_legislators.steps import conform_delivery, lake, schemas, transforms

from job_family.glue.runtime import job_runtime, storage
from job_family.testing import shapes

from . import json_shapes
from .json_shapes import INPUTS, SHAPES, Shape

pytestmark = pytest.mark.spark

BASELINE = "as_delivered"
SHAPES_PER_JOB = 8
LINEAGE = {"source_file", "run_id", "delivery_id"}


def write_shape(shape: Shape, dataset: str, folder: Path) -> Path:
    path = folder / shape.name / f"{dataset}{shape.suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shape.write(dataset, json_shapes.records(dataset)))
    return path


def _plain(value: Any) -> Any:
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_shapes(
    spark: SparkSession, dataset: str, folder: Path, references: dict[str, DataFrame]
) -> dict[str, shapes.Outcome]:
    names = [n for n in schemas.conformed_table(dataset).column_names if n not in LINEAGE]
    frames, facts = [], {}
    with ExitStack() as stack:
        for shape in SHAPES:
            path = write_shape(shape, dataset, folder / dataset)
            source = stack.enter_context(lake.reading(spark, str(path)))
            result = transforms.to_conformed(
                source,
                dataset=dataset,
                source_file=str(path),
                run_id=shape.name,
                delivery_id="d",
                references=references,
            )
            facts[shape.name] = (path, source, result)
            frames.append(
                result.classified.select(F.lit(shape.name).alias("shape"), *names, transforms.BROKEN_RULES)
            )
        rows = []
        with job_runtime.session_conf(spark, conform_delivery.CLASSIFY_CONF):
            # a few shapes per Spark job: one plan of every shape's parsing would hold the driver's memory
            for start in range(0, len(frames), SHAPES_PER_JOB):
                union = frames[start]
                for frame in frames[start + 1 : start + SHAPES_PER_JOB]:
                    union = union.unionByName(frame)
                rows += [_plain(row) for row in union.collect()]
    return shapes.outcomes(facts, rows, transforms.BROKEN_RULES)


@pytest.fixture(scope="module")
def outcomes(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, shapes.Outcome]]:
    """Each input's shapes; memberships are checked against the persons and organizations as delivered."""
    folder = tmp_path_factory.mktemp("json_shapes")
    references: dict[str, DataFrame] = {}
    found: dict[str, dict[str, shapes.Outcome]] = {}
    for dataset in schemas.CONFORM_ORDER:
        found[dataset] = read_shapes(spark, dataset, folder, dict(references))
        if dataset in ("persons", "organizations"):
            delivered = folder / "delivered" / f"{dataset}.json"
            delivered.parent.mkdir(parents=True, exist_ok=True)
            delivered.write_bytes(json_shapes.delivered(dataset))
            with lake.reading(spark, str(delivered)) as source:
                result = transforms.to_conformed(
                    source, dataset=dataset, source_file=str(delivered), run_id="r", delivery_id="d"
                )
                references[dataset] = spark.createDataFrame(
                    transforms.id_status(result.classified).collect(), "id string, valid boolean"
                )
    return found


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _stored_type_fits(json_kinds: set[str], stored: str) -> bool:
    """The type Spark inferred fits the JSON types the key's values have."""
    kinds = json_kinds - {"null"}
    if not kinds or len(kinds) > 1:
        return stored == "string"
    (kind,) = kinds
    return {
        "string": stored == "string",
        "number": stored in ("bigint", "double") or stored.startswith("decimal"),
        "boolean": stored == "boolean",
        "array": stored.startswith("array<"),
        "object": stored.startswith("struct<"),
    }[kind]


@pytest.mark.parametrize("dataset", INPUTS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_a_json_lines_shape_is_read_by_key_and_meaning(
    outcomes: dict[str, dict[str, shapes.Outcome]], shape: Shape, dataset: str
) -> None:
    outcome = outcomes[dataset][shape.name]
    baseline = outcomes[dataset][BASELINE]
    records = json_shapes.records(dataset)
    rows = shape.rows(len(records))

    assert outcome.rows_read == rows == outcome.rows_conformed + outcome.rows_quarantined
    expected = [shape.expect(dataset, dict(row)) for row in baseline.conformed] if rows else []
    assert sorted(outcome.conformed, key=_key) == sorted(expected, key=_key)
    expected_rules = dict(baseline.quarantined_by_rule) if rows else {}
    for rule, count in shape.rules.items():
        expected_rules[rule] = expected_rules.get(rule, 0) + count
    assert outcome.quarantined_by_rule == expected_rules

    # the physical schema: the file's keys, each with the type its values have
    kinds = json_shapes.json_types(outcome.path.read_bytes(), gz=shape.suffix.endswith(".gz"))
    stored = {c["name"]: c["type"] for c in outcome.physical_schema}
    assert set(stored) == set(kinds)
    assert all(_stored_type_fits(kinds[name], kind) for name, kind in stored.items()), (stored, kinds)

    # every stored key is accounted for once, then the missing ones
    used = [c for c in outcome.columns if c["action"] != storage.MISSING]
    assert sorted((c["name"], c["type"]) for c in used) == sorted(stored.items())
    keys = {f.key.lower(): f for f in schemas.fields(dataset)}
    for column in outcome.columns:
        field = keys.get((column["name"] or "").strip().lower())
        if column["action"] == storage.EXTRA:
            assert field is None and column["conformed"] is None
            continue
        assert field is not None and column["conformed"] == field.name, column
        assert column["conformed_type"] == field.hive_type
        if column["action"] != storage.MISSING:
            assert (column["action"] == storage.RENAMED) == (column["name"] != field.key), column
    missing = tuple(c["name"] for c in outcome.columns if c["action"] == storage.MISSING)
    assert missing == outcome.missing_optional_columns
    if rows:  # a file without any key (no rows) misses every key
        assert all(not keys[name.lower()].required for name in missing)
    assert sorted(c["name"] for c in outcome.columns if c["action"] == storage.EXTRA) == list(
        outcome.extra_columns
    )
    actions: dict[str, int] = {}
    for column in outcome.columns:
        actions[column["action"]] = actions.get(column["action"], 0) + 1
    print(
        f"\n{shape.name} {dataset}: rows_read={outcome.rows_read} rows_conformed={outcome.rows_conformed} "
        f"rows_quarantined={outcome.rows_quarantined} columns={dict(sorted(actions.items()))} "
        f"extra={list(outcome.extra_columns)} file={json.dumps(outcome.details)}"
    )


REPORTED = {
    "persons": "keys_upper_case",
    "organizations": "pandas_to_json_lines",
    "memberships": "gzip_bom_crlf",
}


def test_the_run_report_records_each_input_as_stored(
    spark: SparkSession, tmp_path: Path, outcomes: dict[str, dict[str, shapes.Outcome]]
) -> None:
    """The whole step on a delivery whose inputs are saved three odd ways: the report's per-input and
    flattened physical schema and columns are what reading found, and the tables hold the rows."""
    delivery = tmp_path / "raw" / "deliveries" / "d-shapes"
    delivery.mkdir(parents=True)
    for dataset, name in REPORTED.items():
        shape = json_shapes.shape(name)
        (delivery / f"{dataset}{shape.suffix}").write_bytes(
            shape.write(dataset, json_shapes.records(dataset))
        )
    out = tmp_path / "out"
    report = conform_delivery.run(
        spark,
        source_path=f"{delivery}/",
        run_id="run-shapes",
        conformed_path=str(out / "conformed"),
        quarantine_path=str(out / "quarantine"),
        report_path=str(out / "_reports"),
        database="",
    )
    assert report["rows_read"] == report["rows_conformed"] + report["rows_quarantined"]
    for dataset, name in REPORTED.items():
        outcome = outcomes[dataset][name]
        entry = report["inputs"][dataset]
        assert entry["physical_schema"] == outcome.physical_schema
        assert entry["columns"] == outcome.columns
        assert entry["rows_read"] == outcome.rows_read
        assert entry["rows_conformed"] == outcome.rows_conformed
        assert entry["file"]["format"] == "json"
        assert entry["file"]["compression"] == ("gzip" if name.startswith("gzip") else None)
    assert report["physical_schema"] == [
        {**c, "name": f"{d}.{c['name']}"}
        for d in schemas.DATASET_NAMES
        for c in outcomes[d][REPORTED[d]].physical_schema
    ]
    assert [c["name"] for c in report["columns"]] == [
        f"{d}.{c['name']}" for d in schemas.DATASET_NAMES for c in outcomes[d][REPORTED[d]].columns
    ]
    written = json.loads((out / "_reports" / "run-shapes" / "conform_delivery.json").read_text())
    assert written["columns"] == report["columns"]
    persons = spark.read.parquet(str(out / "conformed" / "persons"))
    assert persons.count() == report["inputs"]["persons"]["rows_conformed"]
    print(
        "\nrun report: "
        + json.dumps({k: report[k] for k in ("rows_read", "rows_conformed", "rows_quarantined")})
    )

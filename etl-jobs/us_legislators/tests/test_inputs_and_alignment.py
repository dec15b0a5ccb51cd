"""Reading a delivery and aligning its keys: case, order, missing / null / extra keys, nested values
present, absent or of the wrong shape, numbers as text, malformed lines, gzip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from pyspark.sql import Row, SparkSession
from us_legislators.steps import lake as inputs
from us_legislators.steps import schemas, transforms

from job_family.glue.runtime import job_runtime, storage

from .conftest import VALID, raw_rows

pytestmark = pytest.mark.spark

PERSONS_FILE = [
    json.dumps(
        {
            "id": "p1",
            "name": "Ann Lee",
            "birth_date": "1950",
            "identifiers": [{"scheme": "b", "identifier": 7}],
        }
    ),
    json.dumps(
        {"Name": "Bob Roe", "ID": "p2", "Gender": "male", "hobby": "chess"}
    ),  # other case, order, extra key
    "",  # blank: skipped
    " \t ",  # blank: skipped
    json.dumps({"id": "p3", "name": "Cy Poe", "identifiers": "b:1"}),  # nested value of the wrong shape
    '{"id": "p4", "name": "Di',  # malformed
    json.dumps({"id": "p5", "name": 12345, "links": None}),  # a number where text is expected, null nested
]
ORGS_FILE = [
    json.dumps({"id": "house", "name": "House", "seats": 435}),
    json.dumps({"id": "senate", "name": "Senate", "seats": "100"}),  # a number as text
    json.dumps({"id": "x", "name": "X", "seats": [1]}),  # an array where a number is expected
    "[1, 2]",  # JSON, but not an object
]


def _write(folder: Path, name: str, lines: list[str], *, compress: bool = False) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode()
    path = folder / name
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _conform(
    spark: SparkSession, path: Path, dataset: str
) -> tuple[transforms.ConformedResult, list[Row], transforms.Counts]:
    """The input read and classified as conform_delivery does it: the result, its rows and counts."""
    with inputs.reading(spark, str(path)) as source:
        result = transforms.to_conformed(
            source, dataset=dataset, source_file=str(path), run_id="r", delivery_id="d"
        )
        with job_runtime.session_conf(spark, transforms.COUNT_CONF):  # as conform_delivery runs it
            return result, result.classified.collect(), transforms.count(result)


@pytest.mark.parametrize("compress", [False, True], ids=["json", "json.gz"])
def test_reads_persons_whatever_the_case_order_and_shape_of_their_keys(
    spark: SparkSession, tmp_path: Path, compress: bool
) -> None:
    path = _write(tmp_path, "persons.json" + (".gz" if compress else ""), PERSONS_FILE, compress=compress)
    result, classified, counts = _conform(spark, path, "persons")
    rows = {r["id"] or r["_raw_name"]: r for r in classified}

    assert result.extra_columns == ("hobby",)
    assert "images" in result.missing_optional_columns
    assert rows["p1"]["birth_date"] == "1950" and rows["p1"]["identifiers"][0]["identifier"] == "7"
    assert (rows["p2"]["name"], rows["p2"]["gender"], rows["p2"]["broken_rules"]) == ("Bob Roe", "male", [])
    assert rows["p3"]["broken_rules"] == ["unparseable_identifiers"]
    assert rows["p3"]["_raw_identifiers"] == "b:1"
    malformed = next(r for r in rows.values() if r["corrupt_record"])
    assert malformed["broken_rules"] == ["malformed_json"]
    assert malformed["corrupt_record"] == '{"id": "p4", "name": "Di'
    assert (rows["p5"]["name"], rows["p5"]["links"], rows["p5"]["broken_rules"]) == ("12345", None, [])
    assert (counts.rows_read, counts.rows_conformed, counts.rows_quarantined) == (5, 3, 2)


def test_reads_numbers_given_as_numbers_or_text_and_quarantines_other_shapes(
    spark: SparkSession, tmp_path: Path
) -> None:
    _, classified, _ = _conform(spark, _write(tmp_path, "organizations.jsonl", ORGS_FILE), "organizations")
    rows = {r["id"]: r for r in classified}
    assert (rows["house"]["seats"], rows["senate"]["seats"]) == (435, 100)
    assert rows["x"]["broken_rules"] == ["unparseable_seats"] and rows["x"]["_raw_seats"] == "[1]"
    assert rows[None]["broken_rules"] == ["malformed_json"]


def test_merges_spellings_of_one_key_that_differ_by_case(spark: SparkSession, tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "name": "A"}), json.dumps({"ID": "b", "NAME": "B"})]
    path = _write(tmp_path, "persons.json", lines)
    with inputs.reading(spark, str(path)) as source:
        assert sorted(c.name for c in source.columns) == ["ID", "NAME", "id", "name"]
        aligned = transforms.align_columns(source, dataset="persons")
        assert sorted(tuple(r) for r in aligned.frame.select("id", "name").collect()) == [
            ("a", "A"),
            ("b", "B"),
        ]
    assert sorted((u.name, u.action) for u in aligned.columns if u.conformed in ("id", "name")) == [
        ("ID", "renamed"), ("NAME", "renamed"), ("id", "kept"), ("name", "kept")
    ]  # fmt: skip


def test_a_file_of_blank_lines_has_no_rows_and_one_without_any_json_object_is_unreadable(
    spark: SparkSession, tmp_path: Path
) -> None:
    _, classified, counts = _conform(spark, _write(tmp_path, "persons.json", ["", " \t"]), "persons")
    assert classified == [] and (counts.rows_read, counts.rows_conformed) == (0, 0)
    garbage = _write(tmp_path, "organizations.json", ["not json", "{oops", "null", "\u00a0"])
    with pytest.raises(
        storage.UnreadableInputError, match=r"organizations\.json holds no JSON object on any line"
    ):
        _conform(spark, garbage, "organizations")


def test_aligns_keys_case_insensitively_in_any_order(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [("Senate", "s1", "legislature", "xyz")],
        "NAME string, Id string, classification string, Color string",
    )
    aligned = transforms.align_columns(frame, dataset="organizations")
    assert aligned.frame.columns == [*(f.name for f in schemas.ORGANIZATIONS), "corrupt_record"]
    assert aligned.extra_columns == ("Color",)
    assert aligned.missing_optional_columns == (
        "identifiers",
        "other_names",
        "links",
        "image",
        "seats",
        "type",
    )
    row = aligned.frame.first()
    assert row is not None and (row["id"], row["name"], row["seats"]) == ("s1", "Senate", None)


def test_fills_missing_optional_keys_with_typed_nulls(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("p1", "h")], "person_id string, organization_id string")
    result = transforms.to_conformed(
        frame, dataset="memberships", source_file="f", run_id="r", delivery_id="d",
        references={"persons": spark.createDataFrame([("p1", True)], "id string, valid boolean"),
                    "organizations": spark.createDataFrame([("h", True)], "id string, valid boolean")},
    )  # fmt: skip
    conformed, _ = transforms.split(result.classified, dataset="memberships")
    spec = schemas.conformed_table("memberships")
    assert [(f.name, f.dataType.simpleString()) for f in conformed.schema.fields] == [
        *spec.columns,
        *spec.partition_keys,
    ]
    assert conformed.count() == 1 and len(result.missing_optional_columns) == 6


@pytest.mark.parametrize("dataset", schemas.DATASET_NAMES)
def test_split_gives_the_declared_columns_and_types(spark: SparkSession, dataset: str) -> None:
    frame = raw_rows(spark, dataset, [{}, {"id": None, "corrupt_record": "{"}])
    refs = {d: spark.createDataFrame([(VALID[d]["id"], True), ("party/d", True)], "id string, valid boolean") for d in ("persons", "organizations")}  # fmt: skip
    result = transforms.to_conformed(
        frame, dataset=dataset, source_file="f", run_id="r", delivery_id="d", references=refs
    )
    conformed, quarantine = transforms.split(result.classified, dataset=dataset)
    for frame_, spec in (
        (conformed, schemas.conformed_table(dataset)),
        (quarantine, schemas.quarantine_table(dataset)),
    ):
        assert [(f.name, f.dataType.simpleString()) for f in frame_.schema.fields] == [
            *spec.columns,
            *spec.partition_keys,
        ]
        assert frame_.count() == 1


def test_stops_on_a_missing_required_key_naming_the_file_the_key_and_the_fix(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("Ann", "1950")], "name string, birth_date string")
    with pytest.raises(
        storage.UnreadableInputError,
        match=r"^d/persons\.json lacks required key\(s\) id of Popolo persons on every line \(its keys: "
        r"name, birth_date\); deliver the persons file .* as persons\.json in the delivery folder; "
        r"nothing was written$",
    ):
        transforms.align_columns(frame, dataset="persons", source_file="d/persons.json")


def test_finds_each_input_of_a_delivery_in_any_accepted_format(spark: SparkSession, tmp_path: Path) -> None:
    for name in ("Persons.JSON", "memberships.jsonl", "organizations.json.gz", "README.txt"):
        (tmp_path / name).write_text("")
    files = inputs.find_delivery_files(spark, str(tmp_path))
    assert {d: Path(p).name for d, p in files.paths.items()} == {
        "persons": "Persons.JSON", "memberships": "memberships.jsonl", "organizations": "organizations.json.gz"
    }  # fmt: skip
    assert files.ignored == ("README.txt",)


def test_refuses_a_delivery_missing_an_input_or_holding_two_files_of_one(
    spark: SparkSession, tmp_path: Path
) -> None:
    for name in ("persons.json", "memberships.json"):
        (tmp_path / name).write_text("")
    with pytest.raises(
        storage.UnreadableInputError, match=r"has no organizations file; upload organizations\.json or"
    ):
        inputs.find_delivery_files(spark, str(tmp_path))
    (tmp_path / "organizations.json").write_text("")
    (tmp_path / "persons.jsonl").write_text("")
    with pytest.raises(storage.UnreadableInputError, match="has 2 persons files"):
        inputs.find_delivery_files(spark, str(tmp_path))


def test_takes_the_delivery_id_from_the_folder_name() -> None:
    assert inputs.delivery_id("s3://raw/us_legislators/deliveries/2024-06-01/") == "2024-06-01"
    with pytest.raises(ValueError, match="delivery folder's name"):
        inputs.delivery_id("s3://raw/us_legislators/deliveries/june 1st/")

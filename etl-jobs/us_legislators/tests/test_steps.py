"""Both steps end to end on generated deliveries in local folders: counts reconcile, orphans are
quarantined with their reason, the join and the SQL rule match a plain-Python computation, and each
delivery owns exactly its partitions."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pyspark.sql import Row, SparkSession
from us_legislators.steps import build_memberships, conform_delivery, sample_data, schemas, transforms

from .conftest import RULES

pytestmark = pytest.mark.spark


DATABASE = "us_legislators_test"


class Lake:
    def __init__(self, root: Path, glue: Any = None) -> None:
        self.root, self.glue = root, glue
        self.paths = {
            "conformed_path": str(root / "conformed"),
            "quarantine_path": str(root / "quarantine"),
            "report_path": str(root / "_reports"),
        }
        self.catalog = {"database": DATABASE if glue else "", "glue_factory": lambda: glue}

    def delivery(self, delivery_id: str) -> Path:
        return self.root / "raw" / "deliveries" / delivery_id

    def conform(self, spark: SparkSession, delivery_id: str, run_id: str) -> dict[str, Any]:
        return conform_delivery.run(
            spark, source_path=f"{self.delivery(delivery_id)}/", run_id=run_id, **self.paths, **self.catalog
        )

    def build(self, spark: SparkSession, run_id: str) -> dict[str, Any]:
        return build_memberships.run(
            spark,
            run_id=run_id,
            conformed_path=self.paths["conformed_path"],
            purpose_built_path=str(self.root / "purpose_built"),
            rules_path=str(RULES),
            report_path=self.paths["report_path"],
            **self.catalog,
        )

    def partitions(self) -> dict[str, list[str]]:
        """The delivery ids of each table's partitions in the catalog."""
        return {
            spec.name: sorted(
                p["Values"][0]
                for p in self.glue.get_partitions(DatabaseName=DATABASE, TableName=spec.name)["Partitions"]
            )
            for spec in schemas.TABLES
        }

    def rows(self, spark: SparkSession, zone: str, folder: str, delivery_id: str) -> list[Row]:
        path = self.root / zone / folder / f"delivery_id={delivery_id}"
        return spark.read.parquet(str(path)).collect() if path.exists() else []


DIRTY: dict[str, Any] = {"persons": 120, "dirty": 0.15, "seed": 7}


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """d1: clean (step 1 through its main(), no catalog), d2: dirty; both through step 2. The Glue
    catalog is moto's, with the tables declared from schemas.TABLES (as the catalog unit does)."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.setenv(name, "testing")
        glue = boto3.client("glue", region_name="eu-west-1")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        for spec in schemas.TABLES:
            columns = [{"Name": n, "Type": t} for n, t in spec.glue_columns()]
            keys = [{"Name": n, "Type": t} for n, t in spec.glue_partition_keys()]
            descriptor = {"Columns": columns, "Location": spec.location(f"s3://bucket/{spec.zone.value}")}
            glue.create_table(
                DatabaseName=DATABASE,
                TableInput={"Name": spec.name, "StorageDescriptor": descriptor, "PartitionKeys": keys},
            )
        store = Lake(tmp_path_factory.mktemp("lake"), glue)
        sample_data.write_delivery(store.delivery("d1"), persons=60, seed=1)
        sample_data.write_delivery(store.delivery("d2"), **DIRTY)
        arguments = {**store.paths, "database": "", "source_path": f"{store.delivery('d1')}/", "run_id": "r1"}
        reports = {"r1": conform_delivery.main([f"--{k}={v}" for k, v in arguments.items()])}
        reports["r2"] = store.conform(spark, "d2", "r2")
        built = {run_id: store.build(spark, run_id) for run_id in ("r1", "r2")}
        yield {"lake": store, "conformed": reports, "built": built, "catalog": store.partitions()}


def _json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_quarantines_exactly_the_rows_the_generator_broke(lake: dict[str, Any]) -> None:
    expected = sample_data.generate(**DIRTY)
    report = lake["conformed"]["r2"]
    for dataset in schemas.DATASET_NAMES:
        assert report["inputs"][dataset]["quarantined_by_rule"] == dict(
            sorted(expected.expected[dataset].items())
        )
        assert report["inputs"][dataset]["rows_quarantined"] == expected.quarantined[dataset]
    assert report["inputs"]["memberships"]["quarantined_by_rule"]["person_missing"] > 0


def test_rows_read_equal_rows_conformed_plus_quarantined_on_disk(
    spark: SparkSession, lake: dict[str, Any]
) -> None:
    store: Lake = lake["lake"]
    report = lake["conformed"]["r2"]
    for dataset in schemas.DATASET_NAMES:
        counts = report["inputs"][dataset]
        conformed = store.rows(spark, "conformed", dataset, "d2")
        quarantined = store.rows(spark, "quarantine", dataset, "d2")
        assert (len(conformed), len(quarantined)) == (counts["rows_conformed"], counts["rows_quarantined"])
        assert counts["rows_read"] == len(conformed) + len(quarantined)
    lines = (store.delivery("d2") / "memberships.json").read_text().splitlines()
    assert report["inputs"]["memberships"]["rows_read"] == len(lines)
    assert report["rows_read"] == sum(report["inputs"][d]["rows_read"] for d in schemas.DATASET_NAMES)


def test_quarantines_orphan_memberships_with_their_reason_as_delivered(
    spark: SparkSession, lake: dict[str, Any]
) -> None:
    store: Lake = lake["lake"]
    delivered = set()  # every person id the file holds, quarantined or not
    for line in (store.delivery("d2") / "persons.json").read_text().splitlines():
        try:
            delivered.add(json.loads(line)["id"])
        except (ValueError, KeyError):
            continue
    orphans = [
        r
        for r in store.rows(spark, "quarantine", "memberships", "d2")
        if "person_missing" in r["broken_rules"]
    ]
    assert orphans and all(r["person_id"] not in delivered for r in orphans)
    assert all(r["source_file"].endswith("memberships.json") and r["run_id"] == "r2" for r in orphans)
    # and step 2 lost none of the conformed ones
    assert (
        lake["built"]["r2"]["rows_by_table"][schemas.JOINED]
        == lake["conformed"]["r2"]["inputs"]["memberships"]["rows_conformed"]
    )


def test_joins_like_join_legislators_computed_in_plain_python(
    spark: SparkSession, lake: dict[str, Any]
) -> None:
    store: Lake = lake["lake"]
    folder = store.delivery("d1")
    persons = {p["id"]: p for p in _json_lines(folder / "persons.json")}
    orgs = {o["id"]: o for o in _json_lines(folder / "organizations.json")}
    expected = Counter(
        (m["person_id"], persons[m["person_id"]]["name"], persons[m["person_id"]].get("birth_date"),
         m["organization_id"], orgs[m["organization_id"]]["name"], int(orgs[m["organization_id"]]["seats"]),
         m["on_behalf_of_id"], m["legislative_period_id"], m["start_date"], m.get("end_date"))
        for m in _json_lines(folder / "memberships.json")
    )  # fmt: skip
    joined = store.rows(spark, "purpose_built", schemas.JOINED, "d1")
    actual = Counter(
        (r["id"], r["name"], r["birth_date"], r["organization_id"], r["org_name"], r["seats"],
         r["on_behalf_of_id"], r["legislative_period_id"], r["start_date"], r["end_date"])
        for r in joined
    )  # fmt: skip
    assert actual == expected
    assert set(joined[0].asDict()) == {*schemas.joined_table().column_names} - {"delivery_id"}


def test_members_per_party_and_chamber_match_plain_python(spark: SparkSession, lake: dict[str, Any]) -> None:
    store: Lake = lake["lake"]
    folder = store.delivery("d1")
    orgs = {o["id"]: o["name"] for o in _json_lines(folder / "organizations.json")}
    members: dict[tuple[str, ...], set[str]] = {}
    for m in _json_lines(folder / "memberships.json"):
        key = (orgs[m["organization_id"]], m["legislative_period_id"], orgs[m["on_behalf_of_id"]])
        members.setdefault(key, set()).add(m["person_id"])
    path = store.root / "purpose_built" / "members_per_party_and_chamber"
    frame = spark.read.parquet(str(path))
    spec = schemas.purpose_built_table("members_per_party_and_chamber")
    assert [(f.name, f.dataType.simpleString()) for f in frame.schema.fields] == [
        *spec.columns,
        *spec.partition_keys,
    ]
    rows = frame.where("delivery_id = 'd1'").collect()
    assert {(r["chamber"], r["legislative_period_id"], r["party"]): r["members"] for r in rows} == {
        key: len(ids) for key, ids in members.items()
    }


def test_rejects_a_rule_whose_columns_differ_from_its_declaration(spark: SparkSession) -> None:
    spec = schemas.purpose_built_table("members_per_party_and_chamber")
    with pytest.raises(build_memberships.RuleSchemaError, match="declares"):
        build_memberships.check_rule_output(spark.sql("SELECT 'x' AS chamber, 'd' AS delivery_id"), spec)


def test_reprocessing_a_corrected_delivery_replaces_only_its_partitions(
    spark: SparkSession, lake: dict[str, Any]
) -> None:
    store: Lake = lake["lake"]
    d1_before = sorted(map(str, store.rows(spark, "conformed", "memberships", "d1")))
    shutil.rmtree(store.delivery("d2"))
    sample_data.write_delivery(store.delivery("d2"), persons=30, seed=3, compress=True)
    report = store.conform(spark, "d2", "r3")
    assert report["rows_quarantined"] == 0
    for dataset in schemas.DATASET_NAMES:
        assert len(store.rows(spark, "conformed", dataset, "d2")) == report["inputs"][dataset]["rows_read"]
        assert store.rows(spark, "quarantine", dataset, "d2") == []
    assert sorted(map(str, store.rows(spark, "conformed", "memberships", "d1"))) == d1_before
    catalog = store.partitions()
    assert [catalog[f"{d}_quarantine"] for d in schemas.DATASET_NAMES] == [[], [], []]
    assert [catalog[d] for d in schemas.DATASET_NAMES] == [["d2"], ["d2"], ["d2"]]


def test_keeps_the_catalog_partitions_of_each_delivery(lake: dict[str, Any]) -> None:
    # d1's step 1 ran through main() without a database; both deliveries' step 2 kept the catalog
    step_2 = {schemas.JOINED, *schemas.PURPOSE_BUILT_RULES}
    assert lake["catalog"] == {t.name: ["d1", "d2"] if t.name in step_2 else ["d2"] for t in schemas.TABLES}
    assert lake["conformed"]["r2"]["catalog"]["database"] == DATABASE


def test_report_has_the_framework_keys(lake: dict[str, Any]) -> None:
    report = lake["conformed"]["r1"]
    for key in ("step", "run_id", "dataset", "source_path", "rows_read", "rows_conformed", "rows_quarantined",
                "rows_written", "quarantined_by_rule", "partitions", "extra_columns", "missing_optional_columns",
                "outputs", "catalog", "durations_s", "inputs", "physical_schema", "columns"):  # fmt: skip
        assert key in report
    for dataset in schemas.DATASET_NAMES:
        assert {"file", "physical_schema", "columns"} <= set(report["inputs"][dataset])
        assert report["inputs"][dataset]["file"]["format"] == "json"
    assert report["partitions"] == [{"delivery_id": "d1"}]
    assert Path(report["report_path"]).exists()
    assert not any(Path(lake["lake"].paths["report_path"], "r1").glob("_staging_*"))


def test_writes_nothing_when_counts_do_not_reconcile(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Lake(tmp_path)
    sample_data.write_delivery(store.delivery("d9"), persons=5)
    monkeypatch.setattr(transforms.Counts, "reconciles", lambda self: False)
    with pytest.raises(conform_delivery.ReconciliationError, match="nothing was written"):
        store.conform(spark, "d9", "r9")
    assert not (tmp_path / "conformed").exists() and not (tmp_path / "quarantine").exists()
    assert not any((tmp_path / "_reports").glob("r9/_staging_*"))
